//! Logging in, sessions and passwords.

use async_graphql::{Context, Object, Result};

use crate::errors::to_graphql_error;
use crate::types::*;
use crate::{ClientAddress, services};

/// Where a browser starts single sign-on (served by the daemon).
pub const OIDC_LOGIN_PATH: &str = "/api/auth/oidc/login";

/// Who is calling, and how one logs in here.
#[derive(Debug, Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// How one may log in here (no token needed).
    async fn auth_methods(&self, ctx: &Context<'_>) -> Result<AuthMethodsInfo> {
        let (itosm, _) = services(ctx)?;
        let methods = itosm.config().auth_methods;
        Ok(AuthMethodsInfo {
            employee_id: methods.employee_id,
            password: methods.password,
            oidc: methods.oidc,
            oidc_login_path: methods.oidc.then(|| OIDC_LOGIN_PATH.to_owned()),
        })
    }

    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserNode> {
        let (_, caller) = services(ctx)?;
        Ok(UserNode::new(
            caller.actor().map_err(to_graphql_error)?.user.clone(),
        ))
    }
}

/// Logging in and out, passwords.
#[derive(Debug, Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Logs in with username and password; returns a bearer token. When
    /// `user.mustChangePassword` is true, change it (`changePassword`) first.
    async fn login_with_password(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AuthPayload> {
        let (itosm, _) = services(ctx)?;
        let address = ctx.data_opt::<ClientAddress>().map(|a| a.0.as_str());
        let session = itosm
            .login_password(&username, &password, address)
            .await
            .map_err(to_graphql_error)?;
        Ok(AuthPayload::from(session))
    }

    /// Sets your password (12-256 characters; `currentPassword` is required
    /// once you have one). Every session of yours ends; the new one is
    /// returned.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: Option<String>,
        new_password: String,
    ) -> Result<AuthPayload> {
        let (itosm, caller) = services(ctx)?;
        let session = itosm
            .change_password(
                caller.actor_opt()?,
                current_password.as_deref(),
                &new_password,
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(AuthPayload::from(session))
    }

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
}
