//! Tokens through the real binary: expiry, restarts, and the generated
//! secret of the embedded default.

use crate::support::{App, Backend};
use chrono::{Duration, Utc};
use itosm_core::token::TokenSigner;
use itosm_core::{Role, UserId};
use serde_json::json;

const SECRET: &str = "a-known-test-secret-of-at-least-32-bytes!";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_foreign_tokens_are_unauthenticated() {
    let app = App::spawn_with(Backend::Sqlite, &[("ITOSM_AUTH__TOKEN_SECRET", SECRET)]).await;
    let signer = TokenSigner::new(SECRET.as_bytes().to_vec(), Duration::hours(12)).unwrap();
    let (expired, _) = signer.issue(
        UserId(1),
        Role::Requester,
        0,
        Utc::now() - Duration::days(2),
    );
    let response = app
        .graphql(&expired, "{ me { username } }", json!({}))
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{response}"
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{response}"
    );

    // A token signed with another secret is refused; a fresh one works.
    let other = TokenSigner::new(vec![9u8; 32], Duration::hours(12)).unwrap();
    let (foreign, _) = other.issue(UserId(3), Role::Admin, 0, Utc::now());
    let response = app
        .graphql(&foreign, "{ me { username } }", json!({}))
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let (valid, _) = signer.issue(UserId(1), Role::Requester, 0, Utc::now());
    let response = app
        .graphql(&valid, "{ me { username role } }", json!({}))
        .await;
    assert_eq!(response["data"]["me"]["username"], "john.doe", "{response}");

    // REST refuses it the same way.
    let (status, body) = app.rest_get(&expired, "/api/tickets").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_default_keeps_its_generated_secret_across_restarts() {
    let app = App::spawn(Backend::Sqlite).await;
    let token = app.login("john.doe", "EMP123").await;
    let dir = app.stop_keeping_dir().await;

    let again = App::spawn_in(dir, Backend::Sqlite, &[]).await;
    let response = again
        .graphql(&token, "{ me { username } }", json!({}))
        .await;
    assert_eq!(
        response["data"]["me"]["username"], "john.doe",
        "token from before the restart: {response}"
    );
    again.stop().await;
}

#[test]
fn bad_config_fails_at_start_naming_the_key() {
    let cases = [
        ("ITOSM_TRANSPORT__KIND", "carrier-pigeon", "transport.kind"),
        ("ITOSM_HTTP__ADDR", "not-an-address", "http.addr"),
        (
            "ITOSM_DATABASE__URL",
            "postgres://127.0.0.1:1/nowhere",
            "auth.token_secret",
        ),
        (
            "ITOSM_TICKETS__NUMBER_FORMAT",
            "INC-{year}",
            "tickets.number_format",
        ),
    ];
    for (variable, value, key) in cases {
        for command in ["check-config", "serve"] {
            let dir = tempfile::tempdir().unwrap();
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
                .arg(command)
                .current_dir(dir.path())
                .env(variable, value)
                .output()
                .expect("itosm runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success(),
                "{command} with {variable}={value} must fail"
            );
            assert!(
                stderr.contains(key),
                "{command} with {variable}={value}: {stderr}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
        .arg("check-config")
        .current_dir(dir.path())
        .output()
        .expect("itosm runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
        .args(["check-config", "--config", "/nonexistent/itosm.toml"])
        .output()
        .expect("itosm runs");
    assert!(!missing.status.success());
}

#[test]
fn schema_prints_the_contract() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_itosm"))
        .arg("schema")
        .output()
        .expect("itosm runs");
    let sdl = String::from_utf8_lossy(&output.stdout);
    for name in [
        "login(username: String!, employeeId: String!): AuthPayload!",
        "createTicket(input: CreateTicketInput!): Ticket!",
        "ticket(number: String!): Ticket",
        "ticketCreated: Ticket!",
        "enum TicketStatus",
        "enum RequestType",
    ] {
        assert!(sdl.contains(name), "schema lacks {name}");
    }
}
