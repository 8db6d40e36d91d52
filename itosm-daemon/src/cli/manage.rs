//! `itosm user …` and `itosm catalog …`: administration from the
//! operator's shell. Every command goes through the same services and
//! authorization policy as the portal, as [`Actor::operator`].

use anyhow::Context;
use clap::Subcommand;
use itosm_core::policy::Actor;
use itosm_core::{Itosm, NewUser, Role, SoftwareId, User};

/// `itosm user <action>`.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Creates a user; fails if the username is taken.
    Add {
        /// Login name: 1-64 of letters, digits, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// Employee ID, the second login factor.
        #[arg(long)]
        employee_id: String,
        /// Name to show.
        #[arg(long)]
        name: String,
        /// Email address for notifications.
        #[arg(long)]
        email: Option<String>,
        /// E.164 phone number for SMS, e.g. +919876543210.
        #[arg(long)]
        phone: Option<String>,
        /// requester, agent or admin.
        #[arg(long, default_value = "requester")]
        role: String,
    },
    /// Lists users: id, username, role, active, name, email.
    List,
    /// Changes a user's role.
    SetRole {
        /// The user.
        username: String,
        /// requester, agent or admin.
        role: String,
    },
    /// Deactivates a user: he cannot log in and his tokens stop working.
    Deactivate {
        /// The user.
        username: String,
    },
    /// Reactivates a deactivated user.
    Activate {
        /// The user.
        username: String,
    },
    /// Gives a user a new temporary password, printed alone on standard
    /// output; he must change it at his next login and every session he
    /// had ends.
    ResetPassword {
        /// The user.
        username: String,
    },
}

/// `itosm catalog <action>`.
#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// Adds a software title people can request.
    Add {
        /// e.g. "Autodesk AutoCAD".
        name: String,
        /// e.g. "2025" (may be left out).
        #[arg(long, default_value = "")]
        version: String,
    },
    /// Lists titles: id, state, name, version (retired ones with --all).
    List {
        /// Include retired titles.
        #[arg(long)]
        all: bool,
    },
    /// Renames a title; tickets that name it follow.
    Rename {
        /// The title's id (see `itosm catalog list`).
        id: i64,
        /// The new name.
        name: String,
        /// The new version.
        #[arg(long, default_value = "")]
        version: String,
    },
    /// Retires a title: it stays on old tickets but leaves the request form.
    Retire {
        /// The title's id (see `itosm catalog list --all`).
        id: i64,
    },
    /// Puts a retired title back on the request form.
    Restore {
        /// The title's id.
        id: i64,
    },
}

fn parse_role(value: &str) -> anyhow::Result<Role> {
    Role::parse(&value.to_ascii_uppercase())
        .ok_or_else(|| anyhow::anyhow!("--role: {value:?} is not requester, agent or admin"))
}

fn describe(user: &User) -> String {
    format!(
        "{} is now {}, {}",
        user.username,
        user.role,
        if user.active { "active" } else { "deactivated" }
    )
}

/// Runs one `itosm user` command.
pub async fn user_command(itosm: &Itosm, action: UserAction) -> anyhow::Result<()> {
    let operator = Actor::operator();
    let operator = Some(&operator);
    match action {
        UserAction::Add {
            username,
            employee_id,
            name,
            email,
            phone,
            role,
        } => {
            let user = itosm
                .create_user(
                    operator,
                    NewUser {
                        username: itosm_core::Username::parse(username)?,
                        employee_id,
                        display_name: name,
                        email: itosm_core::Email::parse_optional(email)?,
                        phone: itosm_core::Phone::parse_optional(phone)?,
                        role: parse_role(&role)?,
                    },
                )
                .await?;
            println!(
                "created {} ({}), id {}",
                user.username, user.role, user.id.0
            );
        }
        UserAction::List => {
            let mut after: Option<String> = None;
            loop {
                let page = itosm
                    .list_users(
                        operator,
                        itosm_core::UserFilterInput::default(),
                        Some(i64::from(itosm.config().max_page_size)),
                        after.as_deref(),
                    )
                    .await?;
                for (_, user) in &page.items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        user.id.0,
                        user.username,
                        user.role,
                        if user.active { "active" } else { "deactivated" },
                        user.display_name,
                        user.email.as_deref().unwrap_or("")
                    );
                }
                match page.end_cursor() {
                    Some(cursor) if page.has_next_page => after = Some(cursor.to_owned()),
                    _ => break,
                }
            }
        }
        UserAction::SetRole { username, role } => {
            let user = itosm.user_by_username(operator, &username).await?;
            let changed = itosm
                .change_user_role(operator, user.id, parse_role(&role)?)
                .await?;
            println!("{}", describe(&changed));
        }
        UserAction::Deactivate { username } => {
            let user = itosm.user_by_username(operator, &username).await?;
            println!(
                "{}",
                describe(&itosm.set_user_active(operator, user.id, false).await?)
            );
        }
        UserAction::Activate { username } => {
            let user = itosm.user_by_username(operator, &username).await?;
            println!(
                "{}",
                describe(&itosm.set_user_active(operator, user.id, true).await?)
            );
        }
        UserAction::ResetPassword { username } => {
            let user = itosm.user_by_username(operator, &username).await?;
            let (user, temporary) = itosm.reset_password(operator, user.id).await?;
            // The password alone on stdout, so a script can hand it over;
            // the explanation goes to stderr.
            eprintln!(
                "temporary password for {}: it works once; {} must choose a new one at the next login",
                user.username, user.username
            );
            println!("{temporary}");
        }
    }
    Ok(())
}

/// Runs one `itosm catalog` command.
pub async fn catalog_command(itosm: &Itosm, action: CatalogAction) -> anyhow::Result<()> {
    let operator = Actor::operator();
    let operator = Some(&operator);
    let show = |software: &itosm_core::Software| {
        format!(
            "{}\t{}\t{}\t{}",
            software.id.0,
            if software.retired {
                "retired"
            } else {
                "offered"
            },
            software.name,
            software.version
        )
    };
    match action {
        CatalogAction::Add { name, version } => {
            let added = itosm.add_software(operator, &name, &version).await?;
            println!("added {}", show(&added));
        }
        CatalogAction::List { all } => {
            for software in itosm.software_catalog(operator, all).await? {
                println!("{}", show(&software));
            }
        }
        CatalogAction::Rename { id, name, version } => {
            let renamed = itosm
                .update_software(operator, SoftwareId(id), &name, &version)
                .await
                .with_context(|| format!("renaming title {id}"))?;
            println!("renamed {}", show(&renamed));
        }
        CatalogAction::Retire { id } => {
            let retired = itosm
                .set_software_retired(operator, SoftwareId(id), true)
                .await
                .with_context(|| format!("retiring title {id}"))?;
            println!("retired {}", show(&retired));
        }
        CatalogAction::Restore { id } => {
            let restored = itosm
                .set_software_retired(operator, SoftwareId(id), false)
                .await
                .with_context(|| format!("restoring title {id}"))?;
            println!("restored {}", show(&restored));
        }
    }
    Ok(())
}
