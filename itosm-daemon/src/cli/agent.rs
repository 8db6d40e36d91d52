//! `itosm agent …`: enrolment tokens and agents, from the operator's shell.

use anyhow::Context;
use clap::Subcommand;
use itosm_core::Itosm;
use itosm_core::policy::Actor;

use crate::config::ConfigDuration;

/// `itosm agent <action>`.
#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// Enrolment tokens (`itosm agent token create --expires 7d`).
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Revokes an agent: its next request is refused, and it must enrol
    /// again.
    Revoke {
        /// The agent's id.
        id: String,
    },
}

/// `itosm agent token <action>`.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Creates a one-time enrolment token and prints it alone on stdout
    /// (it is shown once: only its hash is kept).
    Create {
        /// How long it works, e.g. `7d`, `12h`.
        #[arg(long, default_value = "7d", value_parser = parse_duration)]
        expires: ConfigDuration,
    },
    /// Lists tokens: id, state, expiry (used, revoked and expired ones
    /// with --all).
    List {
        /// Include used, revoked and expired tokens.
        #[arg(long)]
        all: bool,
    },
    /// Revokes an unused token.
    Revoke {
        /// The token's id (see `itosm agent token list`).
        id: i64,
    },
}

fn parse_duration(text: &str) -> Result<ConfigDuration, String> {
    ConfigDuration::parse(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 7d, 12h or 30m"))
}

/// Runs one `itosm agent` command.
pub async fn agent_command(itosm: &Itosm, action: AgentAction) -> anyhow::Result<()> {
    let operator = Actor::operator();
    let operator = Some(&operator);
    let now = itosm.clock().now();
    let state = |token: &itosm_core::EnrollmentToken| {
        if token.used_at.is_some() {
            "used"
        } else if token.revoked_at.is_some() {
            "revoked"
        } else if token.expires_at <= now {
            "expired"
        } else {
            "usable"
        }
    };
    match action {
        AgentAction::Token {
            action: TokenAction::Create { expires },
        } => {
            let lifetime = chrono::Duration::from_std(expires.get()).context("--expires")?;
            let (token, stored) = itosm.create_enrollment_token(operator, lifetime).await?;
            eprintln!(
                "token {} works once, until {}",
                stored.id, stored.expires_at
            );
            println!("{token}");
        }
        AgentAction::Token {
            action: TokenAction::List { all },
        } => {
            for token in itosm.enrollment_tokens(operator, all).await? {
                println!("{}\t{}\t{}", token.id, state(&token), token.expires_at);
            }
        }
        AgentAction::Token {
            action: TokenAction::Revoke { id },
        } => {
            let token = itosm.revoke_enrollment_token(operator, id).await?;
            println!("{}\t{}", token.id, state(&token));
        }
        AgentAction::Revoke { id } => {
            let agent = itosm.revoke_agent(operator, &id).await?;
            println!("revoked agent {}", agent.id);
        }
    }
    Ok(())
}
