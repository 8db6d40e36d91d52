//! Single sign-on against a real OpenID provider process
//! (`oidc-provider-mock`, `pip install oidc-provider-mock==0.3.4`): the
//! whole browser flow by hand (redirects followed one at a time, cookies
//! carried explicitly), and the ID token checks on real tokens signed by
//! the provider's real keys.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::{App, free_port};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use itosm_daemon::http::oidc::{Refusal, verify_id_token, verify_id_token_at};
use jsonwebtoken::jwk::JwkSet;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const CLIENT_ID: &str = "itosm-portal";
const CLIENT_SECRET: &str = "portal-secret";

/// A running `python3 -m oidc_provider_mock`, killed on drop.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start() -> Provider {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Provider {
        let mut child = Command::new("python3")
            .args(["-W", "ignore", "-m", "oidc_provider_mock", "--port"])
            .arg(port.to_string())
            .args(["--require-nonce", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs oidc_provider_mock (pip install oidc-provider-mock==0.3.4)");
        let issuer = format!("http://127.0.0.1:{port}");
        // Ready when it answers discovery.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                drop(stream);
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut said = String::new();
                if let Some(err) = child.stderr.take() {
                    for line in BufReader::new(err).lines().map_while(Result::ok) {
                        said.push_str(&line);
                        said.push('\n');
                    }
                }
                panic!(
                    "oidc_provider_mock exited ({status}); pip install oidc-provider-mock==0.3.4\n{said}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "oidc_provider_mock did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Its log is not needed; keep the pipe drained.
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(
                move || {
                    for _ in BufReader::new(err).lines().map_while(Result::ok) {}
                },
            );
        }
        Provider { child, issuer }
    }

    async fn set_user(&self, sub: &str, claims: Value) {
        let response = http()
            .put(format!("{}/users/{sub}", self.issuer))
            .json(&claims)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "PUT /users/{sub}");
    }

    /// Approves an authorization request (the provider's form, as `sub`);
    /// returns the redirect back to the client.
    async fn approve(&self, authorize_url: &str, sub: &str) -> reqwest::Url {
        let response = http()
            .post(authorize_url)
            .form(&[("sub", sub)])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "authorize answered {}",
            response.status()
        );
        let location = response.headers()[LOCATION].to_str().unwrap();
        reqwest::Url::parse(location).unwrap()
    }

    async fn jwks(&self) -> JwkSet {
        http()
            .get(format!("{}/jwks", self.issuer))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A real ID token for `sub` with `nonce`, obtained by running the
    /// code flow as a client would.
    async fn id_token(&self, sub: &str, nonce: &str) -> String {
        let redirect = "http://127.0.0.1:1/callback";
        let mut authorize =
            reqwest::Url::parse(&format!("{}/oauth2/authorize", self.issuer)).unwrap();
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", "openid profile email")
            .append_pair("state", "s")
            .append_pair("nonce", nonce);
        let back = self.approve(authorize.as_str(), sub).await;
        let code = query_param(&back, "code").expect("a code");
        let token: Value = http()
            .post(format!("{}/oauth2/token", self.issuer))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token["id_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no id_token: {token}"))
            .to_owned()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that follows no redirect and keeps no cookie: each step is
/// explicit.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn query_param(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `name=value` of the `Set-Cookie` headers of `response` naming `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches(&format!("{name}="))
                .to_owned();
            (value, v.to_owned())
        })
}

fn write_config(config: &std::path::Path, issuer: &str) {
    std::fs::write(
        config,
        format!(
            "[auth]\nmethods = [\"employee_id\", \"password\", \"oidc\"]\n\n\
             [auth.oidc]\nissuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret = \"{CLIENT_SECRET}\"\n\
             redirect_url = \"http://127.0.0.1/api/auth/oidc/callback\"\n\
             role_claim = \"groups\"\nrole_map = {{ \"it-admins\" = \"admin\", \"it-staff\" = \"agent\" }}\n\
             http_timeout = \"2s\"\n"
        ),
    )
    .unwrap();
}

async fn daemon(issuer: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    write_config(&config, issuer);
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    App::launch(dir, url, None, &["serve", "--config", &config], &[], true).await
}

/// The outcome of one SSO attempt through the daemon.
struct Attempt {
    status: u16,
    location: Option<String>,
    session: Option<String>,
    body: String,
}

/// Starts SSO at the daemon, approves as `sub` at the provider, and brings
/// the answer back to the callback (with `state` replaced when given).
async fn sso(app: &App, provider: &Provider, sub: &str, forged_state: Option<&str>) -> Attempt {
    let client = http();
    let start = client
        .get(format!(
            "{}/api/auth/oidc/login?returnTo=/tickets/INC-2026-0001",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303, "{}", start.text().await.unwrap());
    let (flow_cookie, raw) = set_cookie(&start, "itosm_oidc").expect("the state cookie");
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
    assert!(raw.contains("Max-Age=600"), "{raw}");
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(authorize.starts_with(&provider.issuer), "{authorize}");
    let authorize_url = reqwest::Url::parse(&authorize).unwrap();
    assert_eq!(
        query_param(&authorize_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&authorize_url, "nonce").is_some());
    let back = provider.approve(&authorize, sub).await;
    assert_eq!(back.path(), "/api/auth/oidc/callback");
    let code = query_param(&back, "code").expect("a code");
    let state = forged_state
        .map(str::to_owned)
        .or_else(|| query_param(&back, "state"))
        .unwrap();
    let mut callback =
        reqwest::Url::parse(&format!("{}/api/auth/oidc/callback", app.base)).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state);
    let answer = client
        .get(callback)
        .header(COOKIE, format!("itosm_oidc={flow_cookie}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let session = set_cookie(&answer, "itosm_session")
        .map(|(value, _)| value)
        .filter(|v| !v.is_empty());
    let body = answer.text().await.unwrap();
    Attempt {
        status,
        location,
        session,
        body,
    }
}

/// `me` with the session cookie, as the portal asks it.
async fn me(app: &App, session: &str) -> Value {
    let response: Value = http()
        .post(format!("{}/graphql", app.base))
        .header(COOKIE, format!("itosm_session={session}"))
        .header("X-Itosm-Csrf", "1")
        .json(&json!({ "query": "{ me { id username displayName email role } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["data"]["me"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_login_creates_updates_and_refuses_users() {
    let provider = Provider::start();
    let app = daemon(&provider.issuer).await;

    let methods = app
        .graphql_with(None, "{ authMethods { oidc oidcLoginPath } }", json!({}))
        .await;
    assert_eq!(
        methods["data"]["authMethods"],
        json!({ "oidc": true, "oidcLoginPath": "/api/auth/oidc/login" })
    );

    // First login: the user is created from the claims, `groups` mapped.
    provider
        .set_user(
            "alice-sub",
            json!({
                "preferred_username": "alice",
                "name": "Alice Example",
                "email": "alice@example.com",
                "groups": ["staff", "it-admins"]
            }),
        )
        .await;
    let first = sso(&app, &provider, "alice-sub", None).await;
    assert_eq!(first.status, 303, "{}", first.body);
    assert_eq!(first.location.as_deref(), Some("/tickets/INC-2026-0001"));
    let session = first.session.expect("the session cookie");
    let alice = me(&app, &session).await;
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["displayName"], "Alice Example");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["role"], "ADMIN");

    // Second login: the name follows the provider.
    provider
        .set_user(
            "alice-sub",
            json!({
                "preferred_username": "alice",
                "name": "Alice Renamed",
                "email": "alice@example.com",
                "groups": ["it-admins"]
            }),
        )
        .await;
    let second = sso(&app, &provider, "alice-sub", None).await;
    assert_eq!(second.status, 303, "{}", second.body);
    let renamed = me(&app, &second.session.expect("a session")).await;
    assert_eq!(renamed["displayName"], "Alice Renamed");
    assert_eq!(renamed["id"], alice["id"]);

    // Deactivated by an admin: refused, no session.
    let admin = app.login("admin.user", "ADMIN01").await;
    let deactivated = app
        .graphql(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": alice["id"] }),
        )
        .await;
    assert_eq!(
        deactivated["data"]["deactivateUser"]["active"], false,
        "{deactivated}"
    );
    let refused = sso(&app, &provider, "alice-sub", None).await;
    assert!(
        refused.status == 401 || refused.status == 403,
        "{} {}",
        refused.status,
        refused.body
    );
    assert!(refused.session.is_none());

    // A callback whose state is not the one this browser started with:
    // 400, and the provider's user is never created.
    provider
        .set_user(
            "mallory-sub",
            json!({ "preferred_username": "mallory", "name": "Mallory" }),
        )
        .await;
    let forged = sso(&app, &provider, "mallory-sub", Some("forged-state")).await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.body.contains("STATE_MISMATCH"), "{}", forged.body);
    assert!(forged.session.is_none());
    let users = app
        .graphql(
            &admin,
            "{ users(filter: { search: \"mallory\" }) { edges { node { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(users["data"]["users"]["edges"], json!([]), "{users}");

    // A callback with no state cookie at all.
    let bare = http()
        .get(format!(
            "{}/api/auth/oidc/callback?code=x&state=y",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 400);

    // returnTo off this site is not followed.
    let off_site = http()
        .get(format!(
            "{}/api/auth/oidc/login?returnTo=//evil.example/x",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(off_site.status(), 303);

    // Logout clears the session cookie and goes to the provider.
    let logout = http()
        .get(format!("{}/api/auth/oidc/logout", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert!(
        logout.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with(&format!("{}/oauth2/end_session", provider.issuer))
    );
    let (_, cleared) = set_cookie(&logout, "itosm_session").expect("the cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_are_verified() {
    let provider = Provider::start();
    provider
        .set_user(
            "bob-sub",
            json!({ "preferred_username": "bob", "name": "Bob" }),
        )
        .await;
    let jwks = provider.jwks().await;
    let issuer = provider.issuer.as_str();
    let token = provider.id_token("bob-sub", "nonce-1").await;

    let claims =
        verify_id_token(&token, &jwks, issuer, CLIENT_ID, "nonce-1").expect("a good token");
    assert_eq!(claims["sub"], "bob-sub");
    assert_eq!(claims["preferred_username"], "bob");

    // Wrong audience, wrong issuer, wrong nonce.
    assert_eq!(
        verify_id_token(&token, &jwks, issuer, "another-client", "nonce-1"),
        Err(Refusal::Audience)
    );
    assert_eq!(
        verify_id_token(&token, &jwks, "http://127.0.0.1:1", CLIENT_ID, "nonce-1"),
        Err(Refusal::Issuer)
    );
    assert_eq!(
        verify_id_token(&token, &jwks, issuer, CLIENT_ID, "another-nonce"),
        Err(Refusal::Nonce)
    );

    // Expired (past exp plus the leeway) and issued in the future.
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(
        verify_id_token_at(&token, &jwks, issuer, CLIENT_ID, "nonce-1", exp + 120),
        Err(Refusal::Expired)
    );
    assert_eq!(
        verify_id_token_at(&token, &jwks, issuer, CLIENT_ID, "nonce-1", iat - 120),
        Err(Refusal::IssuedInFuture)
    );

    // Tampered: a byte of the signature, or the payload re-encoded.
    let parts: Vec<&str> = token.split('.').collect();
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[10] ^= 0x01;
    let bad_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(&signature)
    );
    assert_eq!(
        verify_id_token(&bad_signature, &jwks, issuer, CLIENT_ID, "nonce-1"),
        Err(Refusal::Signature)
    );
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["preferred_username"] = json!("admin.user");
    let bad_payload = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    assert_eq!(
        verify_id_token(&bad_payload, &jwks, issuer, CLIENT_ID, "nonce-1"),
        Err(Refusal::Signature)
    );

    // `alg: none` and HS256 (keyed with anything) are never accepted.
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    for alg in ["none", "HS256"] {
        let mut forged = header.clone();
        forged["alg"] = json!(alg);
        let unsigned = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap()),
            parts[1],
            parts[2]
        );
        assert!(
            matches!(
                verify_id_token(&unsigned, &jwks, issuer, CLIENT_ID, "nonce-1"),
                Err(Refusal::Algorithm | Refusal::Malformed)
            ),
            "{alg} accepted"
        );
    }

    // A key the provider does not publish.
    let mut unknown = header.clone();
    unknown["kid"] = json!("not-a-key");
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&unknown).unwrap()),
        parts[1],
        parts[2]
    );
    assert_eq!(
        verify_id_token(&unknown_kid, &jwks, issuer, CLIENT_ID, "nonce-1"),
        Err(Refusal::UnknownKey)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_leaves_the_other_logins_working() {
    // Nothing listens there.
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = daemon(&issuer).await;
    let started = Instant::now();
    let response = http()
        .get(format!("{}/api/auth/oidc/login?returnTo=/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAVAILABLE", "{body}");
    assert_eq!(body["error"]["reason"], "PROVIDER_UNAVAILABLE", "{body}");
    // Asked again at once: still 503, at once.
    let again = http()
        .get(format!("{}/api/auth/oidc/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 503);

    // The employee-ID login still works…
    let token = app.login("john.doe", "EMP123").await;
    let me = app
        .graphql(&token, "{ me { id username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "john.doe");
    // … and so does the password login.
    let admin = app.login("admin.user", "ADMIN01").await;
    let reset = app
        .graphql(
            &admin,
            "mutation($id: ID!) { resetPassword(userId: $id) { temporaryPassword } }",
            json!({ "id": me["data"]["me"]["id"] }),
        )
        .await;
    let password = reset["data"]["resetPassword"]["temporaryPassword"]
        .as_str()
        .unwrap_or_else(|| panic!("{reset}"))
        .to_owned();
    let login = app
        .graphql_with(
            None,
            "mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { token } }",
            json!({ "u": "john.doe", "p": password }),
        )
        .await;
    assert!(
        login["data"]["loginWithPassword"]["token"].is_string(),
        "{login}"
    );

    // `check-config --connect` names the provider as unreachable…
    let checked = tempfile::tempdir().unwrap();
    let config = checked.path().join("itosm.toml");
    write_config(&config, &issuer);
    let config = config.display().to_string();
    let check = || {
        support::itosm(
            checked.path(),
            &["check-config", "--connect", "--config", &config],
            &[],
        )
    };
    let out = check();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(
        said.lines()
            .any(|line| line.starts_with("FAIL") && line.contains("single sign-on provider")),
        "{said}"
    );

    // The provider comes back: the next SSO request (after the retry
    // pause) finds it, without a restart; and the check passes.
    let _provider = Provider::start_on(port);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let back = http()
        .get(format!("{}/api/auth/oidc/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    let out = check();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}");
    assert!(
        said.lines()
            .any(|line| line.starts_with("ok") && line.contains("single sign-on provider")),
        "{said}"
    );
    app.stop().await;
}
