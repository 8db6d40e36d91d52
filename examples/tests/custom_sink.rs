//! `examples/custom_sink.rs` end to end: the integrator's daemon, built as
//! the example, serves on embedded SQLite with the in-process transport; its
//! `kind = "chat"` sink posts to a local chat server; and `check-config`
//! checks the chat table. `cargo test -p itosm-examples` builds the example
//! first (with `--test custom_sink` alone, add `--example custom_sink`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

// The daemon's test support, shared by path; this test uses only part of it.
#[path = "../../itosm-daemon/tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::receiver::Receiver;
use support::{App, run_program};

/// The example's binary, beside this test's in the target directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join("examples");
    let binary = examples.join("custom_sink");
    assert!(
        binary.is_file(),
        "{} is not built: run `cargo test -p itosm-examples` (which builds examples) or add `--example custom_sink`",
        binary.display()
    );
    binary
}

/// Runs the example's `check-config` (with `extra` arguments) on `toml`,
/// written to `dir/itosm.toml`.
fn check_config(dir: &Path, toml: &str, extra: &[&str]) -> Output {
    let config = dir.join("itosm.toml");
    std::fs::write(&config, toml).unwrap();
    let config = config.to_str().unwrap();
    let args = [&["check-config", "--config", config][..], extra].concat();
    run_program(&example(), dir, &args, &[])
}

fn chat_sink(table: &str) -> String {
    format!("[[notifications.sinks]]\nkind = \"chat\"\nname = \"it-desk\"\n{table}\n")
}

#[tokio::test]
async fn the_chat_sink_posts_each_new_ticket() {
    let chat = Receiver::start(&[200]).await;
    let dir = tempfile::tempdir().unwrap();
    let table = format!("url = \"{}\"\nchannel = \"#it-desk\"", chat.url);
    // check-config --connect builds the chat sink and calls its check.
    let checked = check_config(dir.path(), &chat_sink(&table), &["--connect"]);
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{stdout}{checked:?}");
    assert!(stdout.contains("ok    sink it-desk (chat)"), "{stdout}");

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = dir.path().join("itosm.toml");
    let args = ["serve", "--config", config.to_str().unwrap()];
    let app = App::launch_program(&example(), dir, url, None, &args, &[], true).await;
    let token = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&token, "The printer is on fire").await;
    let body = chat.wait_body_containing(&number, 20).await;
    let message: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        message["text"],
        format!("[#it-desk] New Ticket Created: {number} (john.doe)"),
        "{body}"
    );
    app.stop().await;
}

#[test]
fn check_config_names_the_chat_sinks_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    for (table, says) in [
        ("channel = \"#it-desk\"", "missing field `url`"),
        ("url = 42", "notifications.sinks[0].url"),
        ("url = \"ftp://chat\"", "notifications.sinks[0].url"),
        (
            "url = \"https://chat\"\nchanel = \"x\"",
            "notifications.sinks[0].chanel",
        ),
    ] {
        let out = check_config(dir.path(), &chat_sink(table), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{table:?} was accepted");
        assert!(stderr.contains(says), "{table:?}: {stderr}");
        assert!(
            stderr.contains("sink \"it-desk\" (chat)"),
            "{table:?}: {stderr}"
        );
    }
    // The built-in kinds are all there.
    let out = check_config(
        dir.path(),
        "[[notifications.sinks]]\nkind = \"pigeon\"\n",
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("chat, console, email, file, noop, sms, webhook"),
        "{stderr}"
    );
}
