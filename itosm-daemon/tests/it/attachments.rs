//! Attachments through the real binary: uploads bounded and sniffed,
//! linked to tickets and comments, downloaded only under the ticket's
//! policy and always as downloads, and nothing left behind by a failed
//! create — on the filesystem (SQLite and PostgreSQL) and in a real
//! S3-compatible server (moto).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{App, Backend, error_code, free_port};
use serde_json::{Value, json};

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
];

/// What a client sees of one upload.
struct Upload {
    status: u16,
    body: Value,
}

async fn upload(app: &App, auth: Auth<'_>, filename: &str, bytes: Vec<u8>) -> Upload {
    let request = reqwest::Client::new()
        .post(format!("{}/api/attachments", app.base))
        .query(&[("filename", filename)])
        // A lie the server must ignore.
        .header("content-type", "text/html")
        .body(bytes);
    let response = auth.apply(request).send().await.expect("upload");
    let status = response.status().as_u16();
    Upload {
        status,
        body: response.json().await.unwrap_or(Value::Null),
    }
}

async fn upload_ok(app: &App, token: &str, filename: &str, bytes: &[u8]) -> String {
    let sent = upload(app, Auth::Bearer(token), filename, bytes.to_vec()).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    sent.body["id"].as_str().expect("an id").to_owned()
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// The session cookie, with or without the CSRF header.
    Cookie(&'a str, bool),
}

impl Auth<'_> {
    fn apply(self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Bearer(token) => request.header("authorization", format!("Bearer {token}")),
            Auth::Cookie(token, csrf) => {
                let request = request.header("cookie", format!("itosm_session={token}"));
                if csrf {
                    request.header("x-itosm-csrf", "1")
                } else {
                    request
                }
            }
        }
    }
}

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(app: &App, auth: Auth<'_>, path: &str) -> Download {
    let request = reqwest::Client::new().get(format!("{}{path}", app.base));
    let response = auth.apply(request).send().await.expect("download");
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default(),
    }
}

async fn create_with(app: &App, token: &str, description: &str, ids: &[&str]) -> Value {
    app.graphql(
        token,
        "mutation($d: String!, $a: [ID!]) { createTicket(input: { requestType: INCIDENT, description: $d, attachmentIds: $a }) { number attachments { id filename contentType size url internal } } }",
        json!({ "d": description, "a": ids }),
    )
    .await
}

async fn attachments_of(app: &App, token: &str, number: &str) -> Vec<Value> {
    let found = app
        .graphql(
            token,
            "query($n: String!) { ticket(number: $n) { attachments { id filename url internal commentId } } }",
            json!({ "n": number }),
        )
        .await;
    found["data"]["ticket"]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("attachments: {found}"))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn key(id: &str) -> String {
    id.replace('-', "")
}

async fn journey(backend: Backend) {
    let files = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = files.path().join("attachments");
    let dir_text = dir.display().to_string();
    let app = App::spawn_with(
        backend,
        &[
            ("ITOSM_ATTACHMENTS__DIR", dir_text.as_str()),
            ("ITOSM_ATTACHMENTS__MAX_BYTES", "64KiB"),
            ("ITOSM_ATTACHMENTS__MAX_COUNT", "2"),
        ],
    )
    .await;
    let john = app.login("john.doe", "EMP123").await;
    let jane = app.login("jane.smith", "EMP124").await;
    let admin = app.login("admin.user", "ADMIN01").await;

    // Bounds and credentials, each with a code, nothing stored.
    let anonymous = upload(&app, Auth::None, "a.txt", b"x".to_vec()).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(anonymous.body["error"]["code"], "UNAUTHENTICATED");
    let forged = upload(&app, Auth::Cookie(&john, false), "a.txt", b"x".to_vec()).await;
    assert_eq!(forged.status, 403, "a cookie without the CSRF header");
    let too_big = upload(&app, Auth::Bearer(&john), "big.bin", vec![7; 64 * 1024 + 1]).await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert_eq!(too_big.body["error"]["code"], "BAD_USER_INPUT");
    let far_too_big = upload(&app, Auth::Bearer(&john), "big.bin", vec![7; 256 * 1024]).await;
    assert_eq!(far_too_big.status, 413, "{}", far_too_big.body);
    assert_eq!(far_too_big.body["error"]["code"], "BAD_USER_INPUT");
    let empty = upload(&app, Auth::Bearer(&john), "empty.txt", Vec::new()).await;
    assert_eq!(empty.status, 400);
    let nameless = reqwest::Client::new()
        .post(format!("{}/api/attachments", app.base))
        .header("authorization", format!("Bearer {john}"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(nameless.status(), 400, "a filename is required");
    assert!(files_in(&dir).is_empty(), "refused uploads store nothing");

    // The type is sniffed; the cookie with the CSRF header works too.
    let sent = upload(&app, Auth::Cookie(&john, true), "notes.txt", PNG.to_vec()).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["contentType"], "image/png");
    let shot = sent.body["id"].as_str().unwrap().to_owned();
    let page = upload_ok(
        &app,
        &john,
        "page.html",
        b"<html><script>alert(1)</script></html>",
    )
    .await;
    let created = create_with(&app, &john, "screen flickers", &[&shot, &page]).await;
    let number = created["data"]["createTicket"]["number"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let listed = created["data"]["createTicket"]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["filename"], "notes.txt");
    assert_eq!(listed[0]["size"], PNG.len());
    let shot_url = listed[0]["url"].as_str().unwrap().to_owned();
    let page_url = listed[1]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        shot_url,
        format!("/api/tickets/{number}/attachments/{shot}")
    );

    // Downloads: exact bytes, always as a download, sandboxed, never
    // sniffed; markup goes out as opaque bytes.
    let got = download(&app, Auth::Bearer(&john), &shot_url).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, PNG);
    assert_eq!(got.headers["content-type"], "image/png");
    let disposition = got.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("notes.txt"), "{disposition}");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    assert!(
        got.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let markup = download(&app, Auth::Cookie(&john, false), &page_url).await;
    assert_eq!(markup.status, 200, "a download needs no CSRF header");
    assert_eq!(markup.headers["content-type"], "application/octet-stream");

    // An internal note's file: staff see it, the requester never does.
    let secret = upload_ok(&app, &admin, "licence.txt", b"KEY-123").await;
    let note = app
        .graphql(
            &admin,
            "mutation($n: String!, $a: [ID!]) { addComment(number: $n, body: \"licence\", internal: true, attachmentIds: $a) { id } }",
            json!({ "n": number, "a": [secret] }),
        )
        .await;
    assert!(note["errors"].is_null(), "{note}");
    let public = upload_ok(&app, &admin, "steps.txt", b"reboot twice").await;
    let reply = app
        .graphql(
            &admin,
            "mutation($n: String!, $a: [ID!]) { addComment(number: $n, body: \"try this\", attachmentIds: $a) { id } }",
            json!({ "n": number, "a": [public] }),
        )
        .await;
    assert!(reply["errors"].is_null(), "{reply}");
    let staff_view = attachments_of(&app, &admin, &number).await;
    assert_eq!(staff_view.len(), 4);
    assert_eq!(staff_view[2]["internal"], true);
    let secret_url = staff_view[2]["url"].as_str().unwrap().to_owned();
    let johns_view = attachments_of(&app, &john, &number).await;
    let names: Vec<&str> = johns_view
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert_eq!(names, ["notes.txt", "page.html", "steps.txt"]);
    assert_eq!(
        download(&app, Auth::Bearer(&admin), &secret_url)
            .await
            .status,
        200
    );
    for (who, url) in [(&john, &secret_url), (&jane, &shot_url)] {
        let refused = download(&app, Auth::Bearer(who), url).await;
        assert_eq!(refused.status, 404, "{url}");
    }
    let unknown = format!("/api/tickets/{number}/attachments/{}", uuid_like());
    assert_eq!(
        download(&app, Auth::Bearer(&john), &unknown).await.status,
        404
    );
    assert_eq!(download(&app, Auth::None, &shot_url).await.status, 401);

    // A failed create leaves nothing: refused for a bad subject, for too
    // many files, and for another's upload — only the caller's own files
    // go, and a used file never does.
    let before = files_in(&dir);
    let a = upload_ok(&app, &john, "a.txt", b"a").await;
    let b = upload_ok(&app, &john, "b.txt", b"b").await;
    let c = upload_ok(&app, &john, "c.txt", b"c").await;
    let janes = upload_ok(&app, &jane, "jane.txt", b"j").await;
    let too_many = create_with(&app, &john, "three files", &[&a, &b, &c]).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let stolen = create_with(&app, &john, "with jane's file", &[&janes, &shot]).await;
    assert_eq!(error_code(&stolen), "BAD_USER_INPUT");
    let d = upload_ok(&app, &john, "d.txt", b"d").await;
    let bad_subject = app
        .graphql(
            &john,
            "mutation($a: [ID!]) { createTicket(input: { requestType: INCIDENT, subject: \"two\\nlines\", description: \"x\", attachmentIds: $a }) { number } }",
            json!({ "a": [d] }),
        )
        .await;
    assert_eq!(error_code(&bad_subject), "BAD_USER_INPUT");
    let mut expected = before.clone();
    expected.push(key(&janes));
    expected.sort();
    assert_eq!(
        files_in(&dir),
        expected,
        "only jane's staged upload remains"
    );
    assert_eq!(
        download(&app, Auth::Bearer(&john), &shot_url).await.bytes,
        PNG,
        "a used file survives a later failure naming it"
    );

    // An unused upload can be taken back, once, by its owner only.
    let e = upload_ok(&app, &john, "e.txt", b"e").await;
    let take_back = async |token: &str, id: &str| {
        let path = format!("/api/attachments/{id}");
        app.rest(reqwest::Method::DELETE, Some(token), &path, None)
            .await
            .0
    };
    assert_eq!(take_back(&jane, &e).await, 404);
    assert_eq!(take_back(&john, &e).await, 204);
    assert_eq!(take_back(&john, &e).await, 404);
    assert!(!files_in(&dir).contains(&key(&e)));
    app.stop().await;
}

fn uuid_like() -> &'static str {
    "0193a5c2-0000-4000-8000-000000000000"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attachments_on_the_filesystem_with_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attachments_on_the_filesystem_with_postgres() {
    journey(Backend::Postgres).await;
}

/// A real S3-compatible server: moto in server mode.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    async fn start() -> Moto {
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "moto runs (pip install 'moto[server]'; .ci/run installs it): it is the S3-compatible server these tests talk to",
            );
        // Owned at once, so the process is reaped on every path (Drop).
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..150 {
            if reqwest::get(&moto.endpoint).await.is_ok() {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not answer on {}", moto.endpoint);
    }

    async fn create_bucket(&self, bucket: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// The bucket's keys.
    async fn keys(&self, bucket: &str) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .await
            .expect("list")
            .text()
            .await
            .expect("listing");
        let mut keys: Vec<String> = listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attachments_in_s3_compatible_storage() {
    let mut moto = Moto::start().await;
    moto.create_bucket("itosm-files").await;
    let endpoint = moto.endpoint.clone();
    let app = App::spawn_with(
        Backend::Sqlite,
        &[
            ("ITOSM_ATTACHMENTS__STORE", "s3"),
            ("ITOSM_ATTACHMENTS__S3__BUCKET", "itosm-files"),
            ("ITOSM_ATTACHMENTS__S3__ENDPOINT", endpoint.as_str()),
            ("ITOSM_ATTACHMENTS__S3__ALLOW_HTTP", "true"),
            ("ITOSM_ATTACHMENTS__S3__PREFIX", "desk/"),
            ("ITOSM_ATTACHMENTS__S3__ACCESS_KEY_ID", "testing"),
            ("ITOSM_ATTACHMENTS__S3__SECRET_ACCESS_KEY", "testing"),
            ("ITOSM_ATTACHMENTS__S3__TIMEOUT", "2s"),
        ],
    )
    .await;
    let john = app.login("john.doe", "EMP123").await;

    let shot = upload_ok(&app, &john, "screen.png", PNG).await;
    assert_eq!(
        moto.keys("itosm-files").await,
        [format!("desk/{}", key(&shot))]
    );
    let created = create_with(&app, &john, "screen flickers", &[&shot]).await;
    let url = created["data"]["createTicket"]["attachments"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let got = download(&app, Auth::Bearer(&john), &url).await;
    assert_eq!((got.status, got.bytes.as_slice()), (200, PNG));

    // A failed create deletes its upload from the bucket.
    let doomed = upload_ok(&app, &john, "log.txt", b"error 42").await;
    assert_eq!(moto.keys("itosm-files").await.len(), 2);
    let refused = app
        .graphql(
            &john,
            "mutation($a: [ID!]) { createTicket(input: { requestType: HARDWARE, softwareId: \"1\", description: \"x\", attachmentIds: $a }) { number } }",
            json!({ "a": [doomed] }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(
        moto.keys("itosm-files").await,
        [format!("desk/{}", key(&shot))]
    );

    // The store down: uploads and downloads answer UNAVAILABLE (503), fast,
    // and never as the caller's fault; back up, everything works again.
    let _ = moto.child.kill();
    let _ = moto.child.wait();
    let started = std::time::Instant::now();
    let down = upload(&app, Auth::Bearer(&john), "later.txt", b"x".to_vec()).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert_eq!(down.body["error"]["code"], "UNAVAILABLE");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(download(&app, Auth::Bearer(&john), &url).await.status, 503);
    app.stop().await;
}
