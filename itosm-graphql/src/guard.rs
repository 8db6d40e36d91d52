//! The gate every GraphQL operation passes, over HTTP and on every message
//! of a WebSocket alike:
//!
//! - the document and its variables are refused when nested past a small
//!   bound, *before* anything recursive (the parser, validation, the
//!   executor) reads them — a few kilobytes of `[[[[…` would otherwise
//!   overflow a thread's stack and abort the daemon;
//! - on a WebSocket, each operation runs as the caller its connection's
//!   credentials name *now*, resolved afresh like a new HTTP request (a
//!   socket never keeps the caller it had at `connection_init`);
//! - a connection has a bounded number of operations open at once, and one
//!   caller a bounded number of requests running at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::{Data, Executor, Request, Response, ServerError, Value, Variables};
use futures::stream::{self, BoxStream, StreamExt};
use itosm_core::{CoreError, Itosm};

use crate::errors::to_graphql_error;
use crate::{Caller, ItosmSchema};

/// Bounds the gate enforces.
#[derive(Debug, Clone, Copy)]
pub struct GateLimits {
    /// Deepest nesting of `{`, `[` and `(` in a document, and of lists and
    /// objects in its variables.
    pub max_nesting: usize,
    /// Operations (queries, mutations, subscriptions) open at once on one
    /// WebSocket.
    pub max_operations_per_connection: usize,
    /// Requests one caller (a user, or an address when anonymous) may have
    /// running at once.
    pub max_concurrent_per_caller: usize,
}

impl Default for GateLimits {
    fn default() -> Self {
        GateLimits {
            max_nesting: 32,
            max_operations_per_connection: 25,
            max_concurrent_per_caller: 8,
        }
    }
}

/// What a WebSocket connection keeps from its `connection_init`: the
/// credentials, never the caller they once resolved to.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCredentials {
    /// The `Authorization` value (or bare token) sent, if any.
    pub authorization: Option<String>,
}

/// Who a request is counted against for per-caller budgets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallerKey {
    /// An authenticated user, by id.
    User(i64),
    /// Anyone else, by client address.
    Address(String),
}

impl CallerKey {
    /// The key of `caller` coming from `address`.
    pub fn of(caller: &Caller, address: Option<&str>) -> CallerKey {
        match caller {
            Caller::Authenticated { actor, .. } => CallerKey::User(actor.user.id.0),
            _ => CallerKey::Address(address.unwrap_or("unknown").to_owned()),
        }
    }
}

/// Counts requests running per caller.
#[derive(Debug, Default)]
pub struct CallerBudgets {
    running: Mutex<HashMap<CallerKey, usize>>,
}

/// One running request; its slot is given back when dropped.
#[derive(Debug)]
pub struct CallerPermit {
    budgets: Arc<CallerBudgets>,
    key: CallerKey,
}

impl Drop for CallerPermit {
    fn drop(&mut self) {
        let mut running = self
            .budgets
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = running.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&self.key);
            }
        }
    }
}

impl CallerBudgets {
    /// Takes a slot for `key`, or refuses with `RATE_LIMITED` when it has
    /// `max` requests running already.
    pub fn try_enter(
        self: &Arc<Self>,
        key: CallerKey,
        max: usize,
    ) -> Result<CallerPermit, CoreError> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let count = running.entry(key.clone()).or_insert(0);
        if *count >= max {
            return Err(CoreError::RateLimited {
                retry_after_seconds: 1,
            });
        }
        *count += 1;
        Ok(CallerPermit {
            budgets: Arc::clone(self),
            key,
        })
    }
}

/// Operations open on one WebSocket connection (kept in its session data).
#[derive(Debug, Default)]
pub struct ConnectionOperations(AtomicUsize);

struct OperationSlot(Arc<ConnectionOperations>);

impl Drop for OperationSlot {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ConnectionOperations {
    fn try_open(self: &Arc<Self>, max: usize) -> Option<OperationSlot> {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| OperationSlot(Arc::clone(self)))
    }
}

/// The schema behind the gate: what the daemon serves over HTTP and hands to
/// its WebSocket handler as the executor.
#[derive(Clone)]
pub struct Gate {
    schema: ItosmSchema,
    itosm: Arc<Itosm>,
    limits: GateLimits,
    budgets: Arc<CallerBudgets>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// A gate in front of `schema`.
    pub fn new(schema: ItosmSchema, itosm: Arc<Itosm>, limits: GateLimits) -> Self {
        Gate {
            schema,
            itosm,
            limits,
            budgets: Arc::new(CallerBudgets::default()),
        }
    }

    /// The schema behind the gate.
    pub fn schema(&self) -> &ItosmSchema {
        &self.schema
    }

    /// Fresh per-connection state for a new WebSocket: put it in the
    /// connection's data with its [`ConnectionCredentials`].
    pub fn connection_operations() -> Arc<ConnectionOperations> {
        Arc::new(ConnectionOperations::default())
    }

    /// Runs one HTTP request for `caller` (already resolved from the
    /// request's `Authorization`) from `address`.
    pub async fn execute_http(
        &self,
        request: Request,
        caller: Caller,
        address: Option<&str>,
    ) -> Response {
        if let Err(error) = check_request(&request, self.limits.max_nesting) {
            return refused(error);
        }
        let key = CallerKey::of(&caller, address);
        let _permit = match self
            .budgets
            .try_enter(key, self.limits.max_concurrent_per_caller)
        {
            Ok(permit) => permit,
            Err(error) => return refused(error),
        };
        self.schema.execute(request.data(caller)).await
    }
}

fn refused(error: CoreError) -> Response {
    Response::from_errors(vec![server_error(error)])
}

fn server_error(error: CoreError) -> ServerError {
    to_graphql_error(error).into_server_error(async_graphql::Pos::default())
}

impl Executor for Gate {
    async fn execute(&self, request: Request) -> Response {
        // Only reached for requests that carry their caller already.
        if let Err(error) = check_request(&request, self.limits.max_nesting) {
            return refused(error);
        }
        self.schema.execute(request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let refuse = |error: CoreError| stream::once(async move { refused(error) }).boxed();
        if let Err(error) = check_request(&request, self.limits.max_nesting) {
            return refuse(error);
        }
        let data = session_data.clone();
        let slot = match session::<Arc<ConnectionOperations>>(data.as_deref()) {
            Some(open) => match open.try_open(self.limits.max_operations_per_connection) {
                Some(slot) => Some(slot),
                None => {
                    return refuse(CoreError::bad_input(
                        "subscribe",
                        format!(
                            "at most {} operations may be open at once on one connection; complete some first",
                            self.limits.max_operations_per_connection
                        ),
                    ));
                }
            },
            None => None,
        };
        let credentials = session::<ConnectionCredentials>(data.as_deref())
            .cloned()
            .unwrap_or_default();
        let address = session::<crate::ClientAddress>(data.as_deref()).map(|a| a.0.clone());
        let schema = self.schema.clone();
        let itosm = Arc::clone(&self.itosm);
        let budgets = Arc::clone(&self.budgets);
        let max_running = self.limits.max_concurrent_per_caller;
        let responses = stream::once(async move {
            // As a fresh HTTP request would be, now: an expired token, a
            // deactivation or a role change since connection_init all count.
            let caller =
                Caller::from_authorization(&itosm, credentials.authorization.as_deref()).await;
            let key = CallerKey::of(&caller, address.as_deref());
            let permit = match budgets.try_enter(key, max_running) {
                Ok(permit) => permit,
                Err(error) => return stream::once(async move { refused(error) }).boxed(),
            };
            let mut permit = Some(permit);
            schema
                .execute_stream_with_session_data(request.data(caller), data.unwrap_or_default())
                .map(move |response| {
                    // Running is the first answer (a query's only one, a
                    // subscription's setup); an open feed holds no slot.
                    permit.take();
                    response
                })
                .boxed()
        })
        .flatten();
        responses
            .map(move |response| {
                let _open = &slot;
                response
            })
            .boxed()
    }
}

/// A value of type `T` in a connection's session data.
fn session<T: std::any::Any>(data: Option<&Data>) -> Option<&T> {
    let boxed = data?.get(&std::any::TypeId::of::<T>())?;
    (**boxed).downcast_ref::<T>()
}

/// Checks a request's document and variables against the nesting bound.
pub fn check_request(request: &Request, max_nesting: usize) -> Result<(), CoreError> {
    check_document_nesting(&request.query, max_nesting)?;
    check_variables_nesting(&request.variables, max_nesting)
}

/// Refuses a GraphQL document whose `{`, `[` and `(` nest deeper than `max`,
/// reading it once, left to right, without recursion. Brackets inside
/// strings, block strings and comments do not count.
pub fn check_document_nesting(document: &str, max: usize) -> Result<(), CoreError> {
    let bytes = document.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        break;
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return Err(too_deep("query", max));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Refuses variables whose lists and objects nest deeper than `max`, walking
/// them with an explicit stack.
pub fn check_variables_nesting(variables: &Variables, max: usize) -> Result<(), CoreError> {
    let mut pending: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = pending.pop() {
        match value {
            Value::List(items) => {
                if depth > max {
                    return Err(too_deep("variables", max));
                }
                pending.extend(items.iter().map(|v| (v, depth + 1)));
            }
            Value::Object(fields) => {
                if depth > max {
                    return Err(too_deep("variables", max));
                }
                pending.extend(fields.values().map(|v| (v, depth + 1)));
            }
            _ => {}
        }
    }
    Ok(())
}

fn too_deep(field: &'static str, max: usize) -> CoreError {
    CoreError::bad_input(field, format!("nested deeper than {max} levels"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_documents_are_refused_without_recursion() {
        for depth in [1_000, 10_000, 100_000, 1_000_000] {
            let list = format!(
                "{{ __typename @include(if: {}true{}) }}",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let error = check_document_nesting(&list, 32).expect_err("refused");
            assert_eq!(error.code().as_str(), "BAD_USER_INPUT");
            let selections = format!("{}{}", "{a".repeat(depth), "}".repeat(depth));
            assert!(check_document_nesting(&selections, 32).is_err());
            let objects = format!("{{ f(x: {}1{}) }}", "{a:".repeat(depth), "}".repeat(depth));
            assert!(check_document_nesting(&objects, 32).is_err());
        }
    }

    #[test]
    fn ordinary_documents_pass_and_strings_do_not_count() {
        let query = r#"
            # a comment with {{{{{{ and [[[[[[
            query($f: TicketFilter) {
              tickets(filter: $f, first: 20) {
                edges { node { number description history { actor { username } } } }
              }
              s: ticket(number: "{{{{{{{{[[[[[[[[((((((((") { number }
              b: ticket(number: """ {{{{{{{{ \""" [[[[[[[[ """) { number }
            }"#;
        assert!(check_document_nesting(query, 12).is_ok());
        assert!(check_document_nesting("{ a { b { c } } }", 3).is_ok());
        assert!(check_document_nesting("{ a { b { c { d } } } }", 3).is_err());
    }

    #[test]
    fn deep_variables_are_refused() {
        let mut value = serde_json::json!(true);
        for _ in 0..100 {
            value = serde_json::json!([value]);
        }
        let variables = Variables::from_json(serde_json::json!({ "v": value }));
        assert!(check_variables_nesting(&variables, 32).is_err());
        let shallow = Variables::from_json(serde_json::json!({ "f": { "status": "START" } }));
        assert!(check_variables_nesting(&shallow, 32).is_ok());
    }

    #[test]
    fn a_caller_gets_a_bounded_number_of_slots() {
        let budgets = Arc::new(CallerBudgets::default());
        let key = CallerKey::User(7);
        let first = budgets.try_enter(key.clone(), 2).expect("first");
        let _second = budgets.try_enter(key.clone(), 2).expect("second");
        assert!(budgets.try_enter(key.clone(), 2).is_err());
        assert!(budgets.try_enter(CallerKey::User(8), 2).is_ok());
        drop(first);
        assert!(budgets.try_enter(key, 2).is_ok());
    }
}
