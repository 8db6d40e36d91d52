//! Working tickets through the real binary: comments and internal notes,
//! priorities and SLA due times, and user administration (GraphQL and the
//! `itosm user` CLI).

use std::time::Duration;

use crate::support::{App, Backend, error_code as code};
use serde_json::{Value, json};

const COMMENT: &str = "mutation($n: String!, $b: String!, $i: Boolean!) { addComment(number: $n, body: $b, internal: $i) { id body internal author { username } } }";

async fn comment(app: &App, token: &str, number: &str, body: &str, internal: bool) -> Value {
    app.graphql(
        token,
        COMMENT,
        json!({ "n": number, "b": body, "i": internal }),
    )
    .await
}

/// Internal notes never reach a requester by query or subscription (email
/// is `email::internal_notes_never_reach_the_requesters_inbox`), while
/// staff get them everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_notes_reach_staff_and_never_the_requester() {
    let app = App::spawn(Backend::Postgres).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&john, "VPN drops every hour").await;
    let query = format!(
        "subscription {{ ticketUpdated(number: \"{number}\") {{ number comments {{ body internal }} }} }}"
    );
    let mut johns_feed = app.subscribe(&john, &query).await;
    let mut admins_feed = app.subscribe(&admin, &query).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let note = comment(&app, &admin, &number, "SECRET: user reported twice", true).await;
    assert_eq!(note["data"]["addComment"]["internal"], true, "{note}");
    let reply = comment(&app, &admin, &number, "Looking into it", false).await;
    assert!(reply["errors"].is_null(), "{reply}");

    // Staff see the note's event with the note in it (the payload is the
    // ticket as it is when delivered, so the reply may be there too).
    let first = admins_feed.next_payload().await;
    let comments = first["data"]["ticketUpdated"]["comments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(comments[0]["internal"], true, "{first}");
    let second = admins_feed.next_payload().await;
    assert_eq!(
        second["data"]["ticketUpdated"]["comments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The requester's first event is the public reply, without the note.
    let first = johns_feed.next_payload().await;
    assert_eq!(
        first["data"]["ticketUpdated"]["comments"],
        json!([{ "body": "Looking into it", "internal": false }])
    );
    assert!(johns_feed.quiet_for(Duration::from_millis(500)).await);
    assert!(!first.to_string().contains("SECRET"));

    // Queries: the requester sees one comment, staff both.
    let read = |token: &str| {
        let token = token.to_owned();
        let number = number.clone();
        let app = &app;
        async move {
            app.graphql(
                &token,
                "query($n: String!) { ticket(number: $n) { comments { body internal author { username } } } }",
                json!({ "n": number }),
            )
            .await["data"]["ticket"]["comments"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    assert_eq!(read(&john).await.len(), 1);
    assert_eq!(read(&admin).await.len(), 2);
    let list = app
        .graphql(
            &john,
            "{ tickets { edges { node { comments { body } } } } }",
            json!({}),
        )
        .await;
    assert!(!list.to_string().contains("SECRET"), "{list}");

    // A requester cannot write an internal note, even on his own ticket.
    let refused = comment(&app, &john, &number, "sneaky", true).await;
    assert_eq!(code(&refused), "FORBIDDEN");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_are_bounded_and_closed_tickets_take_none() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&john, "Monitor flickers").await;
    for (body, field) in [
        ("   ", "body"),
        (&"x".repeat(4001) as &str, "body"),
        ("bell \u{7} char", "body"),
    ] {
        let refused = comment(&app, &john, &number, body, false).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], field);
    }
    let added = comment(&app, &john, &number, "  It flickers at 60Hz\nonly  ", false).await;
    assert_eq!(
        added["data"]["addComment"]["body"], "It flickers at 60Hz\nonly",
        "trimmed, newlines kept"
    );
    // As in the contract, `internal` may be left out or null: a public comment.
    for flag in ["", ", internal: null"] {
        let plain = app
            .graphql(
                &john,
                &format!("mutation($n: String!) {{ addComment(number: $n, body: \"plain\"{flag}) {{ internal }} }}"),
                json!({ "n": number }),
            )
            .await;
        assert_eq!(plain["data"]["addComment"]["internal"], false, "{plain}");
    }
    let listed = app
        .graphql(
            &john,
            "{ tickets(first: null, sort: null) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert!(listed["errors"].is_null(), "{listed}");

    // Cancelled tickets take no comments, and nothing is written.
    let cancelled = app
        .graphql(
            &john,
            "mutation($n: String!) { changeStatus(number: $n, status: CANCELLED, version: 1) { status } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(cancelled["data"]["changeStatus"]["status"], "CANCELLED");
    let refused = comment(&app, &admin, &number, "too late", false).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    let read = app
        .graphql(
            &admin,
            "query($n: String!) { ticket(number: $n) { comments { body } } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(
        read["data"]["ticket"]["comments"].as_array().unwrap().len(),
        3,
        "the two plain comments and the first one; not the refused ones"
    );
    app.stop().await;
}

/// Due times come from the configured targets; a ticket answered in time
/// stays green, one left alone breaches; the admin list filters and sorts
/// by them; a priority change moves the due times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_due_times_breaches_filters_and_sorting() {
    let app = App::spawn_with(
        Backend::Postgres,
        &[
            ("ITOSM_SLA__MEDIUM__FIRST_RESPONSE", "1s"),
            ("ITOSM_SLA__MEDIUM__RESOLUTION", "1h"),
            ("ITOSM_SLA__HIGH__FIRST_RESPONSE", "1s"),
            ("ITOSM_SLA__HIGH__RESOLUTION", "30m"),
        ],
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let ignored = app.create_ticket(&john, "Nobody answers this").await;
    let answered = app.create_ticket(&john, "This gets an answer").await;
    let reply = comment(&app, &admin, &answered, "On it", false).await;
    assert!(reply["errors"].is_null(), "{reply}");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    const FIELDS: &str = "number priority createdAt firstResponseDueAt resolutionDueAt firstRespondedAt breached firstResponseBreached resolutionBreached";
    let ticket = |number: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.graphql(
                &admin,
                &format!("query($n: String!) {{ ticket(number: $n) {{ {FIELDS} }} }}"),
                json!({ "n": number }),
            )
            .await["data"]["ticket"]
                .clone()
        }
    };
    let late = ticket(ignored.clone()).await;
    assert_eq!(late["breached"], true, "{late}");
    assert_eq!(late["firstResponseBreached"], true);
    assert_eq!(late["resolutionBreached"], false);
    let created =
        chrono::DateTime::parse_from_rfc3339(late["createdAt"].as_str().unwrap()).unwrap();
    let due = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        due(&late["firstResponseDueAt"]) - created,
        chrono::Duration::seconds(1)
    );
    assert_eq!(
        due(&late["resolutionDueAt"]) - created,
        chrono::Duration::hours(1)
    );
    let green = ticket(answered.clone()).await;
    assert_eq!(green["breached"], false, "{green}");
    assert!(!green["firstRespondedAt"].is_null());

    let list = |filter: &str, sort: &str| {
        let app = &app;
        let admin = admin.clone();
        let query = format!(
            "{{ tickets(filter: {filter}, sort: {sort}) {{ edges {{ node {{ number }} }} }} }}"
        );
        async move {
            let answer = app.graphql(&admin, &query, json!({})).await;
            assert!(answer["errors"].is_null(), "{query}: {answer}");
            answer["data"]["tickets"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["number"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("{ breached: true }", "NEWEST").await,
        [ignored.as_str()]
    );
    assert_eq!(
        list("{ breached: false }", "NEWEST").await,
        [answered.as_str()]
    );

    // Raising the priority shortens the resolution target: the ignored
    // ticket (now HIGH, 30m) sorts before the answered one (MEDIUM, 1h).
    let raised = app
        .graphql(
            &admin,
            &format!("mutation($n: String!) {{ changePriority(number: $n, priority: HIGH, version: 1) {{ {FIELDS} version history {{ notes }} }} }}"),
            json!({ "n": ignored }),
        )
        .await;
    let raised = &raised["data"]["changePriority"];
    assert_eq!(raised["priority"], "HIGH", "{raised}");
    assert_eq!(raised["version"], 2);
    assert_eq!(
        due(&raised["resolutionDueAt"]) - created,
        chrono::Duration::minutes(30)
    );
    assert_eq!(raised["history"][1]["notes"], "Priority MEDIUM → HIGH");
    assert_eq!(
        list("{}", "RESOLUTION_DUE").await,
        [ignored.clone(), answered.clone()]
    );
    assert_eq!(
        list("{ priority: HIGH }", "NEWEST").await,
        [ignored.as_str()]
    );
    let stale = app
        .graphql(
            &admin,
            "mutation($n: String!) { changePriority(number: $n, priority: LOW, version: 1) { priority } }",
            json!({ "n": ignored }),
        )
        .await;
    assert_eq!(code(&stale), "CONFLICT");

    // "Assigned to me" and "unassigned".
    let me = app.graphql(&admin, "{ me { id } }", json!({})).await["data"]["me"]["id"].clone();
    app.graphql(
        &admin,
        "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 1) { version } }",
        json!({ "n": answered, "a": me }),
    )
    .await;
    assert_eq!(
        list("{ assignee: ME }", "NEWEST").await,
        [answered.as_str()]
    );
    assert_eq!(
        list("{ assignee: NONE }", "NEWEST").await,
        [ignored.as_str()]
    );

    // Paging a sorted list goes by offset cursors.
    let page = app
        .graphql(
            &admin,
            "{ tickets(first: 1, sort: RESOLUTION_DUE) { edges { node { number } } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = page["data"]["tickets"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let next = app
        .graphql(
            &admin,
            "query($c: String!) { tickets(first: 1, sort: RESOLUTION_DUE, after: $c) { edges { node { number } } pageInfo { hasNextPage } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(
        next["data"]["tickets"]["edges"][0]["node"]["number"],
        answered.as_str()
    );
    let mixed = app
        .graphql(
            &admin,
            "query($c: String!) { tickets(first: 1, after: $c) { edges { cursor } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(
        code(&mixed),
        "BAD_USER_INPUT",
        "a sorted cursor on a newest-first list"
    );
    app.stop().await;
}

const CREATE_USER: &str = "mutation($i: CreateUserInput!) { createUser(input: $i) { id username role active email phone } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_re_role_and_deactivate_users() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let input = json!({ "username": "agent.lee", "employeeId": "EMP-L1", "displayName": "Lee Agent",
                        "email": "lee@example.com", "phone": "+919876543210", "role": "AGENT" });
    let created = app
        .graphql(&admin, CREATE_USER, json!({ "i": input }))
        .await;
    let lee = &created["data"]["createUser"];
    assert_eq!(
        (lee["role"].as_str(), lee["active"].as_bool()),
        (Some("AGENT"), Some(true)),
        "{created}"
    );
    let lee_id = lee["id"].as_str().unwrap().to_owned();
    let again = app
        .graphql(&admin, CREATE_USER, json!({ "i": input }))
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again}");
    for (field, value, expected) in [
        ("username", json!("has space"), "username"),
        ("employeeId", json!(""), "employeeId"),
        ("displayName", json!(" "), "displayName"),
        ("email", json!("not-an-address"), "email"),
        ("phone", json!("12345"), "phone"),
    ] {
        let mut bad = input.clone();
        bad["username"] = json!("fresh.user");
        bad[field] = value;
        let refused = app.graphql(&admin, CREATE_USER, json!({ "i": bad })).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{field}: {refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], expected);
    }
    let listed = app
        .graphql(
            &admin,
            "{ users(filter: { role: AGENT }) { edges { node { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["users"]["edges"],
        json!([{ "node": { "username": "agent.lee" } }])
    );

    // The new agent works; promoted, he administers; deactivated, his
    // token stops at once and he cannot log in; reactivated, he can.
    let lee_token = app.login("agent.lee", "EMP-L1").await;
    let agents = app
        .graphql(&lee_token, "{ assignableAgents { username } }", json!({}))
        .await;
    assert!(agents["errors"].is_null(), "{agents}");
    let users_as_agent = app
        .graphql(&lee_token, "{ users { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(code(&users_as_agent), "FORBIDDEN");
    let promoted = app
        .graphql(
            &admin,
            "mutation($id: ID!) { changeUserRole(id: $id, role: ADMIN) { role } }",
            json!({ "id": lee_id }),
        )
        .await;
    assert_eq!(promoted["data"]["changeUserRole"]["role"], "ADMIN");
    // A role change ends the old role's sessions; a fresh login carries
    // the new role.
    let old_session = app
        .graphql(&lee_token, "{ users { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(code(&old_session), "UNAUTHENTICATED", "{old_session}");
    let lee_token = app.login("agent.lee", "EMP-L1").await;
    let users_as_admin = app
        .graphql(&lee_token, "{ users { edges { cursor } } }", json!({}))
        .await;
    assert!(
        users_as_admin["errors"].is_null(),
        "a new session, the new role: {users_as_admin}"
    );
    let deactivated = app
        .graphql(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": lee_id }),
        )
        .await;
    assert_eq!(deactivated["data"]["deactivateUser"]["active"], false);
    let refused = app
        .graphql(&lee_token, "{ me { username } }", json!({}))
        .await;
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    let login = app
        .graphql_with(
            None,
            "mutation { login(username: \"agent.lee\", employeeId: \"EMP-L1\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&login), "UNAUTHENTICATED");
    let agents = app
        .graphql(&admin, "{ assignableAgents { username } }", json!({}))
        .await;
    assert!(
        !agents.to_string().contains("agent.lee"),
        "not assignable: {agents}"
    );
    app.graphql(
        &admin,
        "mutation($id: ID!) { reactivateUser(id: $id) { active } }",
        json!({ "id": lee_id }),
    )
    .await;
    app.login("agent.lee", "EMP-L1").await;

    // Admins cannot lock themselves out.
    let me = app.graphql(&admin, "{ me { id } }", json!({})).await["data"]["me"]["id"].clone();
    for mutation in [
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        "mutation($id: ID!) { changeUserRole(id: $id, role: REQUESTER) { role } }",
    ] {
        let refused = app.graphql(&admin, mutation, json!({ "id": me })).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    }
    let unknown = app
        .graphql(
            &admin,
            "mutation { deactivateUser(id: \"999999\") { active } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    app.stop().await;
}

/// A deactivated user's idle subscription ends at the next periodic check,
/// without waiting for an event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_subscription_ends_when_its_user_is_deactivated() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[("ITOSM_GRAPHQL__SUBSCRIPTION_RECHECK", "1s")],
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let created = app
        .graphql(
            &admin,
            CREATE_USER,
            json!({ "i": { "username": "agent.idle", "employeeId": "EMP-I1", "displayName": "Idle", "role": "AGENT" } }),
        )
        .await;
    let id = created["data"]["createUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let agent = app.login("agent.idle", "EMP-I1").await;
    let mut feed = app
        .subscribe(&agent, "subscription { ticketCreated { number } }")
        .await;
    assert!(
        feed.quiet_for(Duration::from_millis(1500)).await,
        "an active agent's feed stays open"
    );
    app.graphql(
        &admin,
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(feed.next_error_code().await, "UNAUTHENTICATED");
    assert!(feed.ends().await);
    app.stop().await;
}

fn itosm(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
        .args(args)
        .current_dir(dir)
        .env("ITOSM_LOG__LEVEL", "warn")
        .output()
        .expect("itosm runs")
}

/// `itosm user add` creates the first admin of a fresh installation; the
/// daemon then logs him in. Mistakes are named; nothing half-done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_adds_lists_and_deactivates_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let path = dir.path();
    let with_db = |args: &[&str]| -> std::process::Output {
        let mut all = vec![];
        all.extend_from_slice(args);
        std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
            .args(&all)
            .current_dir(path)
            .env("ITOSM_DATABASE__URL", &db)
            .env("ITOSM_DEMO_DATA", "false")
            .env("ITOSM_LOG__LEVEL", "warn")
            .output()
            .expect("itosm runs")
    };
    // Only serve, migrate and seed create a database.
    let missing = with_db(&["user", "list"]);
    assert!(!missing.status.success(), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("itosm migrate"));
    let migrated = with_db(&["migrate"]);
    assert!(migrated.status.success(), "{migrated:?}");
    let added = with_db(&[
        "user",
        "add",
        "--username",
        "root.admin",
        "--employee-id",
        "EMP-R1",
        "--name",
        "Root Admin",
        "--email",
        "root@example.com",
        "--role",
        "admin",
    ]);
    assert!(added.status.success(), "{added:?}");
    assert!(String::from_utf8_lossy(&added.stdout).contains("created root.admin (ADMIN)"));
    let again = with_db(&[
        "user",
        "add",
        "--username",
        "root.admin",
        "--employee-id",
        "EMP-R1",
        "--name",
        "Root",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("username root.admin is taken"));
    let bad = with_db(&[
        "user",
        "add",
        "--username",
        "x",
        "--employee-id",
        "E",
        "--name",
        "X",
        "--phone",
        "123",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("phone"),
        "{bad:?}"
    );
    let bad_role = with_db(&[
        "user",
        "add",
        "--username",
        "y",
        "--employee-id",
        "E",
        "--name",
        "Y",
        "--role",
        "god",
    ]);
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role"));
    let listed = with_db(&["user", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert_eq!(listed.lines().count(), 1, "only the admin: {listed}");
    assert!(listed.contains("root.admin\tADMIN\tactive\tRoot Admin\troot@example.com"));

    let app = App::launch(
        tempfile::tempdir().unwrap(),
        db.clone(),
        None,
        &["serve"],
        &[("ITOSM_DEMO_DATA", "false")],
        true,
    )
    .await;
    let token = app.login("root.admin", "EMP-R1").await;
    let me = app.graphql(&token, "{ me { role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "ADMIN");
    let off = with_db(&["user", "deactivate", "root.admin"]);
    assert!(
        String::from_utf8_lossy(&off.stdout).contains("deactivated"),
        "{off:?}"
    );
    let refused = app.graphql(&token, "{ me { role } }", json!({})).await;
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    let missing = with_db(&["user", "set-role", "nobody", "agent"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no user nobody"));
    let _ = itosm(path, &["--help"]);
    app.stop().await;
}
