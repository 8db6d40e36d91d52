//! Embedding itosm's core in your own Rust program: open a SQLite store,
//! load the demo data, log in, open a ticket, list it, and read the event
//! written with it to the outbox — no HTTP, no broker.
//!
//! Run: `cargo run -p itosm-examples --example embed_core`

use std::sync::Arc;

use itosm_core::store::prelude::*;
use itosm_core::store::sea::{SeaStore, SeaStoreOptions};
use itosm_core::{CreateTicketInput, Itosm, RequestType, ServiceConfig, TicketFilterInput};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("itosm-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("itosm.db").display());

    let store = Arc::new(SeaStore::connect(SeaStoreOptions::new(url)).await?);
    store.migrate().await?;
    itosm_core::seed::load_demo_data(store.as_ref()).await?;

    let secret = itosm_core::token::generate_secret().into_bytes();
    let itosm = Itosm::new(store.clone(), ServiceConfig::with_secret(secret))?;

    let session = itosm.login("john.doe", "EMP123").await?;
    let john = itosm.authenticate(&session.token).await?;
    let autocad = itosm
        .software_catalog(Some(&john), false)
        .await?
        .into_iter()
        .find(|s| s.label() == "Autodesk AutoCAD 2025")
        .ok_or_else(|| anyhow::anyhow!("AutoCAD is not in the catalog"))?;

    let created = itosm
        .create_ticket(
            Some(&john),
            CreateTicketInput {
                request_type: RequestType::SoftwareInstall,
                software_id: Some(autocad.id),
                subject: None,
                description: "Please install AutoCAD for the new plant layout.".to_owned(),
                attachments: Vec::new(),
                asset_tags: Vec::new(),
            },
        )
        .await?;
    println!(
        "created {} ({})",
        created.ticket.number,
        created.ticket.status.label()
    );

    let page = itosm
        .list_tickets(
            Some(&john),
            TicketFilterInput::default(),
            itosm_core::store::TicketSort::Newest,
            Some(10),
            None,
        )
        .await?;
    for (_, view) in &page.items {
        println!(
            "  {} {} {}",
            view.ticket.number, view.ticket.request_type, view.requester.username
        );
    }

    // The event committed with the ticket waits in the outbox for a relay.
    let pending = store
        .claim_outbox(10, chrono::Duration::seconds(30), chrono::Utc::now())
        .await?;
    for row in &pending {
        println!(
            "outbox: {} {} for {}",
            row.event_type, row.event_id, row.ticket_number
        );
    }
    anyhow::ensure!(
        pending
            .iter()
            .any(|r| r.ticket_number == created.ticket.number)
    );

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
