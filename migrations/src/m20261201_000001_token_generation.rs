//! Sessions that end for good: a per-user token generation. Every token
//! carries the generation it was issued under; deactivation, a role change
//! and "log out everywhere" raise it, so earlier tokens never work again,
//! not even after a reactivation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Expand only: the previous release ignores the column.
        if !manager.has_column("users", "token_generation").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("users")
                        .add_column(big_integer("token_generation").default(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("token_generation")
                    .to_owned(),
            )
            .await
    }
}
