//! The delivery log: one row per event × sink × recipient. It deduplicates
//! redelivered events and shows admins what was sent.

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
                    .table("notification_deliveries")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(uuid("event_id"))
                    .col(string_len("event_type", 64))
                    .col(string_len("ticket_number", 64))
                    .col(string_len("sink", 64))
                    .col(string_len("recipient", 320))
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_deliveries_event_sink_recipient_key")
                    .table("notification_deliveries")
                    .col("event_id")
                    .col("sink")
                    .col("recipient")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_deliveries_ticket_idx")
                    .table("notification_deliveries")
                    .col("ticket_number")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table("notification_deliveries")
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
