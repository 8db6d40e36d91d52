//! `transport.kind = "rabbitmq"`: the broker transport as a kind — topology
//! at start, publisher, notifier and live-feed consumers, dead letters,
//! broker health for `/readyz`.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    AmqpSettings, BrokerHealth, RabbitPublisher, connect, declare_topology, run_feed_consumer,
    run_notifier_consumer,
};
use crate::app::Role;
use crate::kinds::Settings;
use crate::notifier::DeadLetters;
use crate::transport::{
    StartedTransport, Transport, TransportCheck, TransportContext, TransportStartError,
    TransportWiring,
};

/// `transport.kind = "rabbitmq"`: no settings beyond the common
/// `[transport]` keys (`amqp_url`, `exchange`, `queue`, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RabbitMqConfig {}

impl Settings for RabbitMqConfig {}

/// Builds the RabbitMQ transport from `[transport]`.
pub fn build(
    _config: RabbitMqConfig,
    context: TransportContext<'_>,
) -> Result<Arc<dyn Transport>, std::convert::Infallible> {
    let settings = crate::app::amqp_settings(context.config());
    let health = Arc::new(BrokerHealth::new(settings.broker()));
    Ok(Arc::new(RabbitMq { settings, health }))
}

/// The RabbitMQ transport kind.
pub struct RabbitMq {
    settings: AmqpSettings,
    health: Arc<BrokerHealth>,
}

#[async_trait]
impl Transport for RabbitMq {
    async fn prepare(&self) -> Result<(), TransportStartError> {
        // Fail fast on a wrong URL; later outages are ridden out.
        let connection = connect(&self.settings).await.map_err(|e| {
            TransportStartError(format!(
                "config key `transport.amqp_url`: cannot reach the broker: {e}"
            ))
        })?;
        let declared = async {
            let channel = connection
                .create_channel()
                .await
                .map_err(|e| e.to_string())?;
            declare_topology(&channel, &self.settings)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        let _ = connection.close(200, "topology declared".into()).await;
        declared.map_err(|e| TransportStartError(format!("declaring the broker topology: {e}")))
    }

    async fn check(&self) -> Option<TransportCheck> {
        let outcome = match connect(&self.settings).await {
            Ok(connection) => {
                let _ = connection.close(200, "check-config".into()).await;
                Ok("answers".to_owned())
            }
            Err(error) => Err(error.to_string()),
        };
        Some(TransportCheck {
            what: format!("broker {}", crate::config::redact_url(&self.settings.url)),
            outcome,
        })
    }

    fn health(&self) -> Option<Arc<BrokerHealth>> {
        Some(Arc::clone(&self.health))
    }

    fn dead_letters(&self) -> Option<Arc<dyn DeadLetters>> {
        Some(Arc::new(RabbitPublisher::dead_letters(
            self.settings.clone(),
            Arc::clone(&self.health),
        )))
    }

    fn start(&self, wiring: TransportWiring) -> Result<StartedTransport, TransportStartError> {
        let mut tasks = Vec::new();
        if let Some(notifier) = wiring.notifier {
            tasks.push(tokio::spawn(run_notifier_consumer(
                self.settings.clone(),
                notifier,
                Arc::clone(&self.health),
                wiring.shutdown.clone(),
            )));
        }
        if wiring.roles.has(Role::Api) {
            tasks.push(tokio::spawn(run_feed_consumer(
                self.settings.clone(),
                wiring.feed,
                Arc::clone(&self.health),
                wiring.shutdown,
            )));
        }
        Ok(StartedTransport {
            publisher: Arc::new(RabbitPublisher::new(
                self.settings.clone(),
                Arc::clone(&self.health),
            )),
            tasks,
            handoff: None,
        })
    }
}
