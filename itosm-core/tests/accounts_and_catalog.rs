//! The services behind going live: login methods, local passwords, single
//! sign-on users, catalog administration and ticket subjects, through the
//! one policy, on the in-memory store.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use itosm_core::policy::Actor;
use itosm_core::store::memory::MemoryStore;
use itosm_core::{
    AuthMethods, CoreError, CreateTicketInput, FederatedIdentity, Itosm, RequestType, Role,
    ServiceConfig, SoftwareId, derive_subject,
};

async fn services(methods: AuthMethods) -> Itosm {
    let store = MemoryStore::new();
    itosm_core::seed::load_demo_data(&store).await.unwrap();
    let mut config = ServiceConfig::with_secret(vec![9; 32]);
    config.auth_methods = methods;
    Itosm::new(Arc::new(store), config).unwrap()
}

fn all_methods() -> AuthMethods {
    AuthMethods {
        employee_id: true,
        password: true,
        oidc: true,
    }
}

async fn actor(itosm: &Itosm, username: &str, employee_id: &str) -> Actor {
    let session = itosm.login(username, employee_id).await.unwrap();
    itosm.authenticate(&session.token).await.unwrap()
}

fn code(error: &CoreError) -> &'static str {
    error.code().as_str()
}

#[tokio::test]
async fn passwords_are_set_checked_changed_and_reset() {
    let itosm = services(all_methods()).await;
    let john_token = itosm.login("john.doe", "EMP123").await.unwrap().token;
    let john = itosm.authenticate(&john_token).await.unwrap();
    let wrong = itosm
        .login_password("john.doe", "anything at all", None)
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "UNAUTHENTICATED", "no password yet");

    // Too short, and a repeated character, are refused.
    for weak in ["short", "aaaaaaaaaaaaaaaa", "john.doe"] {
        let refused = itosm
            .change_password(Some(&john), None, weak)
            .await
            .unwrap_err();
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{weak}");
    }
    let first = itosm
        .change_password(Some(&john), None, "correct horse battery staple")
        .await
        .unwrap();
    assert!(first.user.has_password && !first.user.must_change_password);
    // The token he used to set it no longer works: every session ended;
    // the one returned does.
    let old = itosm.authenticate(&john_token).await.unwrap_err();
    assert_eq!(code(&old), "UNAUTHENTICATED");
    assert!(itosm.authenticate(&first.token).await.is_ok());

    let session = itosm
        .login_password("john.doe", "correct horse battery staple", Some("10.0.0.1"))
        .await
        .unwrap();
    let john = itosm.authenticate(&session.token).await.unwrap();
    // Changing it again needs the current one.
    let without = itosm
        .change_password(Some(&john), None, "another long passphrase")
        .await
        .unwrap_err();
    assert_eq!(code(&without), "BAD_USER_INPUT");
    let wrong_current = itosm
        .change_password(
            Some(&john),
            Some("not it at all"),
            "another long passphrase",
        )
        .await
        .unwrap_err();
    assert_eq!(code(&wrong_current), "BAD_USER_INPUT");
    itosm
        .change_password(
            Some(&john),
            Some("correct horse battery staple"),
            "another long passphrase",
        )
        .await
        .unwrap();
    assert_eq!(
        code(
            &itosm
                .login_password("john.doe", "correct horse battery staple", None)
                .await
                .unwrap_err()
        ),
        "UNAUTHENTICATED"
    );

    // An admin resets it: a temporary password, to be changed at once.
    let admin = actor(&itosm, "admin.user", "ADMIN01").await;
    let requester_reset = itosm
        .reset_password(Some(&john), admin.user.id)
        .await
        .unwrap_err();
    assert_eq!(code(&requester_reset), "FORBIDDEN");
    let (user, temporary) = itosm
        .reset_password(Some(&admin), john.user.id)
        .await
        .unwrap();
    assert!(user.must_change_password);
    assert_eq!(temporary.chars().count(), 20);
    let session = itosm
        .login_password("john.doe", &temporary, None)
        .await
        .unwrap();
    assert!(session.user.must_change_password);
    let john = itosm.authenticate(&session.token).await.unwrap();
    let changed = itosm
        .change_password(Some(&john), Some(&temporary), "my very own passphrase")
        .await
        .unwrap();
    assert!(!changed.user.must_change_password);
}

#[tokio::test]
async fn wrong_passwords_are_throttled_and_an_unknown_user_looks_the_same() {
    let itosm = services(all_methods()).await;
    let unknown = itosm
        .login_password("nobody.here", "some password here", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), "unknown username or password");
    let mut codes = Vec::new();
    for _ in 0..7 {
        let error = itosm
            .login_password("jane.smith", "guessing wrongly", Some("10.9.9.9"))
            .await
            .unwrap_err();
        codes.push(code(&error));
    }
    assert_eq!(&codes[..5], &["UNAUTHENTICATED"; 5]);
    assert_eq!(&codes[5..], &["RATE_LIMITED"; 2]);
}

#[tokio::test]
async fn login_methods_follow_the_configuration() {
    let itosm = services(AuthMethods {
        employee_id: false,
        password: true,
        oidc: false,
    })
    .await;
    let refused = itosm.login("john.doe", "EMP123").await.unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
    let federated = itosm
        .login_federated(FederatedIdentity {
            username: "sso.user".into(),
            display_name: "SSO".into(),
            email: None,
            role: None,
        })
        .await
        .unwrap_err();
    assert_eq!(code(&federated), "FORBIDDEN");
    let oidc_only = services(AuthMethods {
        employee_id: false,
        password: false,
        oidc: true,
    })
    .await;
    let password = oidc_only
        .login_password("john.doe", "whatever it may be", None)
        .await
        .unwrap_err();
    assert_eq!(code(&password), "FORBIDDEN");
}

#[tokio::test]
async fn single_sign_on_creates_then_follows_the_user() {
    let itosm = services(all_methods()).await;
    let first = itosm
        .login_federated(FederatedIdentity {
            username: "maria.garcia".into(),
            display_name: "María García".into(),
            email: Some("maria@example.com".into()),
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(first.user.role, Role::Requester);
    assert_eq!(first.user.employee_id, "", "no employee-ID login for her");
    assert!(itosm.login("maria.garcia", "").await.is_err());
    let before = itosm.authenticate(&first.token).await.unwrap();
    // The provider now says she is staff, with a new address: both follow,
    // and her earlier token (of the old role) ends.
    let second = itosm
        .login_federated(FederatedIdentity {
            username: "maria.garcia".into(),
            display_name: "María García López".into(),
            email: Some("x<evil@evil.example>".into()),
            role: Some(Role::Agent),
        })
        .await
        .unwrap();
    assert_eq!(second.user.role, Role::Agent);
    assert_eq!(second.user.display_name, "María García López");
    assert_eq!(
        second.user.email, None,
        "an address that is not plain is dropped"
    );
    assert_eq!(second.user.id, before.user.id);
    assert!(itosm.authenticate(&first.token).await.is_err());
    assert!(itosm.authenticate(&second.token).await.is_ok());
    // Deactivated: the provider's word does not bring her back.
    let admin = actor(&itosm, "admin.user", "ADMIN01").await;
    itosm
        .set_user_active(Some(&admin), second.user.id, false)
        .await
        .unwrap();
    let refused = itosm
        .login_federated(FederatedIdentity {
            username: "maria.garcia".into(),
            display_name: "María".into(),
            email: None,
            role: None,
        })
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_catalog_is_administered_by_admins_and_retired_titles_leave_the_form() {
    let itosm = services(all_methods()).await;
    let john = actor(&itosm, "john.doe", "EMP123").await;
    let agent_refused = itosm
        .add_software(Some(&john), "Blender", "4.2")
        .await
        .unwrap_err();
    assert_eq!(code(&agent_refused), "FORBIDDEN");
    let admin = actor(&itosm, "admin.user", "ADMIN01").await;
    let blender = itosm
        .add_software(Some(&admin), " Blender ", "4.2")
        .await
        .unwrap();
    assert_eq!(blender.label(), "Blender 4.2", "trimmed");
    let blank = itosm
        .add_software(Some(&admin), "  ", "1")
        .await
        .unwrap_err();
    assert_eq!(code(&blank), "BAD_USER_INPUT");
    let duplicate = itosm
        .add_software(Some(&admin), "Blender", "4.2")
        .await
        .unwrap_err();
    assert_eq!(code(&duplicate), "CONFLICT");

    let request = |software: SoftwareId| CreateTicketInput {
        request_type: RequestType::SoftwareInstall,
        software_id: Some(software),
        subject: None,
        description: "Please install it\nfor the 3D course".into(),
        attachments: Vec::new(),
        asset_tags: Vec::new(),
    };
    let before = itosm
        .create_ticket(Some(&john), request(blender.id))
        .await
        .unwrap();
    assert_eq!(before.ticket.subject, "Please install it");
    itosm
        .set_software_retired(Some(&admin), blender.id, true)
        .await
        .unwrap();
    let offered = itosm.software_catalog(Some(&john), false).await.unwrap();
    assert!(!offered.iter().any(|s| s.id == blender.id));
    let retired_refused = itosm
        .create_ticket(Some(&john), request(blender.id))
        .await
        .unwrap_err();
    assert_eq!(code(&retired_refused), "BAD_USER_INPUT");
    assert!(retired_refused.to_string().contains("retired"));
    let old = itosm
        .get_ticket(Some(&john), &before.ticket.number)
        .await
        .unwrap();
    assert_eq!(
        old.software.map(|s| s.label()).as_deref(),
        Some("Blender 4.2"),
        "old tickets keep their title"
    );
    let requester_all = itosm.software_catalog(Some(&john), true).await.unwrap_err();
    assert_eq!(code(&requester_all), "FORBIDDEN");
    assert!(
        itosm
            .software_catalog(Some(&admin), true)
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == blender.id && s.retired)
    );
    let renamed = itosm
        .update_software(Some(&admin), blender.id, "Blender", "4.3")
        .await
        .unwrap();
    assert_eq!(renamed.label(), "Blender 4.3");
    let missing = itosm
        .update_software(Some(&admin), SoftwareId(999), "X", "")
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NOT_FOUND");
    itosm
        .set_software_retired(Some(&admin), blender.id, false)
        .await
        .unwrap();
    assert!(
        itosm
            .create_ticket(Some(&john), request(blender.id))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn subjects_are_given_or_derived_and_bounded() {
    let itosm = services(all_methods()).await;
    let john = actor(&itosm, "john.doe", "EMP123").await;
    let ticket = |subject: Option<&str>, description: &str| CreateTicketInput {
        request_type: RequestType::Other,
        software_id: None,
        subject: subject.map(str::to_owned),
        description: description.to_owned(),
        attachments: Vec::new(),
        asset_tags: Vec::new(),
    };
    let given = itosm
        .create_ticket(Some(&john), ticket(Some("  New mouse  "), "Mine broke."))
        .await
        .unwrap();
    assert_eq!(given.ticket.subject, "New mouse");
    let derived = itosm
        .create_ticket(
            Some(&john),
            ticket(None, "\n\n  The VPN drops every hour  \nsince Monday"),
        )
        .await
        .unwrap();
    assert_eq!(derived.ticket.subject, "The VPN drops every hour");
    for bad in ["", "   ", "two\nlines", &"x".repeat(121), "bell\u{7}"] {
        let refused = itosm
            .create_ticket(Some(&john), ticket(Some(bad), "text"))
            .await
            .unwrap_err();
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{bad:?}");
    }
    let long = derive_subject(&"word ".repeat(60));
    assert_eq!(long.chars().count(), 120);
    assert!(long.ends_with('…'));
    assert_eq!(derive_subject(""), "");
    let found = itosm
        .list_tickets(
            Some(&john),
            itosm_core::TicketFilterInput {
                search: Some("vpn DROPS".into()),
                ..Default::default()
            },
            Default::default(),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
}
