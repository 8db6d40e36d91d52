//! # itosm-graphql
//!
//! itosm's GraphQL schema over [`itosm_core::Itosm`]: queries, mutations and
//! subscriptions, with errors carrying `extensions.code`. No HTTP here: the
//! daemon mounts [`ItosmSchema`] on its router and supplies a [`Caller`] per
//! request (from the `Authorization` header, or from the WebSocket's
//! `connection_init` payload).

mod caller;
mod errors;
mod guard;
mod types;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, ID, Object, Result, Schema, Subscription};
use futures::stream::{Stream, StreamExt};
use itosm_core::event::EventEnvelope;
use itosm_core::event::EventType;
use itosm_core::transport::{FeedItem, LiveFeed};
use itosm_core::{CreateTicketInput, ErrorCode, Itosm, NewUser, SoftwareId};

pub use caller::{Caller, ClientAddress};
pub use errors::{ErrorCodes, to_graphql_error};
pub use guard::{
    CallerBudgets, CallerKey, CallerPermit, ConnectionCredentials, ConnectionOperations, Gate,
    GateLimits, check_document_nesting, check_request, check_variables_nesting,
};
use types::{
    AuthPayload, CommentNode, CreateTicketGql, CreateUserGql, Limits, SoftwareNode,
    TicketConnection, TicketFilter, TicketNode, TicketSortGql, UserConnection, UserFilter,
    UserNode,
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

/// Builds the schema over `itosm` with live events from `feed`.
pub fn build_schema(
    itosm: Arc<Itosm>,
    feed: Arc<dyn LiveFeed>,
    limits: SchemaLimits,
) -> ItosmSchema {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
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
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}

fn services<'a>(ctx: &Context<'a>) -> Result<(&'a Arc<Itosm>, &'a Caller)> {
    let itosm = ctx.data::<Arc<Itosm>>()?;
    let caller = ctx.data_opt::<Caller>().unwrap_or(&caller::ANONYMOUS);
    Ok((itosm, caller))
}

/// Read operations.
#[derive(Debug, Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserNode> {
        let (_, caller) = services(ctx)?;
        Ok(UserNode(
            caller.actor().map_err(to_graphql_error)?.user.clone(),
        ))
    }

    /// Software titles that can be requested.
    async fn software_catalog(&self, ctx: &Context<'_>) -> Result<Vec<SoftwareNode>> {
        let (itosm, caller) = services(ctx)?;
        let catalog = itosm
            .software_catalog(caller.actor_opt()?)
            .await
            .map_err(to_graphql_error)?;
        Ok(catalog.into_iter().map(SoftwareNode).collect())
    }

    /// One ticket by number; `null` when it does not exist or is not yours.
    async fn ticket(&self, ctx: &Context<'_>, number: String) -> Result<Option<TicketNode>> {
        let (itosm, caller) = services(ctx)?;
        match itosm.get_ticket(caller.actor_opt()?, &number).await {
            Ok(view) => Ok(Some(TicketNode(view))),
            Err(itosm_core::CoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(to_graphql_error(other)),
        }
    }

    /// Tickets, newest first unless `sort` says otherwise: your own, or
    /// every ticket for agents and admins. `first` defaults to 20 and is at
    /// most `limits.maxPageSize`.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketFilter>,
        first: Option<i32>,
        after: Option<String>,
        sort: Option<TicketSortGql>,
    ) -> Result<TicketConnection> {
        let (itosm, caller) = services(ctx)?;
        let page = itosm
            .list_tickets(
                caller.actor_opt()?,
                filter.map(Into::into).unwrap_or_default(),
                sort.unwrap_or_default().into(),
                first.map(i64::from),
                after.as_deref(),
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketConnection(page))
    }

    /// Users, by id (admins only). `first` defaults to 20 and is at most
    /// `limits.maxPageSize`.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let (itosm, caller) = services(ctx)?;
        let page = itosm
            .list_users(
                caller.actor_opt()?,
                filter.map(Into::into).unwrap_or_default(),
                first.map(i64::from),
                after.as_deref(),
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(UserConnection(page))
    }

    /// Agents and admins a ticket can be assigned to (agents and admins only).
    async fn assignable_agents(&self, ctx: &Context<'_>) -> Result<Vec<UserNode>> {
        let (itosm, caller) = services(ctx)?;
        let users = itosm
            .assignable_agents(caller.actor_opt()?)
            .await
            .map_err(to_graphql_error)?;
        Ok(users.into_iter().map(UserNode).collect())
    }

    /// Bounds the server enforces, so clients can show them.
    async fn limits(&self, ctx: &Context<'_>) -> Result<Limits> {
        let (itosm, caller) = services(ctx)?;
        // Anyone may read the bounds, but a refused token is still refused.
        caller.actor_opt()?;
        let config = itosm.config();
        Ok(Limits {
            max_description_chars: i32::try_from(config.max_description_chars).unwrap_or(i32::MAX),
            max_page_size: i32::try_from(config.max_page_size).unwrap_or(i32::MAX),
        })
    }
}

/// Write operations.
#[derive(Debug, Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Logs in with username and employee ID; returns a bearer token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        employee_id: String,
    ) -> Result<AuthPayload> {
        let (itosm, _) = services(ctx)?;
        let address = ctx.data_opt::<ClientAddress>().map(|a| a.0.as_str());
        let session = itosm
            .login_from(&username, &employee_id, address)
            .await
            .map_err(to_graphql_error)?;
        Ok(AuthPayload::from(session))
    }

    /// Opens a ticket for the caller.
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketGql) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor_opt()?;
        let software_id = match input.software_id {
            None => None,
            Some(id) => Some(parse_id(&id, "softwareId")?),
        };
        let view = itosm
            .create_ticket(
                actor,
                CreateTicketInput {
                    request_type: input.request_type.into(),
                    software_id: software_id.map(SoftwareId),
                    description: input.description,
                },
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Moves a ticket to another status. `version` is the one you saw; a
    /// stale one is a `CONFLICT`. Requesters may only cancel their own open
    /// tickets and reopen (`IN_PROGRESS`) their resolved ones.
    async fn change_status(
        &self,
        ctx: &Context<'_>,
        number: String,
        status: types::TicketStatus,
        note: Option<String>,
        version: i32,
    ) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let view = itosm
            .change_status(caller.actor_opt()?, &number, status.into(), note, version)
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Assigns a ticket to an agent or admin (`assigneeId`), or unassigns
    /// it (`null`). Agents and admins only; a stale `version` is a `CONFLICT`.
    async fn assign_ticket(
        &self,
        ctx: &Context<'_>,
        number: String,
        assignee_id: Option<ID>,
        version: i32,
    ) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let assignee = match assignee_id {
            None => None,
            Some(id) => Some(itosm_core::UserId(parse_id(&id, "assigneeId")?)),
        };
        let view = itosm
            .assign_ticket(caller.actor_opt()?, &number, assignee, version)
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Comments on a ticket. Requesters comment publicly on their own
    /// tickets; agents and admins on any, and with `internal: true` as a
    /// note only staff ever see (`internal` defaults to false).
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        number: String,
        body: String,
        internal: Option<bool>,
    ) -> Result<CommentNode> {
        let (itosm, caller) = services(ctx)?;
        let view = itosm
            .add_comment(
                caller.actor_opt()?,
                &number,
                &body,
                internal.unwrap_or(false),
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(CommentNode(view))
    }

    /// Changes a ticket's priority and so its SLA due times (agents and
    /// admins); a stale `version` is a `CONFLICT`.
    async fn change_priority(
        &self,
        ctx: &Context<'_>,
        number: String,
        priority: types::Priority,
        version: i32,
    ) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let view = itosm
            .change_priority(caller.actor_opt()?, &number, priority.into(), version)
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Creates a user (admins only).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserGql) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let user = itosm
            .create_user(
                caller.actor_opt()?,
                NewUser {
                    username: input.username,
                    employee_id: input.employee_id,
                    display_name: input.display_name,
                    email: input.email,
                    phone: input.phone,
                    role: input.role.into(),
                },
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode(user))
    }

    /// Ends every session of the caller on every device: each token issued
    /// so far, this one included, stops working at once.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> Result<bool> {
        let (itosm, caller) = services(ctx)?;
        itosm
            .logout_everywhere(caller.actor_opt()?)
            .await
            .map_err(to_graphql_error)?;
        Ok(true)
    }

    /// Changes a user's role (admins only, not their own).
    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: types::Role,
    ) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let id = itosm_core::UserId(parse_id(&id, "id")?);
        let user = itosm
            .change_user_role(caller.actor_opt()?, id, role.into())
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode(user))
    }

    /// Deactivates a user (admins only, not themselves): he can no longer
    /// log in, and his tokens and subscriptions stop working at once.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let id = itosm_core::UserId(parse_id(&id, "id")?);
        let user = itosm
            .set_user_active(caller.actor_opt()?, id, false)
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode(user))
    }

    /// Reactivates a deactivated user (admins only).
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let id = itosm_core::UserId(parse_id(&id, "id")?);
        let user = itosm
            .set_user_active(caller.actor_opt()?, id, true)
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode(user))
    }
}

/// What a page can fetch: its size (20 when not given) times what each item
/// costs, so `tickets(first: 100) { … }` costs a hundred tickets' worth.
fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.map_or(20, |n| usize::try_from(n.clamp(1, 1000)).unwrap_or(1));
    first.saturating_mul(child_complexity.max(1))
}

fn parse_id(id: &ID, field: &'static str) -> Result<i64> {
    id.as_str()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| to_graphql_error(itosm_core::CoreError::bad_input(field, "not a valid id")))
}

/// Live updates over graphql-transport-ws.
#[derive(Debug, Default)]
pub struct SubscriptionRoot;

/// Which events a live stream passes on.
type EventFilter = Box<dyn Fn(&EventEnvelope) -> bool + Send + Sync>;

/// The tickets behind the feed's events, as the caller may see them now.
///
/// The caller is checked again (token expiry, deactivation, role change)
/// before each event and every `recheck` while idle: if that fails the
/// stream yields the error and ends, so a subscription enforces exactly
/// what a fresh HTTP request would.
fn live_tickets(
    itosm: Arc<Itosm>,
    caller: Caller,
    feed: &Arc<dyn LiveFeed>,
    recheck: std::time::Duration,
    wanted: EventFilter,
) -> impl Stream<Item = Result<TicketNode>> + use<> {
    let stream = feed.subscribe();
    let next_check = tokio::time::Instant::now() + recheck;
    futures::stream::unfold(
        Some((stream, itosm, caller, wanted, next_check)),
        move |state| async move {
            let (mut stream, itosm, caller, wanted, mut next_check) = state?;
            loop {
                let item = tokio::select! {
                    item = stream.next() => item?,
                    () = tokio::time::sleep_until(next_check) => {
                        next_check = tokio::time::Instant::now() + recheck;
                        match caller.recheck(&itosm).await {
                            // Cannot tell now (the database is down): try
                            // again at the next check; nothing is sent meanwhile.
                            Err(error) if error.code() == ErrorCode::Unavailable => {}
                            Err(error) => return Some((Err(to_graphql_error(error)), None)),
                            Ok(_) => {}
                        }
                        continue;
                    }
                };
                let reply = match item {
                    FeedItem::Event(event) if wanted(&event) => {
                        let actor = match caller.recheck(&itosm).await {
                            Ok(actor) => actor,
                            // The caller cannot be checked, so the event is
                            // not sent; the subscriber is told to resynchronise
                            // and the feed stays open.
                            Err(error) if error.code() == ErrorCode::Unavailable => {
                                return Some((
                                    Err(errors::interrupted()),
                                    Some((stream, itosm, caller, wanted, next_check)),
                                ));
                            }
                            Err(error) => return Some((Err(to_graphql_error(error)), None)),
                        };
                        match itosm.ticket_for_event(Some(&actor), &event).await {
                            Ok(Some(view)) => Ok(TicketNode(view)),
                            Ok(None) => continue,
                            Err(error) => Err(to_graphql_error(error)),
                        }
                    }
                    FeedItem::Event(_) => continue,
                    FeedItem::Lagged { missed } => Err(errors::lagged(missed)),
                    FeedItem::Interrupted => Err(errors::interrupted()),
                };
                return Some((reply, Some((stream, itosm, caller, wanted, next_check))));
            }
        },
    )
}

fn recheck_every(ctx: &Context<'_>) -> std::time::Duration {
    ctx.data_opt::<RecheckEvery>()
        .map_or(std::time::Duration::from_secs(60), |r| r.0)
}

#[Subscription]
impl SubscriptionRoot {
    /// Every ticket created anywhere (agents and admins only).
    async fn ticket_created(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<TicketNode>> + use<>> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor().map_err(to_graphql_error)?;
        itosm
            .authorize_feed(Some(actor))
            .map_err(to_graphql_error)?;
        let feed = ctx.data::<Arc<dyn LiveFeed>>()?;
        Ok(live_tickets(
            Arc::clone(itosm),
            caller.clone(),
            feed,
            recheck_every(ctx),
            Box::new(|event| event.event_type == EventType::TicketCreated),
        ))
    }

    /// Changes to tickets (status, assignment, priority, comments): agents
    /// and admins see every ticket, a requester only his own (and never an
    /// internal note). With `number`, only that ticket (which must be
    /// visible to the caller).
    async fn ticket_updated(
        &self,
        ctx: &Context<'_>,
        number: Option<String>,
    ) -> Result<impl Stream<Item = Result<TicketNode>> + use<>> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor().map_err(to_graphql_error)?;
        if let Some(number) = &number {
            // Same answer as a query: a ticket you may not see does not exist.
            itosm
                .get_ticket(Some(actor), number)
                .await
                .map_err(to_graphql_error)?;
        }
        let feed = ctx.data::<Arc<dyn LiveFeed>>()?;
        Ok(live_tickets(
            Arc::clone(itosm),
            caller.clone(),
            feed,
            recheck_every(ctx),
            Box::new(move |event| {
                event.event_type != EventType::TicketCreated
                    && number.as_ref().is_none_or(|n| *n == event.ticket.number)
            }),
        ))
    }
}

#[doc(hidden)]
pub type _Unused = EmptySubscription;
