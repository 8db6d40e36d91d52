//! Logging in, tokens and sessions.

use super::*;

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
        let (token, expires_at) =
            self.signer
                .issue(user.id, user.role, user.token_generation, self.clock.now());
        tracing::info!(username = %user.username, address, "login");
        Ok(AuthSession {
            token,
            expires_at,
            user,
        })
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
