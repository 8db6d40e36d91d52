//! URLs in the config file, typed at deserialization: a value that is not
//! a URL is a parse error naming its key. Which schemes a key takes is
//! checked with the rest of its rules (`Config::validate`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A URL as written in the config (kept verbatim: a database or broker
/// URL is handed on exactly as given).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ConfigUrl(String);

impl ConfigUrl {
    /// Checks `text` is a URL (`scheme:` and what the scheme needs).
    pub fn parse(text: &str) -> Result<Self, String> {
        url::Url::parse(text)
            .map(|_| ConfigUrl(text.to_owned()))
            .map_err(|e| format!("{text:?} is not a URL: {e}"))
    }

    /// A built-in default, known to be a URL (the tests parse every
    /// default).
    pub(crate) fn builtin(text: &'static str) -> Self {
        ConfigUrl(text.to_owned())
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ConfigUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ConfigUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for ConfigUrl {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_ref()
    }
}

impl From<ConfigUrl> for String {
    fn from(url: ConfigUrl) -> String {
        url.0
    }
}

impl std::fmt::Display for ConfigUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for ConfigUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output lands in logs: never the password.
        f.write_str(&super::redact_url(&self.0))
    }
}

impl Serialize for ConfigUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ConfigUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ConfigUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_kept_verbatim() {
        for good in [
            "sqlite://itosm.db?mode=rwc",
            "sqlite::memory:",
            "postgres://itosm:s3cr%40t@db:5432/itosm",
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "https://login.example.com/realms/it",
        ] {
            assert_eq!(
                ConfigUrl::parse(good).map(|u| u.to_string()),
                Ok(good.to_owned())
            );
        }
        for bad in ["", "itosm.db", "://db", "http://exa mple.com"] {
            assert!(ConfigUrl::parse(bad).is_err(), "{bad}");
        }
        let secret =
            ConfigUrl::parse("postgres://itosm:hunter2@db/itosm").map(|u| format!("{u:?}"));
        assert_eq!(secret, Ok("postgres://itosm:***@db/itosm".to_owned()));
    }
}
