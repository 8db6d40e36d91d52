//! Who is calling: resolved once per request (or WebSocket connection) from
//! a bearer token, then read by every resolver.

use async_graphql::Result;
use itosm_core::policy::Actor;
use itosm_core::{CoreError, Itosm};

use crate::errors::to_graphql_error;

/// The caller of one request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No token was sent.
    Anonymous,
    /// A token was sent and refused (forged, expired, deactivated user).
    Refused(String),
    /// A token was sent but could not be checked: a dependency (the
    /// database) is down. Not the caller's fault, so not `UNAUTHENTICATED`.
    Unavailable(String),
    /// A valid token, and the actor it was resolved to.
    Authenticated {
        /// Who is calling, as loaded when the request (or connection) began.
        actor: Actor,
        /// The token, kept so long-lived subscriptions can check it again.
        token: String,
    },
}

/// The client's network address as the daemon sees it (an IP), used to
/// throttle logins per address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

pub(crate) static ANONYMOUS: Caller = Caller::Anonymous;

/// Longest `Authorization` value read.
const MAX_HEADER_CHARS: usize = 2048;

impl Caller {
    /// Resolves a caller from an optional `Authorization` value
    /// (`Bearer <token>` or a bare token).
    pub async fn from_authorization(itosm: &Itosm, authorization: Option<&str>) -> Caller {
        let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
            return Caller::Anonymous;
        };
        if value.len() > MAX_HEADER_CHARS {
            return Caller::Refused("invalid token".to_owned());
        }
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(value)
            .trim();
        match itosm.authenticate(token).await {
            Ok(actor) => Caller::Authenticated {
                actor,
                token: token.to_owned(),
            },
            Err(error @ CoreError::Unavailable(_)) => Caller::Unavailable(error.to_string()),
            Err(error @ CoreError::Internal(_)) => Caller::Unavailable(error.to_string()),
            Err(error) => Caller::Refused(error.public_message()),
        }
    }

    /// The authenticated actor, or the reason there is none.
    pub fn actor(&self) -> Result<&Actor, CoreError> {
        match self {
            Caller::Authenticated { actor, .. } => Ok(actor),
            Caller::Anonymous => Err(CoreError::Unauthenticated(
                "log in first: a valid token is required".to_owned(),
            )),
            Caller::Refused(reason) => Err(CoreError::Unauthenticated(reason.clone())),
            Caller::Unavailable(detail) => Err(CoreError::Unavailable(detail.clone())),
        }
    }

    /// Checks the caller again, as a long-lived subscription must before
    /// each event: the token may have expired, the user been deactivated or
    /// his role changed since the connection began. Any of these ends it.
    pub async fn recheck(&self, itosm: &Itosm) -> Result<Actor, CoreError> {
        let (actor, token) = match self {
            Caller::Authenticated { actor, token } => (actor, token),
            _ => return self.actor().cloned(),
        };
        let fresh = itosm.authenticate(token).await?;
        if fresh.user.role != actor.user.role {
            return Err(CoreError::Unauthenticated(
                "your role changed: reconnect to continue".to_owned(),
            ));
        }
        Ok(fresh)
    }

    /// The actor for a policy check: `None` when anonymous; an error when a
    /// token was sent but refused (so the client learns why).
    pub fn actor_opt(&self) -> Result<Option<&Actor>> {
        match self {
            Caller::Authenticated { actor, .. } => Ok(Some(actor)),
            Caller::Anonymous => Ok(None),
            Caller::Refused(reason) => {
                Err(to_graphql_error(CoreError::Unauthenticated(reason.clone())))
            }
            Caller::Unavailable(detail) => {
                Err(to_graphql_error(CoreError::Unavailable(detail.clone())))
            }
        }
    }
}
