//! The authorization matrix: every query, mutation and subscription, for
//! every kind of caller, over HTTP and over the WebSocket — each cell
//! asserted, and the whole matrix printed as a table.
//!
//! Callers: anonymous; a requester on his own ticket and on another's; an
//! agent; an admin; a deactivated user whose token was issued before he was
//! deactivated; and a deactivated user on a WebSocket he opened before he
//! was deactivated (every operation sent on it later is refused, as a fresh
//! HTTP request with his token is). The WebSocket column must equal the HTTP one for every
//! operation both carry (the subscription path enforces exactly what HTTP
//! does), and subscriptions are checked by receiving (or not) a real event.
//!
//! Run `cargo test -p itosm-daemon --test it authorization_matrix -- --nocapture`
//! to see the table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support;
use crate::support::{App, Backend};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    RequesterOwn,
    RequesterOther,
    Agent,
    Admin,
    Deactivated,
    DeactivatedOpenSocket,
}

const WHO: [Who; 7] = [
    Who::Anonymous,
    Who::RequesterOwn,
    Who::RequesterOther,
    Who::Agent,
    Who::Admin,
    Who::Deactivated,
    Who::DeactivatedOpenSocket,
];

const HEADERS: [&str; 7] = [
    "anonymous",
    "requester:own",
    "requester:other's",
    "agent",
    "admin",
    "deactivated",
    "deactivated:open socket",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Http,
    WebSocket,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Me,
    SoftwareCatalog,
    Ticket,
    Tickets,
    History,
    Comments,
    ContactDetails,
    Notifications,
    AssignableAgents,
    Users,
    Limits,
    AuthMethods,
    RequestTypes,
    Login,
    CreateTicket,
    CancelTicket,
    StartWork,
    AssignTicket,
    ChangePriority,
    AddComment,
    AddInternalNote,
    CreateUser,
    ChangeUserRole,
    DeactivateUser,
    ReactivateUser,
    LogoutEverywhere,
    LoginWithPassword,
    ChangePassword,
    ResetPassword,
    CatalogWithRetired,
    AddSoftware,
    RenameSoftware,
    RetireSoftware,
    RestoreSoftware,
    Attachments,
    CreateTicketWithFile,
    CommentWithFile,
    UploadFile,
    DownloadFile,
    DownloadInternalFile,
    DiscardUpload,
    TicketCreated,
    TicketUpdatedOne,
    TicketUpdatedAll,
    Asset,
    Assets,
    CreateTicketWithAsset,
    CreateAsset,
    UpdateAsset,
    LinkAsset,
    MergeAssets,
    EnrollmentTokens,
    CreateEnrollmentToken,
    RevokeEnrollmentToken,
    RevokeAgent,
    UnlinkAsset,
    AssetHealthChanged,
}

const UNAUTH: &str = "UNAUTHENTICATED";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";

/// Each operation and its expected outcome per caller, in `WHO` order: the
/// open socket of a deactivated user gets exactly what his token gets.
fn expected(op: Op) -> [&'static str; 7] {
    let [a, b, c, d, e, f] = expected_six(op);
    [a, b, c, d, e, f, f]
}

fn expected_six(op: Op) -> [&'static str; 6] {
    use Op::*;
    match op {
        Me | SoftwareCatalog | CreateTicket | LogoutEverywhere | ChangePassword
        | CreateTicketWithFile | UploadFile | DiscardUpload => {
            [UNAUTH, "ok", "ok", "ok", "ok", UNAUTH]
        }
        Ticket | History | AddComment | CancelTicket | TicketUpdatedOne | CommentWithFile
        | DownloadFile => [UNAUTH, "ok", NOT_FOUND, "ok", "ok", UNAUTH],
        DownloadInternalFile => [UNAUTH, NOT_FOUND, NOT_FOUND, "ok", "ok", UNAUTH],
        Tickets | TicketUpdatedAll => [UNAUTH, "own only", "own only", "all", "all", UNAUTH],
        Comments | Attachments => [
            UNAUTH,
            "public only",
            NOT_FOUND,
            "with internal",
            "with internal",
            UNAUTH,
        ],
        ContactDetails => [UNAUTH, "hidden", NOT_FOUND, "shown", "shown", UNAUTH],
        Notifications => [UNAUTH, FORBIDDEN, NOT_FOUND, FORBIDDEN, "ok", UNAUTH],
        AssignableAgents => [UNAUTH, FORBIDDEN, FORBIDDEN, "ok", "ok", UNAUTH],
        Users | CreateUser | ChangeUserRole | DeactivateUser | ReactivateUser | ResetPassword
        | CatalogWithRetired | AddSoftware | RenameSoftware | RetireSoftware | RestoreSoftware => {
            [UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, "ok", UNAUTH]
        }
        Limits => ["ok", "ok", "ok", "ok", "ok", UNAUTH],
        // What the login page reads: it never consults the caller, so a
        // stale session cookie cannot lock the login page (see
        // `expected_over_websocket` for the one difference).
        AuthMethods | RequestTypes => ["ok", "ok", "ok", "ok", "ok", "ok"],
        Login | LoginWithPassword => ["ok", "ok", "ok", "ok", "ok", UNAUTH],
        StartWork | AssignTicket | ChangePriority | AddInternalNote => {
            [UNAUTH, FORBIDDEN, NOT_FOUND, "ok", "ok", UNAUTH]
        }
        TicketCreated => [UNAUTH, FORBIDDEN, FORBIDDEN, "ok", "ok", UNAUTH],
        Asset | CreateTicketWithAsset => [UNAUTH, "ok", NOT_FOUND, "ok", "ok", UNAUTH],
        Assets | AssetHealthChanged => [UNAUTH, "own only", "own only", "all", "all", UNAUTH],
        CreateAsset | UpdateAsset | LinkAsset | UnlinkAsset => {
            [UNAUTH, FORBIDDEN, FORBIDDEN, "ok", "ok", UNAUTH]
        }
        MergeAssets
        | EnrollmentTokens
        | CreateEnrollmentToken
        | RevokeEnrollmentToken
        | RevokeAgent => [UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, "ok", UNAUTH],
    }
}

/// The outcome over a WebSocket where it differs from HTTP's: a fresh socket
/// with a refused token is refused at `connection_init`, before any
/// operation, even one that never consults the caller.
fn expected_over_websocket(op: Op, who: Who, over_http: &'static str) -> &'static str {
    match (op, who) {
        (Op::AuthMethods | Op::RequestTypes, Who::Deactivated) => UNAUTH,
        _ => over_http,
    }
}

fn name(op: Op) -> &'static str {
    use Op::*;
    match op {
        Me => "query me",
        SoftwareCatalog => "query softwareCatalog",
        Ticket => "query ticket(number)",
        Tickets => "query tickets",
        History => "query ticket.history",
        Comments => "query ticket.comments",
        ContactDetails => "query ticket.assignee.email",
        Notifications => "query ticket.notifications",
        AssignableAgents => "query assignableAgents",
        Users => "query users",
        Limits => "query limits",
        AuthMethods => "query authMethods",
        RequestTypes => "query requestTypes",
        Login => "mutation login (own credentials)",
        CreateTicket => "mutation createTicket",
        CancelTicket => "mutation changeStatus → CANCELLED",
        StartWork => "mutation changeStatus → IN_PROGRESS",
        AssignTicket => "mutation assignTicket",
        ChangePriority => "mutation changePriority",
        AddComment => "mutation addComment",
        AddInternalNote => "mutation addComment(internal)",
        CreateUser => "mutation createUser",
        ChangeUserRole => "mutation changeUserRole",
        DeactivateUser => "mutation deactivateUser",
        ReactivateUser => "mutation reactivateUser",
        LogoutEverywhere => "mutation logoutEverywhere",
        LoginWithPassword => "mutation loginWithPassword (own)",
        ChangePassword => "mutation changePassword (own)",
        ResetPassword => "mutation resetPassword",
        CatalogWithRetired => "query softwareCatalog(includeRetired)",
        AddSoftware => "mutation addSoftware",
        RenameSoftware => "mutation updateSoftware",
        RetireSoftware => "mutation retireSoftware",
        RestoreSoftware => "mutation restoreSoftware",
        Attachments => "query ticket.attachments",
        CreateTicketWithFile => "mutation createTicket(attachmentIds)",
        CommentWithFile => "mutation addComment(attachmentIds)",
        UploadFile => "POST /api/attachments",
        DownloadFile => "GET …/attachments/{id}",
        DownloadInternalFile => "GET …/attachments/{id} (note's)",
        DiscardUpload => "DELETE /api/attachments/{id}",
        TicketCreated => "subscription ticketCreated",
        TicketUpdatedOne => "subscription ticketUpdated(number)",
        TicketUpdatedAll => "subscription ticketUpdated",
        Asset => "query asset(tag) with history, tickets",
        Assets => "query assets",
        CreateTicketWithAsset => "mutation createTicket(assetTags)",
        CreateAsset => "mutation createAsset",
        UpdateAsset => "mutation updateAsset",
        LinkAsset => "mutation linkAsset",
        MergeAssets => "mutation mergeAssets",
        EnrollmentTokens => "query enrollmentTokens",
        CreateEnrollmentToken => "mutation createEnrollmentToken",
        RevokeEnrollmentToken => "mutation revokeEnrollmentToken",
        RevokeAgent => "mutation revokeAgent",
        UnlinkAsset => "mutation unlinkAsset",
        AssetHealthChanged => "subscription assetHealthChanged",
    }
}

struct World {
    app: App,
    admin: String,
    agent: String,
    agent_id: String,
    john: String,
    jane: String,
    gone: String,
    /// John's ticket: assigned to the agent, with a public comment and an
    /// internal note; read-only rows use it.
    johns: String,
    /// Jane's ticket, for the "other's" column.
    janes: String,
    /// Download paths of a public comment's file and an internal note's
    /// file, by ticket number (John's and Jane's tickets have both).
    files: std::collections::HashMap<String, (String, String)>,
    counter: AtomicUsize,
    /// John's and Jane's devices, each reported on by an enrolled agent.
    johns_device: String,
    janes_device: String,
    /// The agents' credentials, by device tag.
    credentials: std::collections::HashMap<String, String>,
    /// A WebSocket opened by a user who was deactivated afterwards.
    gone_socket: tokio::sync::Mutex<Option<support::WsSession>>,
}

fn code(response: &Value) -> Option<String> {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

impl World {
    async fn new() -> World {
        let app = App::spawn(Backend::Sqlite).await;
        let admin = app.login("admin.user", "ADMIN01").await;
        let john = app.login("john.doe", "EMP123").await;
        let jane = app.login("jane.smith", "EMP124").await;
        let mut world = World {
            agent: String::new(),
            agent_id: String::new(),
            gone: String::new(),
            johns: String::new(),
            janes: String::new(),
            files: std::collections::HashMap::new(),
            counter: AtomicUsize::new(0),
            gone_socket: tokio::sync::Mutex::new(None),
            johns_device: String::new(),
            janes_device: String::new(),
            credentials: std::collections::HashMap::new(),
            app,
            admin,
            john,
            jane,
        };
        world.agent_id = world.new_user("AGENT").await;
        world.agent = world.app.login("agent.one", "EMP-A1").await;
        let gone_id = world
            .new_user_named("gone.user", "EMP-G1", "REQUESTER")
            .await;
        world.gone = world.app.login("gone.user", "EMP-G1").await;
        let mut socket = world.app.ws_session(Some(&world.gone)).await;
        let before = socket.execute("{ me { username } }", json!({})).await;
        assert_eq!(before["data"]["me"]["username"], "gone.user");
        *world.gone_socket.lock().await = Some(socket);
        let deactivated = world
            .as_admin(
                "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
                json!({ "id": gone_id }),
            )
            .await;
        assert_eq!(deactivated["data"]["deactivateUser"]["active"], false);

        for owner in ["john.doe", "jane.smith"] {
            let (_, tag, credential) = world.fresh_agent().await;
            world
                .as_admin(
                    "mutation($t: String!, $o: String!) { updateAsset(tag: $t, input: { owner: $o }) { tag } }",
                    json!({ "t": tag, "o": owner }),
                )
                .await;
            world.credentials.insert(tag.clone(), credential);
            if owner == "john.doe" {
                world.johns_device = tag;
            } else {
                world.janes_device = tag;
            }
        }
        world.johns = world.new_ticket(&world.john.clone()).await;
        world.janes = world.new_ticket(&world.jane.clone()).await;
        world
            .as_admin(
                "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 1) { version } }",
                json!({ "n": world.johns, "a": world.agent_id }),
            )
            .await;
        for internal in [false, true] {
            world
                .as_admin(
                    "mutation($n: String!, $i: Boolean!) { addComment(number: $n, body: \"note\", internal: $i) { id } }",
                    json!({ "n": world.johns, "i": internal }),
                )
                .await;
        }
        for number in [world.johns.clone(), world.janes.clone()] {
            let mut urls = Vec::new();
            for internal in [false, true] {
                let id = world
                    .upload_as(Some(&world.admin.clone()))
                    .await
                    .expect("the admin uploads");
                let added = world
                    .as_admin(
                        "mutation($n: String!, $i: Boolean!, $a: [ID!]) { addComment(number: $n, body: \"file\", internal: $i, attachmentIds: $a) { id } }",
                        json!({ "n": number, "i": internal, "a": [id] }),
                    )
                    .await;
                assert!(added["errors"].is_null());
                urls.push(format!("/api/tickets/{number}/attachments/{id}"));
            }
            world
                .files
                .insert(number, (urls[0].clone(), urls[1].clone()));
        }
        world
    }

    /// Uploads a small file as the holder of `token`; its id, if accepted.
    async fn upload_as(&self, token: Option<&str>) -> Option<String> {
        let (status, body) = self
            .rest(
                token,
                reqwest::Method::POST,
                "/api/attachments?filename=log.txt",
            )
            .await;
        (status == 201).then(|| body["id"].as_str().map(str::to_owned))?
    }

    /// A REST call as the holder of `token` (an upload's body on POST).
    async fn rest(&self, token: Option<&str>, method: reqwest::Method, path: &str) -> (u16, Value) {
        let body = (method == reqwest::Method::POST)
            .then(|| ("application/octet-stream", b"disk full at 03:00".to_vec()));
        self.app.rest(method, token, path, body).await
    }

    /// A REST-only cell: "ok" for a success, else the error's code.
    async fn rest_cell(&self, op: Op, who: Who) -> String {
        let token = self.token(who);
        let (status, body) = match op {
            Op::UploadFile => {
                self.rest(
                    token,
                    reqwest::Method::POST,
                    "/api/attachments?filename=log.txt",
                )
                .await
            }
            Op::DownloadFile | Op::DownloadInternalFile => {
                let (public, internal) = &self.files[self.target(who)];
                let path = if matches!(op, Op::DownloadFile) {
                    public
                } else {
                    internal
                };
                self.rest(token, reqwest::Method::GET, path).await
            }
            Op::DiscardUpload => {
                // One's own fresh upload (the admin's, for callers who
                // cannot upload, so the refusal is about the caller).
                let id = match self.upload_as(token).await {
                    Some(id) => id,
                    None => self.upload_as(Some(&self.admin)).await.expect("upload"),
                };
                self.rest(
                    token,
                    reqwest::Method::DELETE,
                    &format!("/api/attachments/{id}"),
                )
                .await
            }
            other => panic!("{other:?} is not a REST cell"),
        };
        if (200..300).contains(&status) {
            "ok".into()
        } else {
            body["error"]["code"]
                .as_str()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned)
        }
    }

    async fn new_user(&self, role: &str) -> String {
        self.new_user_named("agent.one", "EMP-A1", role).await
    }

    async fn new_user_named(&self, username: &str, employee_id: &str, role: &str) -> String {
        let created = self
            .app
            .graphql(
                &self.admin,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": {
                    "username": username, "employeeId": employee_id,
                    "displayName": username, "email": format!("{username}@example.com"),
                    "role": role,
                } }),
            )
            .await;
        created["data"]["createUser"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createUser failed: {created}"))
            .to_owned()
    }

    async fn fresh_user(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        self.new_user_named(&format!("target{n}"), &format!("EMP-T{n}"), "REQUESTER")
            .await
    }

    async fn new_ticket(&self, token: &str) -> String {
        let created = self
            .app
            .graphql(
                token,
                "mutation { createTicket(input: { requestType: INCIDENT, description: \"Printer on fire\" }) { number } }",
                json!({}),
            )
            .await;
        created["data"]["createTicket"]["number"]
            .as_str()
            .unwrap_or_else(|| panic!("createTicket failed: {created}"))
            .to_owned()
    }

    fn token(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::RequesterOwn | Who::RequesterOther => Some(&self.john),
            Who::Agent => Some(&self.agent),
            Who::Admin => Some(&self.admin),
            Who::Deactivated | Who::DeactivatedOpenSocket => Some(&self.gone),
        }
    }

    /// The ticket a read-only cell looks at.
    fn target(&self, who: Who) -> &str {
        if who == Who::RequesterOther {
            &self.janes
        } else {
            &self.johns
        }
    }

    /// A fresh ticket at version 1 for a mutating cell, owned by John (or
    /// Jane for the "other's" column).
    async fn fresh_target(&self, who: Who) -> String {
        let owner = if who == Who::RequesterOther {
            self.jane.clone()
        } else {
            self.john.clone()
        };
        self.new_ticket(&owner).await
    }

    async fn run(&self, who: Who, via: Via, query: &str, variables: Value) -> Value {
        let token = self.token(who);
        match via {
            Via::Http => self.app.graphql_with(token, query, variables).await,
            Via::WebSocket if who == Who::DeactivatedOpenSocket => {
                let mut socket = self.gone_socket.lock().await;
                let socket = socket.as_mut().expect("the open socket");
                socket.execute(query, variables).await
            }
            Via::WebSocket => self.app.ws_execute(token, query, variables).await,
        }
    }

    /// A fresh user with the caller's role and his token, for operations
    /// that end the caller's own sessions.
    async fn stand_in(&self, who: Who) -> Option<String> {
        let role = match who {
            Who::Anonymous => return None,
            Who::Deactivated | Who::DeactivatedOpenSocket => return Some(self.gone.clone()),
            Who::RequesterOwn | Who::RequesterOther => "REQUESTER",
            Who::Agent => "AGENT",
            Who::Admin => "ADMIN",
        };
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let (username, employee_id) = (format!("standin{n}"), format!("EMP-S{n}"));
        self.new_user_named(&username, &employee_id, role).await;
        Some(self.app.login(&username, &employee_id).await)
    }

    /// Runs `query` as a [`World::stand_in`] for `who` (for operations
    /// that end the caller's own sessions): his token and the answer.
    async fn run_as_stand_in(&self, who: Who, via: Via, query: &str) -> (Option<String>, Value) {
        let token = self.stand_in(who).await;
        let response = match via {
            Via::Http => {
                self.app
                    .graphql_with(token.as_deref(), query, json!({}))
                    .await
            }
            Via::WebSocket if who == Who::DeactivatedOpenSocket => {
                self.run(who, via, query, json!({})).await
            }
            Via::WebSocket => {
                self.app
                    .ws_execute(token.as_deref(), query, json!({}))
                    .await
            }
        };
        (token, response)
    }

    /// A fresh user with the caller's role (deactivated for the
    /// deactivated columns) whose password an admin reset: his username and
    /// temporary password.
    async fn password_holder(&self, who: Who) -> (String, String) {
        let role = match who {
            Who::Agent => "AGENT",
            Who::Admin => "ADMIN",
            _ => "REQUESTER",
        };
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let username = format!("holder{n}");
        let id = self
            .new_user_named(&username, &format!("EMP-H{n}"), role)
            .await;
        let reset = self
            .as_admin(
                "mutation($id: ID!) { resetPassword(userId: $id) { temporaryPassword } }",
                json!({ "id": id }),
            )
            .await;
        let password = reset["data"]["resetPassword"]["temporaryPassword"]
            .as_str()
            .unwrap_or_else(|| panic!("resetPassword failed: {reset}"))
            .to_owned();
        if matches!(who, Who::Deactivated | Who::DeactivatedOpenSocket) {
            self.as_admin(
                "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        }
        (username, password)
    }

    /// A device entered by the admin, owned by `owner`: its tag.
    async fn fresh_asset(&self, owner: Option<&str>) -> String {
        let created = self
            .as_admin(
                "mutation($o: String) { createAsset(input: { name: \"Laptop\", owner: $o }) { tag } }",
                json!({ "o": owner }),
            )
            .await;
        created["data"]["createAsset"]["tag"]
            .as_str()
            .unwrap_or_else(|| panic!("createAsset failed: {created}"))
            .to_owned()
    }

    /// A fresh enrolment token, made by the admin: its id and the token.
    async fn fresh_enrollment_token(&self) -> (String, String) {
        let created = self
            .as_admin(
                "mutation { createEnrollmentToken(expiresIn: \"1h\") { id token } }",
                json!({}),
            )
            .await;
        let token = &created["data"]["createEnrollmentToken"];
        (
            token["id"].as_str().expect("an id").to_owned(),
            token["token"].as_str().expect("a token").to_owned(),
        )
    }

    /// An agent enrolled over the agent API as a new device: its id, the
    /// device's tag and its credential.
    async fn fresh_agent(&self) -> (String, String, String) {
        let (_, token) = self.fresh_enrollment_token().await;
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let host = format!("matrix-pc-{n}");
        let (status, enrolled) = self
            .app
            .rest_post(
                None,
                "/api/agent/enroll",
                json!({ "token": token, "hints": { "hostname": host }, "inventory": {
                    "hostname": host, "os": { "name": "Debian", "version": "12", "kernel": "6.1" },
                    "cpu": { "model": "x", "cores": 2 }, "memory_bytes": 1024 } }),
            )
            .await;
        assert_eq!(status, 201, "{enrolled}");
        let field = |name: &str| enrolled[name].as_str().expect(name).to_owned();
        (field("agent_id"), field("asset_tag"), field("credential"))
    }

    /// Makes the device's health change: a heartbeat whose CPU crosses the
    /// threshold one way or the other, whichever changes it now.
    async fn flip_health(&self, tag: &str) {
        let now = self
            .as_admin(
                "query($t: String!) { asset(tag: $t) { health } }",
                json!({ "t": tag }),
            )
            .await;
        let cpu = if now["data"]["asset"]["health"] == "DEGRADED" {
            5.0
        } else {
            99.5
        };
        let (status, _) = self
            .app
            .rest_post(
                Some(&self.credentials[tag]),
                "/api/agent/heartbeat",
                json!({ "sample": { "cpu_percent": cpu, "memory_used_bytes": 1,
                    "memory_total_bytes": 4, "load": [0.1, 0.1, 0.1], "uptime_seconds": 60 } }),
            )
            .await;
        assert_eq!(status, 202);
    }

    /// The device a cell looks at: John's, or Jane's for the "other's"
    /// column.
    fn target_device(&self, who: Who) -> &str {
        if who == Who::RequesterOther {
            &self.janes_device
        } else {
            &self.johns_device
        }
    }

    /// A catalog title added by the admin (and retired, when asked): its id.
    async fn fresh_software(&self, retired: bool) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let added = self
            .as_admin(
                "mutation($n: String!) { addSoftware(name: $n) { id } }",
                json!({ "n": format!("Fixture {n}") }),
            )
            .await;
        let id = added["data"]["addSoftware"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("addSoftware failed: {added}"))
            .to_owned();
        if retired {
            self.as_admin(
                "mutation($id: ID!) { retireSoftware(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        }
        id
    }

    /// One cell: runs `op` as `who` over `via` and names the outcome.
    async fn cell(&self, op: Op, who: Who, via: Via) -> String {
        use Op::*;
        let target = self.target(who).to_owned();
        let ticket_query = |fields: &str| {
            format!("query($n: String!) {{ ticket(number: $n) {{ number {fields} }} }}")
        };
        let (query, variables): (String, Value) = match op {
            Me => ("{ me { username } }".into(), json!({})),
            SoftwareCatalog => ("{ softwareCatalog { id } }".into(), json!({})),
            Ticket => (ticket_query(""), json!({ "n": target })),
            History => (ticket_query("history { status }"), json!({ "n": target })),
            Comments => (
                ticket_query("comments { internal }"),
                json!({ "n": target }),
            ),
            ContactDetails => (
                ticket_query("assignee { username email phone }"),
                json!({ "n": target }),
            ),
            Notifications => (
                ticket_query("notifications { sink }"),
                json!({ "n": target }),
            ),
            Tickets => (
                "{ tickets(first: 100) { edges { node { requester { username } } } } }".into(),
                json!({}),
            ),
            AssignableAgents => ("{ assignableAgents { username } }".into(), json!({})),
            Users => ("{ users { edges { node { username } } } }".into(), json!({})),
            Limits => ("{ limits { maxPageSize } }".into(), json!({})),
            AuthMethods => (
                "{ authMethods { employeeId password oidc } }".into(),
                json!({}),
            ),
            RequestTypes => (
                "{ requestTypes { type explanation } }".into(),
                json!({}),
            ),
            Login => {
                let (u, e) = match who {
                    Who::Agent => ("agent.one", "EMP-A1"),
                    Who::Admin => ("admin.user", "ADMIN01"),
                    Who::Deactivated | Who::DeactivatedOpenSocket => ("gone.user", "EMP-G1"),
                    _ => ("john.doe", "EMP123"),
                };
                (
                    "mutation($u: String!, $e: String!) { login(username: $u, employeeId: $e) { token } }".into(),
                    json!({ "u": u, "e": e }),
                )
            }
            CreateTicket => (
                "mutation { createTicket(input: { requestType: OTHER, description: \"Need a mouse\" }) { number } }".into(),
                json!({}),
            ),
            CancelTicket | StartWork => (
                "mutation($n: String!, $s: TicketStatus!) { changeStatus(number: $n, status: $s, version: 1) { status } }".into(),
                json!({
                    "n": self.fresh_target(who).await,
                    "s": if matches!(op, CancelTicket) { "CANCELLED" } else { "IN_PROGRESS" },
                }),
            ),
            AssignTicket => (
                "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 1) { version } }".into(),
                json!({ "n": self.fresh_target(who).await, "a": self.agent_id }),
            ),
            ChangePriority => (
                "mutation($n: String!) { changePriority(number: $n, priority: HIGH, version: 1) { priority } }".into(),
                json!({ "n": self.fresh_target(who).await }),
            ),
            Attachments => (
                ticket_query("attachments { internal }"),
                json!({ "n": target }),
            ),
            CreateTicketWithFile | CommentWithFile => {
                // The caller's own upload; callers who cannot upload name
                // an id, which must be refused before it is looked at.
                let id = match self.upload_as(self.token(who)).await {
                    Some(id) => id,
                    None => "0193a5c2-0000-4000-8000-000000000000".to_owned(),
                };
                if matches!(op, CreateTicketWithFile) {
                    (
                        "mutation($a: [ID!]) { createTicket(input: { requestType: OTHER, description: \"Screenshot attached\", attachmentIds: $a }) { number } }".into(),
                        json!({ "a": [id] }),
                    )
                } else {
                    (
                        "mutation($n: String!, $a: [ID!]) { addComment(number: $n, body: \"log attached\", attachmentIds: $a) { id } }".into(),
                        json!({ "n": self.fresh_target(who).await, "a": [id] }),
                    )
                }
            }
            AddComment | AddInternalNote => (
                "mutation($n: String!, $i: Boolean!) { addComment(number: $n, body: \"hello\", internal: $i) { id } }".into(),
                json!({ "n": self.fresh_target(who).await, "i": matches!(op, AddInternalNote) }),
            ),
            CreateUser => {
                let n = self.counter.fetch_add(1, Ordering::SeqCst);
                (
                    "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }".into(),
                    json!({ "i": {
                        "username": format!("made{n}"), "employeeId": format!("EMP-M{n}"),
                        "displayName": "Made", "role": "REQUESTER",
                    } }),
                )
            }
            ChangeUserRole => (
                "mutation($id: ID!) { changeUserRole(id: $id, role: AGENT) { role } }".into(),
                json!({ "id": self.fresh_user().await }),
            ),
            DeactivateUser | ReactivateUser => {
                let id = self.fresh_user().await;
                if matches!(op, ReactivateUser) {
                    self.as_admin(
                        "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                }
                let mutation = if matches!(op, ReactivateUser) {
                    "reactivateUser"
                } else {
                    "deactivateUser"
                };
                (
                    format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ active }} }}"),
                    json!({ "id": id }),
                )
            }
            LogoutEverywhere => {
                let (token, response) = self
                    .run_as_stand_in(who, via, "mutation { logoutEverywhere }")
                    .await;
                if let Some(code) = code(&response) {
                    return code;
                }
                let after = self.app.graphql_with(token.as_deref(), "{ me { id } }", json!({})).await;
                return match code(&after).as_deref() {
                    Some(UNAUTH) => "ok".into(),
                    other => format!("session survived: {other:?}"),
                };
            }
            LoginWithPassword => {
                let (username, password) = self.password_holder(who).await;
                (
                    "mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { token } }".into(),
                    json!({ "u": username, "p": password }),
                )
            }
            ChangePassword => {
                // Changing a password ends the caller's other sessions: a
                // stand-in with the caller's role takes the hit.
                let (_, response) = self
                    .run_as_stand_in(
                        who,
                        via,
                        "mutation { changePassword(newPassword: \"a long enough passphrase\") { token } }",
                    )
                    .await;
                return code(&response).unwrap_or_else(|| "ok".into());
            }
            ResetPassword => (
                "mutation($id: ID!) { resetPassword(userId: $id) { temporaryPassword } }".into(),
                json!({ "id": self.fresh_user().await }),
            ),
            CatalogWithRetired => (
                "{ softwareCatalog(includeRetired: true) { id retired } }".into(),
                json!({}),
            ),
            AddSoftware => {
                let n = self.counter.fetch_add(1, Ordering::SeqCst);
                (
                    "mutation($n: String!) { addSoftware(name: $n, version: \"1\") { id } }".into(),
                    json!({ "n": format!("Title {n}") }),
                )
            }
            RenameSoftware => {
                let n = self.counter.fetch_add(1, Ordering::SeqCst);
                (
                    "mutation($id: ID!, $n: String!) { updateSoftware(id: $id, name: $n, version: \"2\") { name } }".into(),
                    json!({ "id": self.fresh_software(false).await, "n": format!("Renamed {n}") }),
                )
            }
            RetireSoftware => (
                "mutation($id: ID!) { retireSoftware(id: $id) { retired } }".into(),
                json!({ "id": self.fresh_software(false).await }),
            ),
            RestoreSoftware => (
                "mutation($id: ID!) { restoreSoftware(id: $id) { retired } }".into(),
                json!({ "id": self.fresh_software(true).await }),
            ),
            TicketCreated | TicketUpdatedOne | TicketUpdatedAll | AssetHealthChanged => {
                return self.subscription_cell(op, who).await;
            }
            Asset => (
                "query($t: String!) { asset(tag: $t) { tag history { change } tickets { number } } }".into(),
                json!({ "t": self.target_device(who) }),
            ),
            Assets => (
                "{ assets(first: 100) { edges { node { owner { username } } } } }".into(),
                json!({}),
            ),
            CreateTicketWithAsset => (
                "mutation($t: [String!]) { createTicket(input: { requestType: HARDWARE, description: \"Fan noise\", assetTags: $t }) { number } }".into(),
                json!({ "t": [self.target_device(who)] }),
            ),
            CreateAsset => (
                "mutation { createAsset(input: { name: \"Spare laptop\" }) { tag } }".into(),
                json!({}),
            ),
            UpdateAsset => (
                "mutation($t: String!) { updateAsset(tag: $t, input: { location: \"Room 2\" }) { location } }".into(),
                json!({ "t": self.fresh_asset(Some(if who == Who::RequesterOther { "jane.smith" } else { "john.doe" })).await }),
            ),
            LinkAsset => (
                "mutation($n: String!, $t: String!) { linkAsset(number: $n, tag: $t) { number } }".into(),
                json!({ "n": self.fresh_target(who).await, "t": self.target_device(who) }),
            ),
            MergeAssets => (
                "mutation($k: String!, $a: String!) { mergeAssets(keep: $k, absorb: $a) { tag } }".into(),
                json!({ "k": self.fresh_asset(None).await, "a": self.fresh_asset(None).await }),
            ),
            EnrollmentTokens => ("{ enrollmentTokens { id } }".into(), json!({})),
            RevokeEnrollmentToken => (
                "mutation($id: ID!) { revokeEnrollmentToken(id: $id) { revokedAt } }".into(),
                json!({ "id": self.fresh_enrollment_token().await.0 }),
            ),
            RevokeAgent => (
                "mutation($id: ID!) { revokeAgent(id: $id) { revokedAt } }".into(),
                json!({ "id": self.fresh_agent().await.0 }),
            ),
            UnlinkAsset => {
                let number = self.fresh_target(who).await;
                let device = self.target_device(who).to_owned();
                self.as_admin(
                    "mutation($n: String!, $t: String!) { linkAsset(number: $n, tag: $t) { number } }",
                    json!({ "n": number, "t": device }),
                )
                .await;
                (
                    "mutation($n: String!, $t: String!) { unlinkAsset(number: $n, tag: $t) { number } }".into(),
                    json!({ "n": number, "t": device }),
                )
            }
            CreateEnrollmentToken => (
                "mutation { createEnrollmentToken(expiresIn: \"1h\") { token } }".into(),
                json!({}),
            ),
            UploadFile | DownloadFile | DownloadInternalFile | DiscardUpload => {
                return self.rest_cell(op, who).await;
            }
        };
        let response = self.run(who, via, &query, variables).await;
        if let Some(code) = code(&response) {
            return code;
        }
        let data = &response["data"];
        match op {
            Ticket | History | Comments | ContactDetails | Notifications | Attachments
                if data["ticket"].is_null() =>
            {
                NOT_FOUND.to_owned()
            }
            Asset if data["asset"].is_null() => NOT_FOUND.to_owned(),
            Assets => {
                let owners: Vec<&str> = data["assets"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["owner"]["username"].as_str().unwrap_or("nobody"))
                    .collect();
                if owners.contains(&"jane.smith") && owners.contains(&"john.doe") {
                    "all".into()
                } else if !owners.is_empty() && owners.iter().all(|o| *o == "john.doe") {
                    "own only".into()
                } else {
                    format!("unexpected {owners:?}")
                }
            }
            Comments | Attachments => {
                let field = if matches!(op, Comments) {
                    "comments"
                } else {
                    "attachments"
                };
                let comments = data["ticket"][field].as_array().unwrap();
                if comments.iter().any(|c| c["internal"] == true) {
                    "with internal".into()
                } else {
                    "public only".into()
                }
            }
            ContactDetails => {
                let assignee = &data["ticket"]["assignee"];
                assert_eq!(assignee["username"], "agent.one");
                if assignee["email"].is_null() && assignee["phone"].is_null() {
                    "hidden".into()
                } else {
                    "shown".into()
                }
            }
            Tickets => {
                let requesters: Vec<&str> = data["tickets"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["requester"]["username"].as_str().unwrap())
                    .collect();
                if requesters.contains(&"jane.smith") && requesters.contains(&"john.doe") {
                    "all".into()
                } else if requesters.iter().all(|r| *r == "john.doe") {
                    "own only".into()
                } else {
                    format!("unexpected {requesters:?}")
                }
            }
            _ => "ok".into(),
        }
    }

    /// Subscribes as `who`; on success, makes events happen and names what
    /// arrived.
    async fn subscription_cell(&self, op: Op, who: Who) -> String {
        let token = self.token(who);
        let (query, probe) = match op {
            Op::TicketCreated => ("subscription { ticketCreated { number } }".to_owned(), None),
            Op::TicketUpdatedOne => (
                format!(
                    "subscription {{ ticketUpdated(number: \"{}\") {{ number }} }}",
                    self.target(who)
                ),
                Some(self.target(who).to_owned()),
            ),
            Op::AssetHealthChanged => (
                "subscription { assetHealthChanged { tag owner { username } } }".to_owned(),
                None,
            ),
            _ => (
                "subscription { ticketUpdated { number requester { username } } }".to_owned(),
                None,
            ),
        };
        if who == Who::DeactivatedOpenSocket {
            let mut socket = self.gone_socket.lock().await;
            let socket = socket.as_mut().expect("the open socket");
            let id = socket.start(&query).await;
            let reply = loop {
                let reply = socket.next_message().await;
                if reply["id"] == id.as_str() && reply["type"] != "complete" {
                    break reply;
                }
            };
            let errors = match reply["type"].as_str() {
                Some("error") => reply["payload"].clone(),
                _ => reply["payload"]["errors"].clone(),
            };
            return errors[0]["extensions"]["code"]
                .as_str()
                .map_or_else(|| format!("unexpected {reply}"), str::to_owned);
        }
        let opened = self.app.ws_execute_subscription(token, &query).await;
        let mut subscription = match opened {
            Ok(subscription) => subscription,
            Err(code) => return code,
        };
        // Give the server a moment to answer a refused subscription.
        if let Some(code) = subscription.error_within(Duration::from_millis(300)).await {
            return code;
        }
        match op {
            Op::TicketCreated => {
                let number = self.new_ticket(&self.jane).await;
                let payload = subscription.next_payload().await;
                assert_eq!(payload["data"]["ticketCreated"]["number"], number.as_str());
                "ok".into()
            }
            Op::TicketUpdatedOne => {
                let number = probe.unwrap();
                self.comment_as_admin(&number).await;
                let payload = subscription.next_payload().await;
                assert_eq!(payload["data"]["ticketUpdated"]["number"], number.as_str());
                "ok".into()
            }
            Op::AssetHealthChanged => {
                // Jane's device changes first, then John's: a requester's
                // feed skips Jane's, staff feeds show it.
                self.flip_health(&self.janes_device).await;
                self.flip_health(&self.johns_device).await;
                let payload = subscription.next_payload().await;
                match payload["data"]["assetHealthChanged"]["owner"]["username"].as_str() {
                    Some("jane.smith") => "all".into(),
                    Some("john.doe") => "own only".into(),
                    _ => format!("unexpected {payload}"),
                }
            }
            _ => {
                // Jane's ticket changes first, then John's: a requester's
                // feed skips Jane's, staff feeds show it.
                self.comment_as_admin(&self.janes).await;
                self.comment_as_admin(&self.johns).await;
                let payload = subscription.next_payload().await;
                match payload["data"]["ticketUpdated"]["requester"]["username"].as_str() {
                    Some("jane.smith") => "all".into(),
                    Some("john.doe") => "own only".into(),
                    _ => format!("unexpected {payload}"),
                }
            }
        }
    }

    async fn comment_as_admin(&self, number: &str) {
        self.as_admin(
            "mutation($n: String!) { addComment(number: $n, body: \"ping\") { id } }",
            json!({ "n": number }),
        )
        .await;
    }

    /// Fixture set-up the admin does: runs `query` as him and insists it
    /// succeeded.
    async fn as_admin(&self, query: &str, variables: Value) -> Value {
        let response = self.app.graphql(&self.admin, query, variables).await;
        assert!(response["errors"].is_null(), "{query}: {response}");
        response
    }
}

/// Operations that exist only over plain HTTP (file bytes): their WebSocket
/// column repeats the HTTP one.
fn rest_only(op: Op) -> bool {
    matches!(
        op,
        Op::UploadFile | Op::DownloadFile | Op::DownloadInternalFile | Op::DiscardUpload
    )
}

const OPS: [Op; 57] = [
    Op::Me,
    Op::SoftwareCatalog,
    Op::Ticket,
    Op::Tickets,
    Op::History,
    Op::Comments,
    Op::ContactDetails,
    Op::Notifications,
    Op::AssignableAgents,
    Op::Users,
    Op::Limits,
    Op::AuthMethods,
    Op::RequestTypes,
    Op::Login,
    Op::CreateTicket,
    Op::CancelTicket,
    Op::StartWork,
    Op::AssignTicket,
    Op::ChangePriority,
    Op::AddComment,
    Op::AddInternalNote,
    Op::CreateUser,
    Op::ChangeUserRole,
    Op::DeactivateUser,
    Op::ReactivateUser,
    Op::LogoutEverywhere,
    Op::LoginWithPassword,
    Op::ChangePassword,
    Op::ResetPassword,
    Op::CatalogWithRetired,
    Op::AddSoftware,
    Op::RenameSoftware,
    Op::RetireSoftware,
    Op::RestoreSoftware,
    Op::Attachments,
    Op::CreateTicketWithFile,
    Op::CommentWithFile,
    Op::UploadFile,
    Op::DownloadFile,
    Op::DownloadInternalFile,
    Op::DiscardUpload,
    Op::TicketCreated,
    Op::TicketUpdatedOne,
    Op::TicketUpdatedAll,
    Op::Asset,
    Op::Assets,
    Op::CreateTicketWithAsset,
    Op::CreateAsset,
    Op::UpdateAsset,
    Op::LinkAsset,
    Op::MergeAssets,
    Op::EnrollmentTokens,
    Op::CreateEnrollmentToken,
    Op::RevokeEnrollmentToken,
    Op::RevokeAgent,
    Op::UnlinkAsset,
    Op::AssetHealthChanged,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix_over_http_and_websocket() {
    let world = World::new().await;
    let mut failures = Vec::new();
    let width = 36;
    let column = 24;
    let mut table = format!("{:width$}", "operation \\ caller");
    for header in HEADERS {
        table.push_str(&format!(" | {header:column$}"));
    }
    table.push('\n');
    table.push_str(&"-".repeat(width + HEADERS.len() * (column + 3)));
    table.push('\n');
    for op in OPS {
        let subscription = matches!(
            op,
            Op::TicketCreated | Op::TicketUpdatedOne | Op::TicketUpdatedAll
        );
        table.push_str(&format!("{:width$}", name(op)));
        for (who, want) in WHO.iter().zip(expected(op)) {
            let want_ws = expected_over_websocket(op, *who, want);
            let over_ws = world.cell(op, *who, Via::WebSocket).await;
            let over_http = if subscription || rest_only(op) {
                over_ws.clone()
            } else {
                world.cell(op, *who, Via::Http).await
            };
            let mark = if over_http == want && over_ws == want_ws {
                "✓"
            } else {
                failures.push(format!(
                    "{} as {who:?}: expected {want} (WebSocket {want_ws}), HTTP gave {over_http}, WebSocket gave {over_ws}",
                    name(op)
                ));
                "✗"
            };
            let text = if subscription {
                format!("{mark} {want} (ws)")
            } else if rest_only(op) {
                format!("{mark} {want} (http)")
            } else if want_ws != want {
                format!("{mark} {want} (ws: {want_ws})")
            } else {
                format!("{mark} {want}")
            };
            table.push_str(&format!(" | {text:column$}"));
        }
        table.push('\n');
    }
    println!(
        "\nAuthorization matrix (✓: HTTP and WebSocket both gave the expected outcome)\n\n{table}"
    );
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}
