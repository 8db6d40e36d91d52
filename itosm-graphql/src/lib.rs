//! # itosm-graphql
//!
//! itosm's GraphQL schema over [`itosm_core::Itosm`]: queries, mutations and
//! subscriptions, with errors carrying `extensions.code`. No HTTP here: the
//! daemon mounts [`ItosmSchema`] on its router and supplies a [`Caller`] per
//! request (from the `Authorization` header, or from the WebSocket's
//! `connection_init` payload).

mod assets;
mod attachments;
mod auth;
mod caller;
mod catalog;
mod errors;
mod guard;
mod subscriptions;
mod tickets;
mod types;
mod user_types;
mod users;

use std::sync::Arc;

use async_graphql::{Context, ID, MergedObject, Result, Schema};
use itosm_core::Itosm;
use itosm_core::transport::LiveFeed;

pub use assets::AssetNode;
pub use attachments::{AttachmentNode, download_path};
pub use caller::{Caller, ClientAddress};
pub use errors::{ErrorCodes, to_graphql_error};
pub use guard::{
    CallerBudgets, CallerKey, CallerPermit, ConnectionCredentials, ConnectionOperations, Gate,
    GateLimits, check_document_nesting, check_request, check_variables_nesting,
};

/// The schema type the daemon serves.
pub type ItosmSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Bounds on what one GraphQL request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct SchemaLimits {
    /// Deepest selection accepted.
    pub max_depth: usize,
    /// Largest complexity (roughly, fields resolved) accepted.
    pub max_complexity: usize,
    /// How often an idle subscription checks its caller again (token
    /// expiry, deactivation, role change); it also checks before each event.
    pub subscription_recheck: std::time::Duration,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        SchemaLimits {
            max_depth: 12,
            max_complexity: 2000,
            subscription_recheck: std::time::Duration::from_secs(60),
        }
    }
}

/// How often idle subscriptions re-check their caller (schema data).
#[derive(Debug, Clone, Copy)]
struct RecheckEvery(std::time::Duration);

pub use subscriptions::SubscriptionRoot;

/// Builds the schema over `itosm` with live events from `feed`.
pub fn build_schema(
    itosm: Arc<Itosm>,
    feed: Arc<dyn LiveFeed>,
    limits: SchemaLimits,
) -> ItosmSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(itosm)
    .data(feed)
    .data(RecheckEvery(limits.subscription_recheck))
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .extension(ErrorCodes)
    .finish()
}

/// The schema's SDL, as `itosm schema` prints it.
pub fn schema_sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}

pub(crate) fn services<'a>(ctx: &Context<'a>) -> Result<(&'a Arc<Itosm>, &'a Caller)> {
    let itosm = ctx.data::<Arc<Itosm>>()?;
    let caller = ctx.data_opt::<Caller>().unwrap_or(&caller::ANONYMOUS);
    Ok((itosm, caller))
}

/// Read operations.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    auth::AuthQuery,
    tickets::TicketQuery,
    users::UserQuery,
    catalog::CatalogQuery,
    assets::AssetQuery,
);

/// Write operations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutation,
    tickets::TicketMutation,
    users::UserMutation,
    catalog::CatalogMutation,
    assets::AssetMutation,
);

/// What a page can fetch: its size (20 when not given) times what each item
/// costs, so `tickets(first: 100) { … }` costs a hundred tickets' worth.
pub(crate) fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.map_or(20, |n| usize::try_from(n.clamp(1, 1000)).unwrap_or(1));
    first.saturating_mul(child_complexity.max(1))
}

pub(crate) fn parse_id(id: &ID, field: &'static str) -> Result<i64> {
    id.as_str()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| to_graphql_error(itosm_core::CoreError::bad_input(field, "not a valid id")))
}
