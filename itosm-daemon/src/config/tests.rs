//! The config's own tests: defaults, and bad values naming their key.

use super::env::{edit_distance, is_config_key};
use super::validate::is_log_filter;
use super::*;

fn with(toml: &str) -> Result<Config, ConfigError> {
    from_toml(toml)
}

#[test]
fn defaults_are_the_embedded_default() {
    let config = with("").expect("defaults are valid");
    assert_eq!(config.http.addr.to_string(), "127.0.0.1:8080");
    assert!(config.is_embedded_database());
    assert_eq!(config.transport_kind().ok(), Some(TransportKind::InProcess));
    assert!(config.demo_data);
}

#[test]
fn sla_targets_come_from_config() {
    let config = with("[sla.high]\nfirst_response = \"90m\"\nresolution = \"1d\"").expect("valid");
    let policy = config.sla_policy().expect("valid");
    assert_eq!(policy.high.first_response, chrono::Duration::minutes(90));
    assert_eq!(policy.high.resolution, chrono::Duration::days(1));
    assert_eq!(policy.medium.resolution, chrono::Duration::days(2));
    assert_eq!(
        config.default_priority().ok(),
        Some(itosm_core::Priority::Medium)
    );
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        ("[transport]\nkind = \"kafka\"", "transport.kind"),
        (
            "[transport]\nkind = \"rabbitmq\"\namqp_url = \"http://x\"",
            "transport.amqp_url",
        ),
        ("[http]\naddr = \"nowhere\"", "http.addr"),
        ("[http]\nmax_body_bytes = \"lots\"", "http.max_body_bytes"),
        ("[database]\nurl = \"mysql://x\"", "database.url"),
        ("[database]\nurl = \"postgres://x/y\"", "auth.token_secret"),
        ("[auth]\ntoken_secret = \"short\"", "auth.token_secret"),
        ("[auth]\ntoken_ttl = \"forever\"", "auth.token_ttl"),
        (
            "[tickets]\nnumber_format = \"INC-{year}\"",
            "tickets.number_format",
        ),
        ("[graphql]\nmax_page_size = 0", "graphql.max_page_size"),
        ("[sla.high]\nresolution = \"soon\"", "sla.high.resolution"),
        (
            "[sla.low]\nfirst_response = \"0s\"",
            "sla.low.first_response",
        ),
        (
            "[sla.medium]\nfirst_response = \"3d\"",
            "sla.medium.first_response",
        ),
        (
            "[sla.critical]\nresolution = \"400d\"",
            "sla.critical.resolution",
        ),
        (
            "[tickets]\ndefault_priority = \"URGENT\"",
            "tickets.default_priority",
        ),
        (
            "[tickets]\nmax_comment_chars = 0",
            "tickets.max_comment_chars",
        ),
        (
            "[auth]\nlogin_attempts_per_user = 0",
            "auth.login_attempts_per_user",
        ),
        ("[auth]\nlogin_window = \"2d\"", "auth.login_window"),
        ("[http]\nadr = \"127.0.0.1:1\"", "http"),
        (
            "[[notifications.sinks]]\nkind = \"pigeon\"",
            "notifications.sinks",
        ),
        ("[transport]\nprefetch = 0", "transport.prefetch"),
        (
            "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecret = \"0123456789abcdef\"\nevents = [\"ticket.exploded\"]",
            "notifications.sinks[0].events",
        ),
        (
            "[[notifications.sinks]]\nkind = \"console\"\n[[notifications.sinks]]\nkind = \"console\"",
            "notifications.sinks[1].name",
        ),
        ("[transport]\nqueue = \"bad queue\"", "transport.queue"),
        ("[http]\nidle_timeout = \"0s\"", "http.idle_timeout"),
        (
            "[http]\nheader_read_timeout = \"slow\"",
            "http.header_read_timeout",
        ),
        ("[shutdown]\ngrace = \"2h\"", "shutdown.grace"),
        (
            "[notifications]\nretry_horizon = \"0s\"",
            "notifications.retry_horizon",
        ),
        (
            "[notifications]\nmax_retry_delay = \"10ms\"",
            "notifications.max_retry_delay",
        ),
        (
            "[notifications]\nattempt_timeout = \"2m\"",
            "notifications.attempt_timeout",
        ),
        (
            "[notifications]\nsink_concurrency = 0",
            "notifications.sink_concurrency",
        ),
        ("[transport]\nheartbeat = \"1500ms\"", "transport.heartbeat"),
        (
            "[transport]\nconfirm_timeout = \"0s\"",
            "transport.confirm_timeout",
        ),
    ];
    for (toml, key) in cases {
        let error = with(toml).expect_err(toml).to_string();
        assert!(
            error.contains(key),
            "{toml:?} gave {error:?}, which does not name {key}"
        );
    }
}

#[test]
fn oidc_needs_its_section_and_checks_it() {
    let section = "[auth]\nmethods = [\"password\", \"oidc\"]\n[auth.oidc]\n\
         issuer = \"https://login.example.com\"\nclient_id = \"itosm\"\n\
         client_secret = \"s\"\n\
         redirect_url = \"https://itosm.example.com/api/auth/oidc/callback\"\n";
    let config = with(section).expect("valid");
    let oidc = config.auth.oidc.as_ref().expect("the section");
    assert_eq!(oidc.scopes, ["openid", "profile", "email"]);
    assert!(config.auth_methods().oidc);
    assert!(!format!("{config:?}").contains("client_secret: \"s\""));
    let missing = with("[auth]\nmethods = [\"oidc\"]").expect_err("no section");
    assert!(missing.to_string().contains("auth.oidc"), "{missing}");
    for (extra, key) in [
        (
            "role_claim = \"groups\"\nrole_map = { \"x\" = \"boss\" }",
            "auth.oidc.role_map",
        ),
        ("scopes = [\"email\"]", "auth.oidc.scopes"),
    ] {
        let error = with(&format!("{section}{extra}")).expect_err(extra);
        assert!(error.to_string().contains(key), "{extra}: {error}");
    }
    let plain = section.replace("https://login", "http://login");
    let error = with(&plain).expect_err("plain http issuer");
    assert!(error.to_string().contains("auth.oidc.issuer"), "{error}");
    let local = section.replace("https://login.example.com", "http://127.0.0.1:9400");
    assert!(with(&local).is_ok());
}

#[test]
fn only_section_variables_are_configuration() {
    assert!(is_config_key("http__addr"));
    assert!(is_config_key("DATABASE.url"));
    assert!(is_config_key("demo_data"));
    assert!(!is_config_key("test_database_url"));
    assert!(!is_config_key("httpx__addr"));
}

#[test]
fn log_filters_name_levels() {
    for good in [
        "info",
        "warn,itosm=debug",
        "itosm::access=off,INFO",
        "trace",
    ] {
        assert!(is_log_filter(good), "{good}");
    }
    for bad in ["", "loud!!", "verbose", "itosm", "info,itosm=chatty"] {
        assert!(!is_log_filter(bad), "{bad}");
    }
}

#[test]
fn misspelt_sections_are_recognised() {
    assert_eq!(edit_distance("databse", "database"), 1);
    assert_eq!(edit_distance("http", "http"), 0);
    assert!(edit_distance("kafka", "database") > 2);
    assert_eq!(
        redact_url("postgres://itosm:s3cr@t@db/itosm"),
        "postgres://itosm:***@db/itosm"
    );
    assert_eq!(redact_url("sqlite://itosm.db"), "sqlite://itosm.db");
}

#[test]
fn every_section_is_read_from_the_environment() {
    for key in [
        "demo_data",
        "attachments__max_bytes",
        "shutdown__grace",
        "http.addr",
    ] {
        assert!(is_config_key(key), "{key}");
    }
    assert!(!is_config_key("attachment__max_bytes"));
    assert!(
        super::env::SECTIONS.len() >= 14,
        "{:?}",
        *super::env::SECTIONS
    );
}

/// The documented file is the defaults, written out: read alone (no
/// built-in defaults beneath it) it must give exactly `Config::default()`,
/// so neither can drift from the other.
#[test]
fn the_documented_file_is_the_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/itosm.toml");
    let from_file: Config = Figment::from(Toml::file(&path))
        .extract()
        .unwrap_or_else(|e| panic!("{} alone is a whole config: {e}", path.display()));
    let as_json = |config: &Config| serde_json::to_value(config).expect("serializes");
    let (file, defaults) = (as_json(&from_file), as_json(&Config::default()));
    let (serde_json::Value::Object(file), serde_json::Value::Object(defaults)) = (file, defaults)
    else {
        panic!("a config is a table");
    };
    for (section, default) in &defaults {
        assert_eq!(
            file.get(section),
            Some(default),
            "[{section}] in config/itosm.toml differs from the built-in default"
        );
    }
    assert_eq!(file.len(), defaults.len());
}
