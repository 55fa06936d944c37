//! What the benchmarks that drive a real `aegis serve` share: the binary, a fresh embedded
//! installation on a free port, and signed-in users.

#![allow(dead_code, reason = "each benchmark uses a part")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const FIRST_PASSWORD: &str = "Aegis#Welcome-2026";
const PASSWORD: &str = "Aegis#Bench-Serve-2026";

/// `AEGIS_BIN`, or the `aegis` built beside the benchmark (`target/<profile>/aegis`).
pub(crate) fn binary() -> PathBuf {
    std::env::var_os("AEGIS_BIN").map_or_else(
        || {
            // target/<profile>/deps/<bench>-… -> target/<profile>/aegis
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("aegis")
        },
        PathBuf::from,
    )
}

/// A numeric setting from the environment.
pub(crate) fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The shared feeds (`AEGIS_SHARED_FEEDS`, or `../shared/feeds` beside the repository).
pub(crate) fn feeds() -> PathBuf {
    std::env::var_os("AEGIS_SHARED_FEEDS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/feeds"),
        PathBuf::from,
    )
}

/// The server process, killed when dropped.
pub(crate) struct Server {
    pub(crate) process: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// `aegis` on the embedded profile in `data`, listening on `port`.
pub(crate) fn aegis(data: &Path, port: u16) -> Command {
    let mut command = Command::new(binary());
    command
        .env("AEGIS_DATA_DIR", data)
        .env("AEGIS_LISTEN", format!("127.0.0.1:{port}"))
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_AUTH_RATE_LIMIT_PER_MINUTE", "100000")
        .env("AEGIS_LOG_LEVEL", "warn")
        .stdout(Stdio::null());
    command
}

/// Migrates `data`, imports the ATT&CK bundle at `attack`, creates `users` (email, role) and
/// starts serving; returns once the server answers.
pub(crate) async fn start(data: &Path, attack: &Path, users: &[(&str, &str)]) -> Server {
    let port = free_port();
    assert!(
        aegis(data, port)
            .args(["migrate", "up"])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        aegis(data, port)
            .args(["import", "attack", "--path"])
            .arg(attack)
            .status()
            .unwrap()
            .success()
    );
    for (email, role) in users {
        let mut create = aegis(data, port)
            .args(["admin", "create-user", "--email", email, "--role", role])
            .args(["--display-name", role, "--password-stdin"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        create
            .stdin
            .take()
            .unwrap()
            .write_all(FIRST_PASSWORD.as_bytes())
            .unwrap();
        assert!(create.wait().unwrap().success());
    }
    let server = Server {
        process: aegis(data, port).arg("serve").spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("aegis serve did not answer on {}", server.base);
}

/// Signs `email` in with its first password, changes it as the first sign-in requires, and
/// returns an access token.
pub(crate) async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login = |password: &'static str| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let first: Value = login(FIRST_PASSWORD).await.unwrap().json().await.unwrap();
    let changed = client
        .post(format!("{base}/api/v1/auth/change-password"))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .json(&json!({"current_password": FIRST_PASSWORD, "new_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success(), "{}", changed.status());
    let answer: Value = login(PASSWORD).await.unwrap().json().await.unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// The process's resident memory, from /proc (Linux).
pub(crate) fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
