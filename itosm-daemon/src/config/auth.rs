//! `[auth]` and `[auth.oidc]`: ways of logging in, token secrets, single
//! sign-on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use itosm_core::token::MIN_SECRET_BYTES;
use serde::{Deserialize, Serialize};

use super::{ConfigDuration, ConfigError};

/// `[auth]`
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC secret for tokens, at least 32 bytes. Required unless the
    /// database is SQLite, where one is generated and kept in the database.
    pub token_secret: Option<String>,
    /// A file holding the token secret instead (e.g. a mounted secret); it
    /// must not be readable by other users.
    pub token_secret_file: Option<PathBuf>,
    /// How long a login lasts, e.g. `12h`.
    pub token_ttl: ConfigDuration,
    /// Login attempts allowed per username within `login_window`.
    pub login_attempts_per_user: u32,
    /// Login attempts allowed per client address within `login_window`.
    pub login_attempts_per_address: u32,
    /// The login throttling window, e.g. `15m`.
    pub login_window: ConfigDuration,
    /// Ways of logging in that are on: any of `employee_id` (the seed's
    /// username + employee ID, for the demo; anyone who knows a colleague's
    /// employee ID can log in as him), `password` (local argon2id
    /// passwords) and `oidc` (single sign-on).
    pub methods: Vec<AuthMethod>,
    /// Earlier token secrets whose tokens are still accepted, so the secret
    /// can be rotated without logging everyone out: put the old secret
    /// here and a new one in `token_secret`; drop it after `token_ttl`.
    pub previous_token_secrets: Vec<String>,
    /// Single sign-on (`[auth.oidc]`), required when `methods` has `oidc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
}

/// `[auth.oidc]`: the OpenID provider the portal's "Sign in with SSO" uses
/// (authorization code flow with PKCE).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its ID tokens name it
    /// (`https://login.example.com/realms/it`); its discovery document is
    /// read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// This application's client id at the provider.
    pub client_id: String,
    /// This application's client secret at the provider.
    pub client_secret: String,
    /// Where the provider sends the browser back: this server's
    /// `https://<host>/api/auth/oidc/callback`, registered at the provider.
    pub redirect_url: String,
    /// The ID token claim holding the user's groups or roles (`groups`,
    /// `roles`); unset: roles are managed in itosm, not by the provider.
    #[serde(default)]
    pub role_claim: Option<String>,
    /// Values of `role_claim` → itosm role (`requester`, `agent`,
    /// `admin`), e.g. `{ "it-admins" = "admin", "it-staff" = "agent" }`;
    /// the highest mapped role wins, none mapped: requester.
    #[serde(default)]
    pub role_map: std::collections::BTreeMap<String, String>,
    /// Scopes asked for; `openid` must be one.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: Vec<String>,
    /// How long a request to the provider may take, e.g. `5s`.
    #[serde(default = "default_oidc_timeout")]
    pub http_timeout: ConfigDuration,
}

fn default_oidc_scopes() -> Vec<String> {
    vec![
        "openid".to_owned(),
        "profile".to_owned(),
        "email".to_owned(),
    ]
}

fn default_oidc_timeout() -> ConfigDuration {
    ConfigDuration::secs(5)
}

impl OidcConfig {
    /// The itosm role a `role_map` value names.
    pub fn parse_role(value: &str) -> Option<itosm_core::Role> {
        match value.trim().to_ascii_lowercase().as_str() {
            "requester" => Some(itosm_core::Role::Requester),
            "agent" => Some(itosm_core::Role::Agent),
            "admin" => Some(itosm_core::Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_url", &self.redirect_url)
            .field("role_claim", &self.role_claim)
            .field("role_map", &self.role_map)
            .field("scopes", &self.scopes)
            .field("http_timeout", &self.http_timeout)
            .finish()
    }
}

/// One way of logging in, as named in `auth.methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Username + employee ID (the seed's login).
    EmployeeId,
    /// Username + local password.
    Password,
    /// OpenID Connect single sign-on.
    Oidc,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "token_secret",
                &self.token_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("token_secret_file", &self.token_secret_file)
            .field("token_ttl", &self.token_ttl)
            .field("login_attempts_per_user", &self.login_attempts_per_user)
            .field(
                "login_attempts_per_address",
                &self.login_attempts_per_address,
            )
            .field("login_window", &self.login_window)
            .field("methods", &self.methods)
            .field(
                "previous_token_secrets",
                &format!("[{} redacted]", self.previous_token_secrets.len()),
            )
            .field("oidc", &self.oidc)
            .finish()
    }
}

/// Reads a secret from `path` (trimmed), refusing a file other users may
/// read: whoever reads the token secret can forge any user's token.
pub fn read_secret_file(key: &str, path: &Path) -> Result<String, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::invalid(
            key,
            format!(
                "{} is readable by other users (mode {mode:o}); `chmod 600` it",
                path.display()
            ),
        ));
    }
    let secret = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?
        .trim()
        .to_owned();
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::invalid(
            key,
            format!(
                "the secret in {} must be at least {MIN_SECRET_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(secret)
}

/// Whether `url` is https, or http to a loopback host (a provider on the
/// same machine, tests).
fn is_https_or_loopback(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

pub(super) fn validate_oidc(oidc: &OidcConfig) -> Result<(), ConfigError> {
    if !is_https_or_loopback(&oidc.issuer) {
        return Err(ConfigError::invalid(
            "auth.oidc.issuer",
            "must be an https:// URL (http:// only to localhost)",
        ));
    }
    if !is_https_or_loopback(&oidc.redirect_url) {
        return Err(ConfigError::invalid(
            "auth.oidc.redirect_url",
            "must be an https:// URL (http:// only to localhost), ending in /api/auth/oidc/callback",
        ));
    }
    if oidc.client_id.trim().is_empty() {
        return Err(ConfigError::invalid(
            "auth.oidc.client_id",
            "must not be empty",
        ));
    }
    if oidc.client_secret.is_empty() {
        return Err(ConfigError::invalid(
            "auth.oidc.client_secret",
            "must not be empty",
        ));
    }
    if !oidc.scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError::invalid(
            "auth.oidc.scopes",
            "must include openid",
        ));
    }
    for (value, role) in &oidc.role_map {
        if OidcConfig::parse_role(role).is_none() {
            return Err(ConfigError::invalid(
                "auth.oidc.role_map",
                format!("{value:?} maps to {role:?}, which is not requester, agent or admin"),
            ));
        }
    }
    let timeout = oidc.http_timeout.get();
    if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(60) {
        return Err(ConfigError::invalid(
            "auth.oidc.http_timeout",
            "must be between 100ms and 60s",
        ));
    }
    Ok(())
}
