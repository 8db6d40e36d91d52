//! Free-text inputs: bounds and the characters they may hold.

use super::*;

pub use crate::MAX_NUMBER_CHARS;
/// Longest search text accepted as input.
pub const MAX_SEARCH_CHARS: usize = 100;

/// Checks free text: not blank, at most `max` characters, no control
/// characters but newlines and tabs.
pub(super) fn validate_text(field: &'static str, value: &str, max: usize) -> Result<(), CoreError> {
    if value.trim().is_empty() {
        return Err(CoreError::bad_input(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(CoreError::bad_input(
            field,
            format!("is {chars} characters; at most {max} are allowed"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CoreError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A search text: trimmed, blank means none, bounded and free of control
/// characters. It is matched as plain text, never as a pattern.
pub(super) fn validate_search(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, CoreError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(CoreError::bad_input(
            field,
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(CoreError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value))
}
