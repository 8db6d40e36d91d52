//! User administration.

use super::paging::{Cursor, decode_cursor, encode_cursor};
use super::text::validate_search;
use super::*;

/// Filters for [`Itosm::list_users`].
#[derive(Debug, Clone, Default)]
pub struct UserFilterInput {
    /// Only this role.
    pub role: Option<Role>,
    /// Only active or only deactivated users.
    pub active: Option<bool>,
    /// Only users whose username, name or email contains this text.
    pub search: Option<String>,
}

/// One page of users, by id.
pub type UserPage = Page<User>;

impl Itosm {
    /// Whether `actor` may see `user`'s email address and phone number.
    pub fn can_view_contact(&self, actor: Option<&Actor>, user: &User) -> bool {
        policy::authorize(actor, Action::ViewContact(user)).is_ok()
    }

    /// Lists users by id (admins).
    pub async fn list_users(
        &self,
        actor: Option<&Actor>,
        filter: UserFilterInput,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<UserPage, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let first = self.page_size(first)?;
        let after = match after.map(decode_cursor).transpose()? {
            None => None,
            Some(Cursor::User(id)) => Some(id),
            Some(_) => {
                return Err(CoreError::bad_input(
                    "after",
                    "this cursor is not a user list's",
                ));
            }
        };
        let query = UserQuery {
            role: filter.role,
            active: filter.active,
            search: validate_search("filter.search", filter.search)?,
            after,
            limit: first + 1,
        };
        let mut users = self.store.list_users(&query).await?;
        let has_next_page = users.len() as u64 > first;
        users.truncate(usize::try_from(first).unwrap_or(0));
        Ok(UserPage {
            items: users
                .into_iter()
                .map(|u| (encode_cursor(&Cursor::User(u.id)), u))
                .collect(),
            has_next_page,
        })
    }

    /// One user by username (admins).
    pub async fn user_by_username(
        &self,
        actor: Option<&Actor>,
        username: &str,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        validate_username(username)?;
        self.store
            .find_user_by_username(username)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user {username}")))
    }

    /// Creates a user (admins); the username must be free.
    pub async fn create_user(
        &self,
        actor: Option<&Actor>,
        user: NewUser,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let created = self.bootstrap_user(user).await?;
        tracing::info!(username = %created.username, role = %created.role, by = ?actor.map(|a| &a.user.username), "user created");
        Ok(created)
    }

    /// Creates a user without a caller: for the operator's CLI
    /// (`itosm user add`), which no network surface reaches.
    pub async fn bootstrap_user(&self, mut user: NewUser) -> Result<User, CoreError> {
        user.display_name = user.display_name.trim().to_owned();
        validate_new_user(&user)?;
        // Every store names the clash itself: "username … is taken".
        Ok(self.store.create_user(&user).await?)
    }

    /// Changes a user's role (admins; not their own).
    pub async fn change_user_role(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        role: Role,
    ) -> Result<User, CoreError> {
        self.patch_user(
            actor,
            id,
            UserPatch {
                role: Some(role),
                active: None,
                // The old role's tokens must not outlive it.
                revoke_tokens: true,
            },
        )
        .await
    }

    /// Deactivates (`false`) or reactivates a user (admins; not themselves).
    /// A deactivated user cannot log in, and his tokens and live
    /// subscriptions stop working at once.
    pub async fn set_user_active(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        active: bool,
    ) -> Result<User, CoreError> {
        self.patch_user(
            actor,
            id,
            UserPatch {
                role: None,
                active: Some(active),
                // Tokens from before a deactivation never work again, not
                // even after a reactivation.
                revoke_tokens: !active,
            },
        )
        .await
    }

    async fn patch_user(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        if actor.user.id == id {
            // Keeps at least one admin: the one making the change.
            return Err(CoreError::bad_input(
                "id",
                "you cannot change your own role or deactivate yourself",
            ));
        }
        let user = self
            .store
            .update_user(id, patch)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user with id {}", id.0)))?;
        tracing::info!(username = %user.username, role = %user.role, active = user.active, by = %actor.user.username, "user changed");
        Ok(user)
    }
}
