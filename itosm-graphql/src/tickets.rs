//! Tickets: reading, listing, opening and working them.

use async_graphql::{Context, ID, Object, Result};
use itosm_core::{CreateTicketInput, SoftwareId};

use crate::errors::to_graphql_error;
use crate::types::{self, *};
use crate::{page_cost, parse_id, services};

/// Reading tickets.
#[derive(Debug, Default)]
pub struct TicketQuery;

#[Object]
impl TicketQuery {
    /// The request types, each with what it is for (no token needed).
    async fn request_types(&self) -> Vec<RequestTypeInfo> {
        itosm_core::RequestType::ALL
            .iter()
            .copied()
            .map(RequestTypeInfo::from)
            .collect()
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

    /// Agents and admins a ticket can be assigned to (agents and admins only).
    async fn assignable_agents(&self, ctx: &Context<'_>) -> Result<Vec<UserNode>> {
        let (itosm, caller) = services(ctx)?;
        let users = itosm
            .assignable_agents(caller.actor_opt()?)
            .await
            .map_err(to_graphql_error)?;
        Ok(users.into_iter().map(UserNode::new).collect())
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
            max_attachment_bytes: i64::try_from(config.attachments.max_bytes).unwrap_or(i64::MAX),
            max_attachments: i32::try_from(config.attachments.max_count).unwrap_or(i32::MAX),
        })
    }
}

/// Opening and working tickets.
#[derive(Debug, Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Opens a ticket for the caller.
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketGql) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor_opt()?;
        let software_id = match input.software_id {
            None => None,
            Some(id) => Some(parse_id(&id, "softwareId")?),
        };
        let attachments = crate::attachments::parse_attachment_ids(input.attachment_ids)?;
        let view = itosm
            .create_ticket(
                actor,
                CreateTicketInput {
                    request_type: input.request_type.into(),
                    software_id: software_id.map(SoftwareId),
                    subject: input.subject,
                    description: input.description,
                    attachments,
                    asset_tags: input.asset_tags.unwrap_or_default(),
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
    /// `attachmentIds` are your uploads to go with it (an internal note's
    /// files are staff-only too); if the comment is refused they are
    /// discarded.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        number: String,
        body: String,
        internal: Option<bool>,
        attachment_ids: Option<Vec<ID>>,
    ) -> Result<CommentNode> {
        let (itosm, caller) = services(ctx)?;
        let attachments = crate::attachments::parse_attachment_ids(attachment_ids)?;
        let view = itosm
            .add_comment(
                caller.actor_opt()?,
                &number,
                &body,
                internal.unwrap_or(false),
                &attachments,
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
}
