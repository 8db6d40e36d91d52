//! Sizes in the config file (`512KiB`, `10MiB`, `1GiB`, or a plain number
//! of bytes), typed at deserialization: a bad value is a parse error naming
//! its key.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A size in bytes, written as a number of bytes or with a binary unit
/// `KiB`, `MiB` or `GiB` (`B` is accepted too).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigBytes(u64);

const UNITS: [(&str, u64); 4] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("B", 1),
];

impl ConfigBytes {
    /// `n` bytes.
    pub const fn bytes(n: u64) -> Self {
        ConfigBytes(n)
    }

    /// `n` MiB.
    pub const fn mib(n: u64) -> Self {
        ConfigBytes(n << 20)
    }

    /// The size in bytes.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses `123`, `512KiB`, `10MiB`, `1GiB` (spaces allowed before the
    /// unit); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().ok()?;
        let unit = unit.trim();
        let scale = if unit.is_empty() {
            1
        } else {
            UNITS.iter().find(|(name, _)| *name == unit)?.1
        };
        number.checked_mul(scale).map(ConfigBytes)
    }
}

impl std::fmt::Display for ConfigBytes {
    /// The largest whole unit, as the config file writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (unit, size) in UNITS {
            if self.0 != 0 && self.0.is_multiple_of(size) && size > 1 {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl std::fmt::Debug for ConfigBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl Serialize for ConfigBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConfigBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BytesVisitor)
    }
}

struct BytesVisitor;

impl serde::de::Visitor<'_> for BytesVisitor {
    type Value = ConfigBytes;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a size like 512KiB, 10MiB or 1GiB, or a number of bytes")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ConfigBytes, E> {
        ConfigBytes::parse(text)
            .ok_or_else(|| E::custom(format!("{text:?} is not a size like 512KiB, 10MiB or 1GiB")))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<ConfigBytes, E> {
        Ok(ConfigBytes(number))
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<ConfigBytes, E> {
        u64::try_from(number)
            .map(ConfigBytes)
            .map_err(|_| E::custom(format!("{number} is not a size: sizes are not negative")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sizes() {
        for (text, bytes) in [
            ("0", 0),
            ("1500", 1500),
            ("512KiB", 512 * 1024),
            ("10 MiB", 10 << 20),
            ("1GiB", 1 << 30),
            ("7B", 7),
        ] {
            assert_eq!(ConfigBytes::parse(text), Some(ConfigBytes(bytes)), "{text}");
        }
        for bad in [
            "",
            "ten",
            "10MB",
            "10 mib",
            "-1",
            "1.5MiB",
            "99999999999999999999GiB",
        ] {
            assert_eq!(ConfigBytes::parse(bad), None, "{bad}");
        }
        assert_eq!(ConfigBytes::mib(10).to_string(), "10MiB");
        assert_eq!(ConfigBytes::bytes(1500).to_string(), "1500B");
        assert_eq!(ConfigBytes::bytes(2048).to_string(), "2KiB");
    }

    #[test]
    fn a_bad_size_names_what_is_wanted() {
        use figment::providers::{Format, Toml};
        let error = figment::Figment::from(Toml::string("x = \"lots\""))
            .extract::<std::collections::HashMap<String, ConfigBytes>>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("is not a size like"), "{error}");
    }
}
