//! The embedded database's file on disk: where it is, who may read it, and
//! a consistent copy of it.
//!
//! The file holds everyone's tickets and, on the embedded default, the token
//! secret: whoever reads it can forge an admin token. So it is created
//! `0600` (SQLite gives its `-wal` and `-shm` side files the mode of the
//! database file), and an existing file readable by others is tightened.

use std::path::{Path, PathBuf};

use super::StoreError;

/// The file a `sqlite:` URL names; `None` for an in-memory database or a
/// URL that is not SQLite.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// What [`prepare`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Created empty, `0600`.
    Created,
    /// There already, private.
    Private,
    /// There already and readable by others: tightened to `0600`
    /// (with its side files); the old mode is given for the log.
    Tightened {
        /// The mode the file had.
        was: u32,
    },
}

/// Makes sure the database file at `path` exists (creating it `0600` only
/// when `create` allows) and that neither it nor its `-wal`/`-shm` side
/// files can be read by other users.
pub fn prepare(path: &Path, create: bool) -> Result<FileState, StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(StoreError::Unavailable(format!(
                    "database file {} does not exist; run `itosm migrate` to create it, or point database.url at the right file",
                    path.display()
                )));
            }
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
                })?;
            Ok(FileState::Created)
        }
        Err(error) => Err(StoreError::Unavailable(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
        Ok(metadata) => {
            let mode = metadata.permissions().mode() & 0o777;
            let mut state = FileState::Private;
            for file in [
                path.to_owned(),
                side_file(path, "-wal"),
                side_file(path, "-shm"),
            ] {
                let Ok(metadata) = std::fs::metadata(&file) else {
                    continue;
                };
                if metadata.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| {
                            StoreError::Unavailable(format!(
                                "{} is readable by other users and cannot be made private: {e}",
                                file.display()
                            ))
                        })?;
                    state = FileState::Tightened { was: mode };
                }
            }
            Ok(state)
        }
    }
}

/// `path` with `suffix` appended to its file name (`itosm.db-wal`).
pub fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates the empty, private file a backup is written into; refuses to
/// overwrite anything.
pub fn create_backup_target(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => StoreError::Conflict(format!(
                "{} already exists; a backup never overwrites a file",
                path.display()
            )),
            _ => StoreError::Unavailable(format!("cannot create {}: {e}", path.display())),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_from_sqlite_urls() {
        assert_eq!(
            sqlite_path("sqlite://itosm.db?mode=rwc"),
            Some(PathBuf::from("itosm.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/itosm/itosm.db"),
            Some(PathBuf::from("/var/lib/itosm/itosm.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:data.db"),
            Some(PathBuf::from("data.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("sqlite://x.db?mode=memory"), None);
        assert_eq!(sqlite_path("postgres://db/itosm"), None);
    }

    #[test]
    fn files_are_created_private_and_loose_ones_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("itosm-file-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let db = dir.join("t.db");
        assert!(prepare(&db, false).is_err(), "no file is created unasked");
        assert!(!db.exists());
        assert_eq!(prepare(&db, true).ok(), Some(FileState::Created));
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::write(side_file(&db, "-wal"), b"").expect("wal");
        std::fs::set_permissions(
            side_file(&db, "-wal"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        assert_eq!(
            prepare(&db, false).ok(),
            Some(FileState::Tightened { was: 0o644 })
        );
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&side_file(&db, "-wal")), 0o600);
        assert_eq!(prepare(&db, false).ok(), Some(FileState::Private));
        let backup = dir.join("b.db");
        assert!(create_backup_target(&backup).is_ok());
        assert_eq!(mode(&backup), 0o600);
        assert!(create_backup_target(&backup).is_err(), "never overwrites");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
