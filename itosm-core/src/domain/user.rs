//! People and their roles.

use serde::{Deserialize, Serialize};

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
    pub username: String,
    /// Employee ID, the second login factor of the seed, e.g. `EMP123`.
    pub employee_id: String,
    /// Name to show.
    pub display_name: String,
    /// Email address for notifications.
    pub email: Option<String>,
    /// E.164 phone number for SMS.
    pub phone: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// A deactivated user cannot log in and his tokens stop working.
    pub active: bool,
}

/// A user to create or update (by username), e.g. from the demo seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// See [`User::username`].
    pub username: String,
    /// See [`User::employee_id`].
    pub employee_id: String,
    /// See [`User::display_name`].
    pub display_name: String,
    /// See [`User::email`].
    pub email: Option<String>,
    /// See [`User::phone`].
    pub phone: Option<String>,
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

/// Checks every field of a user to create: username, employee ID, a
/// display name of 1–128 printable characters, an optional plain email
/// address and an optional E.164 phone number.
pub fn validate_new_user(user: &NewUser) -> Result<(), CoreError> {
    validate_username(&user.username)?;
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
    if let Some(email) = &user.email {
        let plain = email.len() <= MAX_EMAIL_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if !plain {
            return Err(CoreError::bad_input(
                "email",
                "must be a plain address like jane.doe@example.com (at most 254 characters)",
            ));
        }
    }
    if let Some(phone) = &user.phone {
        validate_e164(phone)?;
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
        let good = NewUser {
            username: "jane.doe".into(),
            employee_id: "EMP9".into(),
            display_name: "Jane Doe".into(),
            email: Some("jane@example.com".into()),
            phone: Some("+919876543210".into()),
            role: Role::Agent,
        };
        assert!(validate_new_user(&good).is_ok());
        let field = |user: NewUser| match validate_new_user(&user) {
            Err(CoreError::BadUserInput { field, .. }) => field,
            other => panic!("expected a bad input, got {other:?}"),
        };
        assert_eq!(
            field(NewUser {
                display_name: "  ".into(),
                ..good.clone()
            }),
            "displayName"
        );
        for email in [
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
        ] {
            assert_eq!(
                field(NewUser {
                    email: Some(email.into()),
                    ..good.clone()
                }),
                "email",
                "{email}"
            );
        }
        assert_eq!(
            field(NewUser {
                phone: Some("12345".into()),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(NewUser {
                username: "x y".into(),
                ..good.clone()
            }),
            "username"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert!(Role::Admin.is_staff() && Role::Agent.is_staff() && !Role::Requester.is_staff());
    }
}
