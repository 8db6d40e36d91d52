//! The no-op sink (`kind = "noop"`): accepts every notification and sends
//! nothing — benchmarks and dry runs.

use std::convert::Infallible;
use std::sync::Arc;

use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};
use serde::Deserialize;

use super::{ConfiguredSink, Settings, SinkContext};

/// `kind = "noop"`: no settings of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoopConfig {}

impl Settings for NoopConfig {}

/// Builds a no-op sink.
pub fn build(_config: NoopConfig, context: &SinkContext) -> Result<ConfiguredSink, Infallible> {
    Ok(ConfiguredSink::broadcast(Arc::new(NoopSink(
        context.name().to_owned(),
    ))))
}

/// Accepts everything and sends nothing.
pub struct NoopSink(pub String);

#[async_trait::async_trait]
impl NotificationSink for NoopSink {
    fn name(&self) -> &str {
        &self.0
    }

    async fn deliver(&self, _notification: &Notification) -> DeliveryOutcome {
        DeliveryOutcome::Delivered
    }
}
