//! The seed's demo data: three users and four software titles. Loaded by
//! `itosm seed` and by the embedded default, never by a migration.

use crate::store::{Store, StoreError};
use crate::{Email, Username};
use crate::{NewUser, Role};

/// The demo users: `(username, employee ID, display name, email, role)`.
pub const DEMO_USERS: &[(&str, &str, &str, &str, Role)] = &[
    (
        "john.doe",
        "EMP123",
        "John Doe",
        "john.doe@example.com",
        Role::Requester,
    ),
    (
        "jane.smith",
        "EMP124",
        "Jane Smith",
        "jane.smith@example.com",
        Role::Requester,
    ),
    (
        "admin.user",
        "ADMIN01",
        "Admin User",
        "admin.user@example.com",
        Role::Admin,
    ),
];

/// The demo software catalog: `(name, version)`.
pub const DEMO_SOFTWARE: &[(&str, &str)] = &[
    ("Autodesk AutoCAD", "2025"),
    ("Autodesk Revit", "2025"),
    ("AVEVA E3D Design", "3.2"),
    ("Leica Cyclone 3DR", "2024.1"),
];

fn demo_data_invalid(error: crate::CoreError) -> StoreError {
    StoreError::Internal(format!("demo data: {error}"))
}

/// Loads the demo data; running it twice changes nothing.
pub async fn load_demo_data(store: &dyn Store) -> Result<(), StoreError> {
    for (username, employee_id, display_name, email, role) in DEMO_USERS {
        store
            .upsert_user(&NewUser {
                username: Username::parse(*username).map_err(demo_data_invalid)?,
                employee_id: (*employee_id).to_owned(),
                display_name: (*display_name).to_owned(),
                email: Some(Email::parse(*email).map_err(demo_data_invalid)?),
                phone: None,
                role: *role,
            })
            .await?;
    }
    for (name, version) in DEMO_SOFTWARE {
        store.upsert_software(name, version).await?;
    }
    Ok(())
}
