//! The portal's browser session through the real binary: the HttpOnly
//! cookie `POST /api/session` sets, what `/graphql` and `/graphql/ws`
//! accept it for (and what they refuse: cross-site requests without the
//! CSRF header, cross-origin WebSockets), and that it is authorized exactly
//! like a bearer token (logout everywhere, deactivation).

use crate::support;
use crate::support::{App, Backend};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

const ME: &str = "{ me { username } }";

/// `POST /api/session` with `token`; the status, `Set-Cookie` and body.
async fn open_session(
    app: &App,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new().post(format!("{}/api/session", app.base));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("POST /api/session");
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, cookie, response.json().await.unwrap_or(Value::Null))
}

/// A `/graphql` request sent with `headers` only (no bearer added).
async fn graphql_raw(app: &App, headers: &[(&str, &str)], query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": query }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("POST /graphql");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn cookie_of(token: &str) -> String {
    format!("theme=dark; itosm_session={token}")
}

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

fn max_age(set_cookie: &str) -> i64 {
    attributes(set_cookie)
        .iter()
        .find_map(|a| a.strip_prefix("max-age=").map(|v| v.parse().unwrap()))
        .expect("a Max-Age")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_httponly_strict_and_lasts_as_long_as_the_token() {
    let app = App::spawn(Backend::Sqlite).await;
    let token = app.login("john.doe", "EMP123").await;

    let (status, cookie, body) = open_session(&app, Some(&token), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "john.doe", "{body}");
    let cookie = cookie.expect("a Set-Cookie");
    assert!(
        cookie.starts_with(&format!("itosm_session={token};")),
        "{cookie}"
    );
    let attrs = attributes(&cookie);
    for wanted in ["httponly", "samesite=strict", "path=/"] {
        assert!(attrs.iter().any(|a| a == wanted), "{wanted} in {cookie}");
    }
    let age = max_age(&cookie);
    assert!(
        age > 11 * 3600 && age <= 12 * 3600,
        "Max-Age {age} is the token's remaining lifetime (12h)"
    );
    // Plain http to 127.0.0.1: no `Secure`, or the browser would never
    // send it back.
    assert!(!attrs.iter().any(|a| a == "secure"), "{cookie}");

    // Anywhere else, or behind a proxy that terminated https: `Secure`.
    for extra in [
        [("host", "itosm.example.com")],
        [("x-forwarded-proto", "https")],
    ] {
        let (status, cookie, _) = open_session(&app, Some(&token), &extra).await;
        assert_eq!(status, 200);
        let cookie = cookie.expect("a Set-Cookie");
        assert!(
            attributes(&cookie).iter().any(|a| a == "secure"),
            "{extra:?}: {cookie}"
        );
    }

    // No token, or a bad one: 401 and no cookie.
    let (status, cookie, body) = open_session(&app, None, &[]).await;
    assert_eq!((status, cookie), (401, None), "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let (status, cookie, body) = open_session(&app, Some("v2.nope.nope.nope"), &[]).await;
    assert_eq!((status, cookie), (401, None), "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");

    // DELETE clears it.
    let response = reqwest::Client::new()
        .delete(format!("{}/api/session", app.base))
        .header("cookie", cookie_of(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cleared = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cleared.starts_with("itosm_session=;"), "{cleared}");
    assert_eq!(max_age(&cleared), 0, "{cleared}");
    assert!(attributes(&cleared).iter().any(|a| a == "httponly"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_takes_the_cookie_only_with_the_csrf_header_and_the_header_wins() {
    let app = App::spawn(Backend::Sqlite).await;
    let john = app.login("john.doe", "EMP123").await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let cookie = cookie_of(&john);

    let (status, body) = graphql_raw(&app, &[("cookie", &cookie), ("x-itosm-csrf", "1")], ME).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["username"], "john.doe", "{body}");

    // What a cross-site form could send: the cookie without the header.
    let (status, body) = graphql_raw(&app, &[("cookie", &cookie)], ME).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["reason"], "CSRF_HEADER_MISSING",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("X-Itosm-Csrf"),
        "{body}"
    );
    // Nothing ran: a mutation sent that way changes nothing.
    let (status, _) = graphql_raw(
        &app,
        &[("cookie", &cookie)],
        "mutation { logoutEverywhere }",
    )
    .await;
    assert_eq!(status, 403);
    let (_, body) = graphql_raw(&app, &[("cookie", &cookie), ("x-itosm-csrf", "1")], ME).await;
    assert_eq!(body["data"]["me"]["username"], "john.doe", "{body}");

    // GET is GraphiQL only: it never runs a query, so a cookie there
    // authorizes nothing.
    let page = reqwest::Client::new()
        .get(format!("{}/graphql", app.base))
        .query(&[("query", ME)])
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("john.doe"), "{page}");

    // An Authorization header wins over the cookie, even a refused one.
    let bearer = format!("Bearer {admin}");
    let (_, body) = graphql_raw(
        &app,
        &[
            ("cookie", &cookie),
            ("x-itosm-csrf", "1"),
            ("authorization", &bearer),
        ],
        ME,
    )
    .await;
    assert_eq!(body["data"]["me"]["username"], "admin.user", "{body}");
    let (status, body) = graphql_raw(
        &app,
        &[("cookie", &cookie), ("authorization", "Bearer forged")],
        ME,
    )
    .await;
    assert_eq!(status, 200, "the cookie is not looked at: {body}");
    assert_eq!(support::error_code(&body), "UNAUTHENTICATED", "{body}");

    // A cookie that is not a token of ours is refused like a bad bearer.
    let (_, body) = graphql_raw(
        &app,
        &[("cookie", "itosm_session=forged"), ("x-itosm-csrf", "1")],
        ME,
    )
    .await;
    assert_eq!(support::error_code(&body), "UNAUTHENTICATED", "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_ends_with_logout_everywhere_and_with_deactivation() {
    let app = App::spawn(Backend::Sqlite).await;
    let admin = app.login("admin.user", "ADMIN01").await;

    // jane logs out everywhere through her cookie: it stops working.
    let jane = app.login("jane.smith", "EMP124").await;
    let cookie = cookie_of(&jane);
    let headers = [("cookie", cookie.as_str()), ("x-itosm-csrf", "1")];
    let (_, body) = graphql_raw(&app, &headers, "mutation { logoutEverywhere }").await;
    assert_eq!(body["data"]["logoutEverywhere"], true, "{body}");
    let (_, body) = graphql_raw(&app, &headers, ME).await;
    assert_eq!(support::error_code(&body), "UNAUTHENTICATED", "{body}");
    let (status, _, _) = open_session(&app, Some(&jane), &[]).await;
    assert_eq!(status, 401, "a revoked token gets no cookie");

    // john is deactivated: his cookie stops working, over HTTP and WS.
    let john = app.login("john.doe", "EMP123").await;
    let cookie = cookie_of(&john);
    let headers = [("cookie", cookie.as_str()), ("x-itosm-csrf", "1")];
    let (_, body) = graphql_raw(&app, &headers, "{ me { id username } }").await;
    let id = body["data"]["me"]["id"]
        .as_str()
        .expect("john's id")
        .to_owned();
    let mut socket = connect(&app, Some(&john), Some(&app.base))
        .await
        .expect("accepted");
    assert_eq!(
        run(&mut socket, ME).await["data"]["me"]["username"],
        "john.doe"
    );
    let deactivated = app
        .graphql(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        deactivated["data"]["deactivateUser"]["active"], false,
        "{deactivated}"
    );
    let (_, body) = graphql_raw(&app, &headers, ME).await;
    assert_eq!(support::error_code(&body), "UNAUTHENTICATED", "{body}");
    let answer = run(&mut socket, ME).await;
    assert_eq!(support::error_code(&answer), "UNAUTHENTICATED", "{answer}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_take_the_cookie_only_from_their_own_origin() {
    let app = App::spawn(Backend::Sqlite).await;
    let john = app.login("john.doe", "EMP123").await;

    // Same origin: the cookie authenticates the connection.
    let mut socket = connect(&app, Some(&john), Some(&app.base))
        .await
        .expect("a same-origin upgrade is accepted");
    let answer = run(&mut socket, ME).await;
    assert_eq!(answer["data"]["me"]["username"], "john.doe", "{answer}");

    // Another origin (another port of the same host is same-site, so
    // SameSite alone would let the cookie through): refused outright.
    let evil = app
        .base
        .rsplit_once(':')
        .map(|(h, _)| format!("{h}:1"))
        .unwrap();
    for origin in [evil.as_str(), "https://evil.example", "null"] {
        match connect(&app, Some(&john), Some(origin)).await {
            Err(status) => assert_eq!(status, 403, "{origin}"),
            Ok(_) => panic!("a cross-origin upgrade from {origin} used the cookie"),
        }
    }
    // Without the cookie a cross-origin client is just anonymous (its
    // token, if any, goes in connection_init).
    let mut socket = connect(&app, None, Some("https://evil.example"))
        .await
        .expect("accepted without a cookie");
    let answer = run(&mut socket, ME).await;
    assert_eq!(support::error_code(&answer), "UNAUTHENTICATED", "{answer}");
    app.stop().await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` with `token` as the session cookie and `origin`, and
/// sends an empty `connection_init`; the HTTP status if the upgrade is
/// refused.
async fn connect(app: &App, token: Option<&str>, origin: Option<&str>) -> Result<Socket, u16> {
    let url = format!("{}/graphql/ws", app.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    if let Some(token) = token {
        headers.insert("cookie", cookie_of(token).parse().unwrap());
    }
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().unwrap());
    }
    let mut socket = match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => socket,
        Err(WsError::Http(response)) => return Err(response.status().as_u16()),
        Err(other) => panic!("websocket: {other}"),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    let ack = recv(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    Ok(socket)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message, or `{"type": "closed"}` when the server closed
/// the socket.
async fn recv(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(15), socket.next())
            .await
            .expect("a message within 15s");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return value;
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return json!({ "type": "closed" }),
            Some(Ok(_)) => {}
        }
    }
}

/// Runs one query on the socket; its result (a socket the server closed
/// counts as `UNAUTHENTICATED`: it refused to go on).
async fn run(socket: &mut Socket, query: &str) -> Value {
    let _ = socket
        .send(Message::Text(
            json!({ "id": "q", "type": "subscribe", "payload": { "query": query } })
                .to_string()
                .into(),
        ))
        .await;
    loop {
        let message = recv(socket).await;
        match message["type"].as_str() {
            Some("next") => return message["payload"].clone(),
            Some("error") => return json!({ "errors": message["payload"] }),
            Some("closed") => {
                return json!({ "errors": [{ "extensions": { "code": "UNAUTHENTICATED" } }], "closed": true });
            }
            _ => {}
        }
    }
}
