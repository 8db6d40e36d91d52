//! The sink kinds a daemon knows: each a `kind = "…"` name, a typed settings
//! table read from its `[[notifications.sinks]]` entry, and a factory.

use std::fmt::Display;
use std::sync::Arc;

use figment::value::Dict;
use itosm_core::event::EventType;

use super::ConfiguredSink;
use crate::config::{ConfigError, SinkConfig};
use crate::kinds::{self, Registry, Settings};

/// What a sink factory knows besides the sink's settings.
#[derive(Debug, Clone)]
pub struct SinkContext {
    name: String,
    kind: String,
}

impl SinkContext {
    /// The sink's unique name (`name = "…"`), which its
    /// [`NotificationSink::name`](itosm_core::sink::NotificationSink::name)
    /// must answer: the delivery log records deliveries under it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sink's kind (`kind = "…"`).
    pub fn kind(&self) -> &str {
        &self.kind
    }
}

/// Why the configured sinks could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A sink's entry is invalid (unknown kind, bad settings).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A sink's factory refused its settings.
    #[error("sink {name:?} ({kind}): {message}")]
    Build {
        /// The sink's name.
        name: String,
        /// Its kind.
        kind: String,
        /// The factory's error.
        message: String,
    },
}

type Build = dyn Fn(&Dict, &SinkContext) -> Result<ConfiguredSink, String> + Send + Sync;

/// The sink kinds a daemon builds sinks of, by `kind` name.
#[derive(Clone, Default, Debug)]
pub struct SinkKinds {
    kinds: Registry<Build>,
}

impl SinkKinds {
    /// No kinds at all.
    pub fn empty() -> Self {
        SinkKinds::default()
    }

    /// Registers `kind`: entries with `kind = "<kind>"` have the rest of
    /// their table (but `name` and `events`) read as `C` and are built by
    /// `factory`. A kind registered again replaces the earlier one.
    pub fn register<C, F, E>(&mut self, kind: &str, factory: F)
    where
        C: Settings,
        F: Fn(C, &SinkContext) -> Result<ConfiguredSink, E> + Send + Sync + 'static,
        E: Display,
    {
        let build = move |table: &Dict, context: &SinkContext| {
            let settings = kinds::read::<C>(table).map_err(|error| error.to_string())?;
            factory(settings, context).map_err(|error| error.to_string())
        };
        self.kinds.insert::<C>(kind, Arc::new(build));
    }

    /// The registered kind names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.kinds.names()
    }

    fn unknown(&self, index: usize, sink: &SinkConfig) -> ConfigError {
        ConfigError::invalid(
            &format!("notifications.sinks[{index}].kind"),
            format!(
                "unknown sink kind {:?}; use one of {}",
                sink.kind,
                self.names().collect::<Vec<_>>().join(", ")
            ),
        )
    }

    /// Checks the entry at `notifications.sinks[index]`: a known kind and
    /// settings that kind accepts. The error names the key, the sink and
    /// its kind.
    pub fn validate(&self, index: usize, sink: &SinkConfig) -> Result<(), ConfigError> {
        let checked = self
            .kinds
            .validate(&sink.kind, &sink.settings)
            .ok_or_else(|| self.unknown(index, sink))?;
        checked.map_err(|error| {
            ConfigError::invalid(
                &error.key_in(&format!("notifications.sinks[{index}]")),
                format!("sink {:?} ({}): {}", sink.name(), sink.kind, error.message),
            )
        })
    }

    /// Builds the configured sinks, each routed the events its `events`
    /// names.
    pub fn build(&self, sinks: &[SinkConfig]) -> Result<Vec<ConfiguredSink>, SinkError> {
        sinks
            .iter()
            .enumerate()
            .map(|(index, sink)| {
                self.validate(index, sink)?;
                let context = SinkContext {
                    name: sink.name().to_owned(),
                    kind: sink.kind.clone(),
                };
                let build = self
                    .kinds
                    .builder(&sink.kind)
                    .ok_or_else(|| self.unknown(index, sink))?;
                let mut built =
                    build(&sink.settings, &context).map_err(|message| SinkError::Build {
                        name: context.name.clone(),
                        kind: context.kind.clone(),
                        message,
                    })?;
                built.events = sink
                    .events()
                    .iter()
                    .filter_map(|e| EventType::parse(e))
                    .collect();
                Ok(built)
            })
            .collect()
    }
}
