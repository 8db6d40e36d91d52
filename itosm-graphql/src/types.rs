//! GraphQL object, input and enum types, thin wrappers over core's.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use itosm_core::store::TicketSort;
use itosm_core::{
    AuthSession, CommentView, HistoryEntry, Software, TicketFilterInput, TicketPage, TicketView,
    User,
};

use crate::errors::to_graphql_error;
use crate::services;

pub use crate::user_types::{CreateUserGql, UserConnection, UserFilter};

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
pub(crate) use mirror_enum;

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

/// What a ticket's history, comments or notifications are charged, in items,
/// when a request's cost is reckoned: each is a query of its own per ticket,
/// and a list's length is not known before it is fetched.
const PER_TICKET_LIST_COST: usize = 10;

/// A person.
pub struct UserNode(pub User, SeenBy);

/// Who looks at a [`UserNode`]: anyone (the caller's rights decide), or the
/// user himself by proof other than the request's credentials (the login
/// that just made his session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeenBy {
    Caller,
    Himself,
}

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
    /// Only for the user himself and for agents and admins; `null` otherwise.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.contact(ctx, self.0.email.as_deref())
    }
    /// E.164. Only for the user himself and for agents and admins.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.contact(ctx, self.0.phone.as_deref())
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// A deactivated user cannot log in.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Whether a local password is set (the user himself and admins only;
    /// `null` otherwise).
    async fn has_password(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(self.own_or_admin(ctx)?.then_some(self.0.has_password))
    }
    /// Whether the password was set by an admin and must be changed now
    /// (the user himself and admins only; `null` otherwise).
    async fn must_change_password(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(self
            .own_or_admin(ctx)?
            .then_some(self.0.must_change_password))
    }
}

impl UserNode {
    /// `user` as the request's caller may see him.
    pub fn new(user: User) -> Self {
        UserNode(user, SeenBy::Caller)
    }

    /// Whether the caller is this user or an admin.
    fn own_or_admin(&self, ctx: &Context<'_>) -> Result<bool> {
        if self.1 == SeenBy::Himself {
            return Ok(true);
        }
        let (_, caller) = services(ctx)?;
        Ok(caller.actor_opt()?.is_some_and(|actor| {
            actor.user.id == self.0.id || actor.user.role == itosm_core::Role::Admin
        }))
    }

    /// `value` if the caller may see this user's contact details.
    fn contact<'a>(&self, ctx: &Context<'_>, value: Option<&'a str>) -> Result<Option<&'a str>> {
        if self.1 == SeenBy::Himself {
            return Ok(value);
        }
        let (itosm, caller) = services(ctx)?;
        let visible = itosm.can_view_contact(caller.actor_opt()?, &self.0);
        Ok(if visible { value } else { None })
    }
}

/// A comment on a ticket, or an internal note (staff only).
pub struct CommentNode(pub CommentView);

#[Object(name = "Comment")]
impl CommentNode {
    async fn id(&self) -> ID {
        ID(self.0.comment.id.0.to_string())
    }
    /// As written; clients must render it as text.
    async fn body(&self) -> &str {
        &self.0.comment.body
    }
    /// An internal note: only ever shown to agents and admins.
    async fn internal(&self) -> bool {
        self.0.comment.internal
    }
    async fn author(&self) -> Option<UserNode> {
        self.0.author.clone().map(UserNode::new)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.comment.created_at
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
    /// A retired title stays on old tickets but can no longer be requested.
    async fn retired(&self) -> bool {
        self.0.retired
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
            user: UserNode(session.user, SeenBy::Himself),
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
        self.1.clone().map(UserNode::new)
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
    /// A short line naming the request.
    async fn subject(&self) -> &str {
        &self.0.ticket.subject
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
        UserNode::new(self.0.requester.clone())
    }
    async fn assignee(&self) -> Option<UserNode> {
        self.0.assignee.clone().map(UserNode::new)
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
    #[graphql(complexity = "PER_TICKET_LIST_COST * child_complexity")]
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
                    itosm_core::store::DeliveryStatus::Pending => DeliveryStatus::Pending,
                    itosm_core::store::DeliveryStatus::Delivered => DeliveryStatus::Delivered,
                    itosm_core::store::DeliveryStatus::Failed => DeliveryStatus::Failed,
                },
                attempts: row.attempts,
                last_error: row.last_error,
                at: row.at,
            })
            .collect())
    }

    /// Comments, oldest first; internal notes only for agents and admins.
    #[graphql(complexity = "PER_TICKET_LIST_COST * child_complexity")]
    async fn comments(&self, ctx: &Context<'_>) -> Result<Vec<CommentNode>> {
        let (itosm, caller) = services(ctx)?;
        let rows = itosm
            .ticket_comments(caller.actor_opt()?, &self.0.ticket)
            .await
            .map_err(to_graphql_error)?;
        Ok(rows.into_iter().map(CommentNode).collect())
    }
    /// Files on the ticket and its comments, oldest first; those of
    /// internal notes only for agents and admins.
    #[graphql(complexity = "PER_TICKET_LIST_COST * child_complexity")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<crate::AttachmentNode>> {
        let (itosm, caller) = services(ctx)?;
        let files = itosm
            .ticket_attachments(caller.actor_opt()?, &self.0.ticket)
            .await
            .map_err(to_graphql_error)?;
        Ok(files
            .into_iter()
            .map(|attachment| crate::AttachmentNode {
                attachment,
                ticket_number: self.0.ticket.number.to_string(),
            })
            .collect())
    }
    /// The devices the ticket is about (a requester sees those that are
    /// his).
    #[graphql(complexity = "PER_TICKET_LIST_COST * child_complexity")]
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<crate::AssetNode>> {
        let (itosm, caller) = services(ctx)?;
        let assets = itosm
            .ticket_assets(caller.actor_opt()?, &self.0.ticket)
            .await
            .map_err(to_graphql_error)?;
        Ok(assets.into_iter().map(crate::AssetNode).collect())
    }
    /// The status moves the caller may make now.
    async fn allowed_statuses(&self, ctx: &Context<'_>) -> Result<Vec<TicketStatus>> {
        let (itosm, caller) = services(ctx)?;
        Ok(itosm
            .allowed_statuses(caller.actor_opt()?, &self.0.ticket)
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Whether the caller may assign, change priority and write internal notes.
    async fn can_assign(&self, ctx: &Context<'_>) -> Result<bool> {
        let (itosm, caller) = services(ctx)?;
        Ok(itosm.can_work_tickets(caller.actor_opt()?))
    }
    /// When a first response is due (from the priority's SLA target).
    async fn first_response_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.ticket.first_response_due_at
    }
    /// When resolution is due (from the priority's SLA target).
    async fn resolution_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.ticket.resolution_due_at
    }
    /// When staff first answered visibly (public comment or status change).
    async fn first_responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.ticket.first_responded_at
    }
    /// When the ticket was resolved or cancelled (cleared on reopen).
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.ticket.resolved_at
    }
    /// Whether the first-response target was missed.
    async fn first_response_breached(&self, ctx: &Context<'_>) -> Result<bool> {
        let (itosm, _) = services(ctx)?;
        Ok(self.0.ticket.first_response_breached(itosm.clock().now()))
    }
    /// Whether the resolution target was missed.
    async fn resolution_breached(&self, ctx: &Context<'_>) -> Result<bool> {
        let (itosm, _) = services(ctx)?;
        Ok(self.0.ticket.resolution_breached(itosm.clock().now()))
    }
    /// Whether either SLA target was missed.
    async fn breached(&self, ctx: &Context<'_>) -> Result<bool> {
        let (itosm, _) = services(ctx)?;
        Ok(self.0.ticket.sla_breached(itosm.clock().now()))
    }

    /// Every change, oldest first.
    #[graphql(complexity = "PER_TICKET_LIST_COST * child_complexity")]
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
    /// Being sent, or retrying: waiting for its next attempt after a
    /// failure that may pass (shown as "retrying").
    Pending,
    /// The sink accepted it.
    Delivered,
    /// The sink refused it for good, or kept failing past the retry
    /// horizon (then dead-lettered).
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
    pub(crate) has_next_page: bool,
    /// Cursor of the last edge.
    pub(crate) end_cursor: Option<String>,
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
    /// Only this priority.
    priority: Option<Priority>,
    /// Only tickets assigned to you (`ME`) or to nobody (`NONE`).
    assignee: Option<AssigneeFilter>,
    /// Only SLA-breached (`true`) or not breached (`false`) tickets.
    breached: Option<bool>,
    /// Text in the number or description, matched as plain text
    /// (case-insensitive, at most 100 characters).
    search: Option<String>,
}

impl From<TicketFilter> for TicketFilterInput {
    fn from(filter: TicketFilter) -> Self {
        TicketFilterInput {
            status: filter.status.map(Into::into),
            request_type: filter.request_type.map(Into::into),
            number: filter.number,
            mine: filter.mine.unwrap_or(false),
            priority: filter.priority.map(Into::into),
            assignee: filter.assignee.map(|a| match a {
                AssigneeFilter::Me => itosm_core::AssigneeFilter::Me,
                AssigneeFilter::None => itosm_core::AssigneeFilter::Unassigned,
            }),
            breached: filter.breached,
            search: filter.search,
        }
    }
}

/// "Assigned to me" or "unassigned".
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Assigned to the caller.
    Me,
    /// Assigned to nobody.
    None,
}

/// The order of a ticket list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(name = "TicketSort")]
pub enum TicketSortGql {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Resolution due soonest first; tickets without a due time last.
    ResolutionDue,
    /// First response due soonest first; tickets without a due time last.
    FirstResponseDue,
}

impl From<TicketSortGql> for TicketSort {
    fn from(sort: TicketSortGql) -> Self {
        match sort {
            TicketSortGql::Newest => TicketSort::Newest,
            TicketSortGql::Oldest => TicketSort::Oldest,
            TicketSortGql::ResolutionDue => TicketSort::ResolutionDue,
            TicketSortGql::FirstResponseDue => TicketSort::FirstResponseDue,
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
    /// A short line naming the request (at most 120 characters, one line);
    /// derived from the description's first line when not given.
    pub subject: Option<String>,
    /// What you need, in your words.
    pub description: String,
    /// Your uploads (`POST /api/attachments`) to attach; at most
    /// `limits.maxAttachments`. If the ticket is refused they are discarded.
    pub attachment_ids: Option<Vec<ID>>,
    /// Tags of the devices the ticket is about (at most 10); a requester
    /// may name only his own devices.
    pub asset_tags: Option<Vec<String>>,
}

/// How one may log in here (anyone may ask).
#[derive(SimpleObject)]
pub struct AuthMethodsInfo {
    /// Username + employee ID (`login`).
    pub employee_id: bool,
    /// Username + password (`loginWithPassword`).
    pub password: bool,
    /// Single sign-on through the organisation's OpenID provider.
    pub oidc: bool,
    /// Where a browser starts single sign-on (add `?returnTo=/path`), when on.
    pub oidc_login_path: Option<String>,
}

/// A password an admin reset: hand the temporary password to the user; he
/// must change it when he next logs in.
#[derive(SimpleObject)]
pub struct PasswordReset {
    /// Whose password was reset.
    pub user: UserNodeOwned,
    /// Shown once, never stored in clear.
    pub temporary_password: String,
}

/// Whether a request type takes a software title.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SoftwareRule {
    /// Must name a title from the catalog.
    Required,
    /// May name one.
    Optional,
    /// Takes none.
    Refused,
}

/// A request type as the request form explains it.
#[derive(SimpleObject)]
pub struct RequestTypeInfo {
    /// The type.
    #[graphql(name = "type")]
    pub request_type: RequestType,
    /// What it is for.
    pub explanation: String,
    /// Whether it takes a software title.
    pub software: SoftwareRule,
}

impl From<itosm_core::RequestType> for RequestTypeInfo {
    fn from(request_type: itosm_core::RequestType) -> Self {
        RequestTypeInfo {
            request_type: request_type.into(),
            explanation: request_type.explanation().to_owned(),
            software: match request_type.software_rule() {
                itosm_core::SoftwareRule::Required => SoftwareRule::Required,
                itosm_core::SoftwareRule::Optional => SoftwareRule::Optional,
                itosm_core::SoftwareRule::Refused => SoftwareRule::Refused,
            },
        }
    }
}

/// Bounds the server enforces.
#[derive(SimpleObject)]
pub struct Limits {
    /// Longest description, in characters.
    pub max_description_chars: i32,
    /// Largest `first`.
    pub max_page_size: i32,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: i64,
    /// Most attachments on one new ticket or comment.
    pub max_attachments: i32,
}
