//! itosm's database schema: one sea-orm migration set that runs unchanged on
//! PostgreSQL and SQLite.
//!
//! The seed's tables and columns (`users`, `software_catalog`, `tickets`,
//! `ticket_history`) are kept as a superset so SQL written for the seed still
//! works. Demo data is never loaded here: `itosm seed` does that.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_initial;
mod m20261124_000002_notification_deliveries;
mod m20261124_000003_comments_and_sla;
mod m20261201_000001_token_generation;
mod m20261201_000004_delivery_queue;
mod m20261202_000001_accounts_catalog_subjects;
mod m20261206_000001_attachments;
mod m20261208_000001_assets_and_agents;
mod m20261208_000002_incidents;

/// The ordered list of itosm's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial::Migration),
            Box::new(m20261124_000002_notification_deliveries::Migration),
            Box::new(m20261124_000003_comments_and_sla::Migration),
            Box::new(m20261201_000001_token_generation::Migration),
            Box::new(m20261201_000004_delivery_queue::Migration),
            Box::new(m20261202_000001_accounts_catalog_subjects::Migration),
            Box::new(m20261206_000001_attachments::Migration),
            Box::new(m20261208_000001_assets_and_agents::Migration),
            Box::new(m20261208_000002_incidents::Migration),
        ]
    }
}
