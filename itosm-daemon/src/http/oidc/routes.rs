//! The single sign-on routes: login, callback (code exchange) and logout,
//! and the cookies they set.

use super::*;

pub(in crate::http) fn router() -> Router<AppState> {
    Router::new()
        .route(LOGIN_PATH, get(login))
        .route(CALLBACK_PATH, get(callback))
        .route(LOGOUT_PATH, get(logout))
}

/// An SSO failure answered with a reason code.
fn failure(
    headers: &HeaderMap,
    status: StatusCode,
    code: ErrorCode,
    reason: &str,
    message: &str,
) -> Response {
    let mut response = (
        status,
        axum::Json(serde_json::json!({
            "error": { "code": code.as_str(), "reason": reason, "message": message }
        })),
    )
        .into_response();
    if let Some(cookie) = state_cookie("", 0, headers) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn unavailable(headers: &HeaderMap, error: &Unavailable) -> Response {
    tracing::warn!(%error, "oidc: provider unavailable");
    failure(
        headers,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        "PROVIDER_UNAVAILABLE",
        "single sign-on is unavailable right now (the identity provider cannot be reached); try again shortly or use another way of logging in",
    )
}

fn not_configured() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "single sign-on is not configured here",
    )
    .into_response()
}

fn state_cookie(value: &str, max_age: i64, headers: &HeaderMap) -> Option<HeaderValue> {
    let secure = if crate::http::session::plain_http_to_loopback(headers) {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/api/auth/oidc; Max-Age={max_age}{secure}"
    ))
    .ok()
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty() && value.len() <= 4096)
}

/// `returnTo` when it is a path of this site (`/…`, not `//…` or `/\…`),
/// else `/`.
pub fn safe_return_to(value: Option<&str>) -> String {
    match value {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= MAX_RETURN_TO
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

/// `GET /api/auth/oidc/login`: 303 to the provider, with the state cookie.
async fn login(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    let provider = match oidc.provider().await {
        Ok(provider) => provider,
        Err(error) => return unavailable(&headers, &error),
    };
    let flow = FlowState {
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        return_to: safe_return_to(query.return_to.as_deref()),
        expires_at: chrono::Utc::now().timestamp() + STATE_TTL_SECONDS,
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(flow.verifier.as_bytes()));
    let Ok(mut url) = reqwest::Url::parse(&provider.discovery.authorization_endpoint) else {
        return unavailable(
            &headers,
            &Unavailable("the authorization endpoint is not a URL".to_owned()),
        );
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &oidc.config.client_id)
        .append_pair("redirect_uri", &oidc.config.redirect_url)
        .append_pair("scope", &oidc.config.scopes.join(" "))
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut response = see_other(url.as_str());
    if let Some(cookie) = state_cookie(&oidc.seal(&flow), STATE_TTL_SECONDS, &headers) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// `GET /api/auth/oidc/callback`: the provider's answer; 303 to `returnTo`
/// with the session cookie, or an error.
async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    let flow = cookie_value(&headers, STATE_COOKIE).and_then(|c| oidc.open(&c));
    let Some(flow) = flow else {
        tracing::warn!(
            reason = "BAD_STATE",
            "oidc callback refused: no valid state cookie"
        );
        return failure(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "BAD_STATE",
            "this sign-in has expired or was not started in this browser; start again",
        );
    };
    if query.state.as_deref() != Some(flow.state.as_str()) {
        tracing::warn!(
            reason = "STATE_MISMATCH",
            "oidc callback refused: state does not match"
        );
        return failure(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "STATE_MISMATCH",
            "this sign-in's state does not match; start again",
        );
    }
    if let Some(error) = &query.error {
        tracing::warn!(reason = "PROVIDER_REFUSED", provider_error = %error, "oidc callback refused by the provider");
        return failure(
            &headers,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "PROVIDER_REFUSED",
            "the identity provider did not sign you in",
        );
    }
    let Some(code) = query.code else {
        return failure(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "MISSING_CODE",
            "the provider's answer has no code",
        );
    };
    let provider = match oidc.provider().await {
        Ok(provider) => provider,
        Err(error) => return unavailable(&headers, &error),
    };
    let id_token = match exchange(&oidc, &provider, &code, &flow.verifier).await {
        Ok(Some(token)) => token,
        Ok(None) => {
            tracing::warn!(
                reason = "CODE_REFUSED",
                "oidc: the token endpoint refused the code"
            );
            return failure(
                &headers,
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "CODE_REFUSED",
                "the identity provider refused this sign-in's code; start again",
            );
        }
        Err(error) => return unavailable(&headers, &error),
    };
    let verify = |provider: &Provider| {
        verify_id_token(
            &id_token,
            &provider.jwks,
            &oidc.config.issuer,
            &oidc.config.client_id,
            &flow.nonce,
        )
    };
    let mut verified = verify(&provider);
    if verified == Err(Refusal::UnknownKey)
        && let Some(fresh) = oidc.refresh_jwks().await
    {
        verified = verify(&fresh);
    }
    let claims = match verified {
        Ok(claims) => claims,
        Err(refusal) => {
            tracing::warn!(reason = refusal.code(), %refusal, "oidc: ID token refused");
            return failure(
                &headers,
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                refusal.code(),
                &refusal.to_string(),
            );
        }
    };
    let identity = oidc.identity(&claims);
    let username = identity.username.clone();
    let session = match state.itosm.login_federated(identity).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(%username, %error, "oidc: login refused");
            let mut response = ApiError::from(error).into_response();
            if let Some(cookie) = state_cookie("", 0, &headers) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            return response;
        }
    };
    let remaining = (session.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let mut response = see_other(&flow.return_to);
    if let Some(cookie) = crate::http::session::cookie_header(&session.token, remaining, &headers) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    if let Some(cookie) = state_cookie("", 0, &headers) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
        .extensions_mut()
        .insert(crate::http::CallerName(session.user.username.to_string()));
    response
}

/// The code exchanged at the token endpoint: `Ok(Some(id_token))`,
/// `Ok(None)` when the provider refused it, `Err` when it is unreachable.
async fn exchange(
    oidc: &Oidc,
    provider: &Provider,
    code: &str,
    verifier: &str,
) -> Result<Option<String>, Unavailable> {
    let config = &oidc.config;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", config.redirect_url.as_str()),
        ("code_verifier", verifier),
    ];
    let methods = provider
        .discovery
        .token_endpoint_auth_methods_supported
        .as_deref()
        .unwrap_or_default();
    let basic = methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic");
    let mut request = oidc.http.post(&provider.discovery.token_endpoint);
    if basic {
        // RFC 6749 §2.3.1: both are form-encoded before the Basic encoding.
        let encode = |s: &str| {
            reqwest::Url::parse_with_params("x:", &[("v", s)])
                .ok()
                .and_then(|u| u.query().map(|q| q.trim_start_matches("v=").to_owned()))
                .unwrap_or_default()
        };
        request = request.basic_auth(
            encode(&config.client_id),
            Some(encode(&config.client_secret)),
        );
    } else {
        form.push(("client_id", config.client_id.as_str()));
        form.push(("client_secret", config.client_secret.as_str()));
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| Unavailable(format!("token endpoint: {e}")))?;
    if response.status().is_server_error() {
        return Err(Unavailable(format!(
            "token endpoint: {}",
            response.status()
        )));
    }
    if !response.status().is_success() {
        return Ok(None);
    }
    let body: TokenResponse = response
        .json()
        .await
        .map_err(|e| Unavailable(format!("token endpoint: {e}")))?;
    Ok(body.id_token)
}

/// `GET /api/auth/oidc/logout`: clears the session cookie; 303 to the
/// provider's logout page when it has one, else to `/`.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let end_session = match &state.oidc {
        Some(oidc) => oidc
            .provider()
            .await
            .ok()
            .and_then(|p| p.discovery.end_session_endpoint.clone())
            .and_then(|endpoint| {
                let mut url = reqwest::Url::parse(&endpoint).ok()?;
                url.query_pairs_mut()
                    .append_pair("client_id", &oidc.config.client_id);
                Some(url.to_string())
            }),
        None => None,
    };
    let mut response = see_other(end_session.as_deref().unwrap_or("/"));
    if let Some(cookie) = crate::http::session::cookie_header("", 0, &headers) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
