//! Cases drawn from the security advisories of established help desks, each
//! a test against the real binary: what went wrong there must not here.
//!
//! The browser half of the stored-HTML case (osTicket CVE-2019-14750) is in
//! `frontend/e2e/journey.mjs`, which runs the portal in Chromium.

use std::time::Duration;

use crate::support::{App, Backend, error_code as code};
use serde_json::{Value, json};

async fn ticket_count(app: &App, admin: &str) -> usize {
    let listed = app
        .graphql(
            admin,
            "{ tickets(first: 100) { edges { node { number } } } }",
            json!({}),
        )
        .await;
    listed["data"]["tickets"]["edges"].as_array().unwrap().len()
}

async fn add_agent(app: &App, admin: &str, username: &str, employee_id: &str) -> String {
    let created = app
        .graphql(
            admin,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "username": username, "employeeId": employee_id, "displayName": username,
                           "email": format!("{username}@example.com"), "phone": "+15005550006", "role": "AGENT" } }),
        )
        .await;
    created["data"]["createUser"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createUser failed: {created}"))
        .to_owned()
}

/// Zammad CVE-2022-40816: the WebSocket path must enforce exactly what HTTP
/// does — the same answers for the same operations, and a token that stops
/// working (deactivation, role change) stops a live subscription too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_enforces_exactly_what_http_does() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let janes = app.create_ticket(&jane, "Jane's laptop").await;
    let johns = app.create_ticket(&john, "John's laptop").await;
    let operations = [
        ("{ users { edges { node { username email } } } }".to_owned(), json!({})),
        ("{ assignableAgents { username } }".to_owned(), json!({})),
        (
            "query($n: String!) { ticket(number: $n) { number description } }".to_owned(),
            json!({ "n": janes }),
        ),
        (
            "query($n: String!) { ticket(number: $n) { notifications { sink } } }".to_owned(),
            json!({ "n": johns }),
        ),
        (
            "mutation($n: String!) { changeStatus(number: $n, status: RESOLVED, version: 1) { status } }".to_owned(),
            json!({ "n": johns }),
        ),
        (
            "mutation($n: String!) { changeStatus(number: $n, status: CANCELLED, version: 1) { status } }".to_owned(),
            json!({ "n": janes }),
        ),
        (
            "mutation($n: String!) { addComment(number: $n, body: \"x\", internal: true) { id } }".to_owned(),
            json!({ "n": johns }),
        ),
        (
            "mutation { createUser(input: { username: \"evil\", employeeId: \"E1\", displayName: \"Evil\", role: ADMIN }) { id } }".to_owned(),
            json!({}),
        ),
    ];
    for (query, variables) in &operations {
        let over_http = app.graphql(&john, query, variables.clone()).await;
        let over_ws = app.ws_execute(Some(&john), query, variables.clone()).await;
        assert_eq!(
            (code(&over_http), &over_http["data"]),
            (code(&over_ws), &over_ws["data"]),
            "{query}\nHTTP: {over_http}\nWebSocket: {over_ws}"
        );
        let hidden = over_http["data"]
            .as_object()
            .is_some_and(|data| data.values().all(Value::is_null));
        assert!(
            !code(&over_http).is_empty() || hidden,
            "refused: {query}: {over_http}"
        );
    }

    // An agent's open feed ends when he is deactivated: the next event
    // brings UNAUTHENTICATED, exactly what HTTP now answers his token.
    let agent_id = add_agent(&app, &admin, "agent.ws", "EMP-WS1").await;
    let agent = app.login("agent.ws", "EMP-WS1").await;
    let mut feed = app
        .subscribe(&agent, "subscription { ticketUpdated { number } }")
        .await;
    let comment = "mutation($n: String!) { addComment(number: $n, body: \"ping\") { id } }";
    app.graphql(&admin, comment, json!({ "n": johns })).await;
    assert_eq!(
        feed.next_payload().await["data"]["ticketUpdated"]["number"],
        johns.as_str()
    );
    let deactivated = app
        .graphql(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": agent_id }),
        )
        .await;
    assert_eq!(deactivated["data"]["deactivateUser"]["active"], false);
    app.graphql(&admin, comment, json!({ "n": johns })).await;
    assert_eq!(feed.next_error_code().await, "UNAUTHENTICATED");
    assert!(feed.ends().await, "the subscription ends");
    let refused = app.graphql(&agent, "{ me { username } }", json!({})).await;
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    assert_eq!(
        app.ws_execute(Some(&agent), "{ me { username } }", json!({}))
            .await["refusedAtInit"],
        true
    );

    // A demoted admin's all-tickets feed ends at the next event too.
    let boss_id = {
        let created = app
            .graphql(
                &admin,
                "mutation { createUser(input: { username: \"boss.two\", employeeId: \"EMP-B2\", displayName: \"Boss\", role: ADMIN }) { id } }",
                json!({}),
            )
            .await;
        created["data"]["createUser"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let boss = app.login("boss.two", "EMP-B2").await;
    let mut boss_feed = app
        .subscribe(&boss, "subscription { ticketCreated { number } }")
        .await;
    app.graphql(
        &admin,
        "mutation($id: ID!) { changeUserRole(id: $id, role: REQUESTER) { role } }",
        json!({ "id": boss_id }),
    )
    .await;
    app.create_ticket(&jane, "After the demotion").await;
    assert_eq!(boss_feed.next_error_code().await, "UNAUTHENTICATED");
    app.stop().await;
}

/// Zammad CVE-2026-34722: creating or updating a ticket must ignore or
/// refuse every field the caller may not set — requester, status,
/// assignee, number, nested objects — and change nothing when refusing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_update_refuse_fields_the_caller_may_not_set() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let before = ticket_count(&app, &admin).await;
    for extra in [
        "requester: \"admin.user\"",
        "requesterId: 3",
        "userId: 3",
        "status: CLOSED",
        "assigneeId: 3",
        "number: \"INC-2026-9999\"",
        "ticketId: \"INC-2026-9999\"",
        "priority: CRITICAL",
        "version: 7",
        "software: { id: 1, name: \"Pirated\" }",
        "requester: { id: 3, role: ADMIN }",
    ] {
        let query = format!(
            "mutation {{ createTicket(input: {{ requestType: OTHER, description: \"x\", {extra} }}) {{ number }} }}"
        );
        let refused = app.graphql(&john, &query, json!({})).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{extra}: {refused}");
        assert!(refused["data"].is_null() || refused["data"]["createTicket"].is_null());
    }
    // The same fields smuggled in through variables are refused too.
    let smuggled = app
        .graphql(
            &john,
            "mutation($i: CreateTicketInput!) { createTicket(input: $i) { number } }",
            json!({ "i": { "requestType": "OTHER", "description": "x", "status": "CLOSED",
                           "requesterId": "3", "assigneeId": "3", "number": "INC-2026-9999" } }),
        )
        .await;
    assert_eq!(code(&smuggled), "BAD_USER_INPUT", "{smuggled}");
    // The seed's REST route refuses unknown fields as well.
    let token = john.clone();
    for extra in [
        json!({ "userId": 3 }),
        json!({ "status": "CLOSED" }),
        json!({ "ticketId": "INC-2026-9999" }),
        json!({ "assignee": "admin.user" }),
        json!({ "requester": { "id": 3 } }),
    ] {
        let mut body = json!({ "requestType": "OTHER", "description": "x" });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, answer) = app.rest_post(Some(&token), "/api/tickets", body).await;
        assert_eq!(status, 400, "{extra}: {answer}");
        assert_eq!(answer["error"]["code"], "BAD_USER_INPUT");
    }
    assert_eq!(
        ticket_count(&app, &admin).await,
        before,
        "nothing was created"
    );

    // What is created is the caller's, in START, unassigned, numbered by us.
    let created = app
        .graphql(
            &john,
            "mutation { createTicket(input: { requestType: OTHER, description: \"mine\" }) { number status requester { username } assignee { username } priority version } }",
            json!({}),
        )
        .await;
    let ticket = &created["data"]["createTicket"];
    assert_eq!(ticket["status"], "START");
    assert_eq!(ticket["requester"]["username"], "john.doe");
    assert!(ticket["assignee"].is_null());
    assert_eq!(ticket["priority"], "MEDIUM");
    assert_eq!(ticket["version"], 1);
    let number = ticket["number"].as_str().unwrap();

    // Updates take no extra fields either, and change nothing when refused.
    for (query, variables) in [
        (
            "mutation($n: String!) { changeStatus(number: $n, status: CANCELLED, version: 1, assigneeId: 3) { status } }",
            json!({ "n": number }),
        ),
        (
            "mutation($n: String!) { addComment(number: $n, body: \"x\", authorId: 3) { id } }",
            json!({ "n": number }),
        ),
        (
            "mutation($n: String!) { assignTicket(number: $n, assigneeId: 3, version: 1, status: CLOSED) { version } }",
            json!({ "n": number }),
        ),
        (
            "mutation { createUser(input: { username: \"x1\", employeeId: \"E1\", displayName: \"X\", role: AGENT, active: false, id: 1 }) { id } }",
            json!({}),
        ),
        (
            "mutation { login(username: \"john.doe\", employeeId: \"EMP123\", role: ADMIN) { token } }",
            json!({}),
        ),
    ] {
        let refused = app.graphql(&admin, query, variables).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{query}: {refused}");
    }
    // A requester may not set a status only staff may set, nor a priority.
    for query in [
        "mutation($n: String!) { changeStatus(number: $n, status: IN_PROGRESS, version: 1) { status } }",
        "mutation($n: String!) { changePriority(number: $n, priority: CRITICAL, version: 1) { priority } }",
        "mutation($n: String!) { assignTicket(number: $n, assigneeId: 3, version: 1) { version } }",
    ] {
        let refused = app.graphql(&john, query, json!({ "n": number })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{query}: {refused}");
    }
    let unchanged = app
        .graphql(
            &admin,
            "query($n: String!) { ticket(number: $n) { status version assignee { id } comments { id } history { id } } }",
            json!({ "n": number }),
        )
        .await;
    let ticket = &unchanged["data"]["ticket"];
    assert_eq!(
        (
            ticket["status"].as_str(),
            ticket["version"].as_i64(),
            ticket["comments"].as_array().map(Vec::len),
            ticket["history"].as_array().map(Vec::len)
        ),
        (Some("START"), Some(1), Some(0), Some(1)),
        "{unchanged}"
    );
    assert!(ticket["assignee"].is_null());
    app.stop().await;
}

async fn login_code(app: &App, username: &str, employee_id: &str) -> String {
    let answer = app
        .graphql_with(
            None,
            "mutation($u: String!, $e: String!) { login(username: $u, employeeId: $e) { token } }",
            json!({ "u": username, "e": employee_id }),
        )
        .await;
    if answer["errors"].is_null() {
        "ok".to_owned()
    } else {
        code(&answer).to_owned()
    }
}

/// Zammad CVE-2022-35490: login attempts are limited per user and per
/// address, and racing 50 parallel wrong logins gets no more checks than
/// the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_attempts_are_limited_even_when_raced() {
    let app = std::sync::Arc::new(App::spawn(Backend::Sqlite).await);
    let racers: Vec<_> = (0..50)
        .map(|i| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move { login_code(&app, "john.doe", &format!("WRONG{i}")).await })
        })
        .collect();
    let mut outcomes = std::collections::HashMap::new();
    for racer in racers {
        *outcomes.entry(racer.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(
        outcomes.get("UNAUTHENTICATED"),
        Some(&5),
        "exactly the per-user budget of 5 was checked: {outcomes:?}"
    );
    assert_eq!(outcomes.get("RATE_LIMITED"), Some(&45), "{outcomes:?}");
    // Locked: even the right employee ID is not checked now, on any surface.
    assert_eq!(login_code(&app, "john.doe", "EMP123").await, "RATE_LIMITED");
    let (status, body) = app
        .rest_post(
            None,
            "/api/auth/validate",
            json!({ "username": "john.doe", "employeeId": "EMP123" }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("RATE_LIMITED"))
    );
    let over_ws = app
        .ws_execute(
            None,
            "mutation { login(username: \"john.doe\", employeeId: \"EMP123\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&over_ws), "RATE_LIMITED", "{over_ws}");
    let retry = over_ws["errors"][0]["message"].as_str().unwrap_or("");
    assert!(retry.contains("try again in"), "{retry}");
    let seconds = over_ws["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap_or(0);
    assert!((1..=900).contains(&seconds), "{over_ws}");
    let limited = reqwest::Client::new()
        .post(format!("{}/api/auth/validate", app.base))
        .json(&json!({ "username": "john.doe", "employeeId": "EMP123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let header: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&header), "Retry-After: {header}");

    // Other users still log in from this address; successes cost nothing.
    for _ in 0..10 {
        assert_eq!(login_code(&app, "jane.smith", "EMP124").await, "ok");
    }
    // The address has spent 5 failures; 15 more (spread over many
    // usernames, 3 each, and with forged X-Forwarded-For headers, which an
    // untrusting daemon ignores) exhaust its budget of 20.
    let client = reqwest::Client::new();
    for i in 0..15 {
        let answer: Value = client
            .post(format!("{}/graphql", app.base))
            .header("x-forwarded-for", format!("10.9.{i}.1"))
            .json(&json!({ "query": format!("mutation {{ login(username: \"spray{}\", employeeId: \"X\") {{ token }} }}", i / 3) }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(code(&answer), "UNAUTHENTICATED", "{answer}");
    }
    assert_eq!(
        login_code(&app, "jane.smith", "EMP124").await,
        "RATE_LIMITED"
    );
}

/// Behind a trusted proxy the address is the one the proxy saw (the last
/// X-Forwarded-For entry), so one client's spraying does not lock out the
/// others behind the same proxy, and a forged leading entry changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_HTTP__TRUST_FORWARDED_FOR", "true"),
            ("ITOSM_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS", "3"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let login = |forwarded: &'static str, username: String| {
        let client = client.clone();
        let url = format!("{}/graphql", app.base);
        async move {
            let answer: Value = client
                .post(url)
                .header("x-forwarded-for", forwarded)
                .json(&json!({ "query": format!("mutation {{ login(username: \"{username}\", employeeId: \"X\") {{ token }} }}") }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            code(&answer).to_owned()
        }
    };
    for i in 0..3 {
        // The client forges a first entry; the proxy appends the real one.
        assert_eq!(
            login("1.2.3.4, 10.0.0.1", format!("a{i}")).await,
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(
        login("5.6.7.8, 10.0.0.1", "a9".into()).await,
        "RATE_LIMITED"
    );
    assert_eq!(login("10.0.0.2", "b1".into()).await, "UNAUTHENTICATED");
    app.stop().await;
}

/// osTicket CVE-2021-45811: ticket search with SQL metacharacters is just
/// text, on PostgreSQL as on SQLite, and a requester's search never leaves
/// his own tickets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_search_treats_sql_metacharacters_as_text() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let app = App::spawn(backend).await;
        let admin = app.login("admin.user", "ADMIN01").await;
        let john = app.login("john.doe", "EMP123").await;
        let jane = app.login("jane.smith", "EMP124").await;
        for description in [
            "disk 100% full",
            "rename file_name.txt",
            "O'Brien's printer",
            "path C:\\temp",
            "quote \" inside",
        ] {
            app.create_ticket(&john, description).await;
        }
        app.create_ticket(&jane, "Jane's 100% secret request").await;
        let search = |token: &str, text: &str| {
            let token = token.to_owned();
            let text = text.to_owned();
            let app = &app;
            async move {
                let answer = app
                    .graphql(
                        &token,
                        "query($s: String!) { tickets(first: 100, filter: { search: $s }) { edges { node { description } } } }",
                        json!({ "s": text }),
                    )
                    .await;
                assert!(answer["errors"].is_null(), "{text}: {answer}");
                let mut found: Vec<String> = answer["data"]["tickets"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["description"].as_str().unwrap().to_owned())
                    .collect();
                found.sort();
                found
            }
        };
        assert_eq!(
            search(&admin, "%").await,
            ["Jane's 100% secret request", "disk 100% full"]
        );
        assert_eq!(search(&admin, "_").await, ["rename file_name.txt"]);
        assert_eq!(search(&admin, "o'brien").await, ["O'Brien's printer"]);
        assert_eq!(search(&admin, "\\").await, ["path C:\\temp"]);
        assert_eq!(search(&admin, "\"").await, ["quote \" inside"]);
        for attack in [
            "' OR '1'='1",
            "%' OR 1=1 --",
            "'; DROP TABLE tickets; --",
            "\\' UNION SELECT username FROM users --",
        ] {
            assert!(search(&admin, attack).await.is_empty(), "{attack}");
        }
        // A requester's `%` finds only his own.
        assert_eq!(search(&john, "%").await, ["disk 100% full"]);
        assert_eq!(ticket_count(&app, &admin).await, 6, "the table is intact");
        let too_long = app
            .graphql(
                &admin,
                "query($s: String!) { tickets(filter: { search: $s }) { edges { cursor } } }",
                json!({ "s": "x".repeat(101) }),
            )
            .await;
        assert_eq!(code(&too_long), "BAD_USER_INPUT");
        assert_eq!(
            too_long["errors"][0]["extensions"]["field"],
            "filter.search"
        );
        app.stop().await;
    }
}

/// GLPI CVE-2020-27663: a requester probing ticket numbers learns nothing
/// about tickets that are not his: another's ticket answers exactly like a
/// number that does not exist, on every operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probing_ticket_numbers_reveals_nothing() {
    let app = App::spawn(Backend::Sqlite).await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let janes = app.create_ticket(&jane, "Jane's secret").await;
    let missing = "INC-2026-9999";
    let operations = [
        "query($n: String!) { ticket(number: $n) { number description } }",
        "query($n: String!) { tickets(filter: { number: $n }) { edges { node { number } } pageInfo { hasNextPage } } }",
        "mutation($n: String!) { changeStatus(number: $n, status: CANCELLED, version: 1) { status } }",
        "mutation($n: String!) { changeStatus(number: $n, status: IN_PROGRESS, version: 1) { status } }",
        "mutation($n: String!) { addComment(number: $n, body: \"hello?\") { id } }",
        "mutation($n: String!) { changePriority(number: $n, priority: HIGH, version: 1) { priority } }",
        "mutation($n: String!) { assignTicket(number: $n, version: 1) { version } }",
    ];
    for query in operations {
        let existing = app.graphql(&john, query, json!({ "n": janes })).await;
        let absent = app.graphql(&john, query, json!({ "n": missing })).await;
        let blind = |answer: &Value, number: &str| answer.to_string().replace(number, "<number>");
        assert_eq!(
            blind(&existing, &janes),
            blind(&absent, missing),
            "{query} tells jane's ticket from a missing one"
        );
    }
    // The subscription's refusal is the same too.
    let mut answers = Vec::new();
    for number in [janes.as_str(), missing] {
        let mut subscription = app
            .subscribe(
                &john,
                &format!("subscription {{ ticketUpdated(number: \"{number}\") {{ number }} }}"),
            )
            .await;
        answers.push(subscription.next_error_code().await);
    }
    assert_eq!(answers, ["NOT_FOUND", "NOT_FOUND"]);
    // And the seed's REST route.
    let (status_existing, body_existing) =
        app.rest_get(&john, &format!("/api/tickets/{janes}")).await;
    let (status_absent, body_absent) = app
        .rest_get(&john, &format!("/api/tickets/{missing}"))
        .await;
    assert_eq!(status_existing, status_absent);
    assert_eq!(
        body_existing.to_string().replace(&janes, "<number>"),
        body_absent.to_string().replace(missing, "<number>")
    );
    // Jane's ticket was not touched by any of it.
    let untouched = app
        .graphql(
            &jane,
            "query($n: String!) { ticket(number: $n) { status version comments { id } } }",
            json!({ "n": janes }),
        )
        .await;
    assert_eq!(
        untouched["data"]["ticket"],
        json!({ "status": "START", "version": 1, "comments": [] })
    );
    app.stop().await;
}

/// GLPI GHSA-98qw-hpg3-2hpj: a requester cannot list users, nor read other
/// people's email addresses or phone numbers through any object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requesters_cannot_list_users_or_read_their_contacts() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let agent_id = add_agent(&app, &admin, "agent.kim", "EMP-K1").await;
    let number = app.create_ticket(&john, "Who works on this?").await;
    app.graphql(
        &admin,
        "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 1) { version } }",
        json!({ "n": number, "a": agent_id }),
    )
    .await;
    app.graphql(
        &admin,
        "mutation($n: String!) { addComment(number: $n, body: \"Kim will call you\") { id } }",
        json!({ "n": number }),
    )
    .await;
    for query in [
        "{ users { edges { node { username email } } } }",
        "{ users(filter: { search: \"@\" }) { edges { node { email } } } }",
        "{ assignableAgents { username email } }",
    ] {
        let refused = app.graphql(&john, query, json!({})).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{query}: {refused}");
        assert!(!refused.to_string().contains("@example.com"), "{refused}");
    }
    let seen = app
        .graphql(
            &john,
            "query($n: String!) { ticket(number: $n) { requester { email } assignee { username email phone } comments { author { username email phone } } history { actor { username email phone } } } }",
            json!({ "n": number }),
        )
        .await;
    let ticket = &seen["data"]["ticket"];
    assert_eq!(
        ticket["requester"]["email"], "john.doe@example.com",
        "his own"
    );
    assert_eq!(
        ticket["assignee"],
        json!({ "username": "agent.kim", "email": null, "phone": null })
    );
    assert_eq!(
        ticket["comments"][0]["author"],
        json!({ "username": "admin.user", "email": null, "phone": null })
    );
    let text = seen.to_string();
    for leak in [
        "agent.kim@example.com",
        "admin.user@example.com",
        "+15005550006",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
    // Staff see them.
    let staff = app
        .graphql(
            &admin,
            "query($n: String!) { ticket(number: $n) { assignee { email phone } } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(
        staff["data"]["ticket"]["assignee"],
        json!({ "email": "agent.kim@example.com", "phone": "+15005550006" })
    );
    app.stop().await;
}

/// osTicket CVE-2019-14750 (server half): HTML in descriptions and comments
/// is stored and returned exactly as written — never interpreted, never
/// "sanitized" into something else — and documented as text for clients.
/// The portal's half (it never executes) runs in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_html_comes_back_as_the_text_that_was_written() {
    let app = App::spawn(Backend::Sqlite).await;
    let john = app.login("john.doe", "EMP123").await;
    let payload = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";
    let number = app.create_ticket(&john, payload).await;
    app.graphql(
        &john,
        "mutation($n: String!, $b: String!) { addComment(number: $n, body: $b) { id } }",
        json!({ "n": number, "b": payload }),
    )
    .await;
    let read = app
        .graphql(
            &john,
            "query($n: String!) { ticket(number: $n) { description comments { body } } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(read["data"]["ticket"]["description"], payload);
    assert_eq!(read["data"]["ticket"]["comments"][0]["body"], payload);
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.stop().await;
}
