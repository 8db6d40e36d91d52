//! Ticket numbers: `INC-{year}-{seq:04}` and friends.
//!
//! A format is literal text with exactly one `{seq}` (optionally zero-padded,
//! `{seq:04}`) and at most one `{year}`. The sequence restarts each year when
//! the format has a `{year}`, and widens past its padding (`INC-2026-10000`).
//! Allocation of the sequence value is the store's job; this module only
//! parses formats and renders numbers.

use sha2::{Digest, Sha256};

/// Longest accepted format string.
pub const MAX_FORMAT_CHARS: usize = 48;

/// The default, as in the seed: `INC-2026-0001`.
pub const DEFAULT_FORMAT: &str = "INC-{year}-{seq:04}";

/// Why a number format was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ticket number format {format:?}: {reason}")]
pub struct FormatError {
    /// The format as given.
    pub format: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    Seq { width: usize },
}

/// A parsed ticket number format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketNumberFormat {
    source: String,
    parts: Vec<Part>,
}

impl TicketNumberFormat {
    /// Parses a format such as `INC-{year}-{seq:04}`.
    pub fn parse(format: &str) -> Result<Self, FormatError> {
        let fail = |reason: &str| FormatError {
            format: format.to_owned(),
            reason: reason.to_owned(),
        };
        if format.is_empty() || format.chars().count() > MAX_FORMAT_CHARS {
            return Err(fail("must be 1-48 characters"));
        }
        let mut parts = Vec::new();
        let mut rest = format;
        while !rest.is_empty() {
            if let Some(after_brace) = rest.strip_prefix('{') {
                let end = after_brace.find('}').ok_or_else(|| fail("unclosed '{'"))?;
                let placeholder = &after_brace[..end];
                parts.push(match placeholder {
                    "year" => Part::Year,
                    "seq" => Part::Seq { width: 1 },
                    other => match other.strip_prefix("seq:") {
                        Some(width)
                            if !width.is_empty()
                                && width.len() <= 2
                                && width.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            let width: usize = width.parse().map_err(|_| fail("bad seq width"))?;
                            if !(1..=12).contains(&width) {
                                return Err(fail("seq width must be 1-12"));
                            }
                            Part::Seq { width }
                        }
                        _ => return Err(fail("placeholders are {year}, {seq} and {seq:0N}")),
                    },
                });
                rest = &after_brace[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if let Some(bad) = literal
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')))
                {
                    return Err(fail(&format!(
                        "literal text may hold letters, digits, '-', '_', '/', '.'; found {bad:?}"
                    )));
                }
                parts.push(Part::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
        let seqs = parts
            .iter()
            .filter(|p| matches!(p, Part::Seq { .. }))
            .count();
        let years = parts.iter().filter(|p| matches!(p, Part::Year)).count();
        if seqs != 1 {
            return Err(fail("must contain exactly one {seq}"));
        }
        if years > 1 {
            return Err(fail("may contain {year} at most once"));
        }
        Ok(TicketNumberFormat {
            source: format.to_owned(),
            parts,
        })
    }

    /// The format as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the sequence restarts each year.
    pub fn has_year(&self) -> bool {
        self.parts.contains(&Part::Year)
    }

    /// The counter year for tickets created in `year`: the year itself when the
    /// format has `{year}`, else 0 (one sequence forever).
    pub fn counter_year(&self, year: i32) -> i32 {
        if self.has_year() { year } else { 0 }
    }

    /// A short, stable key naming this format's counters in a store.
    pub fn scope(&self) -> String {
        let digest = Sha256::digest(self.source.as_bytes());
        crate::hex::lower_hex(&digest[..8])
    }

    /// Renders the number for `seq` in `year`, e.g. `INC-2026-0001`.
    pub fn render(&self, year: i32, seq: i64) -> String {
        let mut out = String::with_capacity(self.source.len() + 8);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Year => out.push_str(&year.to_string()),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }
}

impl Default for TicketNumberFormat {
    fn default() -> Self {
        match TicketNumberFormat::parse(DEFAULT_FORMAT) {
            Ok(format) => format,
            // The default is a constant checked by the tests below.
            Err(_) => TicketNumberFormat {
                source: DEFAULT_FORMAT.to_owned(),
                parts: vec![Part::Seq { width: 4 }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_renders_the_seed_numbers() {
        let format = TicketNumberFormat::parse(DEFAULT_FORMAT).expect("default parses");
        assert_eq!(format, TicketNumberFormat::default());
        assert_eq!(format.render(2026, 1), "INC-2026-0001");
        assert_eq!(format.render(2026, 9999), "INC-2026-9999");
        assert_eq!(format.render(2026, 10000), "INC-2026-10000");
        assert_eq!(format.counter_year(2026), 2026);
    }

    #[test]
    fn formats_without_year_never_restart() {
        let format = TicketNumberFormat::parse("REQ{seq:06}").expect("parses");
        assert_eq!(format.render(2026, 42), "REQ000042");
        assert_eq!(format.counter_year(2026), 0);
        assert_ne!(format.scope(), TicketNumberFormat::default().scope());
    }

    #[test]
    fn bad_formats_are_refused_with_a_reason() {
        for bad in [
            "",
            "INC-{year}",
            "INC-{seq}-{seq}",
            "INC-{year}-{year}-{seq}",
            "INC-{seq:0}",
            "INC-{seq:99}",
            "INC-{month}-{seq}",
            "INC {seq}",
            "INC-{seq",
            "INC-'; DROP TABLE tickets;--{seq}",
        ] {
            let error = TicketNumberFormat::parse(bad).expect_err(bad);
            assert!(!error.reason.is_empty());
        }
    }
}
