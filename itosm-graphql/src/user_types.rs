//! GraphQL types of user administration: the user list's filter, edges
//! and page, and the new-user input.

use async_graphql::{InputObject, Object};
use itosm_core::{User, UserFilterInput, UserPage};

use crate::types::{PageInfo, Role, UserNode};

/// Narrows a user list.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Only this role.
    role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) users.
    active: Option<bool>,
    /// Text in the username, display name or email (at most 100 characters).
    search: Option<String>,
}

impl From<UserFilter> for UserFilterInput {
    fn from(filter: UserFilter) -> Self {
        UserFilterInput {
            role: filter.role.map(Into::into),
            active: filter.active,
            search: filter.search,
        }
    }
}

/// An edge of a [`UserConnection`].
pub struct UserEdge(String, User);

#[Object]
impl UserEdge {
    /// Pass as `after` to get the users following this one.
    async fn cursor(&self) -> &str {
        &self.0
    }
    async fn node(&self) -> UserNode {
        UserNode::new(self.1.clone())
    }
}

/// A page of users, by id.
pub struct UserConnection(pub UserPage);

#[Object]
impl UserConnection {
    async fn edges(&self) -> Vec<UserEdge> {
        self.0
            .items
            .iter()
            .map(|(cursor, user)| UserEdge(cursor.clone(), user.clone()))
            .collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.0.has_next_page,
            end_cursor: self.0.end_cursor().map(str::to_owned),
        }
    }
}

/// A user to create (admins only).
#[derive(InputObject)]
#[graphql(name = "CreateUserInput")]
pub struct CreateUserGql {
    /// 1-64 of letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// The second login factor, 1-32 of letters, digits, `-`.
    pub employee_id: String,
    /// Name to show.
    pub display_name: String,
    /// For email notifications.
    pub email: Option<String>,
    /// E.164, for SMS notifications, e.g. `+919876543210`.
    pub phone: Option<String>,
    /// What the user may do.
    pub role: Role,
}
