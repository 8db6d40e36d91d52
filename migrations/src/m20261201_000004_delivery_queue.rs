//! The delivery log becomes the notifier's durable work queue: a row is
//! claimed (`PENDING` with a lease in `claimed_until`) before it is sent,
//! waits for its next attempt (`next_attempt_at`) after a retryable
//! failure, and is retried until `retry_until`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["claimed_until", "next_attempt_at", "retry_until"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One change per ALTER TABLE: SQLite takes no more.
        for column in COLUMNS {
            if !manager
                .has_column("notification_deliveries", column)
                .await?
            {
                manager
                    .alter_table(
                        Table::alter()
                            .table("notification_deliveries")
                            .add_column(timestamp_with_time_zone_null(column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .create_index(
                Index::create()
                    .name("notification_deliveries_due_idx")
                    .table("notification_deliveries")
                    .col("status")
                    .col("sink")
                    .col("next_attempt_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("notification_deliveries_due_idx")
                    .table("notification_deliveries")
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("notification_deliveries")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
