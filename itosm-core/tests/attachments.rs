//! Attachments through the services and the one policy: bounds, sniffing,
//! who may read what, and nothing left behind when a create fails — on the
//! in-memory store with in-memory blobs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use itosm_core::blob::MemoryBlobStore;
use itosm_core::policy::Actor;
use itosm_core::store::memory::MemoryStore;
use itosm_core::{
    AttachmentId, AttachmentLimits, CoreError, CreateTicketInput, Itosm, RequestType, ServiceConfig,
};

struct Desk {
    itosm: Itosm,
    blobs: Arc<MemoryBlobStore>,
    john: Actor,
    jane: Actor,
    admin: Actor,
}

async fn desk() -> Desk {
    let store = MemoryStore::new();
    itosm_core::seed::load_demo_data(&store).await.unwrap();
    let mut config = ServiceConfig::with_secret(vec![9; 32]);
    config.attachments = AttachmentLimits {
        max_bytes: 1024,
        max_count: 2,
        max_staged_per_user: 3,
        ..AttachmentLimits::default()
    };
    let blobs = Arc::new(MemoryBlobStore::new());
    let itosm = Itosm::new(Arc::new(store), config)
        .unwrap()
        .with_blobs(blobs.clone());
    let actor = async |username: &str, employee_id: &str| {
        let token = itosm.login(username, employee_id).await.unwrap().token;
        itosm.authenticate(&token).await.unwrap()
    };
    let john = actor("john.doe", "EMP123").await;
    let jane = actor("jane.smith", "EMP124").await;
    let admin = actor("admin.user", "ADMIN01").await;
    Desk {
        itosm,
        blobs,
        john,
        jane,
        admin,
    }
}

fn code(error: &CoreError) -> &'static str {
    error.code().as_str()
}

fn request(description: &str, attachments: Vec<AttachmentId>) -> CreateTicketInput {
    CreateTicketInput {
        request_type: RequestType::Other,
        software_id: None,
        subject: None,
        description: description.to_owned(),
        attachments,
        asset_tags: Vec::new(),
    }
}

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 1, 2,
];

#[tokio::test]
async fn uploads_are_bounded_sniffed_and_attached_once() {
    let d = desk().await;
    let it = &d.itosm;
    // Bounds, each with its field, nothing stored.
    for (name, bytes, field) in [
        ("empty.txt", Vec::new(), "file"),
        ("big.bin", vec![1u8; 1025], "file"),
        ("", b"x".to_vec(), "filename"),
        ("bad\u{7}.txt", b"x".to_vec(), "filename"),
    ] {
        match it.upload_attachment(Some(&d.john), name, bytes).await {
            Err(CoreError::BadUserInput { field: got, .. }) => assert_eq!(got, field, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(d.blobs.keys().is_empty());
    assert_eq!(
        code(
            &it.upload_attachment(None, "a.txt", b"x".to_vec())
                .await
                .unwrap_err()
        ),
        "UNAUTHENTICATED"
    );

    // The type comes from the bytes, not the name; the path is dropped.
    let shot = it
        .upload_attachment(Some(&d.john), "C:\\tmp\\notes.txt", PNG.to_vec())
        .await
        .unwrap();
    assert_eq!(shot.content_type, "image/png");
    assert_eq!(shot.filename, "notes.txt");
    assert_eq!(shot.size, PNG.len() as u64);
    assert_eq!(shot.sha256.len(), 64);
    let page = it
        .upload_attachment(
            Some(&d.john),
            "page.png",
            b"<html><script>x</script>".to_vec(),
        )
        .await
        .unwrap();
    assert!(
        page.content_type.starts_with("text/"),
        "{}",
        page.content_type
    );

    // Too many on one ticket; the same file twice; another's upload.
    let third = it
        .upload_attachment(Some(&d.john), "c.txt", b"c".to_vec())
        .await
        .unwrap();
    let janes = it
        .upload_attachment(Some(&d.jane), "jane.txt", b"j".to_vec())
        .await
        .unwrap();
    // Each refusal discards the refused ticket's own uploads (and only
    // those): nothing of a failed create outlives it.
    let refused = it
        .create_ticket(
            Some(&d.john),
            request("mouse", vec![shot.id, page.id, third.id]),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert_eq!(d.blobs.keys(), vec![janes.id.blob_key()]);
    let janes_on_johns = it
        .create_ticket(Some(&d.john), request("mouse", vec![janes.id]))
        .await
        .unwrap_err();
    assert_eq!(code(&janes_on_johns), "BAD_USER_INPUT");
    assert_eq!(
        d.blobs.keys(),
        vec![janes.id.blob_key()],
        "another's upload is never discarded"
    );

    // A refused description discards the files too.
    let log = it
        .upload_attachment(Some(&d.john), "app.log", b"error 42".to_vec())
        .await
        .unwrap();
    let blank = it
        .create_ticket(Some(&d.john), request("   ", vec![log.id]))
        .await
        .unwrap_err();
    assert_eq!(code(&blank), "BAD_USER_INPUT");
    assert!(!d.blobs.keys().contains(&log.id.blob_key()));

    // A good ticket keeps its file, which is then used up.
    let log = it
        .upload_attachment(Some(&d.john), "app.log", b"error 42".to_vec())
        .await
        .unwrap();
    let ticket = it
        .create_ticket(Some(&d.john), request("app crashes", vec![log.id]))
        .await
        .unwrap();
    let (found, bytes) = it
        .download_attachment(Some(&d.john), &ticket.ticket.number, log.id)
        .await
        .unwrap();
    assert_eq!((found.id, bytes), (log.id, b"error 42".to_vec()));
    assert_eq!(
        code(
            &it.create_ticket(Some(&d.john), request("again", vec![log.id]))
                .await
                .unwrap_err()
        ),
        "BAD_USER_INPUT"
    );
    assert!(
        d.blobs.keys().contains(&log.id.blob_key()),
        "a used file is never discarded by a later failure"
    );
}

#[tokio::test]
async fn internal_note_files_reach_staff_only_and_others_see_nothing() {
    let d = desk().await;
    let it = &d.itosm;
    let ticket = it
        .create_ticket(Some(&d.john), request("laptop is slow", Vec::new()))
        .await
        .unwrap()
        .ticket;
    let public = it
        .upload_attachment(Some(&d.admin), "steps.txt", b"reboot".to_vec())
        .await
        .unwrap();
    it.add_comment(
        Some(&d.admin),
        &ticket.number,
        "try this",
        false,
        &[public.id],
    )
    .await
    .unwrap();
    let secret = it
        .upload_attachment(Some(&d.admin), "licence.txt", b"KEY-123".to_vec())
        .await
        .unwrap();
    it.add_comment(Some(&d.admin), &ticket.number, "key", true, &[secret.id])
        .await
        .unwrap();

    let names = |files: Vec<itosm_core::Attachment>| {
        files.into_iter().map(|a| a.filename).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            it.ticket_attachments(Some(&d.admin), &ticket)
                .await
                .unwrap()
        ),
        ["steps.txt", "licence.txt"]
    );
    assert_eq!(
        names(it.ticket_attachments(Some(&d.john), &ticket).await.unwrap()),
        ["steps.txt"]
    );
    assert!(
        it.download_attachment(Some(&d.john), &ticket.number, public.id)
            .await
            .is_ok()
    );
    // The note's file and anything on another's ticket: NOT_FOUND, the
    // same answer as for an id that does not exist.
    for (who, id) in [
        (&d.john, secret.id),
        (&d.jane, public.id),
        (&d.john, AttachmentId::random()),
    ] {
        let refused = it
            .download_attachment(Some(who), &ticket.number, id)
            .await
            .unwrap_err();
        assert_eq!(code(&refused), "NOT_FOUND");
    }
    assert_eq!(
        code(
            &it.ticket_attachments(Some(&d.jane), &ticket)
                .await
                .unwrap_err()
        ),
        "NOT_FOUND"
    );
    // A requester cannot attach to an internal note he may not write, and
    // the refused comment's upload goes with it.
    let sneaky = it
        .upload_attachment(Some(&d.john), "x.txt", b"x".to_vec())
        .await
        .unwrap();
    let refused = it
        .add_comment(Some(&d.john), &ticket.number, "hidden", true, &[sneaky.id])
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN");
    assert!(!d.blobs.keys().contains(&sneaky.id.blob_key()));
}

#[tokio::test]
async fn staged_uploads_are_bounded_discarded_and_purged() {
    let d = desk().await;
    let it = &d.itosm;
    let mut staged = Vec::new();
    for n in 0..3 {
        staged.push(
            it.upload_attachment(Some(&d.john), &format!("{n}.txt"), b"x".to_vec())
                .await
                .unwrap(),
        );
    }
    let over = it
        .upload_attachment(Some(&d.john), "3.txt", b"x".to_vec())
        .await
        .unwrap_err();
    assert_eq!(code(&over), "BAD_USER_INPUT");
    // Only one's own staged uploads can be discarded.
    assert_eq!(
        it.discard_attachments(Some(&d.jane), &[staged[0].id])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        it.discard_attachments(Some(&d.john), &[staged[0].id])
            .await
            .unwrap(),
        1
    );
    assert_eq!(d.blobs.keys().len(), 2);
    // Nothing is old enough yet; with the clock a day on, all go.
    assert_eq!(it.purge_abandoned_attachments().await.unwrap(), 0);
    let later = Itosm::new(Arc::clone(it.store()), it.config().clone())
        .unwrap()
        .with_blobs(d.blobs.clone())
        .with_clock(Arc::new(itosm_core::clock::ManualClock::new(
            chrono::Utc::now() + chrono::Duration::hours(25),
        )));
    assert_eq!(later.purge_abandoned_attachments().await.unwrap(), 2);
    assert!(d.blobs.keys().is_empty());
}

#[tokio::test]
async fn without_a_blob_store_uploads_are_refused_clearly() {
    let store = MemoryStore::new();
    itosm_core::seed::load_demo_data(&store).await.unwrap();
    let itosm = Itosm::new(Arc::new(store), ServiceConfig::with_secret(vec![9; 32])).unwrap();
    let token = itosm.login("john.doe", "EMP123").await.unwrap().token;
    let john = itosm.authenticate(&token).await.unwrap();
    let refused = itosm
        .upload_attachment(Some(&john), "a.txt", b"x".to_vec())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not enabled"), "{refused}");
}
