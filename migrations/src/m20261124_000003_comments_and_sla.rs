//! Phase 2: comments and internal notes, and SLA due times on tickets.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The SLA columns added to `tickets`, all nullable: rows written by the
/// seed's SQL have no due times and never breach.
const SLA_COLUMNS: [&str; 4] = [
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "resolved_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in SLA_COLUMNS {
            if !manager.has_column("tickets", column).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table("tickets")
                            .add_column(timestamp_with_time_zone_null(column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        // The admin list sorts by due times and filters by assignee.
        for (name, cols) in [
            (
                "tickets_resolution_due_idx",
                &["resolution_due_at", "id"][..],
            ),
            (
                "tickets_first_response_due_idx",
                &["first_response_due_at", "id"][..],
            ),
            ("tickets_assignee_idx", &["assignee_id", "id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("tickets").if_not_exists();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("ticket_comments")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("ticket_id"))
                    .col(big_integer("author_id"))
                    .col(text("body"))
                    .col(boolean("internal").default(false))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .foreign_key(
                        ForeignKey::create()
                            .name("ticket_comments_ticket_id_fkey")
                            .from("ticket_comments", "ticket_id")
                            .to("tickets", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("ticket_comments_author_id_fkey")
                            .from("ticket_comments", "author_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ticket_comments_ticket_idx")
                    .table("ticket_comments")
                    .col("ticket_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table("ticket_comments")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        for name in [
            "tickets_resolution_due_idx",
            "tickets_first_response_due_idx",
            "tickets_assignee_idx",
        ] {
            manager
                .drop_index(Index::drop().name(name).table("tickets").to_owned())
                .await?;
        }
        for column in SLA_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("tickets")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
