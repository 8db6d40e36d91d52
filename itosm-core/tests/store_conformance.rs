//! One conformance suite, run against every store: memory, SQLite and
//! PostgreSQL (a fresh database per test from `ITOSM_TEST_DATABASE_URL`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use itosm_core::number::TicketNumberFormat;
use itosm_core::seed::load_demo_data;
use itosm_core::store::StoreError;
use itosm_core::store::prelude::*;
use itosm_core::store::sea::{SeaStore, SeaStoreOptions};
use itosm_core::store::{NewTicket, TicketQuery};
use itosm_core::{Priority, RequestType, Software, SoftwareId, TicketStatus, User, UserId};
use itosm_testkit::TestDatabase;

mod common;
use common::*;

fn new_ticket(
    requester: &User,
    software: Option<&Software>,
    at: chrono::DateTime<Utc>,
) -> NewTicket {
    NewTicket {
        requester: requester.clone(),
        request_type: if software.is_some() {
            RequestType::SoftwareInstall
        } else {
            RequestType::Other
        },
        software: software.cloned(),
        subject: "Please install this".to_owned(),
        description: "Please install <b>this</b> — thanks 'n' \"quotes\"".to_owned(),
        priority: Priority::Medium,
        first_response_due_at: at + Duration::hours(8),
        resolution_due_at: at + Duration::hours(48),
        now: at,
        event_id: uuid::Uuid::new_v4(),
        attachments: Vec::new(),
        assets: Vec::new(),
    }
}

fn at(year: i32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 6, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

async fn seed_and_catalog(s: Subject) {
    let (john, _, catalog) = seeded(&s).await;
    assert_eq!(john.employee_id, "EMP123");
    let admin = s
        .store
        .find_user_by_username("admin.user")
        .await
        .unwrap()
        .expect("admin");
    assert_eq!(admin.role, itosm_core::Role::Admin);
    let labels: Vec<String> = catalog.iter().map(Software::label).collect();
    assert_eq!(
        labels,
        [
            "AVEVA E3D Design 3.2",
            "Autodesk AutoCAD 2025",
            "Autodesk Revit 2025",
            "Leica Cyclone 3DR 2024.1"
        ]
    );
    assert!(
        s.store
            .find_user_by_username("nobody")
            .await
            .unwrap()
            .is_none()
    );
    let by_id = s.store.get_software(catalog[1].id).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&catalog[1]));
}

async fn create_writes_ticket_history_and_outbox(s: Subject) {
    let (john, _, catalog) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    let (ticket, event) = s
        .store
        .create_ticket(&format, new_ticket(&john, Some(&catalog[1]), at(2026)))
        .await
        .expect("created");
    assert_eq!(ticket.number, "INC-2026-0001");
    assert_eq!(ticket.status, TicketStatus::Start);
    assert_eq!(event.ticket.as_ref().unwrap().number, ticket.number);
    assert_eq!(
        event.ticket.as_ref().unwrap().software.as_deref(),
        Some("Autodesk AutoCAD 2025")
    );

    let stored = s
        .store
        .get_ticket("INC-2026-0001")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored, ticket, "text is stored as given");
    let history = s.store.ticket_history(ticket.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, TicketStatus::Start);
    assert_eq!(history[0].actor, Some(john.id));
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), 1);

    let claimed = s
        .store
        .claim_outbox(10, Duration::seconds(30), Utc::now())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event_id, event.event_id);
    let payload: serde_json::Value = serde_json::from_str(&claimed[0].payload).unwrap();
    assert_eq!(payload["type"], "ticket.created");
    assert_eq!(payload["ticketId"], "INC-2026-0001");
    assert_eq!(payload["username"], "john.doe");
    assert_eq!(payload["requestType"], "SOFTWARE_INSTALL");
}

async fn failed_create_writes_nothing(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let ghost = User {
        id: UserId(999_999),
        ..john.clone()
    };
    let format = TicketNumberFormat::default();
    assert!(
        s.store
            .create_ticket(&format, new_ticket(&ghost, None, at(2026)))
            .await
            .is_err()
    );
    assert!(
        s.store
            .list_tickets(&TicketQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), 0);
    // The next good ticket still gets a valid, unique number.
    let (ticket, _) = s
        .store
        .create_ticket(&format, new_ticket(&john, None, at(2026)))
        .await
        .unwrap();
    assert!(ticket.number.starts_with("INC-2026-"));
}

async fn concurrent_numbers_are_distinct_and_increasing(s: Subject) {
    let (john, jane, _) = seeded(&s).await;
    let format = Arc::new(TicketNumberFormat::default());
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = Arc::clone(&s.store);
            let format = Arc::clone(&format);
            let who = if i % 2 == 0 {
                john.clone()
            } else {
                jane.clone()
            };
            tokio::spawn(async move {
                store
                    .create_ticket(&format, new_ticket(&who, None, at(2026)))
                    .await
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        let (ticket, _) = task
            .await
            .expect("task")
            .expect("every concurrent creation succeeds");
        let seq: i64 = ticket
            .number
            .trim_start_matches("INC-2026-")
            .parse()
            .expect("numeric");
        seqs.push((ticket.id, seq));
    }
    let distinct: HashSet<i64> = seqs.iter().map(|(_, s)| *s).collect();
    assert_eq!(distinct.len(), 64, "64 distinct numbers");
    assert_eq!(
        distinct,
        (1..=64).collect(),
        "no gaps when nothing rolls back"
    );
    // Later tickets (by row id) carry higher numbers only if they allocated later;
    // on a single-writer store the two orders agree exactly.
    let listed = s
        .store
        .list_tickets(&TicketQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 64);
    let (_, last_seq) = seqs.iter().max_by_key(|(_, seq)| *seq).expect("some");
    assert_eq!(*last_seq, 64);
}

async fn numbers_restart_each_year_and_follow_the_format(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    let mut numbers = Vec::new();
    for year in [2026, 2026, 2027, 2027, 2026] {
        let (ticket, _) = s
            .store
            .create_ticket(&format, new_ticket(&john, None, at(year)))
            .await
            .unwrap();
        numbers.push(ticket.number);
    }
    assert_eq!(
        numbers,
        [
            "INC-2026-0001",
            "INC-2026-0002",
            "INC-2027-0001",
            "INC-2027-0002",
            "INC-2026-0003"
        ]
    );
    let other = TicketNumberFormat::parse("REQ-{seq:06}").unwrap();
    let (ticket, _) = s
        .store
        .create_ticket(&other, new_ticket(&john, None, at(2028)))
        .await
        .unwrap();
    assert_eq!(ticket.number, "REQ-000001");
}

async fn listing_filters_and_pages_by_keyset(s: Subject) {
    let (john, jane, catalog) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    for i in 0..5 {
        let who = if i < 3 { &john } else { &jane };
        let software = (i % 2 == 0).then_some(&catalog[0]);
        s.store
            .create_ticket(&format, new_ticket(who, software, at(2026)))
            .await
            .unwrap();
    }
    let all = s
        .store
        .list_tickets(&TicketQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let numbers: Vec<&str> = all.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "INC-2026-0005",
            "INC-2026-0004",
            "INC-2026-0003",
            "INC-2026-0002",
            "INC-2026-0001"
        ]
    );

    let johns = s
        .store
        .list_tickets(&TicketQuery {
            requester: Some(john.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(johns.len(), 3);
    assert!(johns.iter().all(|t| t.requester == john.id));

    let installs = s
        .store
        .list_tickets(&TicketQuery {
            request_type: Some(RequestType::SoftwareInstall),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(installs.len(), 3);
    let started = s
        .store
        .list_tickets(&TicketQuery {
            status: Some(TicketStatus::Resolved),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(started.is_empty());
    let one = s
        .store
        .list_tickets(&TicketQuery {
            number: Some("INC-2026-0002".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let hostile = s
        .store
        .list_tickets(&TicketQuery {
            number: Some("' OR '1'='1".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(hostile.is_empty(), "SQL metacharacters are just text");

    let first = s
        .store
        .list_tickets(&TicketQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let second = s
        .store
        .list_tickets(&TicketQuery {
            limit: 2,
            before: Some(first[1].id),
            ..Default::default()
        })
        .await
        .unwrap();
    let paged: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|t| t.number.as_str())
        .collect();
    assert_eq!(
        paged,
        [
            "INC-2026-0005",
            "INC-2026-0004",
            "INC-2026-0003",
            "INC-2026-0002"
        ]
    );
}

async fn outbox_claims_lease_release_and_mark_sent(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    for _ in 0..3 {
        s.store
            .create_ticket(&format, new_ticket(&john, None, at(2026)))
            .await
            .unwrap();
    }
    let now = Utc::now();
    let lease = Duration::seconds(30);
    let first = s.store.claim_outbox(2, lease, now).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0].id < first[1].id, "oldest first");
    assert_eq!(first[0].attempts, 1);
    let second = s.store.claim_outbox(10, lease, now).await.unwrap();
    assert_eq!(second.len(), 1, "leased rows are not claimed twice");
    assert!(
        s.store
            .claim_outbox(10, lease, now)
            .await
            .unwrap()
            .is_empty()
    );

    s.store.mark_outbox_sent(&[first[0].id], now).await.unwrap();
    s.store
        .release_outbox(first[1].id, "broker down")
        .await
        .unwrap();
    let again = s.store.claim_outbox(10, lease, now).await.unwrap();
    assert_eq!(
        again.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first[1].id]
    );
    assert_eq!(again[0].attempts, 2);

    // After the lease runs out, an unsent row is claimable again.
    let later = s
        .store
        .claim_outbox(10, lease, now + Duration::seconds(31))
        .await
        .unwrap();
    let ids: HashSet<i64> = later.iter().map(|r| r.id).collect();
    assert_eq!(ids, [first[1].id, second[0].id].into_iter().collect());
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), 2);
}

async fn settings_are_inserted_once(s: Subject) {
    let first = s
        .store
        .setting_or_insert("auth.token_secret", "one")
        .await
        .unwrap();
    let second = s
        .store
        .setting_or_insert("auth.token_secret", "two")
        .await
        .unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    s.store.ping().await.unwrap();
}

async fn concurrent_relays_claim_disjoint_rows(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    for _ in 0..40 {
        s.store
            .create_ticket(&format, new_ticket(&john, None, at(2026)))
            .await
            .unwrap();
    }
    let now = Utc::now();
    let relays: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&s.store);
            tokio::spawn(async move {
                store
                    .claim_outbox(10, Duration::seconds(30), now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for relay in relays {
        claimed.extend(relay.await.unwrap().into_iter().map(|r| r.id));
    }
    let distinct: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        claimed.len(),
        "no row claimed by two relays"
    );
    assert_eq!(distinct.len(), 40, "together they claimed every row");
}

async fn delivery_log_deduplicates_and_accumulates(s: Subject) {
    use itosm_core::store::{DeliveryRecord, DeliveryStatus};
    let event_id = uuid::Uuid::new_v4();
    let record = |status, attempts, error: Option<&str>| DeliveryRecord {
        event_id,
        event_type: "ticket.created".into(),
        ticket_number: "INC-2026-0001".into(),
        sink: "it-admins".into(),
        recipient: "it-admin-group@example.com".into(),
        status,
        attempts,
        last_error: error.map(str::to_owned),
        at: Utc::now(),
        next_attempt_at: None,
    };
    let seen = |recipient: &'static str| {
        let store = Arc::clone(&s.store);
        async move {
            store
                .was_delivered(event_id, "it-admins", recipient)
                .await
                .unwrap()
        }
    };
    assert!(!seen("it-admin-group@example.com").await);
    s.store
        .record_delivery(&record(DeliveryStatus::Failed, 2, Some("421 try later")))
        .await
        .unwrap();
    assert!(
        !seen("it-admin-group@example.com").await,
        "a failed delivery is not a delivery"
    );
    s.store
        .record_delivery(&record(DeliveryStatus::Delivered, 1, None))
        .await
        .unwrap();
    assert!(seen("it-admin-group@example.com").await);
    assert!(
        !seen("someone-else@example.com").await,
        "deduplication is per recipient"
    );
    let log = s
        .store
        .deliveries_for_ticket("INC-2026-0001")
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status, log[0].attempts, log[0].last_error.as_deref()),
        (DeliveryStatus::Delivered, 3, None)
    );
}

async fn status_changes_are_atomic_and_versioned(s: Subject) {
    use itosm_core::store::{StoreError, TicketChange, TicketUpdate};
    let (john, jane, _) = seeded(&s).await;
    let admin = s
        .store
        .find_user_by_username("admin.user")
        .await
        .unwrap()
        .unwrap();
    let format = TicketNumberFormat::default();
    let (ticket, _) = s
        .store
        .create_ticket(&format, new_ticket(&john, None, at(2026)))
        .await
        .unwrap();
    let change = |from: &itosm_core::Ticket, to: TicketStatus| TicketChange {
        ticket: from.clone(),
        update: TicketUpdate::Status(to),
        note: Some("on it".into()),
        actor: admin.clone(),
        requester: john.clone(),
        software: None,
        assignee: None,
        now: at(2026),
        event_id: uuid::Uuid::new_v4(),
    };
    let (moved, event) = s
        .store
        .update_ticket(change(&ticket, TicketStatus::InProgress))
        .await
        .unwrap();
    assert_eq!((moved.status, moved.version), (TicketStatus::InProgress, 2));
    assert_eq!(event.event_type.as_str(), "ticket.status_changed");
    assert_eq!(event.actor.as_deref(), Some("admin.user"));
    let stored = s.store.get_ticket(&ticket.number).await.unwrap().unwrap();
    assert_eq!(stored, moved);
    let history = s.store.ticket_history(ticket.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (
            history[1].status,
            history[1].notes.as_deref(),
            history[1].actor
        ),
        (TicketStatus::InProgress, Some("on it"), Some(admin.id))
    );

    // A stale version changes nothing.
    let stale = s
        .store
        .update_ticket(change(&ticket, TicketStatus::Cancelled))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(
        s.store
            .get_ticket(&ticket.number)
            .await
            .unwrap()
            .unwrap()
            .status,
        TicketStatus::InProgress
    );
    assert_eq!(s.store.ticket_history(ticket.id).await.unwrap().len(), 2);
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), 2);

    // Concurrent changes from the same version: exactly one wins.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&s.store);
            let to = if i % 2 == 0 {
                TicketStatus::OnHold
            } else {
                TicketStatus::Resolved
            };
            let c = change(&moved, to);
            tokio::spawn(async move { store.update_ticket(c).await })
        })
        .collect();
    let mut wins = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one concurrent change wins");
    assert_eq!(
        s.store
            .get_ticket(&ticket.number)
            .await
            .unwrap()
            .unwrap()
            .version,
        3
    );
    assert_eq!(s.store.ticket_history(ticket.id).await.unwrap().len(), 3);
    let _ = jane;
}

async fn assignment_is_stored_with_its_event(s: Subject) {
    use itosm_core::store::{TicketChange, TicketUpdate};
    let (john, _, _) = seeded(&s).await;
    let admin = s
        .store
        .find_user_by_username("admin.user")
        .await
        .unwrap()
        .unwrap();
    let (ticket, _) = s
        .store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    let change = TicketChange {
        ticket: ticket.clone(),
        update: TicketUpdate::Assignee(Some(admin.clone())),
        note: Some("Assigned to admin.user".into()),
        actor: admin.clone(),
        requester: john.clone(),
        software: None,
        assignee: None,
        now: at(2026),
        event_id: uuid::Uuid::new_v4(),
    };
    let (assigned, event) = s.store.update_ticket(change).await.unwrap();
    assert_eq!(
        (assigned.assignee, assigned.status, assigned.version),
        (Some(admin.id), TicketStatus::Start, 2)
    );
    assert_eq!(event.event_type.as_str(), "ticket.assigned");
    assert_eq!(
        event.ticket.as_ref().unwrap().assignee.as_deref(),
        Some("admin.user")
    );
    assert_eq!(
        event.ticket.as_ref().unwrap().assignee_email.as_deref(),
        Some("admin.user@example.com")
    );
    assert_eq!(
        s.store.get_ticket(&ticket.number).await.unwrap().unwrap(),
        assigned
    );
    let history = s.store.ticket_history(ticket.id).await.unwrap();
    assert_eq!(history[1].notes.as_deref(), Some("Assigned to admin.user"));
}

async fn admin_of(s: &Subject) -> User {
    s.store
        .find_user_by_username("admin.user")
        .await
        .unwrap()
        .unwrap()
}

async fn comments_are_stored_with_their_event(s: Subject) {
    use itosm_core::store::NewComment;
    let (john, _, _) = seeded(&s).await;
    let admin = admin_of(&s).await;
    let (ticket, _) = s
        .store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    let comment = |author: &User, body: &str, internal: bool, minutes: i64| NewComment {
        ticket: ticket.clone(),
        body: body.to_owned(),
        internal,
        author: author.clone(),
        requester: john.clone(),
        software: None,
        assignee: None,
        now: at(2026) + Duration::minutes(minutes),
        event_id: uuid::Uuid::new_v4(),
        attachments: Vec::new(),
    };
    // The requester's own comment is no staff response.
    let (_, after_john, _) = s
        .store
        .add_comment(comment(&john, "any news? <b>bold</b>", false, 1))
        .await
        .unwrap();
    assert_eq!(after_john.first_responded_at, None);
    // An internal note is no response either: the requester cannot see it.
    let (note, after_note, note_event) = s
        .store
        .add_comment(comment(&admin, "licence key is in the vault", true, 2))
        .await
        .unwrap();
    assert!(note.internal);
    assert_eq!(after_note.first_responded_at, None);
    assert!(note_event.is_internal());
    assert_eq!(note_event.event_type.as_str(), "ticket.commented");
    // The first public staff comment is the first response; versions stay.
    let (reply, after_reply, reply_event) = s
        .store
        .add_comment(comment(&admin, "on it", false, 3))
        .await
        .unwrap();
    assert_eq!(
        after_reply.first_responded_at,
        Some(at(2026) + Duration::minutes(3))
    );
    assert_eq!(after_reply.updated_at, at(2026) + Duration::minutes(3));
    assert_eq!(
        after_reply.version, ticket.version,
        "comments never conflict"
    );
    let snapshot = reply_event.comment.as_ref().expect("comment in the event");
    assert_eq!(
        (
            snapshot.id,
            snapshot.author.as_str(),
            snapshot.body.as_str(),
            snapshot.internal
        ),
        (reply.id.0, "admin.user", "on it", false)
    );
    assert_eq!(
        s.store.get_ticket(&ticket.number).await.unwrap().unwrap(),
        after_reply
    );
    let everything = s.store.ticket_comments(ticket.id, true).await.unwrap();
    assert_eq!(
        everything
            .iter()
            .map(|c| c.body.as_str())
            .collect::<Vec<_>>(),
        [
            "any news? <b>bold</b>",
            "licence key is in the vault",
            "on it"
        ]
    );
    let public = s.store.ticket_comments(ticket.id, false).await.unwrap();
    assert_eq!(public.len(), 2);
    assert!(public.iter().all(|c| !c.internal));
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), 4);
    let payloads: Vec<serde_json::Value> = s
        .store
        .claim_outbox(10, Duration::seconds(30), Utc::now())
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.payload).unwrap())
        .collect();
    assert_eq!(payloads[2]["comment"]["internal"], true);
    assert!(payloads[0].get("comment").is_none());
}

/// Creates tickets with varied priority, assignee, due times and text; for
/// filter and sort tests.
async fn varied_tickets(s: &Subject) -> (User, User, Vec<itosm_core::Ticket>) {
    use itosm_core::store::{TicketChange, TicketUpdate};
    let (john, _, _) = seeded(s).await;
    let admin = admin_of(s).await;
    let texts = [
        "100% broken",
        "under_score here",
        "it's O'Brien's laptop",
        "back\\slash path",
        "plain request",
        "' OR 1=1 --",
    ];
    let mut tickets = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let mut new = new_ticket(&john, None, at(2026) + Duration::hours(i as i64));
        new.description = (*text).to_owned();
        // Due times descend as i grows, so due order differs from id order.
        new.resolution_due_at = at(2026) + Duration::hours(100 - 10 * i as i64);
        new.first_response_due_at = at(2026) + Duration::hours(50 - 5 * i as i64);
        let (mut ticket, _) = s
            .store
            .create_ticket(&TicketNumberFormat::default(), new)
            .await
            .unwrap();
        let update = match i % 3 {
            0 => Some(TicketUpdate::Assignee(Some(admin.clone()))),
            1 => Some(TicketUpdate::Priority {
                priority: Priority::Critical,
                first_response_due_at: at(2026),
                resolution_due_at: at(2026) + Duration::hours(1),
            }),
            _ => None,
        };
        if let Some(update) = update {
            ticket = s
                .store
                .update_ticket(TicketChange {
                    ticket: ticket.clone(),
                    update,
                    note: None,
                    actor: admin.clone(),
                    requester: john.clone(),
                    software: None,
                    assignee: None,
                    now: at(2026),
                    event_id: uuid::Uuid::new_v4(),
                })
                .await
                .unwrap()
                .0;
        }
        tickets.push(ticket);
    }
    (john, admin, tickets)
}

async fn listing_filters_by_priority_assignee_breach_and_plain_text(s: Subject) {
    use itosm_core::store::AssigneeQuery;
    let (_, admin, tickets) = varied_tickets(&s).await;
    let now = at(2026) + Duration::hours(30);
    let numbers = |found: &[itosm_core::Ticket]| {
        let mut n: Vec<String> = found.iter().map(|t| t.number.to_string()).collect();
        n.sort();
        n
    };
    let queries = [
        TicketQuery {
            priority: Some(Priority::Critical),
            ..Default::default()
        },
        TicketQuery {
            assignee: Some(AssigneeQuery::Is(admin.id)),
            ..Default::default()
        },
        TicketQuery {
            assignee: Some(AssigneeQuery::Unassigned),
            ..Default::default()
        },
        TicketQuery {
            breached: Some(true),
            ..Default::default()
        },
        TicketQuery {
            breached: Some(false),
            ..Default::default()
        },
        TicketQuery {
            search: Some("%".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("_".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("O'BRIEN".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("\\".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("' OR 1=1 --".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("'; DROP TABLE tickets; --".into()),
            ..Default::default()
        },
        TicketQuery {
            search: Some("inc-2026-000".into()),
            ..Default::default()
        },
        TicketQuery {
            breached: Some(true),
            assignee: Some(AssigneeQuery::Unassigned),
            ..Default::default()
        },
    ];
    for query in queries {
        let query = TicketQuery {
            limit: 100,
            now: Some(now),
            ..query
        };
        let found = s.store.list_tickets(&query).await.unwrap();
        let expected: Vec<itosm_core::Ticket> = tickets
            .iter()
            .filter(|t| query.matches(t))
            .cloned()
            .collect();
        assert_eq!(numbers(&found), numbers(&expected), "{query:?}");
    }
    // The metacharacters are text: each matches exactly its own ticket.
    for (needle, description) in [
        ("%", "100% broken"),
        ("_", "under_score here"),
        ("\\", "back\\slash path"),
        ("' OR 1=1 --", "' OR 1=1 --"),
    ] {
        let found = s
            .store
            .list_tickets(&TicketQuery {
                search: Some(needle.into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{needle}");
        assert_eq!(found[0].description, description);
    }
    // The table survived the attempt above.
    assert_eq!(
        s.store
            .list_tickets(&TicketQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        tickets.len()
    );
}

async fn sorting_by_due_times_pages_by_offset(s: Subject) {
    use itosm_core::store::TicketSort;
    let (_, _, tickets) = varied_tickets(&s).await;
    for (sort, key) in [
        (
            TicketSort::ResolutionDue,
            (|t: &itosm_core::Ticket| t.resolution_due_at) as fn(&itosm_core::Ticket) -> _,
        ),
        (TicketSort::FirstResponseDue, |t: &itosm_core::Ticket| {
            t.first_response_due_at
        }),
    ] {
        let mut expected = tickets.clone();
        expected.sort_by_key(|t| (key(t), t.id));
        let mut seen = Vec::new();
        for offset in [0, 4] {
            let page = s
                .store
                .list_tickets(&TicketQuery {
                    sort,
                    offset,
                    limit: 4,
                    ..Default::default()
                })
                .await
                .unwrap();
            seen.extend(page);
        }
        assert_eq!(
            seen.iter().map(|t| &t.number).collect::<Vec<_>>(),
            expected.iter().map(|t| &t.number).collect::<Vec<_>>(),
            "{sort:?}"
        );
    }
    let oldest = s
        .store
        .list_tickets(&TicketQuery {
            sort: TicketSort::Oldest,
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(oldest[0].number, tickets[0].number);
}

async fn priority_changes_move_due_times(s: Subject) {
    let (_, _, tickets) = varied_tickets(&s).await;
    let critical = &tickets[1];
    assert_eq!(critical.priority, Priority::Critical);
    assert_eq!(critical.version, 2);
    let stored = s.store.get_ticket(&critical.number).await.unwrap().unwrap();
    assert_eq!(
        stored.resolution_due_at,
        Some(at(2026) + Duration::hours(1))
    );
    assert_eq!(stored.first_response_due_at, Some(at(2026)));
    assert!(stored.sla_breached(at(2026) + Duration::hours(2)));
    let history = s.store.ticket_history(critical.id).await.unwrap();
    assert_eq!(history.len(), 2);
}

async fn users_are_created_listed_and_patched(s: Subject) {
    use itosm_core::store::{StoreError, UserPatch, UserQuery};
    use itosm_core::{NewUser, Role};
    let (john, _, _) = seeded(&s).await;
    let admin = admin_of(&s).await;
    let new = NewUser {
        username: itosm_core::Username::parse("agent.kim").unwrap(),
        employee_id: "EMP777".into(),
        display_name: "Kim Agent".into(),
        email: Some(itosm_core::Email::parse("kim@example.com").unwrap()),
        phone: Some(itosm_core::Phone::parse("+15005550006").unwrap()),
        role: Role::Agent,
    };
    let kim = s.store.create_user(&new).await.unwrap();
    assert_eq!((kim.role, kim.active), (Role::Agent, true));
    let again = s.store.create_user(&new).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    // An admin demoted is no admin anywhere (the seed's is_admin follows).
    let demoted = s
        .store
        .update_user(
            admin.id,
            UserPatch {
                role: Some(Role::Agent),
                active: None,
                revoke_tokens: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(demoted.role, Role::Agent);
    assert_eq!(
        s.store.users_by_ids(&[admin.id]).await.unwrap()[0].role,
        Role::Agent
    );
    assert!(
        s.store
            .active_users_with_roles(&[Role::Admin])
            .await
            .unwrap()
            .is_empty()
    );
    let gone = s
        .store
        .update_user(
            john.id,
            UserPatch {
                role: None,
                active: Some(false),
                revoke_tokens: true,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!gone.active);
    // Revoking raises the token generation by one, and a reactivation does
    // not lower it: earlier tokens stay dead.
    assert_eq!(gone.token_generation, john.token_generation + 1);
    let back = s
        .store
        .update_user(
            john.id,
            UserPatch {
                active: Some(true),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(back.active);
    assert_eq!(back.token_generation, gone.token_generation);
    let seeded_again = s
        .store
        .upsert_user(&NewUser {
            username: john.username.clone(),
            employee_id: john.employee_id.clone(),
            display_name: john.display_name.clone(),
            email: john.email.clone(),
            phone: john.phone.clone(),
            role: john.role,
        })
        .await
        .unwrap();
    assert_eq!(
        seeded_again.token_generation, back.token_generation,
        "re-seeding keeps the generation"
    );
    assert!(
        s.store
            .update_user(UserId(999_999), UserPatch::default())
            .await
            .unwrap()
            .is_none()
    );

    let all = s
        .store
        .list_users(&UserQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    for query in [
        UserQuery {
            role: Some(Role::Agent),
            ..Default::default()
        },
        UserQuery {
            active: Some(false),
            ..Default::default()
        },
        UserQuery {
            search: Some("KIM@".into()),
            ..Default::default()
        },
        UserQuery {
            search: Some("%".into()),
            ..Default::default()
        },
        UserQuery {
            after: Some(all[1].id),
            ..Default::default()
        },
    ] {
        let query = UserQuery {
            limit: 100,
            ..query
        };
        let found = s.store.list_users(&query).await.unwrap();
        let expected: Vec<&User> = all
            .iter()
            .filter(|u| query.after.is_none_or(|a| u.id > a) && query.matches(u))
            .collect();
        assert_eq!(
            found.iter().map(|u| &u.username).collect::<Vec<_>>(),
            expected.iter().map(|u| &u.username).collect::<Vec<_>>(),
            "{query:?}"
        );
    }
}

async fn delivery_log_batches_match_single_calls(s: Subject) {
    use itosm_core::store::{DeliveryKey, DeliveryRecord, DeliveryStatus};
    let events: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::new_v4()).collect();
    let record = |event: usize, recipient: &str, status, attempts| DeliveryRecord {
        event_id: events[event],
        event_type: "ticket.commented".into(),
        ticket_number: "INC-2026-0007".into(),
        sink: "mail".into(),
        recipient: recipient.to_owned(),
        status,
        attempts,
        last_error: (status == DeliveryStatus::Failed).then(|| "550 'no' \"such\" user".to_owned()),
        at: Utc::now(),
        next_attempt_at: None,
    };
    // One batch holding a retry of the same key (failed, then delivered),
    // as one notifier window can.
    s.store
        .record_deliveries(&[
            record(0, "a@example.com", DeliveryStatus::Failed, 2),
            record(1, "b@example.com", DeliveryStatus::Delivered, 1),
            record(0, "a@example.com", DeliveryStatus::Delivered, 1),
            record(2, "c@example.com", DeliveryStatus::Failed, 5),
        ])
        .await
        .unwrap();
    s.store.record_deliveries(&[]).await.unwrap();
    let key = |event: usize, recipient: &str| DeliveryKey {
        event_id: events[event],
        sink: "mail".into(),
        recipient: recipient.to_owned(),
    };
    let asked = [
        key(0, "a@example.com"),
        key(1, "b@example.com"),
        key(2, "c@example.com"),
        key(1, "a@example.com"),
        key(0, "b@example.com"),
    ];
    let delivered = s.store.delivered_among(&asked).await.unwrap();
    let mut delivered: Vec<&DeliveryKey> =
        asked.iter().filter(|k| delivered.contains(*k)).collect();
    delivered.sort_by_key(|k| k.recipient.clone());
    assert_eq!(delivered, [&asked[0], &asked[1]]);
    for k in &asked {
        assert_eq!(
            s.store
                .was_delivered(k.event_id, &k.sink, &k.recipient)
                .await
                .unwrap(),
            delivered.contains(&k),
            "{k:?}"
        );
    }
    assert!(s.store.delivered_among(&[]).await.unwrap().is_empty());
    let mut log = s
        .store
        .deliveries_for_ticket("INC-2026-0007")
        .await
        .unwrap();
    log.sort_by_key(|r| r.recipient.clone());
    let summary: Vec<(&str, DeliveryStatus, i32)> = log
        .iter()
        .map(|r| (r.recipient.as_str(), r.status, r.attempts))
        .collect();
    assert_eq!(
        summary,
        [
            ("a@example.com", DeliveryStatus::Delivered, 3),
            ("b@example.com", DeliveryStatus::Delivered, 1),
            ("c@example.com", DeliveryStatus::Failed, 5),
        ]
    );
    assert_eq!(log[2].last_error.as_deref(), Some("550 'no' \"such\" user"));
    // A later batch adds to what is there, like single records do.
    s.store
        .record_deliveries(&[record(2, "c@example.com", DeliveryStatus::Delivered, 1)])
        .await
        .unwrap();
    let log = s
        .store
        .deliveries_for_ticket("INC-2026-0007")
        .await
        .unwrap();
    let c = log.iter().find(|r| r.recipient == "c@example.com").unwrap();
    assert_eq!(
        (c.status, c.attempts, c.last_error.as_deref()),
        (DeliveryStatus::Delivered, 6, None)
    );
}

fn claim(event_id: uuid::Uuid, sink: &str, recipient: &str) -> itosm_core::store::DeliveryClaim {
    itosm_core::store::DeliveryClaim {
        key: itosm_core::store::DeliveryKey {
            event_id,
            sink: sink.to_owned(),
            recipient: recipient.to_owned(),
        },
        event_type: "ticket.created".into(),
        ticket_number: "INC-2026-0042".into(),
    }
}

fn claim_options(now: chrono::DateTime<Utc>, replay: bool) -> itosm_core::store::ClaimOptions {
    itosm_core::store::ClaimOptions {
        now,
        lease: Duration::seconds(30),
        retry_until: now + Duration::hours(6),
        replay,
    }
}

fn outcome(
    key: &itosm_core::store::DeliveryKey,
    status: itosm_core::store::DeliveryStatus,
    next_attempt_at: Option<chrono::DateTime<Utc>>,
) -> itosm_core::store::DeliveryRecord {
    itosm_core::store::DeliveryRecord {
        event_id: key.event_id,
        event_type: "ticket.created".into(),
        ticket_number: "INC-2026-0042".into(),
        sink: key.sink.clone(),
        recipient: key.recipient.clone(),
        status,
        attempts: 1,
        last_error: Some("503".into()),
        at: Utc::now(),
        next_attempt_at,
    }
}

async fn delivery_claims_are_won_once_under_concurrency(s: Subject) {
    let events: Vec<uuid::Uuid> = (0..10).map(|_| uuid::Uuid::new_v4()).collect();
    let mut claims = Vec::new();
    for event in &events {
        claims.push(claim(*event, "hook", "https://example.com/hook"));
        claims.push(claim(*event, "mail", "a@example.com"));
    }
    // The same key twice in one call is claimed once.
    claims.push(claim(events[0], "hook", "https://example.com/hook"));
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let claimers: Vec<_> = (0..6)
        .map(|i| {
            let store = Arc::clone(&s.store);
            let mut claims = claims.clone();
            // Different orders, as different notifiers would ask.
            if i % 2 == 1 {
                claims.reverse();
            }
            tokio::spawn(async move {
                store
                    .claim_deliveries(&claims, &claim_options(now, false))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = Vec::new();
    for claimer in claimers {
        won.extend(claimer.await.unwrap());
    }
    let keys: HashSet<_> = won.iter().map(|w| w.key.clone()).collect();
    assert_eq!(keys.len(), won.len(), "no delivery claimed twice");
    assert_eq!(keys.len(), 20, "every delivery claimed by someone");
    assert!(won.iter().all(|w| w.attempts == 0));
    let log = s
        .store
        .deliveries_for_ticket("INC-2026-0042")
        .await
        .unwrap();
    assert_eq!(log.len(), 20);
    assert!(
        log.iter()
            .all(|r| r.status == itosm_core::store::DeliveryStatus::Pending),
        "claimed rows show as pending"
    );
}

async fn delivery_claims_lease_out_and_retries_come_due(s: Subject) {
    use itosm_core::store::DeliveryStatus;
    let (john, _, _) = seeded(&s).await;
    let (_, event) = s
        .store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let hook = claim(event.event_id, "hook", "https://example.com/hook");
    let mail = claim(event.event_id, "mail", "a@example.com");
    let won = s
        .store
        .claim_deliveries(&[hook.clone(), mail.clone()], &claim_options(now, false))
        .await
        .unwrap();
    assert_eq!(won.len(), 2);
    assert_eq!(won[0].retry_until, now + Duration::hours(6));
    // A second copy of the event, while the first holds the claims.
    assert!(
        s.store
            .claim_deliveries(&[hook.clone(), mail.clone()], &claim_options(now, false))
            .await
            .unwrap()
            .is_empty(),
        "a held claim is not taken"
    );
    // The hook fails and waits 10 s; the mail's notifier crashes.
    s.store
        .record_deliveries(&[outcome(
            &hook.key,
            DeliveryStatus::Pending,
            Some(now + Duration::seconds(10)),
        )])
        .await
        .unwrap();
    let lease = Duration::seconds(30);
    assert!(
        s.store
            .claim_due_deliveries("hook", 10, lease, now + Duration::seconds(5))
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    assert!(
        s.store
            .claim_deliveries(
                std::slice::from_ref(&hook),
                &claim_options(now + Duration::seconds(5), false)
            )
            .await
            .unwrap()
            .is_empty(),
        "a redelivered copy does not jump the backoff"
    );
    let due = s
        .store
        .claim_due_deliveries("hook", 10, lease, now + Duration::seconds(11))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].claimed.key, hook.key);
    assert_eq!(due[0].claimed.attempts, 1);
    assert_eq!(due[0].event_type, "ticket.created");
    let payload = due[0].payload.as_deref().expect("the outbox has the event");
    assert_eq!(
        itosm_core::event::EventEnvelope::from_json(payload.as_bytes())
            .unwrap()
            .event_id,
        event.event_id
    );
    assert!(
        s.store
            .claim_due_deliveries("hook", 10, lease, now + Duration::seconds(12))
            .await
            .unwrap()
            .is_empty(),
        "a swept row is leased"
    );
    // The mail claim's lease runs out: both paths may take it again.
    assert!(
        s.store
            .claim_due_deliveries("mail", 10, lease, now + Duration::seconds(20))
            .await
            .unwrap()
            .is_empty()
    );
    let later = now + Duration::seconds(31);
    let swept = s
        .store
        .claim_due_deliveries("mail", 10, lease, later)
        .await
        .unwrap();
    assert_eq!(swept.len(), 1, "a crashed claim is swept after its lease");
    assert_eq!(swept[0].claimed.key, mail.key);
    // Delivered: never claimed again, and stays delivered.
    s.store
        .record_deliveries(&[outcome(&mail.key, DeliveryStatus::Delivered, None)])
        .await
        .unwrap();
    s.store
        .record_deliveries(&[outcome(&mail.key, DeliveryStatus::Pending, Some(later))])
        .await
        .unwrap();
    let far = now + Duration::hours(1);
    assert!(
        s.store
            .claim_deliveries(std::slice::from_ref(&mail), &claim_options(far, true))
            .await
            .unwrap()
            .is_empty(),
        "a delivered row is never claimed, not even by a replay"
    );
    assert!(
        s.store
            .claim_due_deliveries("mail", 10, lease, far)
            .await
            .unwrap()
            .is_empty()
    );
    let log = s
        .store
        .deliveries_for_ticket("INC-2026-0042")
        .await
        .unwrap();
    let mail_row = log.iter().find(|r| r.sink == "mail").unwrap();
    assert_eq!(mail_row.status, DeliveryStatus::Delivered);
}

async fn failed_deliveries_are_claimed_again_only_by_a_replay(s: Subject) {
    use itosm_core::store::DeliveryStatus;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let hook = claim(uuid::Uuid::new_v4(), "hook", "https://example.com/hook");
    s.store
        .claim_deliveries(std::slice::from_ref(&hook), &claim_options(now, false))
        .await
        .unwrap();
    s.store
        .record_deliveries(&[outcome(&hook.key, DeliveryStatus::Failed, None)])
        .await
        .unwrap();
    let later = now + Duration::days(1);
    assert!(
        s.store
            .claim_deliveries(std::slice::from_ref(&hook), &claim_options(later, false))
            .await
            .unwrap()
            .is_empty(),
        "a failed delivery stays failed"
    );
    assert!(
        s.store
            .claim_due_deliveries("hook", 10, Duration::seconds(30), later)
            .await
            .unwrap()
            .is_empty(),
        "the sweeper leaves failed rows alone"
    );
    let replayed = s
        .store
        .claim_deliveries(std::slice::from_ref(&hook), &claim_options(later, true))
        .await
        .unwrap();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].attempts, 1, "attempts are kept");
    assert_eq!(
        replayed[0].retry_until,
        later + Duration::hours(6),
        "a replay starts a new retry horizon"
    );
    let log = s
        .store
        .deliveries_for_ticket("INC-2026-0042")
        .await
        .unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Pending);
}

async fn concurrent_sweepers_claim_disjoint_due_rows(s: Subject) {
    use itosm_core::store::DeliveryStatus;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let claims: Vec<_> = (0..40)
        .map(|_| claim(uuid::Uuid::new_v4(), "hook", "https://example.com/hook"))
        .collect();
    s.store
        .claim_deliveries(&claims, &claim_options(now, false))
        .await
        .unwrap();
    let retries: Vec<_> = claims
        .iter()
        .map(|c| outcome(&c.key, DeliveryStatus::Pending, Some(now)))
        .collect();
    s.store.record_deliveries(&retries).await.unwrap();
    let sweepers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&s.store);
            tokio::spawn(async move {
                store
                    .claim_due_deliveries("hook", 15, Duration::seconds(30), now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut swept = Vec::new();
    for sweeper in sweepers {
        swept.extend(sweeper.await.unwrap().into_iter().map(|d| d.claimed.key));
    }
    let distinct: HashSet<_> = swept.iter().cloned().collect();
    assert_eq!(distinct.len(), swept.len(), "no row swept twice");
    assert_eq!(distinct.len(), 40);
    assert!(swept.len() <= 60);
}

async fn catalog_is_administered(s: Subject) {
    let (_, _, seeded) = seeded(&s).await;
    let added = s.store.add_software("Blender", "4.2").await.unwrap();
    assert!(!added.retired);
    let again = s.store.add_software("Blender", "4.2").await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let renamed = s
        .store
        .update_software(added.id, "Blender", "4.3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.label(), "Blender 4.3");
    let clash = s
        .store
        .update_software(added.id, &seeded[0].name, &seeded[0].version)
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    assert!(
        s.store
            .update_software(SoftwareId(999_999), "X", "1")
            .await
            .unwrap()
            .is_none()
    );
    let retired = s
        .store
        .set_software_retired(added.id, true, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(retired.retired);
    let offered = s.store.list_software(false).await.unwrap();
    assert!(
        !offered.iter().any(|x| x.id == added.id),
        "retired leaves the form"
    );
    assert_eq!(offered.len(), seeded.len());
    let everything = s.store.list_software(true).await.unwrap();
    assert!(everything.iter().any(|x| x.id == added.id && x.retired));
    assert!(
        s.store
            .get_software(added.id)
            .await
            .unwrap()
            .unwrap()
            .retired,
        "old tickets still find it"
    );
    let restored = s
        .store
        .set_software_retired(added.id, false, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(!restored.retired);
    assert_eq!(
        s.store.list_software(false).await.unwrap().len(),
        seeded.len() + 1
    );
}

async fn passwords_are_kept_as_hashes_and_end_sessions(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    assert!(!john.has_password && !john.must_change_password);
    assert_eq!(s.store.password_hash(john.id).await.unwrap(), None);
    let set = s
        .store
        .set_password_hash(
            john.id,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            true,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(set.has_password && set.must_change_password);
    assert_eq!(
        set.token_generation,
        john.token_generation + 1,
        "sessions end"
    );
    assert_eq!(
        s.store.password_hash(john.id).await.unwrap().as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    let again = s
        .store
        .set_password_hash(john.id, "$argon2id$other", false)
        .await
        .unwrap()
        .unwrap();
    assert!(!again.must_change_password);
    assert_eq!(again.token_generation, set.token_generation + 1);
    let reread = s.store.users_by_ids(&[john.id]).await.unwrap().remove(0);
    assert_eq!(
        (reread.has_password, reread.must_change_password),
        (true, false)
    );
    assert!(
        s.store
            .set_password_hash(UserId(999_999), "h", false)
            .await
            .unwrap()
            .is_none()
    );
    s.store
        .update_profile(
            john.id,
            "Johnny Doe",
            Some(&itosm_core::Email::parse("johnny@example.com").unwrap()),
        )
        .await
        .unwrap();
    let profile = s.store.users_by_ids(&[john.id]).await.unwrap().remove(0);
    assert_eq!(profile.display_name, "Johnny Doe");
    assert_eq!(profile.email.as_deref(), Some("johnny@example.com"));
    assert_eq!(
        profile.token_generation, again.token_generation,
        "a profile update keeps sessions"
    );
}

async fn subjects_are_stored_and_searched(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let mut new = new_ticket(&john, None, at(2026));
    new.subject = "Monitor flickers after docking".to_owned();
    let (ticket, event) = s
        .store
        .create_ticket(&TicketNumberFormat::default(), new)
        .await
        .unwrap();
    assert_eq!(ticket.subject, "Monitor flickers after docking");
    assert_eq!(
        event.ticket.as_ref().unwrap().subject,
        ticket.subject,
        "the event carries it"
    );
    let stored = s.store.get_ticket(&ticket.number).await.unwrap().unwrap();
    assert_eq!(stored.subject, ticket.subject);
    s.store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    let query = TicketQuery {
        search: Some("FLICKERS".to_owned()),
        limit: 10,
        ..Default::default()
    };
    let found = s.store.list_tickets(&query).await.unwrap();
    assert_eq!(found.len(), 1, "search matches the subject");
    assert!(query.matches(&found[0]));
}

fn upload(by: &User, name: &str, minutes: i64) -> itosm_core::NewAttachment {
    itosm_core::NewAttachment {
        id: itosm_core::AttachmentId::random(),
        filename: name.to_owned(),
        content_type: "text/plain; charset=utf-8".to_owned(),
        size: 42,
        sha256: "ab".repeat(32),
        uploaded_by: by.id,
        now: at(2026) + Duration::minutes(minutes),
    }
}

async fn attachments_are_staged_linked_and_purged(s: Subject) {
    use itosm_core::store::{ATTACHMENT_GONE, NewComment};
    let (john, jane, _) = seeded(&s).await;
    let admin = admin_of(&s).await;
    let stage = |new: itosm_core::NewAttachment| {
        let store = Arc::clone(&s.store);
        async move { store.stage_attachment(&new).await.unwrap() }
    };
    let screenshot = stage(upload(&john, "screen.png", 0)).await;
    let log = stage(upload(&john, "app.log", 1)).await;
    let janes = stage(upload(&jane, "jane.txt", 2)).await;
    assert!(screenshot.is_staged());
    assert_eq!(
        s.store.get_attachment(screenshot.id).await.unwrap(),
        Some(screenshot.clone())
    );
    assert_eq!(s.store.count_staged_attachments(john.id).await.unwrap(), 2);

    // A ticket naming someone else's upload is refused whole: no ticket,
    // no outbox row, and every upload still staged.
    let outbox_before = s.store.count_unsent_outbox().await.unwrap();
    let mut refused = new_ticket(&john, None, at(2026));
    refused.attachments = vec![screenshot.id, janes.id];
    assert_eq!(
        s.store
            .create_ticket(&TicketNumberFormat::default(), refused)
            .await
            .err(),
        Some(StoreError::Conflict(ATTACHMENT_GONE.to_owned()))
    );
    assert_eq!(s.store.count_unsent_outbox().await.unwrap(), outbox_before);
    assert_eq!(s.store.count_staged_attachments(john.id).await.unwrap(), 2);
    assert_eq!(s.store.count_staged_attachments(jane.id).await.unwrap(), 1);

    // Linked with the ticket, in its transaction.
    let mut with_file = new_ticket(&john, None, at(2026));
    with_file.attachments = vec![screenshot.id];
    let (ticket, _) = s
        .store
        .create_ticket(&TicketNumberFormat::default(), with_file)
        .await
        .unwrap();
    let linked = s
        .store
        .get_attachment(screenshot.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.ticket, Some(ticket.id));
    assert_eq!(linked.comment, None);
    assert!(!linked.internal);

    // An upload is used once: a second ticket naming it is refused.
    let mut again = new_ticket(&john, None, at(2026));
    again.attachments = vec![screenshot.id];
    assert!(matches!(
        s.store
            .create_ticket(&TicketNumberFormat::default(), again)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // With an internal note, the file is internal too.
    let secret = stage(upload(&admin, "licence.txt", 3)).await;
    let note = NewComment {
        ticket: ticket.clone(),
        body: "licence attached".to_owned(),
        internal: true,
        author: admin.clone(),
        requester: john.clone(),
        software: None,
        assignee: None,
        now: at(2026) + Duration::minutes(4),
        event_id: uuid::Uuid::new_v4(),
        attachments: vec![secret.id],
    };
    let (comment, _, _) = s.store.add_comment(note).await.unwrap();
    let on_note = s.store.get_attachment(secret.id).await.unwrap().unwrap();
    assert_eq!(on_note.comment, Some(comment.id));
    assert!(on_note.internal);
    // A comment naming another's upload writes no comment.
    let comments_before = s
        .store
        .ticket_comments(ticket.id, true)
        .await
        .unwrap()
        .len();
    let stolen = NewComment {
        ticket: ticket.clone(),
        body: "mine now".to_owned(),
        internal: false,
        author: john.clone(),
        requester: john.clone(),
        software: None,
        assignee: None,
        now: at(2026) + Duration::minutes(5),
        event_id: uuid::Uuid::new_v4(),
        attachments: vec![janes.id],
    };
    assert!(s.store.add_comment(stolen).await.is_err());
    assert_eq!(
        s.store
            .ticket_comments(ticket.id, true)
            .await
            .unwrap()
            .len(),
        comments_before
    );

    let ids =
        |files: Vec<itosm_core::Attachment>| files.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.store.ticket_attachments(ticket.id, true).await.unwrap()),
        vec![screenshot.id, secret.id]
    );
    assert_eq!(
        ids(s.store.ticket_attachments(ticket.id, false).await.unwrap()),
        vec![screenshot.id]
    );

    // Abandoned uploads: staged ones older than the cut, oldest first;
    // deleting removes only rows still staged.
    assert_eq!(
        ids(s
            .store
            .abandoned_attachments(at(2026) + Duration::minutes(10), 10)
            .await
            .unwrap()),
        vec![log.id, janes.id]
    );
    assert_eq!(
        ids(s
            .store
            .abandoned_attachments(at(2026) + Duration::minutes(2), 10)
            .await
            .unwrap()),
        vec![log.id]
    );
    let mut deleted = s
        .store
        .delete_staged_attachments(&[log.id, screenshot.id, janes.id])
        .await
        .unwrap();
    deleted.sort();
    let mut expected = vec![log.id, janes.id];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(s.store.get_attachment(log.id).await.unwrap().is_none());
    assert!(
        s.store
            .get_attachment(screenshot.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.store.count_staged_attachments(john.id).await.unwrap(), 0);
}

conformance!(
    seed_and_catalog,
    create_writes_ticket_history_and_outbox,
    failed_create_writes_nothing,
    concurrent_numbers_are_distinct_and_increasing,
    numbers_restart_each_year_and_follow_the_format,
    listing_filters_and_pages_by_keyset,
    outbox_claims_lease_release_and_mark_sent,
    settings_are_inserted_once,
    delivery_log_deduplicates_and_accumulates,
    concurrent_relays_claim_disjoint_rows,
    status_changes_are_atomic_and_versioned,
    assignment_is_stored_with_its_event,
    comments_are_stored_with_their_event,
    listing_filters_by_priority_assignee_breach_and_plain_text,
    sorting_by_due_times_pages_by_offset,
    priority_changes_move_due_times,
    users_are_created_listed_and_patched,
    delivery_log_batches_match_single_calls,
    delivery_claims_are_won_once_under_concurrency,
    delivery_claims_lease_out_and_retries_come_due,
    failed_deliveries_are_claimed_again_only_by_a_replay,
    concurrent_sweepers_claim_disjoint_due_rows,
    catalog_is_administered,
    passwords_are_kept_as_hashes_and_end_sessions,
    subjects_are_stored_and_searched,
    attachments_are_staged_linked_and_purged,
);

/// Processes starting together on a fresh PostgreSQL database (an API and
/// a notifier) both migrate it without tripping over each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_migrations_may_run_concurrently() {
    let db = TestDatabase::create().await;
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(Arc::new(
            SeaStore::connect(SeaStoreOptions::new(db.url.clone()))
                .await
                .unwrap(),
        ));
    }
    let migrating: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.migrate().await })
        })
        .collect();
    for migration in migrating {
        migration
            .await
            .unwrap()
            .expect("every concurrent migration succeeds");
    }
    load_demo_data(stores[0].as_ref()).await.unwrap();
}

/// PostgreSQL wakes relays in other processes when outbox rows commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifies_outbox_commits() {
    let db = TestDatabase::create().await;
    let store = SeaStore::connect(SeaStoreOptions::new(db.url.clone()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    load_demo_data(&store).await.unwrap();
    let mut listener = store
        .listen_outbox()
        .await
        .unwrap()
        .expect("PostgreSQL listens");
    let john = store
        .find_user_by_username("john.doe")
        .await
        .unwrap()
        .unwrap();
    store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), listener.wait())
        .await
        .expect("a notification within 10s")
        .expect("listener healthy");
}

/// Rows written by the seed's own SQL (no priority, version or SLA columns)
/// still read, never breach, and sort after tickets with due times.
async fn seed_sql_rows_read_and_never_breach(store: SeaStore) {
    use itosm_core::store::TicketSort;
    use sea_orm::ConnectionTrait;
    load_demo_data(&store).await.unwrap();
    let john = store
        .find_user_by_username("john.doe")
        .await
        .unwrap()
        .unwrap();
    store
        .create_ticket(
            &TicketNumberFormat::default(),
            new_ticket(&john, None, at(2026)),
        )
        .await
        .unwrap();
    store
        .connection()
        .execute_unprepared(&format!(
            "INSERT INTO tickets (ticket_id, user_id, request_type, software_id, description, status) \
             VALUES ('INC-2025-0042', {}, 'SOFTWARE_INSTALL', 1, 'from the seed', 'Start')",
            john.id.0
        ))
        .await
        .unwrap();
    let legacy = store.get_ticket("INC-2025-0042").await.unwrap().unwrap();
    assert_eq!(
        legacy.subject, "from the seed",
        "a subject from the description"
    );
    assert_eq!(legacy.status, TicketStatus::Start);
    assert_eq!((legacy.priority, legacy.version), (Priority::Medium, 1));
    assert_eq!(legacy.resolution_due_at, None);
    assert!(!legacy.sla_breached(Utc::now()));
    let not_breached = store
        .list_tickets(&TicketQuery {
            breached: Some(false),
            limit: 10,
            now: Some(at(2030)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(not_breached.len(), 1);
    assert_eq!(not_breached[0].number, "INC-2025-0042");
    let by_due = store
        .list_tickets(&TicketQuery {
            sort: TicketSort::ResolutionDue,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_due.last().unwrap().number,
        "INC-2025-0042",
        "no due time sorts last"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_sql_rows_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let store = SeaStore::connect(SeaStoreOptions::new(url)).await.unwrap();
    store.migrate().await.unwrap();
    seed_sql_rows_read_and_never_breach(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_sql_rows_on_postgres() {
    let db = TestDatabase::create().await;
    let store = SeaStore::connect(SeaStoreOptions::new(db.url.clone()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    seed_sql_rows_read_and_never_breach(store).await;
}
