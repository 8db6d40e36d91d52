//! What every store conformance suite shares: the stores under test and
//! the macro that runs each case on all of them.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use itosm_core::seed::load_demo_data;
use itosm_core::store::Store;
use itosm_core::store::memory::MemoryStore;
use itosm_core::store::sea::{SeaStore, SeaStoreOptions};
use itosm_core::{Software, User};
use itosm_testkit::TestDatabase;

/// A store under test plus whatever must outlive it.
pub struct Subject {
    pub store: Arc<dyn Store>,
    pub _keep: Box<dyn std::any::Any + Send>,
}

pub async fn memory() -> Subject {
    Subject {
        store: Arc::new(MemoryStore::new()),
        _keep: Box::new(()),
    }
}

pub async fn sqlite() -> Subject {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let store = SeaStore::connect(SeaStoreOptions::new(url))
        .await
        .expect("sqlite connects");
    store.migrate().await.expect("migrations run on SQLite");
    Subject {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

pub async fn postgres() -> Subject {
    let db = TestDatabase::create().await;
    let store = SeaStore::connect(SeaStoreOptions::new(db.url.clone()))
        .await
        .expect("postgres connects");
    store.migrate().await.expect("migrations run on PostgreSQL");
    Subject {
        store: Arc::new(store),
        _keep: Box::new(db),
    }
}

pub async fn seeded(subject: &Subject) -> (User, User, Vec<Software>) {
    load_demo_data(subject.store.as_ref()).await.expect("seed");
    // Seeding twice changes nothing.
    load_demo_data(subject.store.as_ref())
        .await
        .expect("seed again");
    let john = subject
        .store
        .find_user_by_username("john.doe")
        .await
        .unwrap()
        .expect("john");
    let jane = subject
        .store
        .find_user_by_username("jane.smith")
        .await
        .unwrap()
        .expect("jane");
    let catalog = subject.store.list_software(false).await.unwrap();
    (john, jane, catalog)
}

/// Runs each named case on memory, SQLite and PostgreSQL.
#[macro_export]
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod memory_store {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() { super::$case(memory().await).await; })+
        }
        mod sqlite_store {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() { super::$case(sqlite().await).await; })+
        }
        mod postgres_store {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() { super::$case(postgres().await).await; })+
        }
    };
}
