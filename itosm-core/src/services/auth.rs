//! Logging in, tokens and sessions.

use super::*;

/// Which ways of logging in are on (`auth.methods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthMethods {
    /// The seed's username + employee ID: for the embedded demo and the
    /// seed's `POST /api/auth/validate`. Anyone who knows a colleague's
    /// employee ID can log in as him, so production turns it off.
    pub employee_id: bool,
    /// Local passwords (argon2id).
    pub password: bool,
    /// OpenID Connect single sign-on (the daemon runs the flow).
    pub oidc: bool,
}

impl Default for AuthMethods {
    fn default() -> Self {
        AuthMethods {
            employee_id: true,
            password: true,
            oidc: false,
        }
    }
}

/// Who a single-sign-on provider says logged in: verified claims of its ID
/// token, mapped by the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedIdentity {
    /// The login name (e.g. `preferred_username`).
    pub username: String,
    /// The name to show.
    pub display_name: String,
    /// The email address, if the provider gave one.
    pub email: Option<String>,
    /// The role the provider's claims map to; `None` keeps an existing
    /// user's role (a new user is a requester).
    pub role: Option<Role>,
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct AuthSession {
    /// The bearer token.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
}

impl Itosm {
    /// Checks `username` + `employee_id` and issues a token.
    pub async fn login(&self, username: &str, employee_id: &str) -> Result<AuthSession, CoreError> {
        self.login_from(username, employee_id, None).await
    }

    /// [`Itosm::login`] from a client `address` (an IP, as the surface sees
    /// it): attempts are throttled per username and per address, and the
    /// attempt is counted before the credentials are checked.
    pub async fn login_from(
        &self,
        username: &str,
        employee_id: &str,
        address: Option<&str>,
    ) -> Result<AuthSession, CoreError> {
        if !self.config.auth_methods.employee_id {
            return Err(CoreError::Forbidden(
                "logging in with an employee ID is turned off here; use your password or single sign-on"
                    .to_owned(),
            ));
        }
        validate_username(username)?;
        validate_employee_id(employee_id)?;
        let attempted_at = self.clock.now();
        if let Err(refused) = self.throttle.try_acquire(username, address, attempted_at) {
            tracing::warn!(username, address, "login throttled");
            return Err(refused);
        }
        let refused = || CoreError::Unauthenticated("unknown username or employee ID".to_owned());
        let found = match self.store.find_user_by_username(username).await {
            Ok(found) => found,
            Err(error) => {
                // Not the caller's fault: the attempt was never checked.
                self.throttle.refund(username, address, attempted_at);
                return Err(error.into());
            }
        };
        let Some(user) = found.filter(|user| {
            constant_time_eq(user.employee_id.as_bytes(), employee_id.as_bytes()) && user.active
        }) else {
            // Never the employee ID: it is the credential.
            tracing::warn!(username, address, "login failed");
            return Err(refused());
        };
        self.throttle.succeeded(username, address);
        tracing::info!(username = %user.username, address, method = "employee_id", "login");
        Ok(self.session_for(user))
    }

    /// A new session (token) for `user`.
    fn session_for(&self, user: User) -> AuthSession {
        let (token, expires_at) =
            self.signer
                .issue(user.id, user.role, user.token_generation, self.clock.now());
        AuthSession {
            token,
            expires_at,
            user,
        }
    }

    /// Checks `username` + `password` (throttled like every login, a
    /// dependency's failure refunded) and issues a token. A user whose
    /// password an admin reset gets `must_change_password` and must change
    /// it before anything else (the portal sends him there).
    pub async fn login_password(
        &self,
        username: &str,
        password: &str,
        address: Option<&str>,
    ) -> Result<AuthSession, CoreError> {
        if !self.config.auth_methods.password {
            return Err(CoreError::Forbidden(
                "logging in with a password is turned off here; use single sign-on".to_owned(),
            ));
        }
        validate_username(username)?;
        if password.is_empty() || password.chars().count() > crate::MAX_PASSWORD_CHARS {
            return Err(CoreError::Unauthenticated(
                "unknown username or password".to_owned(),
            ));
        }
        let attempted_at = self.clock.now();
        if let Err(refused) = self.throttle.try_acquire(username, address, attempted_at) {
            tracing::warn!(username, address, "login throttled");
            return Err(refused);
        }
        let lookup = async {
            let user = self.store.find_user_by_username(username).await?;
            let hash = match &user {
                Some(user) => self.store.password_hash(user.id).await?,
                None => None,
            };
            Ok::<_, crate::store::StoreError>((user, hash))
        };
        let (user, hash) = match lookup.await {
            Ok(found) => found,
            Err(error) => {
                self.throttle.refund(username, address, attempted_at);
                return Err(error.into());
            }
        };
        // Without a user or a password, check against a decoy anyway: the
        // answer takes as long either way.
        let matches = crate::password::verify(
            password.to_owned(),
            hash.clone()
                .unwrap_or_else(|| crate::password::DECOY_HASH.to_owned()),
        )
        .await;
        let Some(user) = user.filter(|user| matches && hash.is_some() && user.active) else {
            tracing::warn!(username, address, "login failed");
            return Err(CoreError::Unauthenticated(
                "unknown username or password".to_owned(),
            ));
        };
        self.throttle.succeeded(username, address);
        tracing::info!(username = %user.username, address, method = "password", "login");
        Ok(self.session_for(user))
    }

    /// Sets the caller's own password: the current one is required when he
    /// has one. Every session ends (other devices must log in again); the
    /// new session is returned.
    pub async fn change_password(
        &self,
        actor: Option<&Actor>,
        current: Option<&str>,
        new: &str,
    ) -> Result<AuthSession, CoreError> {
        policy::authorize(actor, Action::EndOwnSessions)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        if !self.config.auth_methods.password {
            return Err(CoreError::Forbidden(
                "passwords are turned off here".to_owned(),
            ));
        }
        crate::validate_new_password(&actor.user.username, new)?;
        if let Some(hash) = self.store.password_hash(actor.user.id).await? {
            let given = current.unwrap_or("");
            if given.chars().count() > crate::MAX_PASSWORD_CHARS
                || !crate::password::verify(given.to_owned(), hash).await
            {
                return Err(CoreError::bad_input(
                    "currentPassword",
                    "is not your current password",
                ));
            }
        }
        let hash = crate::password::hash(new.to_owned()).await?;
        let user = self
            .store
            .set_password_hash(actor.user.id, &hash, false)
            .await?
            .ok_or_else(|| {
                CoreError::Unauthenticated("this account no longer exists".to_owned())
            })?;
        tracing::info!(username = %user.username, "password changed; other sessions ended");
        Ok(self.session_for(user))
    }

    /// Gives a user a new temporary password (admins), returned once to be
    /// handed over; he must change it at his next login, and every session
    /// he had ends.
    pub async fn reset_password(
        &self,
        actor: Option<&Actor>,
        id: UserId,
    ) -> Result<(User, String), CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let temporary = crate::password::temporary();
        let hash = crate::password::hash(temporary.clone()).await?;
        let user = self
            .store
            .set_password_hash(id, &hash, true)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user with id {}", id.0)))?;
        tracing::info!(username = %user.username, by = ?actor.map(|a| &a.user.username), "password reset");
        Ok((user, temporary))
    }

    /// Logs in someone a single-sign-on provider vouched for: creates his
    /// user on first login, keeps his name, email (and, when the provider
    /// maps one, role) up to date afterwards, and issues a token. A
    /// deactivated user stays out.
    pub async fn login_federated(
        &self,
        identity: FederatedIdentity,
    ) -> Result<AuthSession, CoreError> {
        if !self.config.auth_methods.oidc {
            return Err(CoreError::Forbidden(
                "single sign-on is turned off here".to_owned(),
            ));
        }
        let username = crate::Username::parse(identity.username)?;
        // A provider's malformed address is dropped, not trusted.
        let email = identity.email.and_then(|e| crate::Email::parse(e).ok());
        let display_name: String = identity
            .display_name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(crate::MAX_DISPLAY_NAME_CHARS)
            .collect();
        let display_name = if display_name.is_empty() {
            username.to_string()
        } else {
            display_name
        };
        let user = match self.store.find_user_by_username(&username).await? {
            None => {
                let created = self
                    .store
                    .create_user(&NewUser {
                        username: username.clone(),
                        // No employee-ID login for them: it takes a non-empty ID.
                        employee_id: String::new(),
                        display_name,
                        email,
                        phone: None,
                        role: identity.role.unwrap_or(Role::Requester),
                    })
                    .await?;
                tracing::info!(username = %created.username, role = %created.role, "user created at first single sign-on");
                created
            }
            Some(existing) => {
                if !existing.active {
                    return Err(CoreError::Unauthenticated(
                        "this account is deactivated".to_owned(),
                    ));
                }
                let role = identity.role.filter(|r| *r != existing.role);
                let profile_changed =
                    existing.display_name != display_name || existing.email != email;
                if profile_changed {
                    self.store
                        .update_profile(existing.id, &display_name, email.as_ref())
                        .await?;
                }
                match role {
                    Some(role) => self
                        .store
                        .update_user(
                            existing.id,
                            UserPatch {
                                role: Some(role),
                                active: None,
                                revoke_tokens: true,
                            },
                        )
                        .await?
                        .ok_or_else(|| CoreError::Internal("user vanished".to_owned()))?,
                    None if profile_changed => self
                        .store
                        .users_by_ids(&[existing.id])
                        .await?
                        .into_iter()
                        .next()
                        .ok_or_else(|| CoreError::Internal("user vanished".to_owned()))?,
                    None => existing,
                }
            }
        };
        tracing::info!(username = %user.username, method = "oidc", "login");
        Ok(self.session_for(user))
    }

    /// Turns a bearer token into the caller, loaded fresh from the store so
    /// that deactivation and role changes take effect at once.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, CoreError> {
        let claims = self
            .signer
            .verify(token, self.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => {
                    CoreError::Unauthenticated("token expired: log in again".to_owned())
                }
                TokenError::Invalid => CoreError::Unauthenticated("invalid token".to_owned()),
            })?;
        let user = self
            .store
            .users_by_ids(&[claims.user_id()])
            .await?
            .into_iter()
            .next()
            .filter(|u| u.active)
            .ok_or_else(|| {
                CoreError::Unauthenticated(
                    "this account no longer exists or is deactivated".to_owned(),
                )
            })?;
        if user.token_generation != claims.generation {
            return Err(CoreError::Unauthenticated(
                "this session has ended (logged out, or the account changed): log in again"
                    .to_owned(),
            ));
        }
        Ok(Actor { user })
    }

    /// Ends every session of the caller, on every device: each token issued
    /// so far stops working at once, this one included.
    pub async fn logout_everywhere(&self, actor: Option<&Actor>) -> Result<(), CoreError> {
        policy::authorize(actor, Action::EndOwnSessions)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let patch = UserPatch {
            revoke_tokens: true,
            ..UserPatch::default()
        };
        self.store.update_user(actor.user.id, patch).await?;
        tracing::info!(username = %actor.user.username, "logged out everywhere");
        Ok(())
    }

    /// The user id a token names if its signature is ours and it has not
    /// expired, without asking the store: for per-caller budgets at the edge
    /// (never for authorization, which [`Itosm::authenticate`] does).
    pub fn token_subject(&self, token: &str) -> Option<UserId> {
        self.signer
            .verify(token, self.clock.now())
            .ok()
            .map(|claims| claims.user_id())
    }

    /// How long `token` has left before it expires, if its signature is
    /// ours and it has not expired yet: a browser session cookie that holds
    /// it must not outlive it. Authorization is still
    /// [`Itosm::authenticate`]'s job.
    pub fn token_remaining(&self, token: &str) -> Option<chrono::Duration> {
        let now = self.clock.now();
        let claims = self.signer.verify(token, now).ok()?;
        Some(chrono::Duration::seconds(claims.exp - now.timestamp()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"EMP123", b"EMP123"));
        assert!(!constant_time_eq(b"EMP123", b"EMP124"));
        assert!(!constant_time_eq(b"EMP123", b"EMP12"));
    }
}
