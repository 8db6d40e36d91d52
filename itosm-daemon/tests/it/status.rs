//! Working a ticket's status through the real binary: legal moves, illegal
//! ones named, stale versions refused, and who may do what.

use crate::support::{App, Backend};
use serde_json::{Value, json};

const CHANGE: &str = "mutation($n: String!, $s: TicketStatus!, $v: Int!, $note: String) { \
    changeStatus(number: $n, status: $s, version: $v, note: $note) { status statusLabel version history { status notes actor { username } } } }";

async fn change(app: &App, token: &str, number: &str, status: &str, version: i64) -> Value {
    app.graphql(
        token,
        CHANGE,
        json!({ "n": number, "s": status, "v": version, "note": format!("to {status}") }),
    )
    .await
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_moves_follow_the_state_machine_and_the_policy() {
    // A file sink records every event, to compare with the history.
    let dir = tempfile::tempdir().unwrap();
    let events_file = dir.path().join("events.jsonl");
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!(
            "[[notifications.sinks]]\nkind = \"file\"\nname = \"events\"\npath = \"{}\"\n",
            events_file.display()
        ),
    )
    .unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    let app = App::launch(dir, url, None, &["serve", "--config", &config], &[], true).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let created = app
        .graphql(&john, "mutation { createTicket(input: { requestType: HARDWARE, description: \"Fan noise\" }) { number version } }", json!({}))
        .await;
    let number = created["data"]["createTicket"]["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let moved = change(&app, &admin, &number, "IN_PROGRESS", 1).await;
    let ticket = &moved["data"]["changeStatus"];
    assert_eq!(
        (
            ticket["status"].as_str(),
            ticket["statusLabel"].as_str(),
            ticket["version"].as_i64()
        ),
        (Some("IN_PROGRESS"), Some("In progress"), Some(2)),
        "{moved}"
    );
    assert_eq!(ticket["history"][1]["notes"], "to IN_PROGRESS");
    assert_eq!(ticket["history"][1]["actor"]["username"], "admin.user");

    let stale = change(&app, &admin, &number, "ON_HOLD", 1).await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    let illegal = change(&app, &admin, &number, "CLOSED", 2).await;
    assert_eq!(code(&illegal), "BAD_USER_INPUT");
    let message = illegal["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("ON_HOLD")
            && message.contains("RESOLVED")
            && message.contains("CANCELLED"),
        "names the allowed moves: {message}"
    );

    // The requester may not work his ticket, another requester cannot even see it.
    assert_eq!(
        code(&change(&app, &john, &number, "RESOLVED", 2).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&change(&app, &jane, &number, "CANCELLED", 2).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(
            &app.graphql_with(
                None,
                CHANGE,
                json!({ "n": number, "s": "CANCELLED", "v": 2 })
            )
            .await
        ),
        "UNAUTHENTICATED"
    );

    // Resolve, the requester reopens, then cancels his own open ticket.
    let resolved = change(&app, &admin, &number, "RESOLVED", 2).await;
    assert_eq!(resolved["data"]["changeStatus"]["version"], 3, "{resolved}");
    let reopened = change(&app, &john, &number, "IN_PROGRESS", 3).await;
    assert_eq!(
        reopened["data"]["changeStatus"]["status"], "IN_PROGRESS",
        "{reopened}"
    );
    let cancelled = change(&app, &john, &number, "CANCELLED", 4).await;
    assert_eq!(
        cancelled["data"]["changeStatus"]["status"], "CANCELLED",
        "{cancelled}"
    );
    let after = change(&app, &admin, &number, "IN_PROGRESS", 5).await;
    assert_eq!(
        code(&after),
        "BAD_USER_INPUT",
        "a cancelled ticket is final: {after}"
    );

    let history = app
        .graphql(
            &admin,
            "query($n: String!) { ticket(number: $n) { history { status } } }",
            json!({ "n": number }),
        )
        .await;
    let statuses: Vec<&str> = history["data"]["ticket"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "START",
            "IN_PROGRESS",
            "RESOLVED",
            "IN_PROGRESS",
            "CANCELLED"
        ],
        "history matches what happened"
    );

    // The events match it too: one per change, in order, with its status
    // and version, each by whoever made it.
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = std::fs::read_to_string(&events_file)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|event| event["ticket"]["number"] == number.as_str())
            .collect();
        if seen.len() >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let events: Vec<(String, String, i64, String)> = seen
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["ticket"]["status"].as_str().unwrap().to_owned(),
                e["ticket"]["version"].as_i64().unwrap(),
                e["actor"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("ticket.created", "START", 1, "john.doe"),
        ("ticket.status_changed", "IN_PROGRESS", 2, "admin.user"),
        ("ticket.status_changed", "RESOLVED", 3, "admin.user"),
        ("ticket.status_changed", "IN_PROGRESS", 4, "john.doe"),
        ("ticket.status_changed", "CANCELLED", 5, "john.doe"),
    ]
    .map(|(t, s, v, a)| (t.to_owned(), s.to_owned(), v, a.to_owned()));
    assert_eq!(events, expected, "events match what happened");
    app.stop().await;
}

const ASSIGN: &str = "mutation($n: String!, $a: ID, $v: Int!) { \
    assignTicket(number: $n, assigneeId: $a, version: $v) { version assignee { username } history { notes } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignment_is_for_staff_and_to_staff_only() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let created = app
        .graphql(&john, "mutation { createTicket(input: { requestType: OTHER, description: \"Printer\" }) { number } }", json!({}))
        .await;
    let number = created["data"]["createTicket"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app.graphql(&admin, "{ me { id } }", json!({})).await;
    let admin_id = me["data"]["me"]["id"].clone();
    let john_id = app.graphql(&john, "{ me { id } }", json!({})).await["data"]["me"]["id"].clone();

    let agents = app
        .graphql(&admin, "{ assignableAgents { username role } }", json!({}))
        .await;
    assert_eq!(
        agents["data"]["assignableAgents"],
        json!([{ "username": "admin.user", "role": "ADMIN" }]),
        "{agents}"
    );
    assert_eq!(
        code(
            &app.graphql(&john, "{ assignableAgents { username } }", json!({}))
                .await
        ),
        "FORBIDDEN"
    );

    assert_eq!(
        code(
            &app.graphql(&john, ASSIGN, json!({ "n": number, "a": admin_id, "v": 1 }))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app.graphql(&admin, ASSIGN, json!({ "n": number, "a": john_id, "v": 1 }))
                .await
        ),
        "BAD_USER_INPUT",
        "requesters cannot be assignees"
    );
    assert_eq!(
        code(
            &app.graphql(&admin, ASSIGN, json!({ "n": number, "a": "999", "v": 1 }))
                .await
        ),
        "BAD_USER_INPUT"
    );

    let assigned = app
        .graphql(
            &admin,
            ASSIGN,
            json!({ "n": number, "a": admin_id, "v": 1 }),
        )
        .await;
    let ticket = &assigned["data"]["assignTicket"];
    assert_eq!(ticket["assignee"]["username"], "admin.user", "{assigned}");
    assert_eq!(ticket["version"], 2);
    assert_eq!(ticket["history"][1]["notes"], "Assigned to admin.user");
    assert_eq!(
        code(
            &app.graphql(
                &admin,
                ASSIGN,
                json!({ "n": number, "a": Value::Null, "v": 1 })
            )
            .await
        ),
        "CONFLICT"
    );
    let unassigned = app
        .graphql(
            &admin,
            ASSIGN,
            json!({ "n": number, "a": Value::Null, "v": 2 }),
        )
        .await;
    assert_eq!(
        unassigned["data"]["assignTicket"]["assignee"],
        Value::Null,
        "{unassigned}"
    );
    assert_eq!(
        unassigned["data"]["assignTicket"]["history"][2]["notes"],
        "Unassigned"
    );

    // The requester sees who works his ticket.
    let seen = app
        .graphql(
            &john,
            "query($n: String!) { ticket(number: $n) { version assignee { username } } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(seen["data"]["ticket"]["version"], 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_updated_reaches_staff_and_the_requester_only() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let create = "mutation { createTicket(input: { requestType: OTHER, description: \"Live\" }) { number } }";
    let johns = app.graphql(&john, create, json!({})).await["data"]["createTicket"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let janes = app.graphql(&jane, create, json!({})).await["data"]["createTicket"]["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let query = "subscription { ticketUpdated { number status } }";
    let mut staff_feed = app.subscribe(&admin, query).await;
    let mut john_feed = app.subscribe(&john, query).await;
    let mut jane_feed = app.subscribe(&jane, query).await;
    let mut probe = app
        .subscribe(
            &jane,
            &format!("subscription {{ ticketUpdated(number: \"{johns}\") {{ number }} }}"),
        )
        .await;
    assert_eq!(
        probe.next_error_code().await,
        "NOT_FOUND",
        "probing another's ticket learns nothing"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let moved = change(&app, &admin, &johns, "IN_PROGRESS", 1).await;
    assert!(moved["errors"].is_null(), "{moved}");
    change(&app, &admin, &janes, "IN_PROGRESS", 1).await;

    let first = staff_feed.next_payload().await;
    assert_eq!(
        first["data"]["ticketUpdated"],
        json!({ "number": johns, "status": "IN_PROGRESS" })
    );
    let second = staff_feed.next_payload().await;
    assert_eq!(second["data"]["ticketUpdated"]["number"], janes.as_str());
    let johns_view = john_feed.next_payload().await;
    assert_eq!(
        johns_view["data"]["ticketUpdated"],
        json!({ "number": johns, "status": "IN_PROGRESS" })
    );
    // Jane's first update is her own ticket's: John's change never reached her.
    let janes_view = jane_feed.next_payload().await;
    assert_eq!(
        janes_view["data"]["ticketUpdated"]["number"],
        janes.as_str(),
        "{janes_view}"
    );
    app.stop().await;
}
