//! `itosm check-config --connect`: tries every dependency the configuration
//! names (database, broker, attachment store, each sink's endpoint) and
//! says which fail, without writing a ticket or sending a notification.

use std::time::Duration;

use futures::future::join_all;
use itosm_core::store::StoreHealth;
use itosm_core::store::sea::{SeaStore, SeaStoreOptions};

use crate::Daemon;
use crate::config::Config;
use crate::sinks::SinkKinds;

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// One dependency and what trying it showed.
#[derive(Debug)]
pub struct Check {
    /// e.g. `database`, `broker`, `sink audit (file)`.
    pub what: String,
    /// `Ok(detail)` or `Err(why)`.
    pub outcome: Result<String, String>,
}

async fn bounded<F>(check: F) -> Result<String, String>
where
    F: std::future::Future<Output = Result<String, String>>,
{
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")))
}

async fn database(config: &Config) -> Result<String, String> {
    if let Some(path) = itosm_core::store::sea::sqlite_file::sqlite_path(&config.database.url)
        && !path.exists()
    {
        return Ok(format!(
            "{} does not exist yet; `itosm serve` or `itosm migrate` creates it",
            path.display()
        ));
    }
    let mut options = SeaStoreOptions::new(config.database.url.clone());
    options.create_if_missing = false;
    options.max_connections = 1;
    let store = SeaStore::connect(options)
        .await
        .map_err(|error| error.to_string())?;
    store.ping().await.map_err(|error| error.to_string())?;
    Ok("answers".to_owned())
}

/// Tries every dependency `config` names, all at once, each within
/// [`CHECK_TIMEOUT`]; the transport and sinks are built with the kinds
/// `daemon` registers.
pub async fn check_all(config: &Config, daemon: &Daemon) -> Vec<Check> {
    let mut checks = vec![Check {
        what: format!(
            "database {}",
            crate::config::redact_url(&config.database.url)
        ),
        outcome: bounded(database(config)).await,
    }];
    match daemon.transport_kinds().build(config) {
        Ok(transport) => {
            let tried = tokio::time::timeout(CHECK_TIMEOUT, transport.check()).await;
            match tried {
                Ok(None) => {}
                Ok(Some(check)) => checks.push(Check {
                    what: check.what,
                    outcome: check.outcome,
                }),
                Err(_) => checks.push(Check {
                    what: format!("transport {}", config.transport.kind),
                    outcome: Err(format!("no answer within {CHECK_TIMEOUT:?}")),
                }),
            }
        }
        Err(error) => checks.push(Check {
            what: format!("transport {}", config.transport.kind),
            outcome: Err(error.to_string()),
        }),
    }
    if let Some(oidc) = config.auth.oidc.as_ref().filter(|_| {
        config
            .auth
            .methods
            .contains(&crate::config::AuthMethod::Oidc)
    }) {
        checks.push(Check {
            what: format!("single sign-on provider {}", oidc.issuer),
            outcome: bounded(single_sign_on(oidc.clone())).await,
        });
    }
    checks.push(Check {
        what: match (config.attachments.store, &config.attachments.s3) {
            (crate::config::BlobStoreKind::S3, Some(s3)) => {
                format!("attachments bucket {}", s3.bucket)
            }
            _ => format!("attachments directory {}", config.attachments.dir.display()),
        },
        outcome: bounded(attachments(config)).await,
    });
    checks.extend(sink_checks(config, daemon.sink_kinds()).await);
    checks
}

async fn attachments(config: &Config) -> Result<String, String> {
    use itosm_core::blob::BlobStore;
    let blobs = crate::attachments::ObjectBlobStore::from_config(&config.attachments)
        .map_err(|error| error.to_string())?;
    blobs.check().await.map_err(|error| error.to_string())?;
    Ok("answers".to_owned())
}

async fn single_sign_on(config: crate::config::OidcConfig) -> Result<String, String> {
    // The key only signs state cookies, of which a check issues none.
    let client = crate::http::oidc::Oidc::new(config, b"check-config: no state cookie is issued")
        .map_err(|error| error.to_string())?;
    client
        .provider()
        .await
        .map(|_| "discovery document and keys read".to_owned())
        .map_err(|error| error.to_string())
}

/// Tries each configured sink's endpoint (its
/// [`NotificationSink::check`](itosm_core::sink::NotificationSink::check)),
/// all at once.
pub async fn sink_checks(config: &Config, kinds: &SinkKinds) -> Vec<Check> {
    let sinks = match kinds.build(&config.notifications.sinks) {
        Ok(sinks) => sinks,
        Err(error) => {
            return vec![Check {
                what: "sinks".to_owned(),
                outcome: Err(error.to_string()),
            }];
        }
    };
    let kinds = config.notifications.sinks.iter().map(|sink| sink.kind());
    join_all(
        sinks
            .iter()
            .zip(kinds)
            .map(|(configured, kind)| async move {
                let sink = &configured.sink;
                Check {
                    what: format!("sink {} ({kind})", sink.name()),
                    outcome: bounded(async { sink.check().await.map(|()| "reachable".to_owned()) })
                        .await,
                }
            }),
    )
    .await
}
