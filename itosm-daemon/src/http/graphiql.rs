//! GraphiQL at `GET /graphql`, with every asset compiled into the binary:
//! it works offline and under the daemon's `script-src 'self'` policy (no
//! CDN, no inline script).

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// `(name, content type, bytes)` of each asset under `/graphql/assets/`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/init.js"),
    ),
    (
        "page.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/page.css"),
    ),
];

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/graphql/assets/{name}", get(asset))
}

/// The GraphiQL page.
pub(super) async fn page() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
