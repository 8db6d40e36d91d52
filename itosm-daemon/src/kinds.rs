//! What sink and transport kinds have in common: typed settings read from
//! their config table, each bad value an error naming its key.

use std::collections::BTreeMap;
use std::sync::Arc;

use figment::value::{Dict, Tag, Value};
use serde::de::DeserializeOwned;

/// A sink or transport kind's own settings: the keys of its config table
/// that are not common to every kind, deserialized with serde (mark the
/// struct `#[serde(deny_unknown_fields)]` so a misspelt key is an error
/// naming it).
pub trait Settings: DeserializeOwned + 'static {
    /// Checks what serde's types do not (URL schemes, non-empty lists…).
    /// Runs at every start and in `itosm check-config`; the default accepts
    /// whatever deserialized.
    fn validate(&self) -> Result<(), InvalidSetting> {
        Ok(())
    }
}

/// A bad value in a kind's settings, naming its key within the kind's table
/// (`url`, `secrets[1]`; empty for the table itself: a missing or unknown
/// key, which the message names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct InvalidSetting {
    /// The key within the table.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl InvalidSetting {
    /// `key` has a bad value: `message` says why.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidSetting {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The full config key: `table` (e.g. `notifications.sinks[0]`) and
    /// this setting's key within it.
    pub fn key_in(&self, table: &str) -> String {
        if self.key.is_empty() {
            table.to_owned()
        } else {
            format!("{table}.{}", self.key)
        }
    }
}

/// `table` read as `C` and checked by it.
pub fn read<C: Settings>(table: &Dict) -> Result<C, InvalidSetting> {
    let settings: C =
        Value::Dict(Tag::Default, table.clone())
            .deserialize()
            .map_err(|error| {
                let key = error.path.iter().fold(String::new(), |key, part| {
                    match part.parse::<usize>() {
                        Ok(index) => format!("{key}[{index}]"),
                        Err(_) if key.is_empty() => part.clone(),
                        Err(_) => format!("{key}.{part}"),
                    }
                });
                InvalidSetting::new(key, error.kind.to_string())
            })?;
    settings.validate()?;
    Ok(settings)
}

type Validate = dyn Fn(&Dict) -> Result<(), InvalidSetting> + Send + Sync;

/// Kinds by name, each a check of its settings table and a builder `B` (a
/// `dyn Fn` taking the table): what [`crate::sinks::SinkKinds`] and
/// [`crate::transport::TransportKinds`] are made of.
pub(crate) struct Registry<B: ?Sized> {
    kinds: BTreeMap<String, (Arc<Validate>, Arc<B>)>,
}

impl<B: ?Sized> Clone for Registry<B> {
    fn clone(&self) -> Self {
        Registry {
            kinds: self.kinds.clone(),
        }
    }
}

impl<B: ?Sized> Default for Registry<B> {
    fn default() -> Self {
        Registry {
            kinds: BTreeMap::new(),
        }
    }
}

impl<B: ?Sized> std::fmt::Debug for Registry<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.kinds.keys()).finish()
    }
}

impl<B: ?Sized> Registry<B> {
    /// Registers `kind`, its table read as `C`; replaces an earlier one.
    pub(crate) fn insert<C: Settings>(&mut self, kind: &str, build: Arc<B>) {
        let validate: Arc<Validate> = Arc::new(|table| read::<C>(table).map(drop));
        self.kinds.insert(kind.to_owned(), (validate, build));
    }

    /// The kind names, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Checks `table` as `kind`'s settings; `None` for an unknown kind.
    pub(crate) fn validate(&self, kind: &str, table: &Dict) -> Option<Result<(), InvalidSetting>> {
        self.kinds.get(kind).map(|(validate, _)| validate(table))
    }

    /// `kind`'s builder; `None` for an unknown kind.
    pub(crate) fn builder(&self, kind: &str) -> Option<&B> {
        self.kinds.get(kind).map(|(_, build)| build.as_ref())
    }
}
