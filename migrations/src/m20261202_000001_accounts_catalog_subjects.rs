//! Accounts, catalog administration and ticket subjects: local password
//! hashes (argon2id, never the password) and a "must change" flag on users,
//! a retirement time on catalog titles (retired titles stay on old tickets
//! but leave the request form), and a short subject on tickets, filled for
//! existing tickets from their description's first line.
//!
//! Expand only: every column is nullable or has a default, so the previous
//! release keeps running against this schema during a rolling upgrade.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            ("users", text_null("password_hash")),
            (
                "users",
                boolean("must_change_password").default(false).to_owned(),
            ),
            (
                "software_catalog",
                timestamp_with_time_zone_null("retired_at"),
            ),
            ("tickets", string_len("subject", 200).default("").to_owned()),
        ];
        for (table, mut column) in columns {
            let name = column.get_column_name();
            if !manager.has_column(table, &name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        // Existing tickets get their description's first line as subject.
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE tickets SET subject = left(btrim(split_part(description, E'\\n', 1)), 120) WHERE subject = ''"
            }
            _ => {
                "UPDATE tickets SET subject = substr(trim(substr(description, 1, instr(description || char(10), char(10)) - 1)), 1, 120) WHERE subject = ''"
            }
        };
        let connection = manager.get_connection();
        connection
            .execute_raw(Statement::from_string(
                manager.get_database_backend(),
                backfill.to_owned(),
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("tickets", "subject"),
            ("software_catalog", "retired_at"),
            ("users", "must_change_password"),
            ("users", "password_hash"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
