//! The email sink against a real SMTP server process (Python's aiosmtpd)
//! on loopback: From/To/Subject and both bodies; a refusal is retried;
//! the `requester` recipient is each ticket's own requester, never another.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support;
use crate::support::{App, free_port};
use serde_json::{Value, json};

/// A running aiosmtpd, killed on drop.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(refuse: u32) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(["--refuse", &refuse.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP test server (pip install aiosmtpd)");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(
            first.trim(),
            "ready",
            "the SMTP server needs aiosmtpd: pip install aiosmtpd"
        );
        SmtpServer { child, port, dir }
    }

    /// Waits (bounded) for `n` stored messages: (envelope, raw message).
    async fn wait_for(&self, n: usize) -> Vec<(Value, String)> {
        for _ in 0..100 {
            let mut metas: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            if metas.len() >= n {
                metas.sort();
                return metas
                    .iter()
                    .map(|meta| {
                        let envelope: Value =
                            serde_json::from_str(&std::fs::read_to_string(meta).unwrap()).unwrap();
                        let raw = std::fs::read_to_string(meta.with_extension("eml")).unwrap();
                        (envelope, raw)
                    })
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SMTP server did not receive {n} messages");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn daemon(smtp_port: u16) -> App {
    daemon_with(&email_sink(
        "mail",
        smtp_port,
        "[\"it-admin-group@example.com\", \"requester\"]",
        "",
    ))
    .await
}

fn email_sink(name: &str, smtp_port: u16, to: &str, events: &str) -> String {
    format!(
        "[[notifications.sinks]]\nkind = \"email\"\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
         from = \"itosm <itosm@example.com>\"\nto = {to}\nportal_url = \"https://help.example.com\"\n{events}\n"
    )
}

async fn daemon_with(sinks: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!("[notifications]\nmax_attempts = 3\nretry_backoff = \"100ms\"\n\n{sinks}"),
    )
    .unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    App::launch(dir, url, None, &["serve", "--config", &config], &[], true).await
}

async fn create(app: &App, who: (&str, &str), description: &str) -> String {
    let token = app.login(who.0, who.1).await;
    let (status, body) = app
        .rest_post(Some(&token), "/api/tickets", json!({ "requestType": "SOFTWARE_INSTALL", "softwareId": 1, "description": description }))
        .await;
    assert_eq!(status, 201, "{body}");
    body["ticketId"].as_str().unwrap().to_owned()
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_a_real_smtp_server_with_both_bodies() {
    let smtp = SmtpServer::start(0);
    let app = daemon(smtp.port).await;
    let number = create(
        &app,
        ("john.doe", "EMP123"),
        "Install AutoCAD <script>alert(1)</script>",
    )
    .await;
    let messages = smtp.wait_for(2).await;
    let mut recipients: Vec<String> = messages
        .iter()
        .map(|(e, _)| e["to"][0].as_str().unwrap().to_owned())
        .collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["it-admin-group@example.com", "john.doe@example.com"]
    );
    for (envelope, raw) in &messages {
        assert_eq!(envelope["from"], "itosm@example.com");
        assert_eq!(
            header(raw, "Subject"),
            Some(format!("New Ticket Created: {number}").as_str()),
            "{raw}"
        );
        assert!(header(raw, "From").is_some_and(|f| f.contains("itosm@example.com")));
        assert!(header(raw, "To").is_some_and(|t| t.contains(envelope["to"][0].as_str().unwrap())));
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "both bodies: {raw}"
        );
        assert!(
            raw.contains("https://help.example.com/tickets/"),
            "a link to the ticket"
        );
        assert!(
            !raw.contains("<script>alert(1)</script></p>"),
            "the HTML body escapes ticket text"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_smtp_server_is_retried() {
    let smtp = SmtpServer::start(1);
    let app = daemon(smtp.port).await;
    create(&app, ("jane.smith", "EMP124"), "Install Revit").await;
    let messages = smtp.wait_for(2).await;
    assert_eq!(messages.len(), 2, "the refused message was sent again");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_recipient_is_each_tickets_own_requester() {
    let smtp = SmtpServer::start(0);
    let app = daemon(smtp.port).await;
    let janes = create(&app, ("jane.smith", "EMP124"), "Jane's request").await;
    let messages = smtp.wait_for(2).await;
    let to_requester: Vec<&(Value, String)> = messages
        .iter()
        .filter(|(e, _)| e["to"][0] != "it-admin-group@example.com")
        .collect();
    assert_eq!(to_requester.len(), 1);
    assert_eq!(to_requester[0].0["to"], json!(["jane.smith@example.com"]));
    assert!(to_requester[0].1.contains(&janes));
    assert!(
        !messages
            .iter()
            .any(|(e, _)| e["to"][0] == "john.doe@example.com"),
        "john never gets jane's ticket"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_sends_each_event_type_to_exactly_its_recipients() {
    let smtp = SmtpServer::start(0);
    let sinks = format!(
        "{}{}",
        email_sink(
            "it-admins",
            smtp.port,
            "[\"it-admin-group@example.com\", \"admins\"]",
            "events = [\"ticket.created\"]"
        ),
        email_sink(
            "requester-updates",
            smtp.port,
            "[\"requester\", \"assignee\"]",
            "events = [\"ticket.status_changed\", \"ticket.assigned\"]"
        ),
    );
    let app = daemon_with(&sinks).await;
    let number = create(&app, ("john.doe", "EMP123"), "Routing check").await;
    let messages = smtp.wait_for(2).await;
    // Every delivery of an event is claimed before any is sent: once the
    // log has settled, whatever was going to be sent has been.
    let admin = app.login("admin.user", "ADMIN01").await;
    app.settled_notifications(&admin, &number, "status").await;
    let messages_now = smtp.wait_for(0).await;
    let mut recipients: Vec<String> = messages_now
        .iter()
        .map(|(e, _)| e["to"][0].as_str().unwrap().to_owned())
        .collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["admin.user@example.com", "it-admin-group@example.com"],
        "ticket.created goes to the IT admin group and the admins, not to the requester sink"
    );
    assert!(messages.iter().all(|(_, raw)| raw.contains(&number)));
    app.stop().await;
}

/// Internal notes never reach a requester's inbox: not through the
/// `requester` recipient, and not through a fixed address that is his.
/// Public comments do, with their text; staff get both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_notes_never_reach_the_requesters_inbox() {
    let smtp = SmtpServer::start(0);
    let sinks = format!(
        "{}{}",
        email_sink(
            "requester-comments",
            smtp.port,
            "[\"requester\", \"john.doe@example.com\"]",
            "events = [\"ticket.commented\"]"
        ),
        email_sink(
            "staff-comments",
            smtp.port,
            "[\"admins\"]",
            "events = [\"ticket.commented\"]"
        ),
    );
    let app = daemon_with(&sinks).await;
    let number = create(&app, ("john.doe", "EMP123"), "Comment routing").await;
    let admin = app.login("admin.user", "ADMIN01").await;
    for (body, internal) in [
        ("SECRET-NOTE licence server is down", true),
        ("We are on it, John", false),
    ] {
        let added = app
            .graphql(
                &admin,
                "mutation($n: String!, $b: String!, $i: Boolean!) { addComment(number: $n, body: $b, internal: $i) { id } }",
                json!({ "n": number, "b": body, "i": internal }),
            )
            .await;
        assert!(added["errors"].is_null(), "{added}");
    }
    // The public comment to John (once: both specs resolve to his address,
    // deduplicated per recipient), and both comments to the admin.
    smtp.wait_for(3).await;
    // Both comments' deliveries exist by now (each event's are claimed
    // before any is sent); once they have settled, nothing more is coming.
    app.settled_notifications(&admin, &number, "status").await;
    let messages = smtp.wait_for(0).await;
    let to = |address: &str| -> Vec<&String> {
        messages
            .iter()
            .filter(|(e, _)| e["to"][0] == address)
            .map(|(_, raw)| raw)
            .collect()
    };
    let johns = to("john.doe@example.com");
    assert_eq!(johns.len(), 1, "john gets the public comment once");
    assert!(johns[0].contains("We are on it, John"));
    assert!(
        messages
            .iter()
            .filter(|(e, _)| e["to"][0] == "john.doe@example.com")
            .all(|(_, raw)| !raw.contains("SECRET-NOTE")),
        "no internal note in john's inbox"
    );
    let admins = to("admin.user@example.com");
    assert_eq!(admins.len(), 2);
    assert!(admins.iter().any(|raw| raw.contains("SECRET-NOTE")));
    assert!(
        admins
            .iter()
            .any(|raw| header(raw, "Subject").is_some_and(|s| s.starts_with("Internal note on")))
    );
    app.stop().await;
}

/// The assignee is told when a ticket is assigned to him, at his address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assignee_is_emailed_when_a_ticket_is_assigned_to_him() {
    let smtp = SmtpServer::start(0);
    let sinks = email_sink(
        "assignments",
        smtp.port,
        "[\"assignee\"]",
        "events = [\"ticket.assigned\"]",
    );
    let app = daemon_with(&sinks).await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let agent = app
        .graphql(
            &admin,
            "mutation { createUser(input: { username: \"agent.mail\", employeeId: \"EMP-M1\", displayName: \"Mail Agent\", email: \"agent.mail@example.com\", role: AGENT }) { id } }",
            json!({}),
        )
        .await;
    let agent_id = agent["data"]["createUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = create(&app, ("john.doe", "EMP123"), "Assign me").await;
    let assigned = app
        .graphql(
            &admin,
            "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 1) { assignee { username } } }",
            json!({ "n": number, "a": agent_id }),
        )
        .await;
    assert_eq!(
        assigned["data"]["assignTicket"]["assignee"]["username"],
        "agent.mail"
    );
    let messages = smtp.wait_for(1).await;
    assert_eq!(messages[0].0["to"], json!(["agent.mail@example.com"]));
    assert!(messages[0].1.contains(&number));
    app.stop().await;
}

/// One slow sink backs up only its own queue: with the SMTP server silent
/// (a partition: connections open, nothing answers), webhooks for the same
/// events still arrive; once SMTP answers again, the emails follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_smtp_server_does_not_hold_up_webhooks() {
    use crate::support::receiver::{Receiver, webhook_sink};
    use itosm_testkit::proxy::{ChaosProxy, ProxyMode};
    let smtp = SmtpServer::start(0);
    let proxy = ChaosProxy::start(([127, 0, 0, 1], smtp.port).into()).await;
    proxy.set(ProxyMode::Blackhole);
    let receiver = Receiver::start(&[200]).await;
    let sinks = format!(
        "{}{}",
        email_sink(
            "mail",
            proxy.addr.port(),
            "[\"it-admin-group@example.com\"]",
            "timeout = \"2s\""
        ),
        webhook_sink("ops", &receiver.url),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!(
            "[notifications]\nretry_backoff = \"100ms\"\nmax_retry_delay = \"500ms\"\nattempt_timeout = \"3s\"\n\n{sinks}"
        ),
    )
    .unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    let app = App::launch(dir, url, None, &["serve", "--config", &config], &[], true).await;
    let mut numbers = Vec::new();
    for i in 0..3 {
        numbers.push(create(&app, ("john.doe", "EMP123"), &format!("hang {i}")).await);
    }
    receiver.wait_distinct(3, 30).await;
    assert_eq!(
        proxy.mode(),
        ProxyMode::Blackhole,
        "the webhooks arrived while SMTP was still silent"
    );
    assert!(
        std::fs::read_dir(smtp.dir.path()).unwrap().next().is_none(),
        "no email got through the partition"
    );
    proxy.set(ProxyMode::Forward);
    let messages = smtp.wait_for(3).await;
    for number in &numbers {
        assert!(
            messages
                .iter()
                .any(|(_, raw)| raw.contains(number.as_str()))
        );
    }
    app.stop().await;
}

/// `check-config --connect` tries the database, the broker and each sink's
/// endpoint, names every one that fails, sends nothing, and fails itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_connect_names_what_cannot_be_reached() {
    let smtp = SmtpServer::start(0);
    let dir = tempfile::tempdir().unwrap();
    let closed = free_port();
    let amqp = itosm_testkit::amqp_url().await;
    let config = |amqp_url: &str, webhook_port: u16, file_dir: &Path| {
        format!(
            "[transport]\nkind = \"rabbitmq\"\namqp_url = \"{amqp_url}\"\nconnect_timeout = \"2s\"\n\n{}{}\
             [[notifications.sinks]]\nkind = \"file\"\nname = \"audit\"\npath = \"{}\"\n",
            email_sink("mail", smtp.port, "[\"it@example.com\"]", ""),
            support::receiver::webhook_sink("hook", &format!("http://127.0.0.1:{webhook_port}/in")),
            file_dir.join("audit.log").display()
        )
    };
    let run = |body: String| {
        let path = dir.path().join("itosm.toml");
        std::fs::write(&path, body).unwrap();
        Command::new(env!("CARGO_BIN_EXE_itosm"))
            .args(["check-config", "--connect", "--config"])
            .arg(&path)
            .current_dir(dir.path())
            .env(
                "ITOSM_DATABASE__URL",
                format!("sqlite://{}/itosm.db?mode=rwc", dir.path().display()),
            )
            .output()
            .unwrap()
    };

    // Everything reachable: a listening webhook receiver, the broker, SMTP.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let out = run(config(&amqp, open, dir.path()));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for what in [
        "database",
        "broker",
        "sink mail (email)",
        "sink hook (webhook)",
        "sink audit (file)",
    ] {
        assert!(
            said.lines()
                .any(|line| line.starts_with("ok") && line.contains(what)),
            "{what}: {said}"
        );
    }

    // Nothing reachable but the database: each failure named, non-zero exit.
    let nowhere = dir.path().join("no-such-dir");
    let out = run(config(
        &format!("amqp://guest:guest@127.0.0.1:{closed}/%2f"),
        closed,
        &nowhere,
    ));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{said}");
    for what in ["broker", "sink hook (webhook)", "sink audit (file)"] {
        assert!(
            said.lines()
                .any(|line| line.starts_with("FAIL") && line.contains(what)),
            "{what}: {said}"
        );
    }
    assert!(
        said.lines()
            .any(|line| line.starts_with("ok") && line.contains("sink mail")),
        "{said}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach") && stderr.contains("hook"),
        "{stderr}"
    );

    // The SMTP server was greeted, never sent a message.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        std::fs::read_dir(smtp.dir.path()).unwrap().count(),
        0,
        "no mail was sent"
    );
    drop(listener);
}
