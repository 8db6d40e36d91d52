//! The first schema: users, software catalog, tickets, history, outbox,
//! per-year ticket counters and application settings.

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
                    .table("users")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("username", 64))
                    .col(string_len("employee_id", 32))
                    .col(boolean("is_admin").default(false))
                    .col(string_len("role", 16).default("REQUESTER"))
                    .col(string_len("display_name", 128).default(""))
                    .col(string_len_null("email", 254))
                    .col(string_len_null("phone", 16))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("software_catalog")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("name", 128))
                    .col(string_len("version", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("software_catalog_name_version_key")
                    .table("software_catalog")
                    .col("name")
                    .col("version")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tickets")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    // The seed calls the ticket number `ticket_id`; kept for its SQL.
                    .col(string_len_uniq("ticket_id", 64))
                    .col(big_integer("user_id"))
                    .col(string_len("request_type", 32))
                    .col(big_integer_null("software_id"))
                    .col(text("description"))
                    .col(string_len("status", 16))
                    .col(string_len("priority", 16).default("MEDIUM"))
                    .col(big_integer_null("assignee_id"))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .col(integer("version").default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("tickets_user_id_fkey")
                            .from("tickets", "user_id")
                            .to("users", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("tickets_software_id_fkey")
                            .from("tickets", "software_id")
                            .to("software_catalog", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("tickets_assignee_id_fkey")
                            .from("tickets", "assignee_id")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // The admin list filters by status and pages newest first; the
        // requester's list pages his own tickets newest first.
        for (name, cols) in [
            ("tickets_status_created_idx", &["status", "id"][..]),
            ("tickets_user_created_idx", &["user_id", "id"][..]),
            ("tickets_created_at_idx", &["created_at"][..]),
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
                    .table("ticket_history")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("ticket_id"))
                    .col(string_len("status", 16))
                    .col(text_null("notes"))
                    .col(big_integer_null("actor_id"))
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(
                        ForeignKey::create()
                            .name("ticket_history_ticket_id_fkey")
                            .from("ticket_history", "ticket_id")
                            .to("tickets", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ticket_history_ticket_idx")
                    .table("ticket_history")
                    .col("ticket_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(uuid_uniq("event_id"))
                    .col(string_len("event_type", 64))
                    .col(string_len("ticket_number", 64))
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_unsent_idx")
                    .table("outbox")
                    .col("sent_at")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        // Per (format scope, year) counters: SQLite allocates ticket numbers
        // here inside the ticket's own transaction. PostgreSQL uses sequences.
        manager
            .create_table(
                Table::create()
                    .table("ticket_counters")
                    .if_not_exists()
                    .col(string_len("scope", 64))
                    .col(integer("year"))
                    .col(big_integer("value"))
                    .primary_key(Index::create().col("scope").col("year"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("app_settings")
                    .if_not_exists()
                    .col(string_len("key", 64).primary_key())
                    .col(text("value"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "app_settings",
            "ticket_counters",
            "outbox",
            "ticket_history",
            "tickets",
            "software_catalog",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
