//! The SLA clock through the services, on a clock the test moves: due
//! times from the policy, a ticket answered in time stays green, one left
//! alone breaches, the breached filter and due-time sort follow, and a
//! priority change moves the due times — no waiting on the wall clock.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use itosm_core::clock::ManualClock;
use itosm_core::store::TicketSort;
use itosm_core::store::memory::MemoryStore;
use itosm_core::{
    CreateTicketInput, Itosm, Priority, RequestType, ServiceConfig, TicketFilterInput,
};

fn request(description: &str) -> CreateTicketInput {
    CreateTicketInput {
        request_type: RequestType::Incident,
        software_id: None,
        subject: None,
        description: description.to_owned(),
        attachments: Vec::new(),
        asset_tags: Vec::new(),
    }
}

#[tokio::test]
async fn breaches_follow_the_clock_and_the_priority() {
    let store = MemoryStore::new();
    itosm_core::seed::load_demo_data(&store).await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let itosm = Itosm::new(Arc::new(store), ServiceConfig::with_secret(vec![5; 32]))
        .unwrap()
        .with_clock(clock.clone());
    let login = async |u: &str, e: &str| {
        let token = itosm.login(u, e).await.unwrap().token;
        itosm.authenticate(&token).await.unwrap()
    };
    let john = login("john.doe", "EMP123").await;
    let admin = login("admin.user", "ADMIN01").await;

    // MEDIUM by default: first response in 8 h, resolution in 2 days.
    let ignored = itosm
        .create_ticket(Some(&john), request("Nobody answers this"))
        .await
        .unwrap()
        .ticket;
    let answered = itosm
        .create_ticket(Some(&john), request("This gets an answer"))
        .await
        .unwrap()
        .ticket;
    assert_eq!(ignored.priority, Priority::Medium);
    assert_eq!(
        ignored.first_response_due_at,
        Some(start + Duration::hours(8))
    );
    assert_eq!(ignored.resolution_due_at, Some(start + Duration::days(2)));

    clock.set(start + Duration::hours(1));
    itosm
        .add_comment(Some(&admin), &answered.number, "On it", false, &[])
        .await
        .unwrap();

    // Just before the first-response due time nothing is late; just after,
    // only the ticket nobody answered is.
    let breached = async |at| {
        clock.set(at);
        let filter = TicketFilterInput {
            breached: Some(true),
            ..TicketFilterInput::default()
        };
        itosm
            .list_tickets(
                Some(&admin),
                filter,
                TicketSort::FirstResponseDue,
                None,
                None,
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|(_, view)| view.ticket.number.to_string())
            .collect::<Vec<_>>()
    };
    assert!(breached(start + Duration::hours(8)).await.is_empty());
    assert_eq!(
        breached(start + Duration::hours(8) + Duration::seconds(1)).await,
        [ignored.number.to_string()]
    );
    let now = itosm_core::clock::Clock::now(clock.as_ref());
    let late = itosm
        .get_ticket(Some(&admin), &ignored.number)
        .await
        .unwrap()
        .ticket;
    assert!(late.first_response_breached(now) && !late.resolution_breached(now));
    let green = itosm
        .get_ticket(Some(&admin), &answered.number)
        .await
        .unwrap()
        .ticket;
    assert_eq!(green.first_responded_at, Some(start + Duration::hours(1)));
    assert!(!green.sla_breached(now));

    // HIGH: resolution within 16 h of creation, so the answered ticket
    // breaches once that passes.
    itosm
        .change_priority(
            Some(&admin),
            &answered.number,
            Priority::High,
            green.version,
        )
        .await
        .unwrap();
    assert!(
        !breached(start + Duration::hours(16))
            .await
            .contains(&answered.number.to_string())
    );
    assert!(
        breached(start + Duration::hours(16) + Duration::seconds(1))
            .await
            .contains(&answered.number.to_string())
    );
}
