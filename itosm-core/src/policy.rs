//! The one authorization policy. Every surface (GraphQL queries, mutations,
//! subscriptions, REST, CLI) asks it through the services; nothing else
//! decides who may do what.

use crate::{Asset, Attachment, CoreError, Ticket, User};

/// An authenticated caller, as loaded from the store at request time (so a
/// role change or deactivation takes effect on the next request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The caller.
    pub user: User,
}

impl Actor {
    /// The operator at the server's shell (`itosm user …`): an administrator
    /// that no network surface can be, going through the same services and
    /// policy as everyone else. Its id, 0, is no stored user's.
    pub fn operator() -> Actor {
        Actor {
            user: User {
                id: crate::UserId(0),
                username: crate::Username::from_stored("operator".to_owned()),
                employee_id: String::new(),
                display_name: "Operator (command line)".to_owned(),
                email: None,
                phone: None,
                role: crate::Role::Admin,
                active: true,
                token_generation: 0,
                has_password: false,
                must_change_password: false,
            },
        }
    }
}

/// Something a caller wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Read the software catalog.
    ViewCatalog,
    /// Open a ticket for oneself.
    CreateTicket,
    /// List or search every ticket, not just one's own.
    ListAllTickets,
    /// Read one ticket (and its history).
    ViewTicket(&'a Ticket),
    /// Receive the live feed of every ticket.
    SubscribeAllTickets,
    /// Read internal (staff-only) notes.
    ViewInternalNotes,
    /// Read a ticket's notification delivery log (admins).
    ViewDeliveries,
    /// Move a ticket to another status. Staff may make any legal move; a
    /// requester may only cancel his own open ticket or reopen his own
    /// resolved one.
    ChangeStatus(&'a Ticket, crate::TicketStatus),
    /// Assign or unassign a ticket, or list who can be assigned (staff).
    Assign,
    /// Change a ticket's priority, and so its SLA due times (staff).
    ChangePriority,
    /// Comment on a ticket: a requester publicly on his own ticket, staff on
    /// any ticket and (with `internal`) as a staff-only note.
    Comment {
        /// The ticket commented on.
        ticket: &'a Ticket,
        /// Whether the comment is an internal note.
        internal: bool,
    },
    /// See a user's email address and phone number: oneself, or staff.
    ViewContact(&'a User),
    /// List, create, re-role, deactivate and reactivate users (admins).
    ManageUsers,
    /// End one's own sessions everywhere ("log out everywhere"), and change
    /// one's own password.
    EndOwnSessions,
    /// Add, rename, retire and restore software titles; see retired ones
    /// (admins).
    ManageCatalog,
    /// Upload a file for one's next ticket or comment, or discard one's
    /// own upload before it is used.
    UploadAttachment,
    /// Read an attachment of a ticket the caller may see (already
    /// authorized with [`Action::ViewTicket`]): files of internal notes
    /// only for staff. Refusals are `NotFound`, as for tickets.
    ViewAttachment {
        /// The ticket the caller sees.
        ticket: &'a Ticket,
        /// The file asked for.
        attachment: &'a Attachment,
    },
    /// Read one asset, its history, samples and tickets: staff any, a
    /// requester only his own devices. Refusals are `NotFound`.
    ViewAsset(&'a Asset),
    /// List every asset, not just one's own (staff).
    ListAllAssets,
    /// Create and edit assets, link and unlink them to tickets (staff).
    ManageAssets,
    /// Merge two assets into one (admins).
    MergeAssets,
    /// Create and revoke enrolment tokens, revoke agents (admins).
    ManageAgents,
}

/// Decides whether `actor` may do `action`. `None` is an anonymous caller.
///
/// Refusals of [`Action::ViewTicket`] are reported as `NotFound`, never
/// `Forbidden`, so that probing numbers tells a requester nothing about
/// tickets that are not his.
pub fn authorize(actor: Option<&Actor>, action: Action<'_>) -> Result<(), CoreError> {
    let Some(actor) = actor else {
        return Err(CoreError::Unauthenticated(
            "log in first: a valid token is required".to_owned(),
        ));
    };
    if !actor.user.active {
        return Err(CoreError::Unauthenticated(
            "this account is deactivated".to_owned(),
        ));
    }
    let staff = actor.user.role.is_staff();
    let allowed = match action {
        Action::ViewCatalog
        | Action::CreateTicket
        | Action::EndOwnSessions
        | Action::UploadAttachment => true,
        Action::ViewAttachment { ticket, attachment } => {
            let visible = attachment.ticket == Some(ticket.id)
                && (staff || (ticket.requester == actor.user.id && !attachment.internal));
            if !visible {
                return Err(attachment_not_found(&attachment.id));
            }
            true
        }
        Action::ListAllTickets | Action::SubscribeAllTickets | Action::ViewInternalNotes => staff,
        Action::ViewAsset(asset) => {
            if staff || asset.owner == Some(actor.user.id) {
                true
            } else {
                return Err(asset_not_found(&asset.tag));
            }
        }
        Action::ListAllAssets | Action::ManageAssets => staff,
        Action::MergeAssets | Action::ManageAgents => actor.user.role == crate::Role::Admin,
        Action::ViewDeliveries => actor.user.role == crate::Role::Admin,
        Action::Assign | Action::ChangePriority => staff,
        Action::ManageUsers | Action::ManageCatalog => actor.user.role == crate::Role::Admin,
        Action::ViewContact(user) => staff || user.id == actor.user.id,
        Action::Comment { ticket, internal } => {
            if !staff && ticket.requester != actor.user.id {
                return Err(ticket_not_found(&ticket.number));
            }
            staff || !internal
        }
        Action::ChangeStatus(ticket, to) => {
            if !staff && ticket.requester != actor.user.id {
                return Err(ticket_not_found(&ticket.number));
            }
            staff
                || (to == crate::TicketStatus::Cancelled && ticket.status.is_open())
                || (to == crate::TicketStatus::InProgress
                    && ticket.status == crate::TicketStatus::Resolved)
        }
        Action::ViewTicket(ticket) => {
            if staff || ticket.requester == actor.user.id {
                true
            } else {
                return Err(ticket_not_found(&ticket.number));
            }
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only agents and admins may do this".to_owned(),
        ))
    }
}

/// The error for a ticket that does not exist or that the caller may not see:
/// one message for both.
pub fn ticket_not_found(number: &str) -> CoreError {
    CoreError::NotFound(format!("no ticket {number}"))
}

/// The error for an asset that does not exist or that the caller may not
/// see: one message for both.
pub fn asset_not_found(tag: &str) -> CoreError {
    CoreError::NotFound(format!("no asset {tag}"))
}

/// The error for an attachment that does not exist or that the caller may
/// not see: one message for both.
pub fn attachment_not_found(id: &crate::AttachmentId) -> CoreError {
    CoreError::NotFound(format!("no attachment {id}"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{Priority, RequestType, Role, TicketId, TicketStatus, UserId};

    fn actor(id: i64, role: Role, active: bool) -> Actor {
        Actor {
            user: User {
                id: UserId(id),
                username: crate::Username::from_stored(format!("user{id}")),
                employee_id: format!("EMP{id}"),
                display_name: String::new(),
                email: None,
                phone: None,
                role,
                active,
                token_generation: 0,
                has_password: false,
                must_change_password: false,
            },
        }
    }

    fn ticket_of(requester: i64) -> Ticket {
        Ticket {
            id: TicketId(1),
            subject: String::new(),
            number: crate::TicketNumber::from_stored("INC-2026-0001".into()),
            requester: UserId(requester),
            request_type: RequestType::Other,
            software: None,
            description: "x".into(),
            status: TicketStatus::Start,
            priority: Priority::Medium,
            assignee: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
            first_response_due_at: None,
            resolution_due_at: None,
            first_responded_at: None,
            resolved_at: None,
        }
    }

    #[test]
    fn matrix() {
        let mine = ticket_of(1);
        let others = ticket_of(2);
        let requester = actor(1, Role::Requester, true);
        let agent = actor(3, Role::Agent, true);
        let admin = actor(4, Role::Admin, true);
        let gone = actor(1, Role::Admin, false);
        let code =
            |a: Option<&Actor>, action| authorize(a, action).err().map(|e| e.code().as_str());

        for action in [
            Action::ViewCatalog,
            Action::CreateTicket,
            Action::ListAllTickets,
            Action::ViewTicket(&mine),
        ] {
            assert_eq!(code(None, action), Some("UNAUTHENTICATED"));
            assert_eq!(code(Some(&gone), action), Some("UNAUTHENTICATED"));
        }
        assert_eq!(code(Some(&requester), Action::CreateTicket), None);
        assert_eq!(code(Some(&requester), Action::ViewTicket(&mine)), None);
        assert_eq!(
            code(Some(&requester), Action::ViewTicket(&others)),
            Some("NOT_FOUND")
        );
        assert_eq!(
            code(Some(&requester), Action::ListAllTickets),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&requester), Action::SubscribeAllTickets),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&requester), Action::ViewInternalNotes),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&requester), Action::ViewDeliveries),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&agent), Action::ViewDeliveries),
            Some("FORBIDDEN")
        );
        assert_eq!(code(Some(&admin), Action::ViewDeliveries), None);
        let internal_on_mine = Action::Comment {
            ticket: &mine,
            internal: true,
        };
        let public_on_mine = Action::Comment {
            ticket: &mine,
            internal: false,
        };
        let public_on_others = Action::Comment {
            ticket: &others,
            internal: false,
        };
        assert_eq!(code(Some(&requester), public_on_mine), None);
        assert_eq!(code(Some(&requester), internal_on_mine), Some("FORBIDDEN"));
        assert_eq!(code(Some(&requester), public_on_others), Some("NOT_FOUND"));
        assert_eq!(
            code(Some(&requester), Action::ChangePriority),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&requester), Action::ManageUsers),
            Some("FORBIDDEN")
        );
        assert_eq!(code(Some(&agent), Action::ManageUsers), Some("FORBIDDEN"));
        assert_eq!(code(Some(&admin), Action::ManageUsers), None);
        assert_eq!(
            code(Some(&requester), Action::ViewContact(&agent.user)),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code(Some(&requester), Action::ViewContact(&requester.user)),
            None
        );
        for staff in [&agent, &admin] {
            assert_eq!(code(Some(staff), internal_on_mine), None);
            assert_eq!(code(Some(staff), Action::ChangePriority), None);
            assert_eq!(
                code(Some(staff), Action::ViewContact(&requester.user)),
                None
            );
            assert_eq!(code(Some(staff), Action::ViewTicket(&others)), None);
            assert_eq!(code(Some(staff), Action::ListAllTickets), None);
            assert_eq!(code(Some(staff), Action::SubscribeAllTickets), None);
        }
    }

    #[test]
    fn attachments_follow_their_ticket_and_internal_notes_stay_with_staff() {
        let mine = ticket_of(1);
        let requester = actor(1, Role::Requester, true);
        let agent = actor(3, Role::Agent, true);
        let file = |ticket: Option<TicketId>, internal: bool| Attachment {
            id: crate::AttachmentId(uuid::Uuid::nil()),
            ticket,
            comment: None,
            internal,
            filename: "log.txt".into(),
            content_type: "text/plain".into(),
            size: 1,
            sha256: String::new(),
            uploaded_by: UserId(3),
            created_at: Utc::now(),
        };
        let public = file(Some(mine.id), false);
        let internal = file(Some(mine.id), true);
        let elsewhere = file(Some(TicketId(99)), false);
        let staged = file(None, false);
        let code = |a: &Actor, attachment: &Attachment| {
            authorize(
                Some(a),
                Action::ViewAttachment {
                    ticket: &mine,
                    attachment,
                },
            )
            .err()
            .map(|e| e.code().as_str())
        };
        assert_eq!(code(&requester, &public), None);
        assert_eq!(code(&requester, &internal), Some("NOT_FOUND"));
        assert_eq!(code(&agent, &internal), None);
        for anyone in [&requester, &agent] {
            assert_eq!(code(anyone, &elsewhere), Some("NOT_FOUND"));
            assert_eq!(code(anyone, &staged), Some("NOT_FOUND"));
        }
        let others = ticket_of(2);
        let on_others = file(Some(others.id), false);
        assert_eq!(
            authorize(
                Some(&requester),
                Action::ViewAttachment {
                    ticket: &others,
                    attachment: &on_others
                }
            )
            .err()
            .map(|e| e.code().as_str()),
            Some("NOT_FOUND")
        );
        assert_eq!(
            authorize(None, Action::UploadAttachment)
                .err()
                .map(|e| e.code().as_str()),
            Some("UNAUTHENTICATED")
        );
    }
}
