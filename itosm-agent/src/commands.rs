//! The one-shot commands: `enroll` and `report`.

use std::path::Path;

use itosm_agent_protocol::{
    ENROLL_PATH, EnrollRequest, EnrollResponse, ProtocolError, REPORT_PATH, ReportRequest,
    ReportResponse, limits,
};

use crate::client::{ApiError, Client, ClientError};
use crate::collect::{Collector, PlatformCollector, fit_hints};
use crate::state::{State, StateError};

/// Why a command failed; `main` turns each into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The state file.
    #[error(transparent)]
    State(#[from] StateError),
    /// The client could not be set up.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server did not accept the request.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// What was collected breaks the protocol's bounds even after fitting:
    /// a bug in the collector.
    #[error("collected data out of bounds (a bug, please report it): {0}")]
    Collected(#[from] ProtocolError),
    /// The report text is refused before anything is sent.
    #[error("{0}")]
    InvalidReport(String),
    /// The output could not be written.
    #[error("cannot write the output: {0}")]
    Output(String),
}

/// Checks a problem report locally, so that the user hears about an empty
/// or overlong text at once rather than as a server refusal.
pub fn validate_report(text: &str) -> Result<String, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::InvalidReport(
            "the report is empty: describe the problem, e.g. itosm-agent report \"the printer jams\""
                .to_owned(),
        ));
    }
    if text.chars().count() > limits::MAX_REPORT_CHARS {
        return Err(CommandError::InvalidReport(format!(
            "the report is too long ({} characters): at most {}",
            text.chars().count(),
            limits::MAX_REPORT_CHARS
        )));
    }
    Ok(text.to_owned())
}

/// Enrols this device with `server` using a one-time `token`, and saves
/// the resulting state to `state_path`.
pub async fn enroll(
    server: &str,
    token: &str,
    state_path: &Path,
) -> Result<EnrollResponse, CommandError> {
    let client = Client::new(server, None)?;
    if client.server().starts_with("http://") {
        // Allowed for a lab, but the credential would then travel in clear.
        tracing::warn!("the server URL is http://: the agent's credential will not be encrypted");
    }
    let mut collector = PlatformCollector::new();
    let mut hints = collector.hints();
    fit_hints(&mut hints);
    hints.check()?;
    let mut inventory = collector.inventory();
    crate::collect::fit_inventory(&mut inventory);
    inventory.check()?;
    let request = EnrollRequest {
        token: token.trim().to_owned(),
        hints,
        inventory,
    };
    let response: EnrollResponse = client.post(ENROLL_PATH, &request).await?;
    State {
        server: client.server().to_owned(),
        agent_id: response.agent_id.clone(),
        credential: response.credential.clone(),
        asset_tag: response.asset_tag.clone(),
        settings: response.settings.clone(),
    }
    .save(state_path)?;
    Ok(response)
}

/// What the agent would send, as pretty JSON: hints, the fitted inventory
/// and one health sample (no reachability targets). Lets an admin see
/// exactly what is collected before enrolling.
pub async fn show() -> Result<String, CommandError> {
    let mut collector = PlatformCollector::new();
    let mut hints = collector.hints();
    fit_hints(&mut hints);
    hints.check()?;
    let mut inventory = collector.inventory();
    crate::collect::fit_inventory(&mut inventory);
    inventory.check()?;
    let sample = collector.sample(&[]).await;
    sample.check()?;
    let json = serde_json::json!({ "hints": hints, "inventory": inventory, "sample": sample });
    serde_json::to_string_pretty(&json).map_err(|e| CommandError::Output(e.to_string()))
}

/// Opens a ticket from this device; returns the ticket number.
pub async fn report(state_path: &Path, text: &str) -> Result<String, CommandError> {
    let description = validate_report(text)?;
    let state = State::load(state_path)?;
    let client = Client::new(&state.server, Some(state.credential))?;
    let response: ReportResponse = client
        .post(REPORT_PATH, &ReportRequest { description })
        .await?;
    Ok(response.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_overlong_reports_are_refused_locally() {
        assert!(matches!(
            validate_report(""),
            Err(CommandError::InvalidReport(_))
        ));
        assert!(matches!(
            validate_report("  \n "),
            Err(CommandError::InvalidReport(_))
        ));
        let long = "é".repeat(limits::MAX_REPORT_CHARS + 1);
        assert!(matches!(
            validate_report(&long),
            Err(CommandError::InvalidReport(_))
        ));
        // The bound is in characters, not bytes.
        let longest = "é".repeat(limits::MAX_REPORT_CHARS);
        assert_eq!(validate_report(&longest).ok(), Some(longest));
        assert_eq!(
            validate_report(" printer jams\n").ok().as_deref(),
            Some("printer jams")
        );
    }

    #[tokio::test]
    async fn reporting_before_enrolling_says_to_enrol() {
        let path =
            std::env::temp_dir().join(format!("itosm-agent-none-{}/s.json", std::process::id()));
        let error = report(&path, "it broke").await.err();
        assert!(matches!(
            error,
            Some(CommandError::State(StateError::NotEnrolled { .. }))
        ));
    }
}
