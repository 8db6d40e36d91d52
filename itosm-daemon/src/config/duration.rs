//! Durations in the config file (`250ms`, `30s`, `15m`, `12h`, `7d`), typed
//! at deserialization: a bad value is a parse error naming its key.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigDuration(Duration);

impl ConfigDuration {
    /// `n` milliseconds.
    pub const fn millis(n: u64) -> Self {
        ConfigDuration(Duration::from_millis(n))
    }

    /// `n` seconds.
    pub const fn secs(n: u64) -> Self {
        ConfigDuration(Duration::from_secs(n))
    }

    /// `n` minutes.
    pub const fn mins(n: u64) -> Self {
        ConfigDuration(Duration::from_secs(n * 60))
    }

    /// `n` hours.
    pub const fn hours(n: u64) -> Self {
        ConfigDuration(Duration::from_secs(n * 3600))
    }

    /// `n` days.
    pub const fn days(n: u64) -> Self {
        ConfigDuration(Duration::from_secs(n * 86_400))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }

    /// Parses `250ms`, `30s`, `15m`, `12h`, `7d`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let split = text.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().ok()?;
        let millis = match unit {
            "ms" => number,
            "s" => number.checked_mul(1000)?,
            "m" => number.checked_mul(60_000)?,
            "h" => number.checked_mul(3_600_000)?,
            "d" => number.checked_mul(86_400_000)?,
            _ => return None,
        };
        Some(ConfigDuration(Duration::from_millis(millis)))
    }
}

impl std::fmt::Display for ConfigDuration {
    /// The largest whole unit, as the config file writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let millis = self.0.as_millis();
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
        ] {
            if millis != 0 && millis.is_multiple_of(size) {
                return write!(f, "{}{unit}", millis / size);
            }
        }
        write!(f, "{millis}ms")
    }
}

impl std::fmt::Debug for ConfigDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl Serialize for ConfigDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// Takes a string, and explains a bare number (e.g. an environment
/// variable `ITOSM_AUTH__TOKEN_TTL=12`, which arrives as an integer).
struct DurationVisitor;

impl serde::de::Visitor<'_> for DurationVisitor {
    type Value = ConfigDuration;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a duration like 250ms, 30s, 15m, 12h or 7d")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ConfigDuration, E> {
        ConfigDuration::parse(text).ok_or_else(|| {
            E::custom(format!(
                "{text:?} is not a duration like 250ms, 30s, 15m, 12h or 7d"
            ))
        })
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<ConfigDuration, E> {
        Err(E::custom(format!(
            "{number} has no unit: write it with one, like {number}s, {number}m or {number}h"
        )))
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<ConfigDuration, E> {
        Err(E::custom(format!(
            "{number} is not a duration like 250ms, 30s, 15m, 12h or 7d"
        )))
    }

    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<ConfigDuration, E> {
        Err(E::custom(format!(
            "{number} is not a duration: use whole numbers with a unit, like 1500ms"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_unit() {
        for (text, millis) in [
            ("250ms", 250),
            ("30s", 30_000),
            ("15m", 900_000),
            ("12h", 43_200_000),
            ("7d", 604_800_000),
            ("0s", 0),
        ] {
            let parsed = ConfigDuration::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(parsed.get(), Duration::from_millis(millis));
        }
        assert_eq!(ConfigDuration::millis(1500).to_string(), "1500ms");
        assert_eq!(ConfigDuration::mins(90).to_string(), "90m");
        assert_eq!(ConfigDuration::days(2).to_string(), "2d");
        for bad in [
            "",
            "5",
            "s",
            "5 s",
            "-5s",
            "5w",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(ConfigDuration::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_bare_number_is_told_to_take_a_unit() {
        let error = serde_json::from_str::<ConfigDuration>("12")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("12 has no unit") && error.contains("12s"),
            "{error}"
        );
        let parsed: Option<ConfigDuration> = serde_json::from_str("\"12h\"").ok();
        assert_eq!(parsed, Some(ConfigDuration::hours(12)));
        assert!(serde_json::from_str::<ConfigDuration>("\"12 hours\"").is_err());
    }
}
