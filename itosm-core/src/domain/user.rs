//! People and their roles.

use serde::{Deserialize, Serialize};

use super::names::{Email, Phone, Username};

use super::wire_enum;
use crate::CoreError;

/// A user's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

wire_enum! {
    /// What a user may do; see [`crate::policy`].
    Role {
        /// Asks IT for things and follows his own tickets.
        Requester => "REQUESTER",
        /// Works tickets.
        Agent => "AGENT",
        /// Works tickets and administers itosm.
        Admin => "ADMIN",
    }
}

impl Role {
    /// Agents and admins work tickets and see them all.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }
}

/// A person who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Database id.
    pub id: UserId,
    /// Login name, e.g. `john.doe`.
    pub username: Username,
    /// Employee ID, the second login factor of the seed, e.g. `EMP123`.
    pub employee_id: String,
    /// Name to show.
    pub display_name: String,
    /// Email address for notifications.
    pub email: Option<Email>,
    /// E.164 phone number for SMS.
    pub phone: Option<Phone>,
    /// What the user may do.
    pub role: Role,
    /// A deactivated user cannot log in and his tokens stop working.
    pub active: bool,
    /// Tokens carry the generation they were issued under; raising it
    /// (deactivation, role change, "log out everywhere") ends every earlier
    /// token for good, even after a reactivation.
    pub token_generation: i64,
    /// Whether a local password is set (the hash itself never leaves the
    /// store's password methods).
    pub has_password: bool,
    /// Whether the password was set by an admin and must be changed at the
    /// next login.
    pub must_change_password: bool,
}

/// A user to create or update (by username), e.g. from the demo seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// See [`User::username`].
    pub username: Username,
    /// See [`User::employee_id`].
    pub employee_id: String,
    /// See [`User::display_name`].
    pub display_name: String,
    /// See [`User::email`].
    pub email: Option<Email>,
    /// See [`User::phone`].
    pub phone: Option<Phone>,
    /// See [`User::role`].
    pub role: Role,
}

/// Longest accepted username.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest accepted employee ID.
pub const MAX_EMPLOYEE_ID_CHARS: usize = 32;

/// Checks a username's shape: 1–64 of `A-Z a-z 0-9 . _ -`.
pub fn validate_username(value: &str) -> Result<(), CoreError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_USERNAME_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::bad_input(
            "username",
            "must be 1-64 characters of letters, digits, '.', '_' or '-'",
        ))
    }
}

/// Checks an employee ID's shape: 1–32 of `A-Z a-z 0-9 -`.
pub fn validate_employee_id(value: &str) -> Result<(), CoreError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_EMPLOYEE_ID_CHARS
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::bad_input(
            "employeeId",
            "must be 1-32 characters of letters, digits or '-'",
        ))
    }
}

/// Longest accepted display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 128;
/// Longest accepted email address.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Checks the fields of a user to create that their types do not: the
/// employee ID and a display name of 1–128 printable characters (the
/// username, email and phone are checked when they are parsed).
pub fn validate_new_user(user: &NewUser) -> Result<(), CoreError> {
    validate_employee_id(&user.employee_id)?;
    let name = user.display_name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(CoreError::bad_input(
            "displayName",
            "must be 1-128 characters, without control characters",
        ));
    }
    Ok(())
}

/// Checks an email address: one plain `local@domain` address and nothing
/// else — no display name, angle brackets, quotes, comments or lists, which
/// mail libraries would otherwise read as a different recipient (`x<evil@…>`
/// goes to `evil@…`). The local part is dot-separated atoms of letters,
/// digits and ``!#$%&'*+/=?^_`{|}~-``; the domain is dot-separated labels of
/// letters, digits and inner hyphens, at least two of them.
pub fn validate_email(email: &str) -> Result<(), CoreError> {
    let refused = || {
        CoreError::bad_input(
            "email",
            "must be one plain address like jane.doe@example.com (at most 254 characters)",
        )
    };
    if email.len() > MAX_EMAIL_CHARS {
        return Err(refused());
    }
    let (local, domain) = email.split_once('@').ok_or_else(refused)?;
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password (bounds the hashing work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password: 12 to 256 characters, not the username, not a
/// single repeated character.
pub fn validate_new_password(username: &str, password: &str) -> Result<(), CoreError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(CoreError::bad_input(
            "newPassword",
            format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let mut distinct = password.chars().collect::<Vec<_>>();
    distinct.sort_unstable();
    distinct.dedup();
    if password.eq_ignore_ascii_case(username) || distinct.len() < 4 {
        return Err(CoreError::bad_input(
            "newPassword",
            "is too easy to guess: not your username, and not one character repeated",
        ));
    }
    Ok(())
}

/// Checks an E.164 phone number: `+`, then 8 to 15 digits, not starting with 0.
pub fn validate_e164(value: &str) -> Result<(), CoreError> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(CoreError::bad_input(
            "phone",
            "must be E.164: '+' and 8-15 digits, e.g. +919876543210",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_one_plain_address() {
        for good in [
            "jane.doe@example.com",
            "it-admins+tickets@corp.example.co.uk",
            "o'brien@example.ie",
            "a@b.cd",
        ] {
            assert!(validate_email(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "x<attacker@evil.example>",
            "Jane <jane@example.com>",
            "<jane@example.com>",
            "jane@example.com, evil@evil.example",
            "\"jane\"@example.com",
            "jane(comment)@example.com",
            "jane@example.com\r\nBcc: evil@evil.example",
            "jane@@example.com",
            "jane@localhost",
            "jane.@example.com",
            ".jane@example.com",
            "jane..doe@example.com",
            "jane@-example.com",
            "jane@example..com",
            "jane doe@example.com",
            "jané@example.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(validate_email(&long).is_err());
    }

    #[test]
    fn phones_are_e164() {
        for good in ["+919876543210", "+15005550006", "+4930123456"] {
            assert!(validate_e164(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "919876543210",
            "+0123456789",
            "+91 98765 43210",
            "+1234567",
            "+1234567890123456",
            "+91abc",
        ] {
            assert!(validate_e164(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_and_employee_ids_are_bounded_and_plain() {
        assert!(validate_username("john.doe").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("john doe").is_err());
        assert!(validate_username("j'; DROP TABLE users;--").is_err());
        assert!(validate_username(&"a".repeat(65)).is_err());
        assert!(validate_employee_id("EMP123").is_ok());
        assert!(validate_employee_id("EMP 123").is_err());
        assert!(validate_employee_id(&"1".repeat(33)).is_err());
    }

    #[test]
    fn new_users_are_checked_field_by_field() {
        fn parsed<T>(r: Result<T, CoreError>) -> T {
            r.unwrap_or_else(|e| panic!("{e}"))
        }
        let good = NewUser {
            username: parsed(Username::parse("jane.doe")),
            employee_id: "EMP9".into(),
            display_name: "Jane Doe".into(),
            email: Some(parsed(Email::parse("jane@example.com"))),
            phone: Some(parsed(Phone::parse("+919876543210"))),
            role: Role::Agent,
        };
        assert!(validate_new_user(&good).is_ok());
        let field = |outcome: Result<(), CoreError>| match outcome {
            Err(CoreError::BadUserInput { field, .. }) => field,
            other => panic!("expected a bad input, got {other:?}"),
        };
        assert_eq!(
            field(validate_new_user(&NewUser {
                display_name: "  ".into(),
                ..good.clone()
            })),
            "displayName"
        );
        assert_eq!(
            field(validate_new_user(&NewUser {
                employee_id: "EMP 9".into(),
                ..good.clone()
            })),
            "employeeId"
        );
        // The rest cannot even be built wrong.
        for email in [
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
        ] {
            assert_eq!(field(Email::parse(email).map(|_| ())), "email", "{email}");
        }
        assert_eq!(field(Phone::parse("12345").map(|_| ())), "phone");
        assert_eq!(field(Username::parse("x y").map(|_| ())), "username");
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert!(Role::Admin.is_staff() && Role::Agent.is_staff() && !Role::Requester.is_staff());
    }
}
