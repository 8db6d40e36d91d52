//! Every store role trait, to call store methods on a concrete store:
//! `use itosm_core::store::prelude::*;`.

pub use super::{
    AttachmentStore, CatalogStore, DeliveryStore, OutboxStore, SettingsStore, Store, StoreHealth,
    TicketStore, UserStore,
};
