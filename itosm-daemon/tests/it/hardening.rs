//! What an outside attack and fault campaign found, each case against the
//! real binary: nesting that overflowed the stack, a WebSocket that kept its
//! first caller, tokens that outlived a deactivation, unbounded requests,
//! a world-readable database, a database outage that locked users out, and
//! the operations an operator needs (backup, one daemon per file, honest
//! commands, usable logs).

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::support::{App, Backend, error_code as code, itosm};
use itosm_testkit::proxy::{ChaosProxy, ProxyMode};
use serde_json::{Value, json};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

fn nested_list(depth: usize) -> String {
    format!("{}true{}", "[".repeat(depth), "]".repeat(depth))
}

/// Each shape of deep nesting that overflowed a thread's stack, at depths
/// 1k, 10k and 100k, over HTTP and over an anonymous WebSocket: refused
/// with `BAD_USER_INPUT`, and the daemon answers the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_refused_before_anything_recursive_reads_it() {
    // Bodies up to 1 MiB, so that 100k levels reach the nesting check
    // rather than the body limit.
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_HTTP__MAX_BODY_BYTES", "1048576"),
            ("ITOSM_LOG__LEVEL", "info"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    for depth in [1_000, 10_000, 100_000] {
        let list = nested_list(depth);
        let objects = format!("{}1{}", "{a:".repeat(depth), "}".repeat(depth));
        let documents = [
            format!("{{ __typename @include(if: {list}) }}"),
            format!("{{ softwareCatalog(x: {objects}) {{ id }} }}"),
            format!("query($v: Boolean = {list}) {{ __typename }}"),
            format!("{{ unknownField(arg: {list}) }}"),
            format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth)),
            format!("mutation {{ createTicket(input: {objects}) {{ number }} }}"),
        ];
        for document in &documents {
            let response = http
                .post(format!("{}/graphql", app.base))
                .json(&json!({ "query": document }))
                .send()
                .await
                .expect("the daemon answers");
            assert_eq!(response.status(), 200, "depth {depth}");
            let body: Value = response.json().await.expect("json");
            assert_eq!(code(&body), "BAD_USER_INPUT", "depth {depth}: {body}");
        }
        // Deep variables: JSON nesting is refused too (serde_json stops at
        // 128 levels; the gate at the configured bound below that).
        let mut variable = json!(true);
        for _ in 0..100 {
            variable = json!([variable]);
        }
        let response = app
            .graphql_with(
                None,
                "query($v: [[Boolean]]) { __typename }",
                json!({ "v": variable }),
            )
            .await;
        assert_eq!(code(&response), "BAD_USER_INPUT", "{response}");
        let raw = format!(
            "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"v\":{}}}}}",
            nested_list(depth)
        );
        let response = http
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("the daemon answers");
        assert!(
            response.status().is_client_error() || response.status() == 200,
            "{}",
            response.status()
        );
        // GET serves GraphiQL and never reads a query.
        let (status, _) = app
            .rest_get_raw(&format!(
                "/graphql?query={}",
                urlencode(&format!(
                    "{{ __typename @include(if: {}) }}",
                    nested_list(depth.min(10_000))
                ))
            ))
            .await;
        assert_eq!(status, 200);
        // Anonymous WebSocket subscribe (messages up to the body limit).
        let mut socket = app.ws_session(None).await;
        let id = socket
            .start(&format!(
                "subscription {{ __typename @include(if: {list}) }}"
            ))
            .await;
        let reply = socket.next_message().await;
        assert_eq!(reply["id"], id.as_str());
        let errors = if reply["type"] == "error" {
            reply["payload"].clone()
        } else {
            reply["payload"]["errors"].clone()
        };
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "depth {depth}: {reply}"
        );
    }
    let (status, _) = app.rest_get_raw("/healthz").await;
    assert_eq!(status, 200, "still alive");
    let token = app.login("john.doe", "EMP123").await;
    let me = app.graphql(&token, "{ me { username } }", json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "john.doe");
    app.stop().await;
}

async fn updated_at(app: &App, token: &str, number: &str) -> String {
    let seen = app
        .graphql(
            token,
            "query($n: String!) { ticket(number: $n) { updatedAt } }",
            json!({ "n": number }),
        )
        .await;
    seen["data"]["ticket"]["updatedAt"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn user_id(app: &App, token: &str) -> String {
    let me = app.graphql(token, "{ me { id } }", json!({})).await;
    me["data"]["me"]["id"].as_str().unwrap().to_owned()
}

async fn create_user(
    app: &App,
    admin: &str,
    username: &str,
    employee_id: &str,
    role: &str,
) -> String {
    let created = app
        .graphql(
            admin,
            "mutation($u: String!, $e: String!, $r: Role!) { createUser(input: { username: $u, employeeId: $e, displayName: $u, email: \"someone@example.com\", phone: \"+15005550006\", role: $r }) { id } }",
            json!({ "u": username, "e": employee_id, "r": role }),
        )
        .await;
    created["data"]["createUser"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createUser: {created}"))
        .to_owned()
}

/// A socket opened before a deactivation, a demotion or an expiry runs each
/// later query and mutation as a fresh HTTP request would, at that moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_on_an_open_websocket_is_authorized_now() {
    let app = App::spawn_with(Backend::Sqlite, &[("ITOSM_AUTH__TOKEN_SECRET", SECRET)]).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    create_user(&app, &admin, "req.ws", "EMP-RW1", "REQUESTER").await;
    let requester = app.login("req.ws", "EMP-RW1").await;
    let requester_id = user_id(&app, &requester).await;
    let mut socket = app.ws_session(Some(&requester)).await;
    let create = "mutation { createTicket(input: { requestType: INCIDENT, description: \"over the socket\" }) { number } }";
    let created = socket.execute(create, json!({})).await;
    let number = created["data"]["createTicket"]["number"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    app.graphql(
        &admin,
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        json!({ "id": requester_id }),
    )
    .await;
    let refused = socket.execute(create, json!({})).await;
    assert_eq!(code(&refused), "UNAUTHENTICATED", "{refused}");
    let comment = socket
        .execute(
            "mutation($n: String!) { addComment(number: $n, body: \"still here\") { id } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(code(&comment), "UNAUTHENTICATED", "{comment}");
    let mine = socket
        .execute("{ tickets { edges { node { number } } } }", json!({}))
        .await;
    assert_eq!(code(&mine), "UNAUTHENTICATED", "{mine}");

    // A demoted admin on his open socket: no user list, no new admin.
    let boss_id = create_user(&app, &admin, "boss.ws", "EMP-BW1", "ADMIN").await;
    let boss = app.login("boss.ws", "EMP-BW1").await;
    let mut boss_socket = app.ws_session(Some(&boss)).await;
    let users = "{ users { edges { node { username email phone } } } }";
    let listed = boss_socket.execute(users, json!({})).await;
    assert_eq!(code(&listed), "", "an admin lists users: {listed}");
    app.graphql(
        &admin,
        "mutation($id: ID!) { changeUserRole(id: $id, role: REQUESTER) { role } }",
        json!({ "id": boss_id }),
    )
    .await;
    let listed = boss_socket.execute(users, json!({})).await;
    assert_eq!(code(&listed), "UNAUTHENTICATED", "{listed}");
    assert!(!listed.to_string().contains("someone@example.com"));
    let new_admin = boss_socket
        .execute(
            "mutation { createUser(input: { username: \"evil.ws\", employeeId: \"E-EVIL\", displayName: \"Evil\", role: ADMIN }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&new_admin), "UNAUTHENTICATED", "{new_admin}");
    // Logged in again as what he is now: a requester, refused as one.
    let demoted = app.login("boss.ws", "EMP-BW1").await;
    let mut demoted_socket = app.ws_session(Some(&demoted)).await;
    let listed = demoted_socket.execute(users, json!({})).await;
    assert_eq!(code(&listed), "FORBIDDEN", "{listed}");

    // A token that expires while its socket is open stops working there.
    let john = app.login("john.doe", "EMP123").await;
    let john_id: i64 = user_id(&app, &john).await.parse().unwrap();
    let signer = itosm_core::token::TokenSigner::new(
        SECRET.as_bytes().to_vec(),
        chrono::Duration::hours(12),
    )
    .expect("signer");
    let (short_lived, _) = signer.issue(
        itosm_core::UserId(john_id),
        itosm_core::Role::Requester,
        0,
        chrono::Utc::now() - chrono::Duration::hours(12) + chrono::Duration::seconds(3),
    );
    let mut expiring = app.ws_session(Some(&short_lived)).await;
    let before = expiring.execute("{ me { username } }", json!({})).await;
    assert_eq!(before["data"]["me"]["username"], "john.doe", "{before}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = expiring.execute("{ me { username } }", json!({})).await;
    assert_eq!(code(&after), "UNAUTHENTICATED", "{after}");
    app.stop().await;
}

/// Deactivation, a role change and "log out everywhere" end every earlier
/// token for good, also after a reactivation; a fresh login works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_stay_ended() {
    let app = App::spawn(Backend::Postgres).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let me = "{ me { username } }";
    let works = |response: &Value| response["data"]["me"]["username"].is_string();

    let id = create_user(&app, &admin, "temp.worker", "EMP-TW1", "AGENT").await;
    let before = app.login("temp.worker", "EMP-TW1").await;
    for mutation in [
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        "mutation($id: ID!) { reactivateUser(id: $id) { active } }",
    ] {
        let done = app.graphql(&admin, mutation, json!({ "id": id })).await;
        assert_eq!(code(&done), "", "{done}");
    }
    let old = app.graphql(&before, me, json!({})).await;
    assert_eq!(code(&old), "UNAUTHENTICATED", "reactivation revived {old}");
    assert_eq!(
        app.ws_execute(Some(&before), me, json!({})).await["refusedAtInit"],
        true
    );
    let (status, _) = app.rest_get(&before, "/api/tickets").await;
    assert_eq!(status, 401);
    let after = app.login("temp.worker", "EMP-TW1").await;
    assert!(works(&app.graphql(&after, me, json!({})).await));

    // A role change ends the old role's tokens.
    app.graphql(
        &admin,
        "mutation($id: ID!) { changeUserRole(id: $id, role: REQUESTER) { role } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        code(&app.graphql(&after, me, json!({})).await),
        "UNAUTHENTICATED"
    );

    // "Log out everywhere" ends every device's token, including the caller's.
    let laptop = app.login("john.doe", "EMP123").await;
    let phone = app.login("john.doe", "EMP123").await;
    let out = app
        .graphql(&laptop, "mutation { logoutEverywhere }", json!({}))
        .await;
    assert_eq!(out["data"]["logoutEverywhere"], true, "{out}");
    for token in [&laptop, &phone] {
        assert_eq!(
            code(&app.graphql(token, me, json!({})).await),
            "UNAUTHENTICATED"
        );
    }
    let again = app.login("john.doe", "EMP123").await;
    assert!(works(&app.graphql(&again, me, json!({})).await));
    let anonymous = app
        .graphql_with(None, "mutation { logoutEverywhere }", json!({}))
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    app.stop().await;
}

/// A request's cost is what it can fetch; sockets, subscriptions, tickets
/// and comments are bounded per caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_cannot_take_everything() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_GRAPHQL__MAX_OPERATIONS_PER_CONNECTION", "5"),
            ("ITOSM_GRAPHQL__MAX_CONNECTIONS_PER_USER", "3"),
            ("ITOSM_TICKETS__MAX_CREATED_PER_MINUTE", "4"),
            ("ITOSM_TICKETS__MAX_COMMENTS_PER_MINUTE", "3"),
        ],
    )
    .await;
    let john = app.login("john.doe", "EMP123").await;
    // Aliased pages of tickets with their history and comments: refused as
    // too costly before anything is fetched.
    let aliases: String = (0..285)
        .map(|i| format!("t{i}: tickets(first: 100) {{ edges {{ node {{ history {{ id }} comments {{ id }} }} }} }} "))
        .collect();
    let heavy = app
        .graphql(&john, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(code(&heavy), "BAD_USER_INPUT", "{heavy}");
    assert!(heavy["data"].is_null(), "nothing was resolved");
    let one_page = app
        .graphql(
            &john,
            "{ tickets(first: 100) { edges { node { history { id } comments { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        code(&one_page),
        "BAD_USER_INPUT",
        "100 tickets with their lists: {one_page}"
    );
    let ordinary = app
        .graphql(
            &john,
            "{ tickets(first: 20) { edges { node { number history { status } comments { body } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        code(&ordinary),
        "",
        "a page of 20 with its lists is fine: {ordinary}"
    );

    // Operations per connection, then connections per user.
    let mut socket = app.ws_session(Some(&john)).await;
    let mut refused = 0;
    for _ in 0..8 {
        socket
            .start("subscription { ticketUpdated { number } }")
            .await;
    }
    while refused < 3 {
        let reply = socket.next_message().await;
        let errors = match reply["type"].as_str() {
            Some("error") => reply["payload"].clone(),
            Some("next") if reply["payload"]["errors"].is_array() => {
                reply["payload"]["errors"].clone()
            }
            _ => continue,
        };
        assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{reply}");
        refused += 1;
    }
    assert!(
        socket
            .next_or_close_within(Duration::from_millis(500))
            .await
            .is_none(),
        "the five open subscriptions stay open and quiet"
    );
    assert_eq!(refused, 3, "5 of 8 subscriptions open on one socket");
    let _second = app.ws_session(Some(&john)).await;
    let _third = app.ws_session(Some(&john)).await;
    let fourth = app.try_ws_session(Some(&john)).await;
    assert!(
        fourth
            .as_ref()
            .err()
            .is_some_and(|reason| reason.contains("too many open connections")),
        "a fourth connection is refused"
    );
    drop(_third);
    let mut reopened = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(session) = app.try_ws_session(Some(&john)).await {
            reopened = Some(session);
            break;
        }
    }
    assert!(
        reopened.is_some(),
        "a closed connection gives its slot back"
    );
    // New tickets per minute, then comments per minute.
    let mut numbers = Vec::new();
    for i in 0..4 {
        numbers.push(app.create_ticket(&john, &format!("ticket {i}")).await);
    }
    let fifth = app
        .graphql(
            &john,
            "mutation { createTicket(input: { requestType: INCIDENT, description: \"one too many\" }) { number } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&fifth), "RATE_LIMITED", "{fifth}");
    assert!(
        fifth["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let (status, _) = app
        .rest_post(
            Some(&john),
            "/api/tickets",
            json!({ "requestType": "INCIDENT", "description": "via REST" }),
        )
        .await;
    assert_eq!(status, 429, "the REST route shares the budget");
    let jane = app.login("jane.smith", "EMP124").await;
    app.create_ticket(&jane, "Jane has her own budget").await;
    let comment = "mutation($n: String!) { addComment(number: $n, body: \"more\") { id } }";
    for _ in 0..3 {
        let added = app
            .graphql(&john, comment, json!({ "n": numbers[0] }))
            .await;
        assert_eq!(code(&added), "", "{added}");
    }
    let fourth = app
        .graphql(&john, comment, json!({ "n": numbers[0] }))
        .await;
    assert_eq!(code(&fourth), "RATE_LIMITED", "{fourth}");

    let other = app.ws_session(Some(&jane)).await;
    drop(other);
    app.stop().await;
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The embedded database holds the token secret: it and its side files are
/// private, a loose one is tightened, and a loose secret file is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_secrets_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let app = App::spawn_in(dir, Backend::Sqlite, &[]).await;
    let john = app.login("john.doe", "EMP123").await;
    app.create_ticket(&john, "written to the WAL").await;
    for file in ["itosm.db", "itosm.db-wal", "itosm.db-shm", "itosm.db.lock"] {
        assert_eq!(mode(&path.join(file)), 0o600, "{file}");
    }
    let dir = app.stop_keeping_dir().await;
    for file in ["itosm.db", "itosm.db-wal", "itosm.db-shm"] {
        let file = dir.path().join(file);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let app = App::spawn_in(dir, Backend::Sqlite, &[("ITOSM_LOG__LEVEL", "warn")]).await;
    assert_eq!(mode(&path.join("itosm.db")), 0o600, "tightened at start");
    assert!(
        app.log().contains("readable by other users"),
        "{}",
        app.log()
    );
    app.stop().await;

    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("token_secret");
    std::fs::write(&secret, SECRET).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let check = |extra: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
            .arg("check-config")
            .current_dir(secret_dir.path())
            .env("ITOSM_AUTH__TOKEN_SECRET_FILE", extra)
            .output()
            .expect("itosm runs")
    };
    let loose = check(secret.to_str().unwrap());
    assert!(!loose.status.success());
    let stderr = String::from_utf8_lossy(&loose.stderr);
    assert!(
        stderr.contains("auth.token_secret_file") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let private = check(secret.to_str().unwrap());
    assert!(private.status.success(), "{private:?}");
    // And the daemon signs with it: a token it issued verifies under it.
    let app = App::spawn_with(
        Backend::Sqlite,
        &[("ITOSM_AUTH__TOKEN_SECRET_FILE", secret.to_str().unwrap())],
    )
    .await;
    let token = app.login("john.doe", "EMP123").await;
    let signer =
        itosm_core::token::TokenSigner::new(SECRET.as_bytes().to_vec(), chrono::Duration::hours(1))
            .expect("signer");
    assert!(signer.verify(&token, chrono::Utc::now()).is_ok());
    app.stop().await;
}

/// Smaller findings: a NUL byte in a number, an internal note's trace, the
/// browser-facing headers, GraphiQL without a CDN, and one plain email.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smaller_findings_stay_fixed() {
    let app = App::spawn(Backend::Postgres).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&john, "NUL probe").await;

    for probe in ["INC-2026-0001\u{0}", "\u{0}", "INC\u{0}' OR 1=1 --"] {
        let found = app
            .graphql(
                &admin,
                "query($n: String!) { ticket(number: $n) { number } }",
                json!({ "n": probe }),
            )
            .await;
        assert_eq!(code(&found), "", "{found}");
        assert!(found["data"]["ticket"].is_null());
        let changed = app
            .graphql(
                &admin,
                "mutation($n: String!) { changeStatus(number: $n, status: IN_PROGRESS, version: 1) { number } }",
                json!({ "n": probe }),
            )
            .await;
        assert_eq!(code(&changed), "NOT_FOUND", "{changed}");
        let filtered = app
            .graphql(
                &admin,
                "query($n: String!) { tickets(filter: { number: $n }) { edges { node { number } } } }",
                json!({ "n": probe }),
            )
            .await;
        assert_eq!(code(&filtered), "BAD_USER_INPUT", "{filtered}");
    }
    let (status, body) = app.rest_get(&john, "/api/tickets/INC-2026-0001%00").await;
    assert_eq!(status, 404, "{body}");

    // An internal note leaves the requester's updatedAt alone; a public
    // comment moves it.
    let before = updated_at(&app, &john, &number).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let note = "mutation($n: String!, $i: Boolean) { addComment(number: $n, body: \"staff only\", internal: $i) { id } }";
    app.graphql(&admin, note, json!({ "n": number, "i": true }))
        .await;
    assert_eq!(updated_at(&app, &john, &number).await, before);
    app.graphql(&admin, note, json!({ "n": number, "i": false }))
        .await;
    assert_ne!(updated_at(&app, &john, &number).await, before);

    // Headers on the portal, GraphiQL, its assets and the API.
    let http = reqwest::Client::new();
    for path in [
        "/",
        "/graphql",
        "/graphql/assets/graphiql.min.js",
        "/api/tickets",
        "/healthz",
    ] {
        let response = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
    }
    for login in [
        http.post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "mutation { login(username: \"john.doe\", employeeId: \"EMP123\") { token } }" })),
        http.post(format!("{}/api/auth/validate", app.base))
            .json(&json!({ "username": "john.doe", "employeeId": "EMP123" })),
    ] {
        let response = login.send().await.unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(response.text().await.unwrap().contains("token"));
    }
    // GraphiQL loads nothing from elsewhere, and every asset it names is served.
    let page = http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("unpkg"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "no inline script: {page}");
    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|piece| piece.starts_with("/graphql/assets/"))
        .collect();
    assert!(assets.len() >= 5, "{assets:?}");
    for asset in assets {
        let response = http
            .get(format!("{}{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
    }

    // One plain address, nothing a mail library could read otherwise.
    for email in [
        "x<attacker@evil.example>",
        "Jane <jane@example.com>",
        "a@b.c, evil@evil.example",
    ] {
        let created = app
            .graphql(
                &admin,
                "mutation($e: String) { createUser(input: { username: \"mail.probe\", employeeId: \"E-MP\", displayName: \"M\", email: $e, role: REQUESTER }) { id } }",
                json!({ "e": email }),
            )
            .await;
        assert_eq!(code(&created), "BAD_USER_INPUT", "{email}: {created}");
        assert_eq!(created["errors"][0]["extensions"]["field"], "email");
    }
    app.stop().await;
}

/// While the database is down every request fails fast with UNAVAILABLE, a
/// valid token is not UNAUTHENTICATED, logins do not count toward the
/// lockout, readiness answers at once; afterwards all is well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_not_the_users_fault() {
    let db = itosm_testkit::TestDatabase::create().await;
    let (proxy, url) = ChaosProxy::for_url(&db.url).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(
        dir,
        url,
        None,
        &["serve"],
        &[("ITOSM_LOG__LEVEL", "info")],
        true,
    )
    .await;
    let john = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&john, "before the outage").await;
    proxy.set(ProxyMode::Down);

    for attempt in 0..8 {
        let started = Instant::now();
        let login = app
            .graphql_with(
                None,
                "mutation { login(username: \"john.doe\", employeeId: \"EMP123\") { token } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&login), "UNAVAILABLE", "attempt {attempt}: {login}");
        eprintln!(
            "login during the outage answered in {:?}",
            started.elapsed()
        );
    }
    let (status, body) = app
        .rest_post(
            None,
            "/api/auth/validate",
            json!({ "username": "john.doe", "employeeId": "EMP123" }),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    let with_token = app
        .graphql(
            &john,
            "query($n: String!) { ticket(number: $n) { number } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(code(&with_token), "UNAVAILABLE", "{with_token}");
    let (status, _) = app.rest_get(&john, "/api/tickets").await;
    assert_eq!(status, 503, "REST answers 503, not 401");
    let started = Instant::now();
    let (status, body) = app.rest_get_raw("/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("\"database\":\"unavailable\""), "{body}");
    eprintln!(
        "/readyz during the outage answered in {:?}",
        started.elapsed()
    );
    // One failed request is one log line, however many resolvers failed.
    let aliases: String = (0..30)
        .map(|i| format!("t{i}: softwareCatalog {{ id }} "))
        .collect();
    let marker = app.log().matches("request failed").count();
    let failed = app
        .graphql(&john, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(code(&failed), "UNAVAILABLE");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.log().matches("request failed").count() == marker && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        app.log().matches("request failed").count() - marker <= 1,
        "{}",
        app.log()
    );

    proxy.set(ProxyMode::Forward);
    let mut back = Value::Null;
    for _ in 0..50 {
        back = app
            .graphql_with(
                None,
                "mutation { login(username: \"john.doe\", employeeId: \"EMP123\") { token } }",
                json!({}),
            )
            .await;
        if code(&back) != "UNAVAILABLE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        back["data"]["login"]["token"].is_string(),
        "not locked out: {back}"
    );
    let (status, _) = app.rest_get_raw("/readyz").await;
    assert_eq!(status, 200);
    let still = app
        .graphql(
            &john,
            "query($n: String!) { ticket(number: $n) { number } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(still["data"]["ticket"]["number"], number.as_str());
    app.stop().await;
    drop(db);
}

/// One daemon per SQLite file; `itosm backup` copies what is still in the
/// WAL; commands say which database they use and create none by accident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let url = format!("sqlite://{}?mode=rwc", path.join("itosm.db").display());
    let app = App::spawn_in(dir, Backend::Sqlite, &[]).await;
    let john = app.login("john.doe", "EMP123").await;
    let mut numbers = Vec::new();
    for i in 0..31 {
        numbers.push(app.create_ticket(&john, &format!("backup me {i}")).await);
    }

    // A second daemon on the same file is refused, naming it.
    let mut second = App::launch(
        tempfile::tempdir().unwrap(),
        url.clone(),
        None,
        &["serve"],
        &[],
        false,
    )
    .await;
    let status = second
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("the second daemon exits");
    assert!(!status.success());
    let said = second.log();
    assert!(
        said.contains("in use by another itosm daemon") && said.contains("itosm.db"),
        "{said}"
    );

    // A consistent online copy, while the daemon runs.
    let backup = path.join("backup.db");
    let out = itosm(
        &path,
        &["backup", backup.to_str().unwrap()],
        &[("ITOSM_DATABASE__URL", &url)],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("itosm.db"),
        "names its database"
    );
    assert_eq!(mode(&backup), 0o600);
    let copy = itosm_core::store::sea::SeaStore::connect(itosm_core::store::sea::SeaStoreOptions {
        create_if_missing: false,
        ..itosm_core::store::sea::SeaStoreOptions::new(format!("sqlite://{}", backup.display()))
    })
    .await
    .expect("the backup opens");
    for number in &numbers {
        let found = itosm_core::store::TicketStore::get_ticket(&copy, number)
            .await
            .unwrap();
        assert!(found.is_some(), "{number} is in the backup");
    }
    let again = itosm(
        &path,
        &["backup", backup.to_str().unwrap()],
        &[("ITOSM_DATABASE__URL", &url)],
    );
    assert!(!again.status.success(), "a backup never overwrites");
    app.stop().await;

    // Commands run in the wrong place refuse to invent a database.
    let empty = tempfile::tempdir().unwrap();
    for args in [&["user", "list"][..], &["backup", "x.db"][..]] {
        let out = itosm(empty.path(), args, &[]);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("does not exist") && stderr.contains("itosm.db"),
            "{stderr}"
        );
        assert!(
            !empty.path().join("itosm.db").exists(),
            "{args:?} created a database"
        );
    }
    let out = itosm(empty.path(), &["migrate"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("itosm.db"));
    assert_eq!(mode(&empty.path().join("itosm.db")), 0o600);
    let out = itosm(empty.path(), &["user", "list"], &[]);
    assert!(out.status.success(), "after migrate: {out:?}");
}

/// Logs an operator can use: one access line per request with its caller,
/// failed logins without the employee ID, a startup summary, no colour codes
/// into a file, a bad level refused, a misspelt variable named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_an_operator_can_use() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_LOG__LEVEL", "info"),
            ("ITOSM_DATABSE__URL", "sqlite://typo.db"),
        ],
    )
    .await;
    let john = app.login("john.doe", "EMP123").await;
    app.graphql(&john, "{ me { username } }", json!({})).await;
    app.rest_get(&john, "/api/tickets").await;
    app.graphql_with(
        None,
        "mutation { login(username: \"jane.smith\", employeeId: \"WRONG-ID-77\") { token } }",
        json!({}),
    )
    .await;
    // The failed login is the last request: once its line is in, so are
    // the access lines of the requests before it.
    let logs = app.wait_for_log("login failed", 10).await;
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes when not a terminal"
    );
    assert!(
        logs.contains("itosm starting") && logs.contains("version"),
        "{logs}"
    );
    assert!(logs.contains("demo data is on"), "{logs}");
    assert!(
        logs.contains("ITOSM_DATABSE__URL") && logs.contains("ITOSM_DATABASE"),
        "{logs}"
    );
    let access: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("itosm::access"))
        .collect();
    assert!(
        access.iter().any(|l| l.contains("route=/graphql")
            && l.contains("status=200")
            && l.contains("caller=john.doe")
            && l.contains("latency_ms")),
        "{access:?}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("route=/api/tickets") && l.contains("GET")),
        "{access:?}"
    );
    assert!(
        logs.contains("login failed") && logs.contains("jane.smith"),
        "{logs}"
    );
    assert!(
        !logs.contains("WRONG-ID-77"),
        "the employee ID is never logged"
    );
    app.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let out = itosm(
        dir.path(),
        &["check-config"],
        &[("ITOSM_LOG__LEVEL", "loud!!")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("log.level"));
    let out = itosm(dir.path(), &["check-config"], &[("ITOSM_HTTPP__ADDR", "x")]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ITOSM_HTTPP__ADDR") && stderr.contains("ITOSM_HTTP"),
        "{stderr}"
    );
}
