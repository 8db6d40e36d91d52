//! Assets, their history and tickets, agents, enrolment tokens and health
//! samples.
//!
//! Expand only: new tables, and nothing the previous release reads
//! changes, so it keeps running against this schema during a rolling
//! upgrade.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &'static str,
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(to, "id")
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    if unique {
        index.unique();
    }
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("assets")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("tag", 32))
                    .col(string_len("name", 200))
                    .col(string_len_null("hostname", 256))
                    .col(string_len("kind", 16))
                    .col(string_len_null("serial", 256))
                    .col(string_len_null("manufacturer", 256))
                    .col(string_len_null("model", 256))
                    .col(string_len_null("os", 520))
                    .col(big_integer_null("owner_id"))
                    .col(string_len_null("location", 200))
                    .col(string_len("status", 16))
                    .col(date_null("purchased_on"))
                    .col(date_null("warranty_until"))
                    .col(text_null("inventory"))
                    .col(string_len_null("machine_id", 256))
                    .col(text("macs"))
                    .col(timestamp_with_time_zone_null("last_seen_at"))
                    .col(string_len("health", 16))
                    .col(text_null("health_reason"))
                    .col(text_null("latest_sample"))
                    .col(big_integer_null("merged_into"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk(
                        "assets_owner_id_fkey",
                        "assets",
                        "owner_id",
                        "users",
                    ))
                    .foreign_key(&mut fk(
                        "assets_merged_into_fkey",
                        "assets",
                        "merged_into",
                        "assets",
                    ))
                    .to_owned(),
            )
            .await?;
        // A requester's devices; the fleet by health; the silence sweep;
        // enrolment's hint lookups.
        index(
            manager,
            "assets",
            "assets_owner_idx",
            &["owner_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "assets",
            "assets_health_idx",
            &["health", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "assets",
            "assets_last_seen_idx",
            &["last_seen_at"],
            false,
        )
        .await?;
        index(manager, "assets", "assets_serial_idx", &["serial"], false).await?;
        index(
            manager,
            "assets",
            "assets_machine_id_idx",
            &["machine_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("asset_history")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("asset_id"))
                    .col(big_integer_null("actor_id"))
                    .col(uuid_null("agent_id"))
                    .col(text("change"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut fk(
                        "asset_history_asset_id_fkey",
                        "asset_history",
                        "asset_id",
                        "assets",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "asset_history",
            "asset_history_asset_idx",
            &["asset_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("ticket_assets")
                    .if_not_exists()
                    .col(big_integer("ticket_id"))
                    .col(big_integer("asset_id"))
                    .col(timestamp_with_time_zone("linked_at"))
                    .primary_key(Index::create().col("ticket_id").col("asset_id"))
                    .foreign_key(&mut fk(
                        "ticket_assets_ticket_id_fkey",
                        "ticket_assets",
                        "ticket_id",
                        "tickets",
                    ))
                    .foreign_key(&mut fk(
                        "ticket_assets_asset_id_fkey",
                        "ticket_assets",
                        "asset_id",
                        "assets",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ticket_assets",
            "ticket_assets_asset_idx",
            &["asset_id", "ticket_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("agents")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(big_integer("asset_id"))
                    .col(string_len("credential_hash", 64))
                    .col(timestamp_with_time_zone("enrolled_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "agents_asset_id_fkey",
                        "agents",
                        "asset_id",
                        "assets",
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "agents", "agents_asset_idx", &["asset_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("enrollment_tokens")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("token_hash", 64))
                    // 0 is the operator at the shell, who is no stored user.
                    .col(big_integer("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("asset_samples")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("asset_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(text("sample"))
                    .foreign_key(&mut fk(
                        "asset_samples_asset_id_fkey",
                        "asset_samples",
                        "asset_id",
                        "assets",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "asset_samples",
            "asset_samples_asset_idx",
            &["asset_id", "at"],
            false,
        )
        .await?;
        index(
            manager,
            "asset_samples",
            "asset_samples_at_idx",
            &["at"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "asset_samples",
            "enrollment_tokens",
            "agents",
            "ticket_assets",
            "asset_history",
            "assets",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
