//! Attachments: one row per uploaded file (its bytes live in the blob
//! store, keyed by the row's id). A row without a ticket is a staged upload
//! waiting for the ticket or comment that will name it.
//!
//! Expand only: a new table, so the previous release keeps running against
//! this schema during a rolling upgrade.

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
                    .table("attachments")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(big_integer_null("ticket_id"))
                    .col(big_integer_null("comment_id"))
                    .col(boolean("internal").default(false))
                    .col(string_len("filename", 255))
                    .col(string_len("content_type", 127))
                    .col(big_integer("size_bytes"))
                    .col(string_len("sha256", 64))
                    .col(big_integer("uploaded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("attachments_ticket_id_fkey")
                            .from("attachments", "ticket_id")
                            .to("tickets", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("attachments_comment_id_fkey")
                            .from("attachments", "comment_id")
                            .to("ticket_comments", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("attachments_uploaded_by_fkey")
                            .from("attachments", "uploaded_by")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // A ticket's files; an uploader's staged files; the purge's scan.
        for (name, cols) in [
            ("attachments_ticket_idx", &["ticket_id", "created_at"][..]),
            ("attachments_staged_idx", &["uploaded_by", "ticket_id"][..]),
            ("attachments_created_idx", &["created_at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("attachments").if_not_exists();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("attachments").if_exists().to_owned())
            .await
    }
}
