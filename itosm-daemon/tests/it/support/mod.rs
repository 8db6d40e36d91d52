//! Test support: runs the real `itosm` binary on a free port against a fresh
//! database, and talks to it over HTTP and WebSocket like a client would.

pub mod broker;
pub mod receiver;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Which database the daemon runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A SQLite file in a temporary directory (the embedded default).
    Sqlite,
    /// A fresh PostgreSQL database (see itosm-testkit).
    Postgres,
}

/// A running daemon.
pub struct App {
    pub base: String,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _db: Option<itosm_testkit::TestDatabase>,
}

/// The `itosm` binary of this build (test crates of other packages, which
/// have none, run their own daemon with [`run_program`] and
/// [`App::launch_program`]).
pub fn itosm_binary() -> &'static Path {
    match option_env!("CARGO_BIN_EXE_itosm") {
        Some(path) => Path::new(path),
        None => {
            panic!("this test crate builds no itosm binary: use run_program, App::launch_program")
        }
    }
}

/// Runs `itosm <args>` to completion in `dir` with `env` added (log level
/// warn), as an operator at a shell would.
pub fn itosm(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    run_program(itosm_binary(), dir, args, env)
}

/// Runs `program <args>` (a daemon binary) to completion in `dir` with `env`
/// added (log level warn).
pub fn run_program(
    program: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env("ITOSM_LOG__LEVEL", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("itosm runs")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl App {
    pub async fn spawn(backend: Backend) -> App {
        Self::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, extra_env: &[(&str, &str)]) -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::spawn_in(dir, backend, extra_env).await
    }

    /// Runs the daemon with its working directory (and SQLite file) in `dir`.
    pub async fn spawn_in(
        dir: tempfile::TempDir,
        backend: Backend,
        extra_env: &[(&str, &str)],
    ) -> App {
        let (url, db) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("itosm.db").display()
                ),
                None,
            ),
            Backend::Postgres => {
                let db = itosm_testkit::TestDatabase::create().await;
                (db.url.clone(), Some(db))
            }
        };
        Self::launch(dir, url, db, &["serve"], extra_env, true).await
    }

    /// Runs `itosm <args>` in `dir` on database `url`; waits for `/readyz`
    /// when `wait_ready`.
    pub async fn launch(
        dir: tempfile::TempDir,
        url: String,
        db: Option<itosm_testkit::TestDatabase>,
        args: &[&str],
        extra_env: &[(&str, &str)],
        wait_ready: bool,
    ) -> App {
        Self::launch_program(itosm_binary(), dir, url, db, args, extra_env, wait_ready).await
    }

    /// [`App::launch`] with another daemon binary, e.g. an integrator's.
    pub async fn launch_program(
        program: &Path,
        dir: tempfile::TempDir,
        url: String,
        db: Option<itosm_testkit::TestDatabase>,
        args: &[&str],
        extra_env: &[(&str, &str)],
        wait_ready: bool,
    ) -> App {
        // A daemon waited for binds port 0 and says which port it got; one
        // not waited for (it may never listen) gets a free port up front.
        let port = if wait_ready { 0 } else { free_port() };
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(dir.path())
            .env("ITOSM_HTTP__ADDR", format!("127.0.0.1:{port}"))
            .env("ITOSM_DATABASE__URL", &url)
            .env("ITOSM_PORTAL__DIR", dir.path().join("no-portal"))
            .env("ITOSM_LOG__LEVEL", "warn")
            .env("ITOSM_RELAY__SWEEP_INTERVAL", "200ms")
            // Tests act fast and in bulk as one user; the bounds have tests
            // of their own that set them.
            .env("ITOSM_TICKETS__MAX_CREATED_PER_MINUTE", "0")
            .env("ITOSM_TICKETS__MAX_COMMENTS_PER_MINUTE", "0")
            .env("ITOSM_GRAPHQL__MAX_CONCURRENT_PER_CALLER", "1000")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !url.starts_with("sqlite:") {
            command.env(
                "ITOSM_AUTH__TOKEN_SECRET",
                "0123456789abcdef0123456789abcdef-test-secret",
            );
        }
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the itosm binary starts");
        let stdout = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            let sink = Arc::clone(&stdout);
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let mut text = sink.lock().unwrap_or_else(|p| p.into_inner());
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        // The log goes to the test's stderr as before, and is kept for
        // assertions on what the daemon said.
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    let mut text = sink.lock().unwrap_or_else(|p| p.into_inner());
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        let mut app = App {
            base: format!("http://127.0.0.1:{port}"),
            child,
            stdout,
            stderr,
            http: reqwest::Client::new(),
            _dir: dir,
            _db: db,
        };
        if !wait_ready {
            return app;
        }
        if port == 0 {
            app.base = app.reported_base().await;
        }
        for _ in 0..300 {
            if let Ok(response) = app.http.get(format!("{}/readyz", app.base)).send().await
                && response.status().is_success()
            {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "itosm did not become ready on {}; its log:\n{}",
            app.base,
            app.log()
        );
    }

    /// The address the daemon reported binding (`itosm listening on …` on
    /// stdout, printed when asked for port 0).
    async fn reported_base(&mut self) -> String {
        for _ in 0..300 {
            let said = self
                .stdout
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(base) = said
                .lines()
                .find_map(|line| line.strip_prefix("itosm listening on "))
            {
                return base.trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "itosm exited ({status}) before listening; its log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "itosm never said where it listens; its log:\n{}",
            self.log()
        );
    }

    /// A WebSocket connection kept open across operations, initialised with
    /// `token` (or anonymously).
    pub async fn ws_session(&self, token: Option<&str>) -> WsSession {
        let socket = connect_ws(&self.base, token)
            .await
            .unwrap_or_else(|reason| panic!("connection_init refused: {reason}"));
        WsSession { socket, next_id: 0 }
    }

    /// Tries to open a WebSocket connection; the close reason if refused.
    pub async fn try_ws_session(&self, token: Option<&str>) -> Result<WsSession, String> {
        connect_ws(&self.base, token)
            .await
            .map(|socket| WsSession { socket, next_id: 0 })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the daemon and hands back its directory, for a restart.
    pub async fn stop_keeping_dir(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let placeholder = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self._dir, placeholder)
    }

    /// Kills the daemon at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM, as a service manager stopping the daemon would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
    }

    /// Waits (bounded) for the daemon to exit; its status, or `None` if it
    /// is still running after `wait`.
    pub async fn wait_exit(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the daemon logged so far (stderr).
    pub fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits (bounded) until the log contains `text`.
    pub async fn wait_for_log(&self, text: &str, seconds: u64) -> String {
        for _ in 0..seconds * 10 {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the daemon never logged {text:?}; it logged:\n{}",
            self.log()
        );
    }

    pub fn console(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits (bounded) until the console sink printed something about `number`.
    pub async fn wait_for_console(&self, number: &str) -> String {
        for _ in 0..100 {
            let text = self.console();
            if text.contains(number) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the console sink never printed {number}; it printed:\n{}",
            self.console()
        );
    }

    pub async fn login(&self, username: &str, employee_id: &str) -> String {
        let response = self
            .graphql_with(
                None,
                "mutation($u: String!, $e: String!) { login(username: $u, employeeId: $e) { token user { username role } } }",
                json!({ "u": username, "e": employee_id }),
            )
            .await;
        response["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {username} failed: {response}"))
            .to_owned()
    }

    /// Creates an `INCIDENT` ticket as `token`; returns its number.
    pub async fn create_ticket(&self, token: &str, description: &str) -> String {
        let created = self
            .graphql(
                token,
                "mutation($d: String!) { createTicket(input: { requestType: INCIDENT, description: $d }) { number } }",
                json!({ "d": description }),
            )
            .await;
        created["data"]["createTicket"]["number"]
            .as_str()
            .unwrap_or_else(|| panic!("createTicket failed: {created}"))
            .to_owned()
    }

    /// The ticket's delivery log (`notifications { <fields> }`, which must
    /// include `status`) once it has rows and none is PENDING: a sink's
    /// outcome is recorded just after the sink answered, so a receiver can
    /// see a delivery a moment before the log does. Waits at most 10 s.
    pub async fn settled_notifications(&self, token: &str, number: &str, fields: &str) -> Value {
        let query = format!(
            "query($n: String!) {{ ticket(number: $n) {{ notifications {{ {fields} }} }} }}"
        );
        let mut log = Value::Null;
        for _ in 0..100 {
            log = self.graphql(token, &query, json!({ "n": number })).await;
            if log["data"]["ticket"]["notifications"]
                .as_array()
                .is_some_and(|rows| {
                    !rows.is_empty() && rows.iter().all(|row| row["status"] != "PENDING")
                })
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        log
    }

    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with(Some(token), query, variables).await
    }

    pub async fn graphql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            let value = if token.starts_with("Bearer ") {
                token.to_owned()
            } else {
                format!("Bearer {token}")
            };
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("graphql request");
        assert_eq!(
            response.status(),
            200,
            "GraphQL answers 200 with errors in the body"
        );
        response.json().await.expect("graphql json")
    }

    /// One REST call as the holder of `token` (or anonymously), with an
    /// optional body and its content type: the status and the JSON answer
    /// (`Null` when there is none).
    pub async fn rest(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("rest request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn rest_get(&self, token: &str, path: &str) -> (u16, Value) {
        self.rest(reqwest::Method::GET, Some(token), path, None)
            .await
    }

    pub async fn rest_get_raw(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    pub async fn rest_post(&self, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
        self.rest_post_raw(token, path, body.to_string()).await
    }

    pub async fn rest_post_raw(
        &self,
        token: Option<&str>,
        path: &str,
        body: String,
    ) -> (u16, Value) {
        let body = Some(("application/json", body.into_bytes()));
        self.rest(reqwest::Method::POST, token, path, body).await
    }

    /// Runs one query or mutation over graphql-transport-ws, as a browser
    /// could, and returns its result like [`App::graphql_with`] does. A
    /// connection refused at `connection_init` (a refused token) comes back
    /// as an `UNAUTHENTICATED` error with `"refusedAtInit": true`.
    pub async fn ws_execute(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut socket = match connect_ws(&self.base, token).await {
            Ok(socket) => socket,
            Err(reason) => {
                return json!({
                    "data": null,
                    "refusedAtInit": true,
                    "errors": [{ "message": reason, "extensions": { "code": "UNAUTHENTICATED" } }]
                });
            }
        };
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
        )
        .await;
        loop {
            let message = recv(&mut socket).await;
            match message["type"].as_str() {
                Some("next") => return message["payload"].clone(),
                Some("error") => return json!({ "data": null, "errors": message["payload"] }),
                Some("ping") => send(&mut socket, json!({ "type": "pong" })).await,
                _ => {}
            }
        }
    }

    /// Opens a subscription as `token` (or anonymously); a connection
    /// refused at `connection_init` is `Err("UNAUTHENTICATED")`.
    pub async fn ws_execute_subscription(
        &self,
        token: Option<&str>,
        query: &str,
    ) -> Result<Subscription, String> {
        let mut socket = connect_ws(&self.base, token)
            .await
            .map_err(|_| "UNAUTHENTICATED".to_owned())?;
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        )
        .await;
        Ok(Subscription { socket })
    }

    pub async fn subscribe(&self, token: &str, query: &str) -> Subscription {
        Subscription::open(&self.base, Some(token), query).await
    }

    pub async fn subscribe_anonymous(&self, query: &str) -> Subscription {
        Subscription::open(&self.base, None, query).await
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One graphql-transport-ws connection over which several operations run
/// one after another, as the portal's client does.
pub struct WsSession {
    socket: Socket,
    next_id: u64,
}

impl WsSession {
    /// Runs one query or mutation on this connection; its result.
    pub async fn execute(&mut self, query: &str, variables: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id.to_string();
        send(
            &mut self.socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
        )
        .await;
        loop {
            let message = recv(&mut self.socket).await;
            if message["id"].as_str().is_some_and(|i| i != id) {
                continue;
            }
            match message["type"].as_str() {
                Some("next") => return message["payload"].clone(),
                Some("error") => return json!({ "data": null, "errors": message["payload"] }),
                Some("ping") => send(&mut self.socket, json!({ "type": "pong" })).await,
                _ => {}
            }
        }
    }

    /// Starts an operation (e.g. a subscription) without waiting for it;
    /// returns its id.
    pub async fn start(&mut self, query: &str) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        send(
            &mut self.socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
        )
        .await;
        id
    }

    /// The next message the server sends (bounded wait), skipping pings.
    pub async fn next_message(&mut self) -> Value {
        loop {
            let message = recv(&mut self.socket).await;
            match message["type"].as_str() {
                Some("ping") => send(&mut self.socket, json!({ "type": "pong" })).await,
                Some("pong") | Some("ka") => {}
                _ => return message,
            }
        }
    }

    /// The next message other than a complete or keep-alive within `wait`,
    /// if any.
    pub async fn next_or_close_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            let Ok(Message::Text(text)) = message else {
                return Some(json!({ "type": "closed" }));
            };
            let message: Value = serde_json::from_str(&text).expect("json");
            match message["type"].as_str() {
                Some("complete") | Some("ping") | Some("pong") | Some("ka") => {}
                _ => return Some(message),
            }
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One graphql-transport-ws subscription.
pub struct Subscription {
    socket: Socket,
}

impl Subscription {
    async fn open(base: &str, token: Option<&str>, query: &str) -> Subscription {
        let mut socket = connect_ws(base, token)
            .await
            .unwrap_or_else(|reason| panic!("connection_init refused: {reason}"));
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        )
        .await;
        Subscription { socket }
    }

    /// The next `next` payload (bounded wait).
    pub async fn next_payload(&mut self) -> Value {
        loop {
            let message = recv(&mut self.socket).await;
            match message["type"].as_str() {
                Some("next") => return message["payload"].clone(),
                Some("ping") => send(&mut self.socket, json!({ "type": "pong" })).await,
                Some("pong") | Some("ka") => {}
                _ => panic!("unexpected message {message}"),
            }
        }
    }

    /// Whether the server completed the subscription (or closed the
    /// socket) before sending anything else (bounded wait).
    pub async fn ends(&mut self) -> bool {
        loop {
            match recv_or_close(&mut self.socket).await {
                Ok(message) => match message["type"].as_str() {
                    Some("complete") => return true,
                    Some("ping") => send(&mut self.socket, json!({ "type": "pong" })).await,
                    Some("pong") | Some("ka") => {}
                    _ => return false,
                },
                Err(_) => return true,
            }
        }
    }

    /// The error code, if the subscription fails within `wait`.
    pub async fn error_within(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            let Some(Ok(Message::Text(text))) = message else {
                return Some("CLOSED".to_owned());
            };
            let message: Value = serde_json::from_str(&text).expect("json");
            let errors = match message["type"].as_str() {
                Some("error") => message["payload"].clone(),
                Some("next") => message["payload"]["errors"].clone(),
                Some("ping") => {
                    send(&mut self.socket, json!({ "type": "pong" })).await;
                    continue;
                }
                _ => continue,
            };
            return Some(
                errors[0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("NO_CODE")
                    .to_owned(),
            );
        }
    }

    /// The close code the server ends the socket with (bounded wait),
    /// skipping other messages; `None` if it closes without a frame.
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("the server closes the socket in time");
            match message {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Whether nothing arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> bool {
        match tokio::time::timeout(wait, self.socket.next()).await {
            Err(_) => true,
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).expect("json");
                matches!(
                    message["type"].as_str(),
                    Some("ping") | Some("pong") | Some("ka")
                )
            }
            Ok(_) => false,
        }
    }

    /// The code of the next error (as `next` with errors, or `error`).
    pub async fn next_error_code(&mut self) -> String {
        loop {
            let message = recv(&mut self.socket).await;
            let errors = match message["type"].as_str() {
                Some("next") => message["payload"]["errors"].clone(),
                Some("error") => message["payload"].clone(),
                Some("ping") | Some("pong") => continue,
                _ => panic!("unexpected message {message}"),
            };
            return errors[0]["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    }
}

/// Opens a graphql-transport-ws connection and initialises it with `token`;
/// `Err` with the close reason when the server refuses the token.
async fn connect_ws(base: &str, token: Option<&str>) -> Result<Socket, String> {
    let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    let payload = match token {
        Some(token) => json!({ "token": token }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    match recv_or_close(&mut socket).await? {
        ack if ack["type"] == "connection_ack" => Ok(socket),
        other => panic!("unexpected reply to connection_init: {other}"),
    }
}

/// The code of a GraphQL response's first error, or `""`.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("ws send");
}

/// The next JSON message, or the close frame's reason.
async fn recv_or_close(socket: &mut Socket) -> Result<Value, String> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a WebSocket message within 15s");
        match message {
            None | Some(Err(_)) => return Err("connection closed".to_owned()),
            Some(Ok(Message::Text(text))) => {
                return Ok(serde_json::from_str(&text).expect("json message"));
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map(|f| f.reason.to_string()).unwrap_or_default());
            }
            Some(Ok(_)) => {}
        }
    }
}

async fn recv(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a WebSocket message within 15s")
            .expect("socket open")
            .expect("ws message");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("json message"),
            Message::Close(frame) => panic!("socket closed: {frame:?}"),
            _ => {}
        }
    }
}
