//! `aegis`: serve, migrate, administer users, verify the audit trail.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = aegis::cli::Cli::parse();
    match aegis::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(aegis::cli::CliError::Exit { code, message }) => {
            eprintln!("aegis: {message}");
            ExitCode::from(code)
        }
        Err(error) => {
            eprintln!("aegis: {error}");
            ExitCode::FAILURE
        }
    }
}
