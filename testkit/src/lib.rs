//! Real services for itosm's integration tests.
//!
//! PostgreSQL and RabbitMQ come from `ITOSM_TEST_DATABASE_URL` and
//! `ITOSM_TEST_AMQP_URL` first; where those are unset and a Docker engine
//! answers, from testcontainers; otherwise the test fails with a message
//! saying how to provide them. Never a silent skip.

pub mod proxy;

use std::process::Command;

use sea_orm::{ConnectionTrait, Database, Statement};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::sync::OnceCell;

const HOW_TO: &str = "integration tests need real services: set ITOSM_TEST_DATABASE_URL \
(e.g. postgres://postgres@127.0.0.1:5432/postgres, a role that may CREATE DATABASE) and \
ITOSM_TEST_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2f), or run where a Docker \
engine answers so testcontainers can start them; `bash .ci/run` starts local ones";

static POSTGRES: OnceCell<(String, Option<ContainerAsync<GenericImage>>)> = OnceCell::const_new();
static RABBITMQ: OnceCell<(String, Option<ContainerAsync<GenericImage>>)> = OnceCell::const_new();

fn docker_answers() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A PostgreSQL URL for a role that may create databases.
///
/// # Panics
/// When no PostgreSQL can be had, with instructions.
pub async fn postgres_admin_url() -> String {
    let (url, _) = POSTGRES
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("ITOSM_TEST_DATABASE_URL") {
                return (url, None);
            }
            if !docker_answers() {
                panic!("no PostgreSQL for tests: {HOW_TO}");
            }
            let container = GenericImage::new("postgres", "15")
                .with_exposed_port(5432.tcp())
                .with_wait_for(WaitFor::message_on_stderr(
                    "database system is ready to accept connections",
                ))
                .with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust")
                .start()
                .await
                .unwrap_or_else(|e| panic!("starting postgres:15 failed ({e}): {HOW_TO}"));
            let port = container
                .get_host_port_ipv4(5432.tcp())
                .await
                .unwrap_or_else(|e| panic!("postgres port: {e}"));
            (
                format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                Some(container),
            )
        })
        .await;
    url.clone()
}

/// An AMQP URL for a RabbitMQ broker.
///
/// # Panics
/// When no broker can be had, with instructions.
pub async fn amqp_url() -> String {
    let (url, _) = RABBITMQ
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("ITOSM_TEST_AMQP_URL") {
                return (url, None);
            }
            if !docker_answers() {
                panic!("no RabbitMQ for tests: {HOW_TO}");
            }
            let container = GenericImage::new("rabbitmq", "3.12-management")
                .with_exposed_port(5672.tcp())
                .with_wait_for(WaitFor::message_on_stdout("Server startup complete"))
                .start()
                .await
                .unwrap_or_else(|e| panic!("starting rabbitmq failed ({e}): {HOW_TO}"));
            let port = container
                .get_host_port_ipv4(5672.tcp())
                .await
                .unwrap_or_else(|e| panic!("rabbitmq port: {e}"));
            (
                format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
                Some(container),
            )
        })
        .await;
    url.clone()
}

/// A fresh, empty PostgreSQL database, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    /// URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates `itosm_test_<random>` next to the admin database.
    pub async fn create() -> TestDatabase {
        let admin_url = postgres_admin_url().await;
        let name = format!("itosm_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {admin_url} ({e}): {HOW_TO}"));
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("CREATE DATABASE {name}"),
            ))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .unwrap_or_else(|| admin_url.clone());
        let query = admin_url
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        TestDatabase {
            url: format!("{base}/{name}{query}"),
            admin_url,
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async: do the cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_raw(Statement::from_string(
                            admin.get_database_backend(),
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
