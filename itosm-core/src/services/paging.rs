//! Pages of lists and their opaque cursors.

use super::*;

/// Longest page cursor accepted as input.
const MAX_CURSOR_CHARS: usize = 64;
/// Deepest offset a sorted ticket list pages to.
const MAX_OFFSET: u64 = 100_000;

/// One page of a list, with the cursor of each item.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, each with the cursor that pages past it.
    pub items: Vec<(String, T)>,
    /// Whether more items follow.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// The cursor of the last item on the page.
    pub fn end_cursor(&self) -> Option<&str> {
        self.items.last().map(|(cursor, _)| cursor.as_str())
    }
}

/// Where a page starts: past a ticket id (newest-first lists), past an
/// offset (lists in another order), or past a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cursor {
    Before(TicketId),
    Offset(u64),
    User(UserId),
    Asset(crate::AssetId),
}

pub(super) fn encode_cursor(cursor: &Cursor) -> String {
    let text = match cursor {
        Cursor::Before(id) => format!("t:{}", id.0),
        Cursor::Offset(n) => format!("o:{n}"),
        Cursor::User(id) => format!("u:{}", id.0),
        Cursor::Asset(id) => format!("a:{}", id.0),
    };
    URL_SAFE_NO_PAD.encode(text)
}

pub(super) fn decode_cursor(cursor: &str) -> Result<Cursor, CoreError> {
    let malformed = || CoreError::bad_input("after", "malformed cursor; use a pageInfo.endCursor");
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(malformed());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let (kind, value) = text.split_once(':').ok_or_else(malformed)?;
    let value: i64 = value.parse().map_err(|_| malformed())?;
    match kind {
        "t" if value > 0 => Ok(Cursor::Before(TicketId(value))),
        "u" if value > 0 => Ok(Cursor::User(UserId(value))),
        "a" if value > 0 => Ok(Cursor::Asset(crate::AssetId(value))),
        "o" if value > 0 && value.unsigned_abs() <= MAX_OFFSET => {
            Ok(Cursor::Offset(value.unsigned_abs()))
        }
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        for cursor in [
            Cursor::Before(TicketId(42)),
            Cursor::Offset(40),
            Cursor::User(UserId(7)),
            Cursor::Asset(crate::AssetId(9)),
        ] {
            assert_eq!(decode_cursor(&encode_cursor(&cursor)).ok(), Some(cursor));
        }
        let too_deep = URL_SAFE_NO_PAD.encode("o:100001");
        for junk in [
            "",
            "x",
            "dDo=",
            "dDotMQ",
            "dDphYmM",
            &too_deep,
            &"A".repeat(100),
        ] {
            let error = decode_cursor(junk).expect_err(junk);
            assert_eq!(error.code().as_str(), "BAD_USER_INPUT");
        }
    }
}
