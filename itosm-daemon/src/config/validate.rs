//! Checks of every value serde's types do not check, each error naming its
//! key.

use std::time::Duration;

use itosm_core::number::TicketNumberFormat;
use itosm_core::token::MIN_SECRET_BYTES;

use super::auth::{read_secret_file, validate_oidc};
use super::{AuthMethod, Config, ConfigError};
use crate::Daemon;

impl Config {
    /// Checks every value that serde's types do not, for the standard
    /// daemon's sink and transport kinds.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_with(&Daemon::standard())
    }

    /// Checks every value that serde's types do not; each sink's table and
    /// the transport's by the kinds `daemon` registers.
    pub fn validate_with(&self, daemon: &Daemon) -> Result<(), ConfigError> {
        self.http_addr()?;
        self.attachments.validate()?;
        self.agents.validate()?;
        if !(1024..=16 * 1024 * 1024).contains(&self.http.max_body_bytes.get()) {
            return Err(ConfigError::invalid(
                "http.max_body_bytes",
                "must be between 1024 and 16777216",
            ));
        }
        for (key, timeout) in [
            (
                "http.header_read_timeout",
                self.http.header_read_timeout.get(),
            ),
            ("http.idle_timeout", self.http.idle_timeout.get()),
        ] {
            if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(3600) {
                return Err(ConfigError::invalid(key, "must be between 100ms and 1h"));
            }
        }
        let grace = self.shutdown.grace.get();
        if grace > Duration::from_secs(3600) {
            return Err(ConfigError::invalid("shutdown.grace", "must be at most 1h"));
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::invalid(
                "database.url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        daemon.transport_kinds().validate(self)?;
        if self.transport.kind == "rabbitmq"
            && !(self.transport.amqp_url.starts_with("amqp://")
                || self.transport.amqp_url.starts_with("amqps://"))
        {
            return Err(ConfigError::invalid(
                "transport.amqp_url",
                "must start with amqp:// or amqps://",
            ));
        }
        if let Some(secret) = &self.auth.token_secret
            && secret.len() < MIN_SECRET_BYTES
        {
            return Err(ConfigError::invalid(
                "auth.token_secret",
                format!("must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"),
            ));
        }
        for (index, previous) in self.auth.previous_token_secrets.iter().enumerate() {
            if previous.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::invalid(
                    "auth.previous_token_secrets",
                    format!("entry {index} must be at least {MIN_SECRET_BYTES} bytes"),
                ));
            }
        }
        if self.auth.methods.is_empty() {
            return Err(ConfigError::invalid(
                "auth.methods",
                "must name at least one of employee_id, password, oidc",
            ));
        }
        if self.auth.methods.contains(&AuthMethod::Oidc) {
            let Some(oidc) = &self.auth.oidc else {
                return Err(ConfigError::invalid(
                    "auth.oidc",
                    "auth.methods has oidc, which needs an [auth.oidc] section (issuer, client_id, client_secret, redirect_url)",
                ));
            };
            validate_oidc(oidc)?;
        }
        if let Some(path) = &self.auth.token_secret_file {
            if self.auth.token_secret.is_some() {
                return Err(ConfigError::invalid(
                    "auth.token_secret_file",
                    "set either auth.token_secret or auth.token_secret_file, not both",
                ));
            }
            read_secret_file("auth.token_secret_file", path)?;
        }
        let timeout = self.database.acquire_timeout.get();
        if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "database.acquire_timeout",
                "must be between 100ms and 60s",
            ));
        }
        if !is_log_filter(&self.log.level) {
            return Err(ConfigError::invalid(
                "log.level",
                format!(
                    "{:?} is not a log filter like info, warn or itosm=debug,info",
                    self.log.level
                ),
            ));
        }
        if self.auth.token_secret.is_none()
            && self.auth.token_secret_file.is_none()
            && !self.is_embedded_database()
        {
            return Err(ConfigError::invalid(
                "auth.token_secret",
                "is required when database.url is not SQLite (set ITOSM_AUTH__TOKEN_SECRET)",
            ));
        }
        let ttl = self.auth.token_ttl.get();
        if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(30 * 24 * 3600) {
            return Err(ConfigError::invalid(
                "auth.token_ttl",
                "must be between 1m and 30d",
            ));
        }
        TicketNumberFormat::parse(&self.tickets.number_format)
            .map_err(|e| ConfigError::invalid("tickets.number_format", e.reason))?;
        if !(1..=100_000).contains(&self.tickets.max_description_chars) {
            return Err(ConfigError::invalid(
                "tickets.max_description_chars",
                "must be between 1 and 100000",
            ));
        }
        if !(1..=100_000).contains(&self.tickets.max_comment_chars) {
            return Err(ConfigError::invalid(
                "tickets.max_comment_chars",
                "must be between 1 and 100000",
            ));
        }
        self.default_priority()?;
        self.sla_policy()?;
        for (key, value) in [
            (
                "auth.login_attempts_per_user",
                self.auth.login_attempts_per_user,
            ),
            (
                "auth.login_attempts_per_address",
                self.auth.login_attempts_per_address,
            ),
        ] {
            if !(1..=10_000).contains(&value) {
                return Err(ConfigError::invalid(key, "must be between 1 and 10000"));
            }
        }
        let window = self.auth.login_window.get();
        if window < Duration::from_secs(1) || window > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::invalid(
                "auth.login_window",
                "must be between 1s and 1d",
            ));
        }
        for (key, value, range) in [
            ("graphql.max_nesting", self.graphql.max_nesting, 8..=128),
            (
                "graphql.max_operations_per_connection",
                self.graphql.max_operations_per_connection,
                1..=1000,
            ),
            (
                "graphql.max_concurrent_per_caller",
                self.graphql.max_concurrent_per_caller,
                1..=1000,
            ),
            (
                "graphql.max_connections_per_user",
                self.graphql.max_connections_per_user,
                1..=1000,
            ),
        ] {
            if !range.contains(&value) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        for (key, value) in [
            (
                "tickets.max_created_per_minute",
                self.tickets.max_created_per_minute,
            ),
            (
                "tickets.max_comments_per_minute",
                self.tickets.max_comments_per_minute,
            ),
        ] {
            if value > 100_000 {
                return Err(ConfigError::invalid(
                    key,
                    "must be at most 100000 (0 means no limit)",
                ));
            }
        }
        if !(2..=64).contains(&self.graphql.max_depth) {
            return Err(ConfigError::invalid(
                "graphql.max_depth",
                "must be between 2 and 64",
            ));
        }
        if !(10..=100_000).contains(&self.graphql.max_complexity) {
            return Err(ConfigError::invalid(
                "graphql.max_complexity",
                "must be between 10 and 100000",
            ));
        }
        if !(1..=1000).contains(&self.graphql.max_page_size) {
            return Err(ConfigError::invalid(
                "graphql.max_page_size",
                "must be between 1 and 1000",
            ));
        }
        let recheck = self.graphql.subscription_recheck.get();
        if recheck < Duration::from_secs(1) || recheck > Duration::from_secs(3600) {
            return Err(ConfigError::invalid(
                "graphql.subscription_recheck",
                "must be between 1s and 1h",
            ));
        }
        if !(1..=10_000).contains(&self.relay.batch_size) {
            return Err(ConfigError::invalid(
                "relay.batch_size",
                "must be between 1 and 10000",
            ));
        }
        if self.relay.coalesce.get() > Duration::from_secs(1) {
            return Err(ConfigError::invalid("relay.coalesce", "must be at most 1s"));
        }
        if self.notifications.max_attempts > 1000 {
            return Err(ConfigError::invalid(
                "notifications.max_attempts",
                "must be between 0 (no limit) and 1000",
            ));
        }
        let n = &self.notifications;
        let (backoff, max_delay) = (n.retry_backoff.get(), n.max_retry_delay.get());
        if backoff.is_zero() || max_delay < backoff {
            return Err(ConfigError::invalid(
                "notifications.max_retry_delay",
                "must be at least retry_backoff, which must be more than 0",
            ));
        }
        let horizon = n.retry_horizon.get();
        if horizon.is_zero() || horizon > Duration::from_secs(30 * 24 * 3600) {
            return Err(ConfigError::invalid(
                "notifications.retry_horizon",
                "must be between 1ms and 30d",
            ));
        }
        let (lease, attempt) = (n.claim_lease.get(), n.attempt_timeout.get());
        if attempt.is_zero() || attempt >= lease {
            return Err(ConfigError::invalid(
                "notifications.attempt_timeout",
                "must be more than 0 and less than notifications.claim_lease",
            ));
        }
        if !(1..=10_000).contains(&n.sink_concurrency) {
            return Err(ConfigError::invalid(
                "notifications.sink_concurrency",
                "must be between 1 and 10000",
            ));
        }
        if !(1..=100_000).contains(&n.max_in_flight) {
            return Err(ConfigError::invalid(
                "notifications.max_in_flight",
                "must be between 1 and 100000",
            ));
        }
        for (key, name) in [
            ("transport.exchange", &self.transport.exchange),
            ("transport.queue", &self.transport.queue),
        ] {
            if name.is_empty()
                || name.len() > 200
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(ConfigError::invalid(
                    key,
                    "must be 1-200 characters of letters, digits, '.', '_' or '-'",
                ));
            }
        }
        if !(1..=1000).contains(&self.transport.prefetch) {
            return Err(ConfigError::invalid(
                "transport.prefetch",
                "must be between 1 and 1000",
            ));
        }
        if self.transport.confirm_timeout.get().is_zero() {
            return Err(ConfigError::invalid(
                "transport.confirm_timeout",
                "must be more than 0",
            ));
        }
        let heartbeat = self.transport.heartbeat.get();
        if heartbeat.as_secs() > 600 || !heartbeat.as_millis().is_multiple_of(1000) {
            return Err(ConfigError::invalid(
                "transport.heartbeat",
                "must be whole seconds, at most 600s (0s: off)",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, sink) in self.notifications.sinks.iter().enumerate() {
            for event in sink.events() {
                if itosm_core::event::EventType::parse(event).is_none() {
                    return Err(ConfigError::invalid(
                        &format!("notifications.sinks[{i}].events"),
                        format!(
                            "unknown event type {event:?}; use ticket.created, ticket.status_changed, ticket.assigned, ticket.commented"
                        ),
                    ));
                }
            }
            daemon.sink_kinds().validate(i, sink)?;
            let name = sink.name();
            if name.is_empty() || name.len() > 64 || !names.insert(name.to_owned()) {
                return Err(ConfigError::invalid(
                    &format!("notifications.sinks[{i}].name"),
                    "must be 1-64 characters and unique",
                ));
            }
        }
        Ok(())
    }
}

/// Whether `filter` is a log filter whose every directive names a level:
/// `info`, `warn,itosm=debug`, `itosm::access=off`. (tracing's own parser
/// takes any word as a target, so `verbose` would silently log nothing.)
pub(super) fn is_log_filter(filter: &str) -> bool {
    const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];
    !filter.trim().is_empty()
        && tracing_subscriber::EnvFilter::try_new(filter).is_ok()
        && filter.split(',').map(str::trim).all(|directive| {
            let level = directive.rsplit_once('=').map_or(directive, |(_, l)| l);
            LEVELS.contains(&level.to_ascii_lowercase().as_str())
        })
}
