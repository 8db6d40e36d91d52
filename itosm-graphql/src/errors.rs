//! Errors on the wire: every error carries `extensions.code`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::{Error, ErrorExtensions, Response, ServerError};
use futures::stream::{BoxStream, StreamExt};
use itosm_core::{CoreError, ErrorCode};

/// Converts a service error into a GraphQL error with its code. Nothing is
/// logged here: a request that fails in many resolvers is logged once, by
/// [`ErrorCodes`], with the first internal detail (kept as the error's
/// source, never shown to the client).
pub fn to_graphql_error(error: CoreError) -> Error {
    let code = error.code();
    let field = match &error {
        CoreError::BadUserInput { field, .. } => Some(*field),
        _ => None,
    };
    let retry_after = match &error {
        CoreError::RateLimited {
            retry_after_seconds,
        } => Some(*retry_after_seconds),
        _ => None,
    };
    let detail = matches!(code, ErrorCode::Internal | ErrorCode::Unavailable)
        .then(|| FailureDetail(error.to_string()));
    let mut converted = Error::new(error.public_message()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        if let Some(field) = field {
            ext.set("field", field);
        }
        if let Some(seconds) = retry_after {
            ext.set("retryAfterSeconds", seconds);
        }
    });
    if let Some(detail) = detail {
        converted.source = Some(Arc::new(detail));
    }
    converted
}

/// What went wrong on our side, for the log only.
#[derive(Debug, Clone)]
struct FailureDetail(String);

/// The error a live subscriber gets when it fell behind.
pub(crate) fn lagged(missed: u64) -> Error {
    Error::new(format!(
        "the live feed fell behind and {missed} events were dropped; re-query to resynchronise"
    ))
    .extend_with(|_, ext| {
        ext.set("code", ErrorCode::Unavailable.as_str());
        ext.set("missed", missed);
    })
}

/// The error a live subscriber gets when the feed's source was interrupted.
pub(crate) fn interrupted() -> Error {
    Error::new(
        "the live feed was interrupted and may have missed events; re-query to resynchronise",
    )
    .extend_with(|_, ext| ext.set("code", ErrorCode::Unavailable.as_str()))
}

/// Gives a code to errors raised by the GraphQL engine itself (parse and
/// validation errors, depth and complexity limits, bad enum values): they are
/// the client's mistakes, so `BAD_USER_INPUT`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

fn code_errors(mut response: Response) -> Response {
    for error in &mut response.errors {
        add_code(error);
    }
    log_failure(&response);
    response
}

/// One log line per failed request (not one per failing resolver): the
/// number of errors, their codes and the first internal detail. Client
/// mistakes are not failures of ours and are not logged here.
fn log_failure(response: &Response) {
    let ours = |e: &&ServerError| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| {
                *code == async_graphql::Value::from(ErrorCode::Internal.as_str())
                    || *code == async_graphql::Value::from(ErrorCode::Unavailable.as_str())
            })
    };
    let failed: Vec<&ServerError> = response.errors.iter().filter(ours).collect();
    let Some(first) = failed.first() else {
        return;
    };
    let detail = first
        .source
        .as_ref()
        .and_then(|s| s.downcast_ref::<FailureDetail>())
        .map_or(first.message.as_str(), |d| d.0.as_str());
    tracing::error!(
        errors = failed.len(),
        path = ?first.path,
        error = detail,
        "request failed"
    );
}

fn add_code(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if !has_code {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", ErrorCode::BadUserInput.as_str());
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        code_errors(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(code_errors).boxed()
    }
}
