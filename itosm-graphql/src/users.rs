//! User administration (admins).

use async_graphql::{Context, ID, Object, Result};
use itosm_core::NewUser;

use crate::errors::to_graphql_error;
use crate::types::{self, *};
use crate::{page_cost, parse_id, services};

/// Listing users.
#[derive(Debug, Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
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
}

/// Creating and changing users.
#[derive(Debug, Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Gives a user a temporary password, shown once (admins only): he
    /// must change it at his next login, and his sessions end.
    async fn reset_password(&self, ctx: &Context<'_>, user_id: ID) -> Result<PasswordReset> {
        let (itosm, caller) = services(ctx)?;
        let id = itosm_core::UserId(parse_id(&user_id, "userId")?);
        let (user, temporary_password) = itosm
            .reset_password(caller.actor_opt()?, id)
            .await
            .map_err(to_graphql_error)?;
        Ok(PasswordReset {
            user: UserNode::new(user),
            temporary_password,
        })
    }

    /// Creates a user (admins only).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserGql) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor_opt()?;
        // Who may create users is decided before the input is looked at.
        itosm_core::policy::authorize(actor, itosm_core::policy::Action::ManageUsers)
            .map_err(to_graphql_error)?;
        let parsed = (|| {
            Ok::<_, itosm_core::CoreError>(NewUser {
                username: itosm_core::Username::parse(input.username)?,
                employee_id: input.employee_id,
                display_name: input.display_name,
                email: itosm_core::Email::parse_optional(input.email)?,
                phone: itosm_core::Phone::parse_optional(input.phone)?,
                role: input.role.into(),
            })
        })()
        .map_err(to_graphql_error)?;
        let user = itosm
            .create_user(actor, parsed)
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode::new(user))
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
        Ok(UserNode::new(user))
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
        Ok(UserNode::new(user))
    }

    /// Reactivates a deactivated user (admins only).
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<UserNode> {
        let (itosm, caller) = services(ctx)?;
        let id = itosm_core::UserId(parse_id(&id, "id")?);
        let user = itosm
            .set_user_active(caller.actor_opt()?, id, true)
            .await
            .map_err(to_graphql_error)?;
        Ok(UserNode::new(user))
    }
}
