//! Live updates: the feed of tickets, filtered per caller and re-checked.

use std::sync::Arc;

use async_graphql::{Context, Result, Subscription};
use futures::stream::{Stream, StreamExt};
use itosm_core::event::{EventEnvelope, EventType};
use itosm_core::transport::{FeedItem, LiveFeed};
use itosm_core::{ErrorCode, Itosm};

use crate::errors::{self, to_graphql_error};
use crate::types::TicketNode;
use crate::{Caller, RecheckEvery, services};

/// Live updates over graphql-transport-ws.
#[derive(Debug, Default)]
pub struct SubscriptionRoot;

/// Which events a live stream passes on.
type EventFilter = Box<dyn Fn(&EventEnvelope) -> bool + Send + Sync>;

/// The tickets behind the feed's events, as the caller may see them now.
fn live_tickets(
    itosm: Arc<Itosm>,
    caller: Caller,
    feed: &Arc<dyn LiveFeed>,
    recheck: std::time::Duration,
    wanted: EventFilter,
) -> impl Stream<Item = Result<TicketNode>> + use<> {
    live(
        itosm,
        caller,
        feed,
        recheck,
        wanted,
        |itosm, actor, event| {
            Box::pin(async move {
                Ok(itosm
                    .ticket_for_event(Some(&actor), &event)
                    .await?
                    .map(TicketNode))
            })
        },
    )
}

/// What a live stream makes of an event the caller passed for: the node
/// he may see now, or `None` to skip it.
type Resolve<T> = fn(
    Arc<Itosm>,
    itosm_core::policy::Actor,
    Arc<EventEnvelope>,
) -> futures::future::BoxFuture<
    'static,
    std::result::Result<Option<T>, itosm_core::CoreError>,
>;

/// The feed's events, resolved for the caller as he may see them now.
///
/// The caller is checked again (token expiry, deactivation, role change)
/// before each event and every `recheck` while idle: if that fails the
/// stream yields the error and ends, so a subscription enforces exactly
/// what a fresh HTTP request would.
fn live<T: Send + 'static>(
    itosm: Arc<Itosm>,
    caller: Caller,
    feed: &Arc<dyn LiveFeed>,
    recheck: std::time::Duration,
    wanted: EventFilter,
    resolve: Resolve<T>,
) -> impl Stream<Item = Result<T>> + use<T> {
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
                        match resolve(Arc::clone(&itosm), actor, Arc::clone(&event)).await {
                            Ok(Some(node)) => Ok(node),
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
                    && event
                        .ticket
                        .as_ref()
                        .is_some_and(|ticket| number.as_ref().is_none_or(|n| *n == ticket.number))
            }),
        ))
    }

    /// Devices whose health changed (`UP`, `DEGRADED`, `DOWN`): agents and
    /// admins see every device, a requester his own.
    async fn asset_health_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<crate::AssetNode>> + use<>> {
        let (itosm, caller) = services(ctx)?;
        caller.actor().map_err(to_graphql_error)?;
        let feed = ctx.data::<Arc<dyn LiveFeed>>()?;
        Ok(live(
            Arc::clone(itosm),
            caller.clone(),
            feed,
            recheck_every(ctx),
            Box::new(|event| event.event_type == EventType::AssetHealthChanged),
            |itosm, actor, event| {
                Box::pin(async move {
                    Ok(itosm
                        .asset_for_event(Some(&actor), &event)
                        .await?
                        .map(crate::AssetNode))
                })
            },
        ))
    }
}
