//! The ticket domain: users, software, tickets, statuses and their history,
//! the SLA clock, and the rules of changing a ticket ([`change`]).

mod asset;
mod attachment;
pub mod change;
mod names;
mod ticket;
mod user;

pub use asset::*;
pub use attachment::*;
pub use names::{Email, MAX_NUMBER_CHARS, Phone, TicketNumber, Username, validate_ticket_number};
pub use ticket::*;
pub use user::*;

/// Defines a string-backed enum with its wire names, parsing and listing.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database name, e.g. `SOFTWARE_INSTALL`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name; `None` for anything else.
            pub fn parse(value: &str) -> Option<Self> {
                match value { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;
