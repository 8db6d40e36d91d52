//! Going live without the demo: the operator creates the first admin and
//! the catalog from the shell, people log in with passwords only, the
//! employee-ID login is off and warned about where it is unsafe, and the
//! token secret rotates without logging anyone out.

use std::time::Duration;

use crate::support::{App, Backend, error_code, itosm};
use serde_json::{Value, json};

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const PASSWORDS_ONLY: &[(&str, &str)] = &[
    ("ITOSM_AUTH__METHODS", "[\"password\"]"),
    ("ITOSM_DEMO_DATA", "false"),
];

async fn login_password(app: &App, username: &str, password: &str) -> Value {
    app.graphql_with(
        None,
        "mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { token user { username role mustChangePassword hasPassword } } }",
        json!({ "u": username, "p": password }),
    )
    .await
}

/// The first admin and the catalog come from the shell; the admin logs in
/// with the temporary password, must change it, and the old one and every
/// earlier session stop working; requesters see only offered titles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_goes_live_with_passwords_and_its_own_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let url = format!("sqlite://{}?mode=rwc", path.join("itosm.db").display());
    let env: Vec<(&str, &str)> = [("ITOSM_DATABASE__URL", url.as_str())]
        .into_iter()
        .chain(PASSWORDS_ONLY.iter().copied())
        .collect();
    ok(&itosm(&path, &["migrate"], &env));
    ok(&itosm(
        &path,
        &[
            "user",
            "add",
            "--username",
            "ada",
            "--employee-id",
            "E1",
            "--name",
            "Ada Admin",
            "--role",
            "admin",
        ],
        &env,
    ));
    ok(&itosm(
        &path,
        &[
            "user",
            "add",
            "--username",
            "rita",
            "--employee-id",
            "E2",
            "--name",
            "Rita",
        ],
        &env,
    ));
    let reset = itosm(&path, &["user", "reset-password", "ada"], &env);
    let temporary = ok(&reset);
    let temporary = temporary.trim();
    assert_eq!(temporary.lines().count(), 1, "the password alone on stdout");
    assert!(temporary.len() >= 12, "{temporary}");
    assert!(
        String::from_utf8_lossy(&reset.stderr).contains("ada"),
        "stderr explains whose password it is"
    );
    let rita_password = ok(&itosm(&path, &["user", "reset-password", "rita"], &env));
    let missing = itosm(&path, &["user", "reset-password", "nobody"], &env);
    assert!(!missing.status.success());

    // The catalog, from the shell.
    let added = ok(&itosm(
        &path,
        &["catalog", "add", "Autodesk AutoCAD", "--version", "2025"],
        &env,
    ));
    let autocad_id: i64 = added
        .split_whitespace()
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id in {added:?}"));
    let added = ok(&itosm(&path, &["catalog", "add", "Lotus Notes"], &env));
    let notes_id = added.split_whitespace().nth(1).unwrap().to_owned();
    let renamed = ok(&itosm(
        &path,
        &[
            "catalog",
            "rename",
            &notes_id,
            "Lotus Notes",
            "--version",
            "9",
        ],
        &env,
    ));
    assert!(renamed.contains("Lotus Notes\t9"), "{renamed}");
    ok(&itosm(&path, &["catalog", "retire", &notes_id], &env));
    let offered = ok(&itosm(&path, &["catalog", "list"], &env));
    assert!(
        offered.contains("Autodesk AutoCAD") && !offered.contains("Lotus"),
        "{offered}"
    );
    let all = ok(&itosm(&path, &["catalog", "list", "--all"], &env));
    assert!(all.contains("retired\tLotus Notes\t9"), "{all}");
    let bad = itosm(&path, &["catalog", "add", "   "], &env);
    assert!(!bad.status.success(), "an empty title is refused");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("name"));
    let bad = itosm(&path, &["catalog", "retire", "999999"], &env);
    assert!(!bad.status.success(), "an unknown title is refused");

    let app = App::spawn_in(dir, Backend::Sqlite, PASSWORDS_ONLY).await;
    let methods = app
        .graphql_with(
            None,
            "{ authMethods { employeeId password oidc } }",
            json!({}),
        )
        .await;
    assert_eq!(
        methods["data"]["authMethods"],
        json!({ "employeeId": false, "password": true, "oidc": false })
    );

    // The employee-ID login is off on every way in.
    let refused = app
        .graphql_with(
            None,
            "mutation { login(username: \"ada\", employeeId: \"E1\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let (status, body) = app
        .rest_post(
            None,
            "/api/auth/validate",
            json!({ "username": "ada", "employee_id": "E1" }),
        )
        .await;
    assert!(
        (400..500).contains(&status) && status != 401,
        "{status} {body}"
    );

    // The temporary password works and says it must be changed.
    let wrong = login_password(&app, "ada", "not-the-password").await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED", "{wrong}");
    let first = login_password(&app, "ada", temporary).await;
    let first_token = first["data"]["loginWithPassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert_eq!(
        first["data"]["loginWithPassword"]["user"]["mustChangePassword"],
        true
    );
    let short = app
        .graphql(
            &first_token,
            "mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
            json!({ "c": temporary, "n": "short" }),
        )
        .await;
    assert_eq!(error_code(&short), "BAD_USER_INPUT", "{short}");
    let changed = app
        .graphql(
            &first_token,
            "mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token user { mustChangePassword } } }",
            json!({ "c": temporary, "n": "correct horse battery staple" }),
        )
        .await;
    let admin = changed["data"]["changePassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{changed}"))
        .to_owned();
    assert_eq!(
        changed["data"]["changePassword"]["user"]["mustChangePassword"],
        false
    );
    let stale = app
        .graphql(&first_token, "{ me { username } }", json!({}))
        .await;
    assert_eq!(
        error_code(&stale),
        "UNAUTHENTICATED",
        "earlier sessions end"
    );
    let old = login_password(&app, "ada", temporary).await;
    assert_eq!(
        error_code(&old),
        "UNAUTHENTICATED",
        "the temporary password is spent"
    );
    let again = login_password(&app, "ada", "correct horse battery staple").await;
    assert_eq!(
        again["data"]["loginWithPassword"]["user"]["role"], "ADMIN",
        "{again}"
    );

    // Requesters see and may request only offered titles.
    let rita = login_password(&app, "rita", rita_password.trim()).await;
    let rita = rita["data"]["loginWithPassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{rita}"))
        .to_owned();
    let catalog = app
        .graphql(
            &rita,
            "{ softwareCatalog { id name version retired } }",
            json!({}),
        )
        .await;
    let titles = catalog["data"]["softwareCatalog"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(titles.len(), 1, "{catalog}");
    assert_eq!(titles[0]["name"], "Autodesk AutoCAD");
    let create = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { number subject software { name } } }";
    let made = app
        .graphql(
            &rita,
            create,
            json!({ "i": { "requestType": "SOFTWARE_INSTALL", "softwareId": autocad_id.to_string(),
                           "subject": "AutoCAD for the new site plans",
                           "description": "Please install AutoCAD on my laptop." } }),
        )
        .await;
    assert_eq!(
        made["data"]["createTicket"]["subject"], "AutoCAD for the new site plans",
        "{made}"
    );
    let retired = app
        .graphql(
            &rita,
            create,
            json!({ "i": { "requestType": "SOFTWARE_INSTALL", "softwareId": notes_id,
                           "description": "Please install Notes." } }),
        )
        .await;
    assert_eq!(error_code(&retired), "BAD_USER_INPUT", "{retired}");
    let peek = app
        .graphql(
            &rita,
            "{ softwareCatalog(includeRetired: true) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&peek), "FORBIDDEN", "{peek}");
    let all = app
        .graphql(
            &admin,
            "{ softwareCatalog(includeRetired: true) { name retired } }",
            json!({}),
        )
        .await;
    assert_eq!(all["data"]["softwareCatalog"].as_array().unwrap().len(), 2);

    assert!(
        !app.log().contains("INSECURE"),
        "no warning with passwords only: {}",
        app.log()
    );
    app.stop().await;
}

/// `check-config` and the startup log warn loudly where the employee-ID
/// login is unsafe; `auth.methods` is parsed, not guessed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_employee_id_login_is_warned_about_where_it_is_unsafe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let check = |env: &[(&str, &str)]| itosm(path, &["check-config"], env);

    let local = check(&[("ITOSM_HTTP__ADDR", "127.0.0.1:8080")]);
    ok(&local);
    assert!(!String::from_utf8_lossy(&local.stderr).contains("INSECURE"));

    let exposed = check(&[("ITOSM_HTTP__ADDR", "0.0.0.0:8080")]);
    ok(&exposed);
    let said = String::from_utf8_lossy(&exposed.stderr);
    assert!(
        said.contains("INSECURE") && said.contains("employee_id") && said.contains("0.0.0.0"),
        "{said}"
    );

    let secret = "0123456789abcdef0123456789abcdef-test-secret";
    let postgres = check(&[
        ("ITOSM_HTTP__ADDR", "127.0.0.1:8080"),
        ("ITOSM_DATABASE__URL", "postgres://itosm@127.0.0.1/itosm"),
        ("ITOSM_AUTH__TOKEN_SECRET", secret),
    ]);
    ok(&postgres);
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("PostgreSQL"));

    let production = check(&[
        ("ITOSM_HTTP__ADDR", "0.0.0.0:8080"),
        ("ITOSM_AUTH__METHODS", "[\"password\"]"),
        ("ITOSM_DEMO_DATA", "false"),
    ]);
    ok(&production);
    assert!(
        String::from_utf8_lossy(&production.stderr)
            .trim()
            .is_empty(),
        "{}",
        String::from_utf8_lossy(&production.stderr)
    );

    for (methods, why) in [
        ("[]", "at least one"),
        ("[\"bogus\"]", "bogus"),
        // oidc without its [auth.oidc] section.
        ("[\"oidc\"]", "auth.oidc"),
    ] {
        let out = check(&[("ITOSM_AUTH__METHODS", methods)]);
        assert!(!out.status.success(), "{methods} accepted");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("auth.methods") && said.contains(why),
            "{methods}: {said}"
        );
    }
    // A duration from the environment without its unit is explained.
    let out = check(&[("ITOSM_AUTH__TOKEN_TTL", "12")]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("auth.token_ttl") && said.contains("has no unit"),
        "{said}"
    );
    let out = check(&[("ITOSM_AUTH__PREVIOUS_TOKEN_SECRETS", "[\"short\"]")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.previous_token_secrets"));

    // The startup log of a daemon on PostgreSQL with the demo login on.
    let app = App::spawn(Backend::Postgres).await;
    let log = app.wait_for_log("INSECURE", 10).await;
    assert!(log.contains("employee_id"), "{log}");
    app.stop().await;
}

/// A new token secret with the old one among `previous_token_secrets`
/// keeps everyone logged in; dropping the old one ends those sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_secret_rotates_without_logging_anyone_out() {
    let old = "old-secret-0123456789abcdef0123456789abcdef";
    let new = "new-secret-0123456789abcdef0123456789abcdef";
    let app = App::spawn_with(Backend::Sqlite, &[("ITOSM_AUTH__TOKEN_SECRET", old)]).await;
    let john = app.login("john.doe", "EMP123").await;
    let dir = app.stop_keeping_dir().await;
    let previous = format!("[\"{old}\"]");

    let app = App::spawn_in(
        dir,
        Backend::Sqlite,
        &[
            ("ITOSM_AUTH__TOKEN_SECRET", new),
            ("ITOSM_AUTH__PREVIOUS_TOKEN_SECRETS", &previous),
        ],
    )
    .await;
    let me = app.graphql(&john, "{ me { username } }", json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "john.doe", "{me}");
    let fresh = app.login("john.doe", "EMP123").await;
    let dir = app.stop_keeping_dir().await;

    let app = App::spawn_in(dir, Backend::Sqlite, &[("ITOSM_AUTH__TOKEN_SECRET", new)]).await;
    let me = app.graphql(&john, "{ me { username } }", json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED", "{me}");
    let me = app.graphql(&fresh, "{ me { username } }", json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "john.doe", "{me}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.stop().await;
}
