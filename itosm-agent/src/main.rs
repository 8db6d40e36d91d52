//! `itosm-agent`: enrols a PC with the itosm daemon, reports its inventory
//! and health, and opens tickets from the device.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use itosm_agent::client::ApiError;
use itosm_agent::commands::{self, CommandError};
use itosm_agent::run::{self, RunExit};
use itosm_agent::state::{DEFAULT_STATE_PATH, State, StateError};
use itosm_agent::{REVOKED_MESSAGE, exit};

/// The itosm agent.
#[derive(Debug, Parser)]
#[command(name = "itosm-agent", version, about)]
struct Cli {
    /// The state file (agent id, credential, settings).
    #[arg(long, global = true, default_value = DEFAULT_STATE_PATH)]
    state: PathBuf,
    /// How logs are written on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrols this device with an itosm server using a one-time token.
    Enroll {
        /// The server's base URL, e.g. https://itosm.example.org.
        #[arg(long)]
        server: String,
        /// The one-time enrolment token an admin created.
        #[arg(long, env = "ITOSM_ENROLL_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Sends inventory and heartbeats until stopped.
    Run,
    /// Opens a ticket from this device.
    Report {
        /// What is wrong, in your own words.
        text: String,
    },
    /// Prints what would be sent (hints, inventory, one health sample) as
    /// JSON, without sending anything.
    Inventory,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes would litter the journal and log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Prints a command's failure on stderr and picks the exit code;
/// `revoked_means_reenrol` is false for `enroll`, where a 401 is a bad token.
fn fail(error: &CommandError, revoked_means_reenrol: bool) -> ExitCode {
    let code = match error {
        CommandError::Api(ApiError::Unauthenticated { .. }) if revoked_means_reenrol => {
            eprintln!("itosm-agent: {REVOKED_MESSAGE}");
            return ExitCode::from(exit_code(exit::REVOKED));
        }
        CommandError::State(StateError::NotEnrolled { .. }) | CommandError::InvalidReport(_) => {
            exit::USAGE
        }
        _ => exit::FAILURE,
    };
    eprintln!("itosm-agent: {error}");
    ExitCode::from(exit_code(code))
}

fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Enroll { server, token } => {
            match commands::enroll(&server, &token, &cli.state).await {
                Ok(response) => {
                    println!("{}", response.asset_tag);
                    if response.matched_existing {
                        eprintln!("(matched existing asset)");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, false),
            }
        }
        Command::Report { text } => match commands::report(&cli.state, &text).await {
            Ok(number) => {
                println!("{number}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, true),
        },
        Command::Inventory => match commands::show().await {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, false),
        },
        Command::Run => {
            let state = match State::load(&cli.state) {
                Ok(state) => state,
                Err(e) => return fail(&CommandError::State(e), true),
            };
            match run::run(&cli.state, state).await {
                Ok(RunExit::Stopped) => ExitCode::from(exit_code(exit::OK)),
                Ok(RunExit::Revoked) => {
                    eprintln!("itosm-agent: {REVOKED_MESSAGE}");
                    ExitCode::from(exit_code(exit::REVOKED))
                }
                Err(e) => {
                    eprintln!("itosm-agent: {e}");
                    ExitCode::from(exit_code(exit::FAILURE))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_parses() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "itosm-agent",
            "enroll",
            "--server",
            "https://itosm.example.org",
            "--token",
            "T",
            "--state",
            "/tmp/s.json",
        ])?;
        assert_eq!(cli.state, PathBuf::from("/tmp/s.json"));
        assert!(matches!(cli.command, Command::Enroll { ref token, .. } if token == "T"));
        let cli = Cli::try_parse_from(["itosm-agent", "--log-format", "json", "run"])?;
        assert_eq!(cli.state, PathBuf::from(DEFAULT_STATE_PATH));
        assert!(matches!(cli.log_format, LogFormat::Json));
        let cli = Cli::try_parse_from(["itosm-agent", "report", "printer jams"])?;
        assert!(matches!(cli.command, Command::Report { ref text } if text == "printer jams"));
        let cli = Cli::try_parse_from(["itosm-agent", "inventory"])?;
        assert!(matches!(cli.command, Command::Inventory));
        assert!(Cli::try_parse_from(["itosm-agent", "--log-format", "xml", "run"]).is_err());
        assert!(Cli::try_parse_from(["itosm-agent", "enroll", "--server", "x"]).is_err());
        Ok(())
    }
}
