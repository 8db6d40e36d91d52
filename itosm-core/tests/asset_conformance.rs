//! The asset store's conformance suite, run against memory, SQLite and
//! PostgreSQL: assets, history, ticket links, enrolment, heartbeats and
//! health.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use itosm_core::agent_protocol::{DeviceHints, DiskUsage, HealthSample, Inventory};
use itosm_core::number::TicketNumberFormat;
use itosm_core::store::{
    AssetQuery, AssetSave, EnrollAgent, Heartbeat, NewAsset, NewTicket, StoreError,
};
use itosm_core::{
    AgentId, Asset, AssetDetails, AssetHealth, AssetKind, AssetStatus, HealthThresholds, MatchRule,
    Priority, RequestType, User,
};

mod common;
use common::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0)
        .single()
        .expect("date")
}

fn new_asset(tag: Option<&str>, name: &str, owner: Option<&User>) -> NewAsset {
    NewAsset {
        tag: tag.map(str::to_owned),
        name: name.to_owned(),
        hostname: None,
        kind: AssetKind::Laptop,
        serial: None,
        manufacturer: None,
        model: None,
        os: None,
        owner: owner.map(|o| o.id),
        location: None,
        status: AssetStatus::InUse,
        purchased_on: None,
        warranty_until: None,
        inventory: None,
        machine_id: None,
        macs: Vec::new(),
        actor: None,
        now: t0(),
    }
}

fn ticket_for(requester: &User, assets: Vec<itosm_core::AssetId>) -> NewTicket {
    NewTicket {
        requester: requester.clone(),
        request_type: RequestType::Other,
        software: None,
        subject: "Screen flickers".to_owned(),
        description: "My screen flickers".to_owned(),
        priority: Priority::Medium,
        first_response_due_at: t0() + Duration::hours(8),
        resolution_due_at: t0() + Duration::hours(48),
        now: t0(),
        event_id: uuid::Uuid::new_v4(),
        attachments: Vec::new(),
        assets,
    }
}

fn sample(cpu: f64, disk_used: u64) -> HealthSample {
    HealthSample {
        cpu_percent: cpu,
        memory_used_bytes: 1,
        memory_total_bytes: 4,
        load: [0.1, 0.1, 0.1],
        uptime_seconds: 60,
        disks: vec![DiskUsage {
            mount: "/".into(),
            used_bytes: disk_used,
            total_bytes: 100,
        }],
        reachability: Vec::new(),
    }
}

async fn assets_are_created_listed_and_filtered(s: Subject) {
    let (john, jane, _) = seeded(&s).await;
    let auto = s
        .store
        .create_asset(&new_asset(None, "John's laptop", Some(&john)))
        .await
        .unwrap();
    assert_eq!(auto.tag, itosm_core::default_asset_tag(auto.id));
    assert_eq!(auto.health, AssetHealth::Unknown);
    let mut printer = new_asset(Some("PRN-100%_a"), "Floor 2 printer", None);
    printer.kind = AssetKind::Printer;
    printer.status = AssetStatus::InStock;
    let printer = s.store.create_asset(&printer).await.unwrap();
    let janes = s
        .store
        .create_asset(&new_asset(Some("PC-JANE"), "Jane's desktop", Some(&jane)))
        .await
        .unwrap();
    match s
        .store
        .create_asset(&new_asset(Some("PC-JANE"), "Twin", None))
        .await
    {
        Err(StoreError::Conflict(message)) => assert!(message.contains("PC-JANE"), "{message}"),
        other => panic!("a taken tag must conflict: {other:?}"),
    }
    let list = |q: AssetQuery| {
        let store = s.store.clone();
        async move {
            store
                .list_assets(&AssetQuery { limit: 50, ..q })
                .await
                .unwrap()
        }
    };
    let tags = |assets: Vec<Asset>| assets.into_iter().map(|a| a.tag).collect::<Vec<_>>();
    assert_eq!(list(AssetQuery::default()).await.len(), 3);
    assert_eq!(
        tags(
            list(AssetQuery {
                owner: Some(jane.id),
                ..Default::default()
            })
            .await
        ),
        ["PC-JANE"]
    );
    assert_eq!(
        tags(
            list(AssetQuery {
                kind: Some(AssetKind::Printer),
                ..Default::default()
            })
            .await
        ),
        [printer.tag.as_str()]
    );
    assert_eq!(
        tags(
            list(AssetQuery {
                status: Some(AssetStatus::InStock),
                ..Default::default()
            })
            .await
        ),
        [printer.tag.as_str()]
    );
    // Plain text: `%` and `_` match only themselves; case is ignored.
    assert_eq!(
        tags(
            list(AssetQuery {
                search: Some("100%_".into()),
                ..Default::default()
            })
            .await
        ),
        [printer.tag.as_str()]
    );
    assert_eq!(
        tags(
            list(AssetQuery {
                search: Some("JANE's".into()),
                ..Default::default()
            })
            .await
        ),
        ["PC-JANE"]
    );
    assert!(
        list(AssetQuery {
            search: Some("%".into()),
            ..Default::default()
        })
        .await
        .len()
            == 1
    );
    // Keyset paging by id.
    let first = s
        .store
        .list_assets(&AssetQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let rest = list(AssetQuery {
        after: Some(first[1].id),
        ..Default::default()
    })
    .await;
    assert_eq!(tags(rest), [janes.tag.as_str()]);
    assert_eq!(
        s.store
            .get_asset_by_tag("PC-JANE")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(janes.id)
    );
    assert_eq!(
        s.store.get_asset(auto.id).await.unwrap(),
        Some(auto.clone())
    );
    let history = s.store.asset_history(auto.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.change.as_str())
            .collect::<Vec<_>>(),
        ["created"]
    );
}

async fn asset_details_are_versioned_with_history(s: Subject) {
    let (john, jane, _) = seeded(&s).await;
    let asset = s
        .store
        .create_asset(&new_asset(Some("PC-1"), "Laptop", Some(&john)))
        .await
        .unwrap();
    let (next, changes) = asset.with_details(&AssetDetails {
        status: Some(AssetStatus::InRepair),
        owner: Some(Some(jane.id)),
        location: Some(Some("Room 4".into())),
        ..AssetDetails::default()
    });
    assert_eq!(changes.len(), 3, "{changes:?}");
    let save = AssetSave {
        asset: next.clone(),
        expected_version: asset.version,
        changes: changes.clone(),
        actor: Some(john.id),
        agent: None,
        now: t0() + Duration::minutes(1),
    };
    let saved = s.store.save_asset(&save).await.unwrap();
    assert_eq!(saved.version, asset.version + 1);
    assert_eq!(saved.status, AssetStatus::InRepair);
    assert_eq!(saved.owner, Some(jane.id));
    // The same save again is stale and changes nothing.
    let stale = AssetSave {
        asset: Asset {
            name: "Other".into(),
            ..next
        },
        ..save
    };
    assert!(matches!(
        s.store.save_asset(&stale).await,
        Err(StoreError::Conflict(_))
    ));
    let now = s.store.get_asset(asset.id).await.unwrap().unwrap();
    assert_eq!(now.name, "Laptop");
    let history = s.store.asset_history(asset.id).await.unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[1].actor, Some(john.id));
    assert!(
        history
            .iter()
            .any(|h| h.change == "status: IN_USE → IN_REPAIR"),
        "{history:?}"
    );
}

async fn tickets_link_to_assets_in_their_transaction(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    let laptop = s
        .store
        .create_asset(&new_asset(Some("PC-L"), "Laptop", Some(&john)))
        .await
        .unwrap();
    let phone = s
        .store
        .create_asset(&new_asset(Some("PH-1"), "Phone", Some(&john)))
        .await
        .unwrap();
    let (first, _) = s
        .store
        .create_ticket(&format, ticket_for(&john, vec![laptop.id]))
        .await
        .unwrap();
    assert_eq!(
        s.store.ticket_assets(first.id).await.unwrap(),
        vec![laptop.clone()]
    );
    // A ticket naming a missing asset is refused whole: no ticket, no number.
    let missing = itosm_core::AssetId(laptop.id.0 + 1_000);
    assert!(matches!(
        s.store
            .create_ticket(&format, ticket_for(&john, vec![laptop.id, missing]))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let all = s
        .store
        .list_tickets(&itosm_core::store::TicketQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let (second, _) = s
        .store
        .create_ticket(&format, ticket_for(&john, Vec::new()))
        .await
        .unwrap();
    s.store
        .link_assets(&second, &[laptop.id, phone.id], Some(john.id), t0())
        .await
        .unwrap();
    // Linking again changes nothing.
    s.store
        .link_assets(&second, &[laptop.id], Some(john.id), t0())
        .await
        .unwrap();
    assert_eq!(s.store.ticket_assets(second.id).await.unwrap().len(), 2);
    let tickets = s.store.asset_tickets(laptop.id, 10).await.unwrap();
    assert_eq!(
        tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
    assert!(
        s.store
            .unlink_asset(&second, phone.id, None, t0())
            .await
            .unwrap()
    );
    assert!(
        !s.store
            .unlink_asset(&second, phone.id, None, t0())
            .await
            .unwrap()
    );
    assert!(
        s.store
            .asset_tickets(phone.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let history = s.store.asset_history(phone.id).await.unwrap();
    let lines: Vec<&str> = history.iter().map(|h| h.change.as_str()).collect();
    assert_eq!(
        lines,
        [
            "created",
            &format!("linked to {}", second.number),
            &format!("unlinked from {}", second.number)
        ]
    );
}

fn enrollment(token_hash: &str, hints: DeviceHints, at: DateTime<Utc>) -> EnrollAgent {
    let inventory = Inventory {
        hostname: hints.hostname.clone(),
        serial: hints.serial.clone(),
        memory_bytes: 8 << 30,
        ..Inventory::default()
    };
    let mut new = new_asset(None, &hints.hostname, None);
    new.hostname = Some(hints.hostname.clone());
    new.serial = hints.serial.clone();
    new.machine_id = hints.machine_id.clone();
    new.macs = hints.macs.clone();
    new.inventory = Some(inventory);
    EnrollAgent {
        token_hash: token_hash.to_owned(),
        hints,
        new_asset: new,
        agent_id: AgentId::random(),
        credential_hash: "c".repeat(64),
        now: at,
    }
}

async fn enrolment_uses_tokens_once_and_recognises_devices(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let store = &s.store;
    let expires = t0() + Duration::days(7);
    for hash in ["a", "b", "c", "d", "e"] {
        store
            .create_enrollment_token(&hash.repeat(64), john.id, t0(), expires)
            .await
            .unwrap();
    }
    let hints = DeviceHints {
        hostname: "pc-john".into(),
        machine_id: Some("m-1".into()),
        serial: Some("SN123".into()),
        macs: vec!["3c:52:82:00:00:01".into()],
    };
    let first = store
        .enroll_agent(&enrollment(&"a".repeat(64), hints.clone(), t0()))
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(first.matched, None);
    assert_eq!(first.asset.serial.as_deref(), Some("SN123"));
    // A token works once, and not after it expires or is revoked.
    assert_eq!(
        store
            .enroll_agent(&enrollment(&"a".repeat(64), hints.clone(), t0()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .enroll_agent(&enrollment(&"b".repeat(64), hints.clone(), expires))
            .await
            .unwrap(),
        None
    );
    let tokens = store.list_enrollment_tokens(true, t0()).await.unwrap();
    let c = tokens
        .iter()
        .find(|t| t.token_hash == "c".repeat(64))
        .unwrap();
    store.revoke_enrollment_token(c.id, t0()).await.unwrap();
    assert_eq!(
        store
            .enroll_agent(&enrollment(&"c".repeat(64), hints.clone(), t0()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .list_enrollment_tokens(false, t0())
            .await
            .unwrap()
            .len(),
        3
    );
    // Reinstalled (new machine id) and renamed: the serial still finds it,
    // and the old agent is revoked.
    let reinstalled = DeviceHints {
        hostname: "pc-john-new".into(),
        machine_id: Some("m-2".into()),
        ..hints.clone()
    };
    let second = store
        .enroll_agent(&enrollment(
            &"b".repeat(64),
            reinstalled,
            t0() + Duration::hours(1),
        ))
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(second.matched, Some(MatchRule::Serial));
    assert_eq!(second.asset.id, first.asset.id);
    assert_eq!(second.asset.hostname.as_deref(), Some("pc-john-new"));
    assert_eq!(second.replaced, vec![first.agent.id]);
    let old = store.get_agent(first.agent.id).await.unwrap().unwrap();
    assert!(old.revoked_at.is_some());
    // No readable serial, same MAC: still the same device.
    let no_serial = DeviceHints {
        serial: None,
        machine_id: None,
        hostname: "x".into(),
        ..hints
    };
    let third = store
        .enroll_agent(&enrollment(
            &"d".repeat(64),
            no_serial,
            t0() + Duration::hours(2),
        ))
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(
        (third.asset.id, third.matched),
        (first.asset.id, Some(MatchRule::Mac))
    );
    assert_eq!(
        store
            .list_assets(&AssetQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.asset_agents(first.asset.id).await.unwrap().len(), 3);
    // A revoked agent stays revoked.
    let revoked = store
        .revoke_agent(third.agent.id, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.revoked_at.is_some());
}

async fn heartbeats_judge_health_with_events_in_one_batch(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let healthy = s
        .store
        .create_asset(&new_asset(Some("PC-H"), "Healthy", Some(&john)))
        .await
        .unwrap();
    let full = s
        .store
        .create_asset(&new_asset(Some("PC-F"), "Full disk", None))
        .await
        .unwrap();
    let thresholds = HealthThresholds::default();
    let beat = |asset: &Asset, at: DateTime<Utc>, sample: HealthSample| Heartbeat {
        asset: asset.id,
        at,
        sample,
        event_id: uuid::Uuid::new_v4(),
    };
    let changes = s
        .store
        .record_heartbeats(
            &[
                beat(&healthy, t0(), sample(10.0, 50)),
                beat(&full, t0(), sample(10.0, 97)),
            ],
            &thresholds,
        )
        .await
        .unwrap();
    let summary: Vec<(String, AssetHealth, AssetHealth)> = changes
        .iter()
        .map(|c| (c.asset.tag.clone(), c.from, c.asset.health))
        .collect();
    assert_eq!(summary.len(), 2);
    assert!(summary.contains(&("PC-H".into(), AssetHealth::Unknown, AssetHealth::Up)));
    assert!(summary.contains(&("PC-F".into(), AssetHealth::Unknown, AssetHealth::Degraded)));
    let healthy_event = changes.iter().find(|c| c.asset.tag == "PC-H").unwrap();
    let snapshot = healthy_event.event.asset.as_ref().unwrap();
    assert_eq!(snapshot.owner.as_deref(), Some("john.doe"));
    assert_eq!(healthy_event.event.ticket, None);
    // The same health again writes no event; several beats of one asset
    // apply in order.
    let later = t0() + Duration::minutes(1);
    let changes = s
        .store
        .record_heartbeats(
            &[
                beat(&healthy, later, sample(99.0, 50)),
                beat(&healthy, later, sample(5.0, 50)),
            ],
            &thresholds,
        )
        .await
        .unwrap();
    assert_eq!(changes.len(), 2, "UP → DEGRADED → UP");
    let stored = s.store.get_asset(healthy.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.health, stored.last_seen_at),
        (AssetHealth::Up, Some(later))
    );
    assert_eq!(stored.latest_sample.map(|x| x.cpu_percent), Some(5.0));
    let outbox = s
        .store
        .claim_outbox(50, Duration::minutes(1), later)
        .await
        .unwrap();
    let health_rows: Vec<_> = outbox
        .iter()
        .filter(|r| r.event_type == "asset.health_changed")
        .collect();
    assert_eq!(health_rows.len(), 4);
    assert!(health_rows.iter().any(|r| r.ticket_number == "PC-F"));
    // Silence: DOWN once, by whichever sweeper gets there first.
    let cutoff = later + Duration::minutes(3);
    let down = s
        .store
        .mark_silent_assets_down(cutoff, cutoff)
        .await
        .unwrap();
    assert_eq!(down.len(), 2);
    assert!(down.iter().all(|c| c.asset.health == AssetHealth::Down));
    assert!(
        s.store
            .mark_silent_assets_down(cutoff, cutoff)
            .await
            .unwrap()
            .is_empty()
    );
    // Samples are kept and pruned.
    let samples = s.store.asset_samples(healthy.id, t0(), 10).await.unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!(
        s.store.asset_samples(healthy.id, t0(), 1).await.unwrap()[0].at,
        later
    );
    assert_eq!(s.store.prune_samples(later).await.unwrap(), 2);
    assert_eq!(
        s.store
            .asset_samples(healthy.id, t0(), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn merging_moves_tickets_and_agents(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    let kept = s
        .store
        .create_asset(&new_asset(Some("PC-KEEP"), "Kept", None))
        .await
        .unwrap();
    let mut twin = new_asset(Some("PC-TWIN"), "Twin", Some(&john));
    twin.serial = Some("SN-9".into());
    let twin = s.store.create_asset(&twin).await.unwrap();
    let (ticket, _) = s
        .store
        .create_ticket(&format, ticket_for(&john, vec![twin.id]))
        .await
        .unwrap();
    s.store
        .link_assets(&ticket, &[kept.id], None, t0())
        .await
        .unwrap();
    s.store
        .create_enrollment_token(&"f".repeat(64), john.id, t0(), t0() + Duration::days(1))
        .await
        .unwrap();
    let hints = DeviceHints {
        hostname: "solo".into(),
        serial: Some("SN-9".into()),
        ..DeviceHints::default()
    };
    let enrolled = s
        .store
        .enroll_agent(&enrollment(&"f".repeat(64), hints, t0()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(enrolled.asset.id, twin.id);
    let merged = s
        .store
        .merge_assets(kept.id, twin.id, Some(john.id), t0())
        .await
        .unwrap();
    assert_eq!(merged.serial.as_deref(), Some("SN-9"));
    assert_eq!(merged.owner, Some(john.id));
    assert_eq!(
        s.store
            .ticket_assets(ticket.id)
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        [kept.id]
    );
    assert_eq!(
        s.store
            .get_agent(enrolled.agent.id)
            .await
            .unwrap()
            .unwrap()
            .asset,
        kept.id
    );
    let gone = s.store.get_asset(twin.id).await.unwrap().unwrap();
    assert_eq!(
        (gone.status, gone.merged_into),
        (AssetStatus::Retired, Some(kept.id))
    );
    let listed = s
        .store
        .list_assets(&AssetQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|a| a.id).collect::<Vec<_>>(), [kept.id]);
    assert!(
        s.store
            .asset_history(kept.id)
            .await
            .unwrap()
            .iter()
            .any(|h| h.change == "merged PC-TWIN into this asset")
    );
}

async fn one_incident_is_open_per_condition(s: Subject) {
    let (john, _, _) = seeded(&s).await;
    let format = TicketNumberFormat::default();
    let (ticket, _) = s
        .store
        .create_ticket(&format, ticket_for(&john, Vec::new()))
        .await
        .unwrap();
    let key = "asset:PC-1:DOWN";
    assert_eq!(s.store.open_incident(key).await.unwrap(), None);
    let opened = s.store.insert_incident(key, &ticket, t0()).await.unwrap();
    assert_eq!(opened.ticket_number, ticket.number.to_string());
    assert!(matches!(
        s.store.insert_incident(key, &ticket, t0()).await,
        Err(StoreError::Conflict(_))
    ));
    let later = t0() + Duration::minutes(1);
    s.store
        .set_incident_recovered(opened.id, Some(later))
        .await
        .unwrap();
    assert!(
        s.store
            .recovered_incidents(later, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = s
        .store
        .recovered_incidents(later + Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(due.iter().map(|i| i.id).collect::<Vec<_>>(), [opened.id]);
    // Flapping clears the recovery.
    s.store
        .set_incident_recovered(opened.id, None)
        .await
        .unwrap();
    assert!(
        s.store
            .recovered_incidents(later + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.store.close_incident(opened.id, later).await.unwrap();
    assert_eq!(s.store.open_incident(key).await.unwrap(), None);
    // Closed, the condition may open a new incident.
    let again = s.store.insert_incident(key, &ticket, later).await.unwrap();
    assert_ne!(again.id, opened.id);
    assert_eq!(
        s.store.open_incident(key).await.unwrap().map(|i| i.id),
        Some(again.id)
    );
}

conformance!(
    one_incident_is_open_per_condition,
    assets_are_created_listed_and_filtered,
    asset_details_are_versioned_with_history,
    tickets_link_to_assets_in_their_transaction,
    enrolment_uses_tokens_once_and_recognises_devices,
    heartbeats_judge_health_with_events_in_one_batch,
    merging_moves_tickets_and_agents,
);
