//! Incidents: the open ticket monitoring opened for a condition (a device
//! down, a firing alert). `open_key` holds the condition while the
//! incident is open and is cleared when it closes: its unique index allows
//! one open incident per condition (NULLs never collide) and any number of
//! closed ones.
//!
//! Expand only: a new table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("incidents")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("key", 255))
                    .col(string_len_null("open_key", 255))
                    .col(big_integer("ticket_id"))
                    .col(string_len("ticket_number", 64))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("recovered_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("incidents_ticket_id_fkey")
                            .from("incidents", "ticket_id")
                            .to("tickets", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incidents_open_key_idx")
                    .table("incidents")
                    .col("open_key")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incidents_recovered_idx")
                    .table("incidents")
                    .col("recovered_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("incidents").if_exists().to_owned())
            .await
    }
}
