//! Validated text: ticket numbers, usernames, email addresses and E.164
//! phone numbers. A
//! value of these types has passed its check — there is no way to build an
//! invalid one but [`Username::from_stored`]-style constructors the stores
//! use for rows that were checked on their way in.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::user::{validate_e164, validate_email, validate_username};
use crate::CoreError;

/// Longest ticket number accepted.
pub const MAX_NUMBER_CHARS: usize = 64;

/// Checks a ticket number's shape: 1–64 characters, none of them control
/// characters (PostgreSQL refuses a NUL byte in text).
pub fn validate_ticket_number(value: &str) -> Result<(), CoreError> {
    if value.is_empty()
        || value.chars().count() > MAX_NUMBER_CHARS
        || value.chars().any(char::is_control)
    {
        return Err(CoreError::bad_input(
            "number",
            format!("at most {MAX_NUMBER_CHARS} characters, without control characters"),
        ));
    }
    Ok(())
}

macro_rules! validated_text {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `value`; the error names the field at fault.
            pub fn parse(value: impl Into<String>) -> Result<Self, CoreError> {
                let value = value.into();
                $check(&value)?;
                Ok($name(value))
            }

            /// An optional input: trimmed, blank meaning none, else checked.
            pub fn parse_optional(value: Option<String>) -> Result<Option<Self>, CoreError> {
                match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
                    None => Ok(None),
                    Some(value) => $name::parse(value).map(Some),
                }
            }

            /// A value read back from the store, where only checked values
            /// are written (rows of older releases are taken as they are).
            pub fn from_stored(value: String) -> Self {
                $name(value)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoreError;
            fn try_from(value: String) -> Result<Self, CoreError> {
                $name::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

validated_text!(
    /// A ticket number as people quote it, e.g. `INC-2026-0001` (its
    /// format is configurable; the shape is checked here).
    TicketNumber,
    validate_ticket_number
);

validated_text!(
    /// A login name: 1–64 of `A-Z a-z 0-9 . _ -`, e.g. `john.doe`.
    Username,
    validate_username
);

validated_text!(
    /// One plain `local@domain` email address (see
    /// [`validate_email`](super::validate_email)).
    Email,
    validate_email
);

validated_text!(
    /// An E.164 phone number: `+` and 8–15 digits, e.g. `+919876543210`.
    Phone,
    validate_e164
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_values_are_built() {
        assert_eq!(
            Username::parse("john.doe").map(|u| u.to_string()).ok(),
            Some("john.doe".to_owned())
        );
        assert!(Username::parse("john doe").is_err());
        assert!(Email::parse("x<evil@example.com>").is_err());
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("+919876543210").is_ok());
        // Deserializing checks too: a payload cannot smuggle one in.
        assert!(serde_json::from_str::<Username>("\"a b\"").is_err());
        assert_eq!(
            serde_json::from_str::<Email>("\"jane@example.com\"")
                .map(|e| e.into_string())
                .ok(),
            Some("jane@example.com".to_owned())
        );
        let name = Username::parse("jane").unwrap_or_else(|_| Username::from_stored(String::new()));
        assert!(name == "jane" && &*name == "jane");
    }
}
