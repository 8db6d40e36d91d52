//! The `itosm` binary: the standard daemon and its command line.

fn main() -> std::process::ExitCode {
    itosm_daemon::Daemon::standard().run_cli()
}
