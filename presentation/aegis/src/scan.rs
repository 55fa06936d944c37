//! `aegis scan`: the pipeline's gate. Posts a diff to a server with an API key and waits for
//! its decision, or scans it offline against this installation's catalog; exits 0 on pass,
//! 1 on fail and 2 on error. `aegis scan verify` checks a signed artifact offline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::app;
use crate::cli::CliError;
use crate::config::Settings;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScanCommand {
    #[command(subcommand)]
    pub action: Option<ScanAction>,
    #[command(flatten)]
    pub submit: ScanArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The unified diff to scan (`git diff base...head > change.patch`).
    #[arg(long)]
    pub diff: Option<PathBuf>,
    /// The Aegis server to submit to (`https://aegis.example.com`); without it the diff is
    /// scanned offline against this installation's catalog.
    #[arg(long, env = "AEGIS_SCAN_SERVER")]
    pub server: Option<String>,
    /// An API key with the `scans:write` scope.
    #[arg(long, env = "AEGIS_SCAN_KEY", hide_env_values = true)]
    pub key: Option<String>,
    #[arg(long)]
    pub repository: Option<String>,
    #[arg(long)]
    pub commit: Option<String>,
    #[arg(long)]
    pub base: Option<String>,
    #[arg(long)]
    pub pull_request: Option<String>,
    /// Sent as `Idempotency-Key`, so a retried pipeline step gets the same scan.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// How long to wait for the decision, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum ScanAction {
    /// Check a signed scan artifact offline: unaltered and signed by the key.
    Verify {
        file: PathBuf,
        /// The server's Ed25519 public key, hex (its `public_key` in a verification); default:
        /// this installation's own.
        #[arg(long)]
        public_key: Option<String>,
    },
}

/// What a pipeline reads from the exit status.
fn exit_for(decision: &str) -> Result<(), CliError> {
    match decision {
        "pass" => Ok(()),
        "fail" => Err(CliError::Exit {
            code: 1,
            message: "the scan failed: the change is blocked".to_owned(),
        }),
        _ => Err(CliError::Exit {
            code: 2,
            message: "the scan could not be completed".to_owned(),
        }),
    }
}

fn print_finding(finding: &Value) {
    let line = finding["line"]
        .as_u64()
        .map(|l| format!(":{l}"))
        .unwrap_or_default();
    let blocks = if finding["blocks"].as_bool().unwrap_or(true) {
        "BLOCKS "
    } else {
        ""
    };
    println!(
        "{blocks}{severity:<8} {rule:<28} {file}{line}\n    {message}\n    fix: {suggestion}",
        severity = finding["severity"].as_str().unwrap_or_default(),
        rule = finding["rule_id"].as_str().unwrap_or_default(),
        file = finding["file"].as_str().unwrap_or_default(),
        message = finding["message"].as_str().unwrap_or_default(),
        suggestion = finding["suggestion"].as_str().unwrap_or_default(),
    );
}

/// Runs `aegis scan`.
///
/// # Errors
/// `Exit` with 1 on fail and 2 on error; `Failed` when the diff or the server cannot be read.
pub async fn run(settings: &Settings, command: ScanCommand) -> Result<(), CliError> {
    if let Some(ScanAction::Verify { file, public_key }) = command.action {
        return verify(settings, &file, public_key);
    }
    // Anything that keeps the scan from deciding is an error for the pipeline (2), not a fail.
    submit(settings, command.submit)
        .await
        .map_err(|error| match error {
            CliError::Exit { .. } => error,
            other => CliError::Exit {
                code: 2,
                message: other.to_string(),
            },
        })
}

async fn submit(settings: &Settings, args: ScanArgs) -> Result<(), CliError> {
    let path = args
        .diff
        .clone()
        .ok_or_else(|| CliError::Failed("--diff FILE is required".to_owned()))?;
    let diff = std::fs::read(&path)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", path.display())))?;
    match args.server.clone() {
        Some(server) => remote(args, &server, diff).await,
        None => offline(settings, &diff).await,
    }
}

async fn offline(settings: &Settings, diff: &[u8]) -> Result<(), CliError> {
    let text = std::str::from_utf8(diff)
        .map_err(|_| CliError::Failed("the diff is not UTF-8".to_owned()))?;
    let prepared = app::prepare(settings).await?;
    let services = &prepared.wired.services.scans;
    let scan = services
        .scan_offline(text)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let policy = services.policy();
    for finding in &scan.findings {
        let mut value = serde_json::to_value(finding).unwrap_or_default();
        value["blocks"] = Value::Bool(policy.blocks(finding));
        print_finding(&value);
    }
    println!(
        "{} file(s), {} finding(s): {}",
        scan.files,
        scan.findings.len(),
        scan.decision.as_str()
    );
    exit_for(scan.decision.as_str())
}

async fn remote(args: ScanArgs, server: &str, diff: Vec<u8>) -> Result<(), CliError> {
    let key = args.key.clone().ok_or_else(|| {
        CliError::Failed("--key (or AEGIS_SCAN_KEY) is required with --server".to_owned())
    })?;
    let base = server.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let query: Vec<(&str, &str)> = [
        ("repository", args.repository.as_deref()),
        ("commit", args.commit.as_deref()),
        ("base", args.base.as_deref()),
        ("pull_request", args.pull_request.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .collect();
    let mut request = client
        .post(format!("{base}/api/v1/scans"))
        .query(&query)
        .bearer_auth(&key)
        .header("Content-Type", "text/x-diff")
        .body(diff);
    if let Some(idempotency) = &args.idempotency_key {
        request = request.header("Idempotency-Key", idempotency);
    }
    let failed = |e: reqwest::Error| CliError::Exit {
        code: 2,
        message: format!("cannot reach {base}: {e}"),
    };
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        return Err(CliError::Exit {
            code: 2,
            message: format!(
                "the server refused the diff ({status}): {}",
                body["detail"]
                    .as_str()
                    .or(body["title"].as_str())
                    .unwrap_or_default()
            ),
        });
    }
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    println!("scan {id} submitted");
    let deadline = std::time::Instant::now() + Duration::from_secs(args.timeout);
    let scan = loop {
        let scan: Value = client
            .get(format!("{base}/api/v1/scans/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        if matches!(scan["status"].as_str(), Some("completed" | "error")) {
            break scan;
        }
        if std::time::Instant::now() > deadline {
            return Err(CliError::Exit {
                code: 2,
                message: format!("scan {id} was not decided within {} s", args.timeout),
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let findings: Value = client
        .get(format!("{base}/api/v1/scans/{id}/findings"))
        .bearer_auth(&key)
        .send()
        .await
        .map_err(failed)?
        .json()
        .await
        .map_err(failed)?;
    for finding in findings.as_array().into_iter().flatten() {
        print_finding(finding);
    }
    let decision = scan["decision"].as_str().unwrap_or("error");
    println!(
        "{} file(s), {} finding(s): {decision}  ({base}/api/v1/scans/{id}/artifact)",
        scan["files"], scan["findings"]
    );
    exit_for(decision)
}

fn verify(settings: &Settings, file: &Path, public_key: Option<String>) -> Result<(), CliError> {
    use aegis_application::reports::DocumentSigner;
    use aegis_application::scans::ScanSigner;
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", file.display())))?;
    let invalid = |why: String| CliError::Failed(format!("{}: NOT VALID: {why}", file.display()));
    let presented =
        aegis_domain::scan::artifact::present(&bytes).map_err(|e| invalid(e.to_string()))?;
    let public_key = match (presented.algorithm.as_str(), public_key) {
        // The development key is public: nothing to configure, and nothing proven.
        ("development", _) => aegis_infrastructure::scans::DevelopmentSigner::new()
            .public_key()
            .unwrap_or_default(),
        ("ed25519", Some(key)) => key,
        ("ed25519", None) => {
            app::report_signer(settings, &app::server_secret(settings)?)?.public_key()
        }
        (other, _) => {
            return Err(invalid(format!(
                "signed with {other}, which only the server that signed it can check (POST /scans/{{id}}/verify)"
            )));
        }
    };
    if !aegis_infrastructure::scans::verify_ed25519(
        &public_key,
        presented.signed.as_bytes(),
        &presented.signature,
    ) {
        return Err(invalid(format!(
            "the artifact was altered, or is not signed by key {public_key}"
        )));
    }
    let caveat = if presented.algorithm == "development" {
        " (the development key: this proves the bytes are unaltered, not who made them)"
    } else {
        ""
    };
    println!(
        "{}: valid: unaltered, signed by key {public_key}{caveat}",
        file.display()
    );
    Ok(())
}
