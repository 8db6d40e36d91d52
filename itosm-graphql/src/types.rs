//! GraphQL object, input and enum types, thin wrappers over core's.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use itosm_core::{
    AuthSession, HistoryEntry, Software, TicketFilterInput, TicketPage, TicketView, User,
};

use crate::errors::to_graphql_error;
use crate::services;

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $name { $(#[allow(missing_docs)] $variant),+ }

        impl From<$name> for itosm_core::$name {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => itosm_core::$name::$variant),+ }
            }
        }

        impl From<itosm_core::$name> for $name {
            fn from(value: itosm_core::$name) -> Self {
                match value { $(itosm_core::$name::$variant => $name::$variant),+ }
            }
        }
    };
}

mirror_enum! {
    /// What a user may do.
    Role { Requester, Agent, Admin }
}
mirror_enum! {
    /// Where a ticket stands.
    TicketStatus { Start, InProgress, OnHold, Resolved, Closed, Cancelled }
}
mirror_enum! {
    /// What the requester asks for.
    RequestType { SoftwareInstall, AccessRequest, Hardware, Incident, Other }
}
mirror_enum! {
    /// How urgent a ticket is.
    Priority { Low, Medium, High, Critical }
}

/// A person.
pub struct UserNode(pub User);

#[Object(name = "User")]
impl UserNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
}

/// A title in the software catalog.
pub struct SoftwareNode(pub Software);

#[Object(name = "Software")]
impl SoftwareNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// Name and version, e.g. `Autodesk AutoCAD 2025`.
    async fn label(&self) -> String {
        self.0.label()
    }
}

/// A successful login.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`, or in `connection_init`.
    token: String,
    /// When the token stops working.
    expires_at: DateTime<Utc>,
    /// Who logged in.
    user: UserNodeOwned,
}

/// `User` as an owned field of [`AuthPayload`].
pub type UserNodeOwned = UserNode;

impl From<AuthSession> for AuthPayload {
    fn from(session: AuthSession) -> Self {
        AuthPayload {
            token: session.token,
            expires_at: session.expires_at,
            user: UserNode(session.user),
        }
    }
}

/// One row of a ticket's history.
pub struct HistoryNode(HistoryEntry, Option<User>);

#[Object(name = "HistoryEntry")]
impl HistoryNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn status(&self) -> TicketStatus {
        self.0.status.into()
    }
    /// e.g. `Start`.
    async fn status_label(&self) -> &'static str {
        self.0.status.label()
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn actor(&self) -> Option<UserNode> {
        self.1.clone().map(UserNode)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A ticket.
pub struct TicketNode(pub TicketView);

#[Object(name = "Ticket")]
impl TicketNode {
    async fn id(&self) -> ID {
        ID(self.0.ticket.id.0.to_string())
    }
    /// e.g. `INC-2026-0001`.
    async fn number(&self) -> &str {
        &self.0.ticket.number
    }
    async fn status(&self) -> TicketStatus {
        self.0.ticket.status.into()
    }
    /// e.g. `Start`.
    async fn status_label(&self) -> &'static str {
        self.0.ticket.status.label()
    }
    async fn request_type(&self) -> RequestType {
        self.0.ticket.request_type.into()
    }
    async fn software(&self) -> Option<SoftwareNode> {
        self.0.software.clone().map(SoftwareNode)
    }
    async fn requester(&self) -> UserNode {
        UserNode(self.0.requester.clone())
    }
    async fn assignee(&self) -> Option<UserNode> {
        self.0.assignee.clone().map(UserNode)
    }
    /// As the requester wrote it; clients must render it as text.
    async fn description(&self) -> &str {
        &self.0.ticket.description
    }
    async fn priority(&self) -> Priority {
        self.0.ticket.priority.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.ticket.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.ticket.updated_at
    }
    /// Send back with changes; a stale version is a `CONFLICT`.
    async fn version(&self) -> i32 {
        self.0.ticket.version
    }
    /// Notifications sent about this ticket, per sink and recipient (admins only).
    async fn notifications(&self, ctx: &Context<'_>) -> Result<Vec<NotificationDelivery>> {
        let (itosm, caller) = services(ctx)?;
        let rows = itosm
            .ticket_notifications(caller.actor_opt()?, &self.0.ticket)
            .await
            .map_err(to_graphql_error)?;
        Ok(rows
            .into_iter()
            .map(|row| NotificationDelivery {
                event_id: ID(row.event_id.to_string()),
                event_type: row.event_type,
                sink: row.sink,
                recipient: row.recipient,
                status: match row.status {
                    itosm_core::store::DeliveryStatus::Delivered => DeliveryStatus::Delivered,
                    itosm_core::store::DeliveryStatus::Failed => DeliveryStatus::Failed,
                },
                attempts: row.attempts,
                last_error: row.last_error,
                at: row.at,
            })
            .collect())
    }

    /// Every change, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<HistoryNode>> {
        let (itosm, caller) = services(ctx)?;
        let rows = itosm
            .ticket_history(caller.actor_opt()?, &self.0.ticket)
            .await
            .map_err(to_graphql_error)?;
        Ok(rows
            .into_iter()
            .map(|(entry, actor)| HistoryNode(entry, actor))
            .collect())
    }
}

/// How a delivery stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// The sink accepted it.
    Delivered,
    /// The sink refused it, for good or after every retry.
    Failed,
}

/// One notification: an event delivered (or not) by a sink to a recipient.
#[derive(SimpleObject)]
pub struct NotificationDelivery {
    /// The event's id.
    event_id: ID,
    /// e.g. `ticket.created`.
    event_type: String,
    /// The sink's configured name.
    sink: String,
    /// Address, phone, URL, or `*` for broadcast sinks.
    recipient: String,
    /// How it stands.
    status: DeliveryStatus,
    /// Attempts made.
    attempts: i32,
    /// The last error, if any.
    last_error: Option<String>,
    /// When it last changed.
    at: DateTime<Utc>,
}

/// An edge of a [`TicketConnection`].
pub struct TicketEdge(String, TicketView);

#[Object]
impl TicketEdge {
    /// Pass as `after` to get the tickets following this one.
    async fn cursor(&self) -> &str {
        &self.0
    }
    async fn node(&self) -> TicketNode {
        TicketNode(self.1.clone())
    }
}

/// Paging state.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more tickets follow.
    has_next_page: bool,
    /// Cursor of the last edge.
    end_cursor: Option<String>,
}

/// A page of tickets, newest first.
pub struct TicketConnection(pub TicketPage);

#[Object]
impl TicketConnection {
    async fn edges(&self) -> Vec<TicketEdge> {
        self.0
            .items
            .iter()
            .map(|(cursor, view)| TicketEdge(cursor.clone(), view.clone()))
            .collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.0.has_next_page,
            end_cursor: self.0.end_cursor().map(str::to_owned),
        }
    }
}

/// Narrows a ticket list.
#[derive(InputObject, Default)]
pub struct TicketFilter {
    /// Only this status.
    status: Option<TicketStatus>,
    /// Only this request type.
    request_type: Option<RequestType>,
    /// Exact ticket number, e.g. `INC-2026-0001`.
    number: Option<String>,
    /// Only the caller's own tickets (requesters always get only their own).
    mine: Option<bool>,
}

impl From<TicketFilter> for TicketFilterInput {
    fn from(filter: TicketFilter) -> Self {
        TicketFilterInput {
            status: filter.status.map(Into::into),
            request_type: filter.request_type.map(Into::into),
            number: filter.number,
            mine: filter.mine.unwrap_or(false),
        }
    }
}

/// A new ticket; the requester is always the caller.
#[derive(InputObject)]
#[graphql(name = "CreateTicketInput")]
pub struct CreateTicketGql {
    /// What kind of request.
    pub request_type: RequestType,
    /// Required for `SOFTWARE_INSTALL`, refused for `HARDWARE`.
    pub software_id: Option<ID>,
    /// What you need, in your words.
    pub description: String,
}

/// Bounds the server enforces.
#[derive(SimpleObject)]
pub struct Limits {
    /// Longest description, in characters.
    pub max_description_chars: i32,
    /// Largest `first`.
    pub max_page_size: i32,
}
