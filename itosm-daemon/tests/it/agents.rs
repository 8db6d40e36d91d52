//! The real `itosm-agent` binary against a real daemon: enrolment with a
//! one-time token, inventory, heartbeats and health (`UP`, killed →
//! `DOWN` with its event on the live feed, back → `UP`), a report from the
//! device, requester isolation, revocation, and a reinstall that finds
//! the same asset instead of making a duplicate.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{App, Backend, itosm};

/// The `itosm-agent` binary of this build, beside the test binary's
/// directory (`scripts/test` builds it first).
fn agent_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug")
        .to_owned();
    let agent = debug.join("itosm-agent");
    assert!(
        agent.is_file(),
        "{} is missing: run `cargo build -p itosm-agent` first (scripts/test does)",
        agent.display()
    );
    agent
}

fn agent(args: &[&str]) -> std::process::Output {
    Command::new(agent_binary())
        .args(args)
        .output()
        .expect("itosm-agent runs")
}

fn run_agent(state: &Path) -> Child {
    Command::new(agent_binary())
        .args(["run", "--state"])
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("itosm-agent run starts")
}

const ASSET: &str = "query($tag: String!) { asset(tag: $tag) {
    tag hostname health healthReason os inventory lastSeenAt
    owner { username } tickets { number } agents { id revokedAt }
    history { change } } }";

async fn asset(app: &App, token: &str, tag: &str) -> Value {
    app.graphql(token, ASSET, json!({ "tag": tag })).await["data"]["asset"].clone()
}

/// Polls the asset until its health is `health` (bounded).
async fn wait_health(app: &App, token: &str, tag: &str, health: &str) -> Value {
    for _ in 0..120 {
        let found = asset(app, token, tag).await;
        if found["health"] == health {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "{tag} never became {health}: {}",
        asset(app, token, tag).await
    );
}

async fn enrollment_token(app: &App, admin: &str) -> String {
    let created = app
        .graphql(
            admin,
            "mutation { createEnrollmentToken(expiresIn: \"1h\") { token expiresAt } }",
            json!({}),
        )
        .await;
    created["data"]["createEnrollmentToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {created}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_enrols_reports_goes_down_comes_back_and_is_revoked() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_AGENTS__HEARTBEAT_INTERVAL", "5s"),
            ("ITOSM_AGENTS__MISSED_HEARTBEATS", "2"),
            ("ITOSM_AGENTS__FLUSH_INTERVAL", "50ms"),
        ],
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("agent/state.json");
    let state_arg = state.to_str().unwrap();

    // Requesters cannot make enrolment tokens.
    let refused = app
        .graphql(
            &john,
            "mutation { createEnrollmentToken { token } }",
            json!({}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");

    let token = enrollment_token(&app, &admin).await;
    let enrolled = agent(&[
        "enroll", "--server", &app.base, "--token", &token, "--state", state_arg,
    ]);
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let tag = String::from_utf8_lossy(&enrolled.stdout).trim().to_owned();
    assert!(tag.starts_with("PC-"), "the tag alone on stdout: {tag}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the credential is private");
    // The token worked once.
    let again = agent(&[
        "enroll",
        "--server",
        &app.base,
        "--token",
        &token,
        "--state",
        dir.path().join("other.json").to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("UNAUTHENTICATED"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // Inventory and heartbeats: the device is UP with what it reported.
    let mut running = run_agent(&state);
    let up = wait_health(&app, &admin, &tag, "UP").await;
    assert!(
        up["inventory"]["memory_bytes"].as_u64().unwrap_or(0) > 0,
        "{up}"
    );
    assert!(!up["hostname"].as_str().unwrap_or("").is_empty());
    assert!(up["lastSeenAt"].is_string());

    // A requester sees only his own devices.
    assert_eq!(asset(&app, &john, &tag).await, Value::Null);
    let owned = app
        .graphql(
            &admin,
            "mutation($tag: String!) { updateAsset(tag: $tag, input: { owner: \"john.doe\" }) { owner { username } } }",
            json!({ "tag": tag }),
        )
        .await;
    assert_eq!(
        owned["data"]["updateAsset"]["owner"]["username"], "john.doe",
        "{owned}"
    );
    assert_eq!(asset(&app, &john, &tag).await["tag"], tag.as_str());
    assert_eq!(asset(&app, &jane, &tag).await, Value::Null);
    let listed = app
        .graphql(&jane, "{ assets { edges { node { tag } } } }", json!({}))
        .await;
    assert_eq!(listed["data"]["assets"]["edges"], json!([]), "{listed}");
    // Nor may he name another's device on a ticket.
    let foreign = app
        .graphql(
            &jane,
            "mutation($tag: String!) { createTicket(input: { requestType: HARDWARE, description: \"broken\", assetTags: [$tag] }) { number } }",
            json!({ "tag": tag }),
        )
        .await;
    assert_eq!(
        foreign["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{foreign}"
    );

    // A report from the device: a ticket for its owner, linked to it, with
    // the device's samples as an internal note.
    let reported = agent(&["report", "my screen flickers", "--state", state_arg]);
    assert!(
        reported.status.success(),
        "{}",
        String::from_utf8_lossy(&reported.stderr)
    );
    let number = String::from_utf8_lossy(&reported.stdout).trim().to_owned();
    let ticket_query = "query($n: String!) { ticket(number: $n) { description requester { username } assets { tag } comments { body internal } } }";
    let seen_by_staff = app
        .graphql(&admin, ticket_query, json!({ "n": number }))
        .await;
    let ticket = &seen_by_staff["data"]["ticket"];
    assert_eq!(
        ticket["requester"]["username"], "john.doe",
        "{seen_by_staff}"
    );
    assert_eq!(ticket["assets"][0]["tag"], tag.as_str());
    assert_eq!(ticket["comments"][0]["internal"], true);
    assert!(
        ticket["comments"][0]["body"]
            .as_str()
            .unwrap_or("")
            .contains(&tag)
    );
    let seen_by_john = app
        .graphql(&john, ticket_query, json!({ "n": number }))
        .await;
    assert_eq!(
        seen_by_john["data"]["ticket"]["comments"],
        json!([]),
        "internal notes stay with staff"
    );
    assert_eq!(
        asset(&app, &admin, &tag).await["tickets"][0]["number"],
        number.as_str()
    );

    // Killed: DOWN, announced on the live feed; back: UP.
    let mut feed = app
        .subscribe(
            &admin,
            "subscription { assetHealthChanged { tag health healthReason } }",
        )
        .await;
    running.kill().unwrap();
    running.wait().unwrap();
    let down = wait_health(&app, &admin, &tag, "DOWN").await;
    assert!(
        down["healthReason"]
            .as_str()
            .unwrap_or("")
            .contains("no heartbeat"),
        "{down}"
    );
    let event = feed.next_payload().await;
    assert_eq!(
        event["data"]["assetHealthChanged"]["tag"],
        tag.as_str(),
        "{event}"
    );
    assert_eq!(event["data"]["assetHealthChanged"]["health"], "DOWN");
    let mut running = run_agent(&state);
    wait_health(&app, &admin, &tag, "UP").await;
    let event = feed.next_payload().await;
    assert_eq!(
        event["data"]["assetHealthChanged"]["health"], "UP",
        "{event}"
    );

    // Revoked: the running agent is refused and stops with exit code 3.
    let agent_id = asset(&app, &admin, &tag).await["agents"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .graphql(
            &admin,
            "mutation($id: ID!) { revokeAgent(id: $id) { revokedAt } }",
            json!({ "id": agent_id }),
        )
        .await;
    assert!(
        revoked["data"]["revokeAgent"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let mut exit = None;
    for _ in 0..60 {
        if let Some(status) = running.try_wait().unwrap() {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        exit.and_then(|s| s.code()),
        Some(3),
        "a revoked agent stops and says so"
    );
    let refused = agent(&["report", "still there?", "--state", state_arg]);
    assert_eq!(refused.status.code(), Some(3));

    // Reinstalled (state gone, new token from the CLI): the same asset.
    std::fs::remove_file(&state).unwrap();
    let token = enrollment_token(&app, &admin).await;
    let enrolled = agent(&[
        "enroll", "--server", &app.base, "--token", &token, "--state", state_arg,
    ]);
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&enrolled.stdout).trim(),
        tag,
        "no duplicate asset"
    );
    let all = app
        .graphql(&admin, "{ assets { edges { node { tag } } } }", json!({}))
        .await;
    assert_eq!(
        all["data"]["assets"]["edges"].as_array().map(Vec::len),
        Some(1),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_agent_api_refuses_bad_credentials_and_oversized_payloads() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    // A user's token is not an agent credential.
    let (status, body) = app
        .rest_post(
            Some(&admin),
            "/api/agent/heartbeat",
            json!({ "sample": {} }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let (status, _) = app
        .rest_post(
            Some("itosm-agent.00000000000000000000000000000000.x"),
            "/api/agent/inventory",
            json!({}),
        )
        .await;
    assert_eq!(status, 401);
    // A token that was never issued enrols nothing.
    let (status, body) = app
        .rest_post(
            None,
            "/api/agent/enroll",
            json!({ "token": "itosm-enroll-nope", "hints": { "hostname": "x" }, "inventory": {
                "hostname": "x", "os": { "name": "", "version": "", "kernel": "" },
                "cpu": { "model": "", "cores": 1 }, "memory_bytes": 1 } }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    // Bounded before it is read: more than 512 KiB is refused whole.
    let (status, _) = app
        .rest_post_raw(None, "/api/agent/enroll", " ".repeat(600 * 1024))
        .await;
    assert_eq!(status, 413);
    // Over the protocol's bounds: too many packages.
    let token = enrollment_token(&app, &admin).await;
    let software: Vec<Value> = (0..5_001)
        .map(|i| json!({ "name": format!("p{i}"), "version": "1" }))
        .collect();
    let (status, body) = app
        .rest_post(
            None,
            "/api/agent/enroll",
            json!({ "token": token, "hints": { "hostname": "x" }, "inventory": {
                "hostname": "x", "os": { "name": "", "version": "", "kernel": "" },
                "cpu": { "model": "", "cores": 1 }, "memory_bytes": 1, "software": software } }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BAD_USER_INPUT")),
        "{body}"
    );
    // The refused enrolment left the token usable.
    let tokens = app
        .graphql(&admin, "{ enrollmentTokens { id usedAt } }", json!({}))
        .await;
    assert_eq!(
        tokens["data"]["enrollmentTokens"][0]["usedAt"],
        Value::Null,
        "{tokens}"
    );
}

#[test]
fn the_cli_creates_enrolment_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let env = [("ITOSM_DATABASE__URL", url.as_str())];
    assert!(itosm(dir.path(), &["migrate"], &env).status.success());
    let created = itosm(
        dir.path(),
        &["agent", "token", "create", "--expires", "2h"],
        &env,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert!(
        token.starts_with("itosm-enroll-") && !token.contains(char::is_whitespace),
        "{token}"
    );
    let listed = itosm(dir.path(), &["agent", "token", "list"], &env);
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.contains("usable"), "{listed}");
    assert!(!listed.contains(&token), "the token is shown once");
    let too_long = itosm(
        dir.path(),
        &["agent", "token", "create", "--expires", "400d"],
        &env,
    );
    assert!(!too_long.status.success());
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("expiresIn"));
    let junk = itosm(
        dir.path(),
        &["agent", "token", "create", "--expires", "soon"],
        &env,
    );
    assert!(!junk.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_down_opens_one_incident_that_flapping_does_not_churn_and_recovery_resolves() {
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_AGENTS__HEARTBEAT_INTERVAL", "5s"),
            ("ITOSM_AGENTS__MISSED_HEARTBEATS", "2"),
            ("ITOSM_AGENTS__FLUSH_INTERVAL", "50ms"),
            ("ITOSM_AGENTS__INCIDENTS", "true"),
            // Longer than a flap (killed → DOWN takes about 12 s here).
            ("ITOSM_AGENTS__INCIDENT_HOLD_DOWN", "20s"),
        ],
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let token = enrollment_token(&app, &admin).await;
    let enrolled = agent(&[
        "enroll",
        "--server",
        &app.base,
        "--token",
        &token,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let tag = String::from_utf8_lossy(&enrolled.stdout).trim().to_owned();
    let tickets_query = "query($tag: String!) { asset(tag: $tag) { tickets { number status subject comments { body } } } }";

    let mut running = run_agent(&state);
    wait_health(&app, &admin, &tag, "UP").await;
    assert_eq!(
        asset(&app, &admin, &tag).await["tickets"],
        json!([]),
        "no incident while UP"
    );

    // Down: one incident ticket, linked to the device.
    running.kill().unwrap();
    running.wait().unwrap();
    wait_health(&app, &admin, &tag, "DOWN").await;
    let found = app
        .graphql(&admin, tickets_query, json!({ "tag": tag }))
        .await;
    let opened = &found["data"]["asset"]["tickets"];
    assert_eq!(opened.as_array().map(Vec::len), Some(1), "{found}");
    assert!(
        opened[0]["subject"]
            .as_str()
            .unwrap_or("")
            .contains("is DOWN"),
        "{found}"
    );
    let number = opened[0]["number"].as_str().unwrap().to_owned();

    // Flapping: back up and down again within the hold-down comments on the
    // same ticket instead of resolving it and opening another.
    let mut running = run_agent(&state);
    wait_health(&app, &admin, &tag, "UP").await;
    running.kill().unwrap();
    running.wait().unwrap();
    wait_health(&app, &admin, &tag, "DOWN").await;
    let found = app
        .graphql(&admin, tickets_query, json!({ "tag": tag }))
        .await;
    let tickets = found["data"]["asset"]["tickets"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tickets.len(), 1, "flapping opened another ticket: {found}");
    assert_eq!(tickets[0]["status"], "START", "{found}");
    let bodies: Vec<&str> = tickets[0]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["body"].as_str())
        .collect();
    assert!(bodies.iter().any(|b| b.contains("UP again")), "{bodies:?}");
    assert!(
        bodies.iter().any(|b| b.contains("DOWN again")),
        "{bodies:?}"
    );

    // Recovered for the hold-down: resolved.
    let mut running = run_agent(&state);
    wait_health(&app, &admin, &tag, "UP").await;
    let mut status = Value::Null;
    for _ in 0..200 {
        let found = app
            .graphql(&admin, tickets_query, json!({ "tag": tag }))
            .await;
        status = found["data"]["asset"]["tickets"][0]["status"].clone();
        if status == "RESOLVED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        status, "RESOLVED",
        "{number} was not resolved after the hold-down"
    );
    running.kill().unwrap();
    running.wait().unwrap();
}
