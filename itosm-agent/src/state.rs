//! The state file: what the agent learnt at enrolment (its id, credential
//! and asset tag) and the latest settings the server sent.
//!
//! The credential is a secret, so the file is written 0600 in a 0700
//! directory, and atomically (temporary file, then rename) so that a crash
//! or a full disk mid-write never leaves an agent with a truncated state
//! and no way back but a new enrolment.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use itosm_agent_protocol::AgentSettings;
use serde::{Deserialize, Serialize};

/// Where the state lives unless `--state` says otherwise.
pub const DEFAULT_STATE_PATH: &str = "/var/lib/itosm-agent/state.json";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No state file: the agent never enrolled.
    #[error("{path} does not exist: run `itosm-agent enroll` first")]
    NotEnrolled {
        /// The missing file.
        path: PathBuf,
    },
    /// The file exists but cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a state file.
    #[error("{path} is not a valid state file: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

/// What an enrolled agent remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The server's base URL, e.g. `https://itosm.example.org`.
    pub server: String,
    /// The id the server issued.
    pub agent_id: String,
    /// The bearer credential the server issued.
    pub credential: String,
    /// The asset this device is.
    pub asset_tag: String,
    /// The latest settings the server sent.
    pub settings: AgentSettings,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

impl State {
    /// Reads the state file.
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StateError::NotEnrolled {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(io_error(path)(e)),
        };
        serde_json::from_slice(&bytes).map_err(|source| StateError::Invalid {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the state file atomically, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let json = serde_json::to_vec_pretty(self).map_err(|source| StateError::Invalid {
            path: path.to_owned(),
            source,
        })?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            create_private_dir(&dir).map_err(io_error(&dir))?;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state.json".to_owned());
        let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let written = write_private(&temp, &json).and_then(|()| fs::rename(&temp, path));
        if written.is_err() {
            // Best effort: a leftover temporary file holds a credential.
            let _ = fs::remove_file(&temp);
        }
        written.map_err(io_error(path))
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    // Without the fsync a power cut after the rename can leave an empty file.
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "itosm-agent-test-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn sample_state() -> State {
        State {
            server: "https://itosm.example.org".into(),
            agent_id: "agt_1".into(),
            credential: "secret".into(),
            asset_tag: "PC-000123".into(),
            settings: AgentSettings {
                heartbeat_interval_seconds: 60,
                inventory_interval_seconds: 86_400,
                reachability_targets: vec!["gw:443".into()],
            },
        }
    }

    #[test]
    fn state_reads_back_as_written_and_is_private() -> Result<(), StateError> {
        let dir = temp_dir("roundtrip");
        let path = dir.join("nested").join("state.json");
        let state = sample_state();
        state.save(&path)?;
        assert_eq!(State::load(&path)?, state);
        // Saving again replaces the file (rename over an existing one).
        let mut changed = state.clone();
        changed.settings.heartbeat_interval_seconds = 30;
        changed.save(&path)?;
        assert_eq!(State::load(&path)?, changed);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode(&path), Some(0o600));
            assert_eq!(mode(&dir.join("nested")), Some(0o700));
        }
        let leftovers = fs::read_dir(dir.join("nested")).map(|d| d.count()).ok();
        assert_eq!(leftovers, Some(1), "no temporary file left behind");
        let _ = fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn a_missing_state_file_says_to_enrol_first() {
        let path = temp_dir("missing").join("state.json");
        let error = State::load(&path).err();
        assert!(matches!(error, Some(StateError::NotEnrolled { .. })));
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("run `itosm-agent enroll` first"),
            "{message}"
        );
    }

    #[test]
    fn a_corrupt_state_file_is_reported_as_such() -> std::io::Result<()> {
        let dir = temp_dir("corrupt");
        fs::create_dir_all(&dir)?;
        let path = dir.join("state.json");
        fs::write(&path, b"{not json")?;
        assert!(matches!(
            State::load(&path),
            Err(StateError::Invalid { .. })
        ));
        fs::remove_dir_all(&dir)
    }
}
