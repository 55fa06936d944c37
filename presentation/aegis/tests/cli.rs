//! The `aegis` command line on the embedded profile: a fresh data directory, the real binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn aegis(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AEGIS_FIRST_START_SYNC", "false")
        .env("AEGIS_DATA_DIR", data_dir)
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_LOG", "warn")
        .current_dir(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The rows `sql` reads from the embedded database in `data_dir`, opened read-only.
fn query(data_dir: &Path, sql: &str) -> Vec<sea_orm::QueryResult> {
    use sea_orm::{ConnectionTrait, Statement};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}?mode=ro", data_dir.join("aegis.db").display());
        let db = sea_orm::Database::connect(url).await.unwrap();
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
    })
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn migrations_users_and_audit_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let status = aegis(data, &["migrate", "status"], None);
    assert!(status.status.success(), "{status:?}");
    assert!(
        stdout(&status).contains("pending"),
        "a new database has pending migrations"
    );
    assert!(aegis(data, &["migrate", "up"], None).status.success());
    assert!(stdout(&aegis(data, &["migrate", "status"], None)).starts_with("applied"));
    assert!(
        aegis(data, &["migrate", "down", "--steps", "1"], None)
            .status
            .success()
    );
    let status = stdout(&aegis(data, &["migrate", "status"], None));
    assert!(status.starts_with("applied"), "{status}");
    assert!(
        status
            .trim_end()
            .lines()
            .last()
            .is_some_and(|line| line.starts_with("pending")),
        "{status}"
    );

    // Admin commands prepare the schema and the default tenant themselves.
    let created = aegis(
        data,
        &[
            "admin",
            "create-user",
            "--email",
            "lead@aegis.test",
            "--role",
            "red_lead",
        ],
        None,
    );
    assert!(created.status.success(), "{created:?}");
    let text = stdout(&created);
    assert!(text.contains("created lead@aegis.test (red_lead)"));
    assert!(text.contains("password: "));

    let weak = aegis(
        data,
        &[
            "admin",
            "create-user",
            "--email",
            "x@aegis.test",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        Some("password\n"),
    );
    assert!(!weak.status.success());
    assert!(
        String::from_utf8_lossy(&weak.stderr)
            .contains("password: password must be at least 12 characters")
    );

    let chosen = aegis(
        data,
        &[
            "admin",
            "create-user",
            "--email",
            "v@aegis.test",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        Some("Kq9!vZr2#mTx7Lp\n"),
    );
    assert!(chosen.status.success(), "{chosen:?}");
    assert!(
        !stdout(&chosen).contains("password: "),
        "a chosen password is not echoed"
    );

    let bad_role = aegis(
        data,
        &[
            "admin",
            "create-user",
            "--email",
            "y@aegis.test",
            "--role",
            "wizard",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));

    let reset = aegis(
        data,
        &["admin", "reset-password", "--email", "lead@aegis.test"],
        None,
    );
    assert!(reset.status.success(), "{reset:?}");
    assert!(stdout(&reset).contains("password reset for lead@aegis.test"));
    let unknown = aegis(
        data,
        &["admin", "reset-password", "--email", "ghost@aegis.test"],
        None,
    );
    assert!(!unknown.status.success());

    let verify = aegis(data, &["audit", "verify"], None);
    assert!(verify.status.success(), "{verify:?}");
    assert!(stdout(&verify).contains("default: intact"));

    // The secret was generated once, owner-only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("secret.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn tenants_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let created = aegis(
        data,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme Corp",
            "--admin-email",
            "admin@acme.test",
        ],
        None,
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    assert!(
        out.contains("created tenant acme (Acme Corp) with admin admin@acme.test"),
        "{out}"
    );
    assert!(
        out.contains("password: "),
        "a generated password is shown once: {out}"
    );

    let again = aegis(
        data,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Again",
            "--admin-email",
            "other@acme.test",
        ],
        None,
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("slug already exists"),
        "{}",
        stderr(&again)
    );
    let bad = aegis(
        data,
        &[
            "tenant",
            "create",
            "--slug",
            "Bad Slug",
            "--name",
            "Bad",
            "--admin-email",
            "x@bad.test",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("slug: "), "{}", stderr(&bad));

    let disabled = aegis(data, &["tenant", "disable", "acme"], None);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert_eq!(stdout(&disabled).trim(), "tenant acme is disabled");
    let listed = stdout(&aegis(data, &["tenant", "list"], None));
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .map(|line| line.split_whitespace().take(2).collect())
        .collect();
    assert_eq!(
        rows,
        [vec!["acme", "disabled"], vec!["default", "active"]],
        "{listed}"
    );
    let stamped = query(
        data,
        "SELECT COUNT(*) AS n FROM tenants WHERE slug = 'acme' AND disabled_at IS NOT NULL",
    );
    assert_eq!(stamped[0].try_get::<i64>("", "n").unwrap(), 1);
    let enabled = aegis(data, &["tenant", "enable", "acme"], None);
    assert_eq!(stdout(&enabled).trim(), "tenant acme is active");
    let missing = aegis(data, &["tenant", "disable", "nosuch"], None);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("tenant not found"),
        "{}",
        stderr(&missing)
    );

    let granted = aegis(data, &["operator", "grant", "admin@acme.test"], None);
    assert!(granted.status.success(), "{}", stderr(&granted));
    assert_eq!(
        stdout(&granted).trim(),
        "admin@acme.test is a platform operator"
    );
    let operators = query(
        data,
        "SELECT COUNT(*) AS n FROM platform_operators p JOIN users u ON u.id = p.user_id \
         WHERE u.email = 'admin@acme.test'",
    );
    assert_eq!(operators[0].try_get::<i64>("", "n").unwrap(), 1);
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aegis"))
        .arg("serve")
        .env_clear()
        .env("AEGIS_PROFILE", "production")
        .env(
            "AEGIS_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .env("AEGIS_SECRET_KEY", "short")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("AEGIS_SECRET_KEY is too weak"));
}

#[test]
fn command_line_imports_show_on_their_data_source() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let rules = data.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("encoded.yml"),
        "title: Encoded PowerShell\nid: 0c1d2e3f-0000-4000-8000-0000000000c1\nauthor: Aegis\n\
         tags: [attack.t1059.001]\nlogsource: {product: windows}\n\
         detection: {sel: {CommandLine|contains: ' -enc '}, condition: sel}\nlevel: high\n",
    )
    .unwrap();
    let imported = aegis(
        data,
        &["import", "sigma", "--path", rules.to_str().unwrap()],
        None,
    );
    assert!(imported.status.success(), "{imported:?}");
    let failed = aegis(data, &["import", "stix", "--path", "/nonexistent"], None);
    assert!(!failed.status.success());
    let attack = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/attack/enterprise-v1.json");
    let catalog = aegis(
        data,
        &["import", "attack", "--path", attack.to_str().unwrap()],
        None,
    );
    assert!(catalog.status.success(), "{catalog:?}");

    let rows = query(
        data,
        "SELECT kind, status, last_counts FROM data_sources ORDER BY kind",
    )
    .into_iter()
    .map(|row| {
        let kind: String = row.try_get("", "kind").unwrap();
        let status: String = row.try_get("", "status").unwrap();
        let counts: Option<String> = row.try_get("", "last_counts").ok();
        (kind, status, counts)
    })
    .collect::<Vec<_>>();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("attack", "succeeded")
    );
    assert!(
        rows[0]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("\"created\":"),
        "{rows:?}"
    );
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("sigma", "succeeded")
    );
    assert!(
        rows[1]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("\"created\":1"),
        "{rows:?}"
    );
    assert_eq!((rows[2].0.as_str(), rows[2].1.as_str()), ("stix", "failed"));
}

#[test]
fn attack_imports_every_bundle_of_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let bundles = data.join("enterprise-attack");
    std::fs::create_dir_all(bundles.join("attack-pattern")).unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/attack/enterprise-v1.json");
    std::fs::copy(&fixture, bundles.join("enterprise-attack.json")).unwrap();
    // mitre/cti publishes each object as a bundle of its own, too.
    std::fs::write(
        bundles.join("attack-pattern/attack-pattern--99.json"),
        r#"{"type": "bundle", "id": "bundle--99", "objects": [{"type": "attack-pattern",
            "id": "attack-pattern--99", "name": "Ingress Tool Transfer",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1105"}]}]}"#,
    )
    .unwrap();
    std::fs::write(bundles.join("index.json"), r#"{"collections": []}"#).unwrap();
    std::fs::write(bundles.join("README.md"), "not a bundle").unwrap();

    let imported = aegis(
        data,
        &["import", "attack", "--path", bundles.to_str().unwrap()],
        None,
    );
    assert!(imported.status.success(), "{imported:?}");
    let printed = stdout(&imported);
    assert!(
        printed.contains("skipped index.json: the file is not a STIX bundle"),
        "{printed}"
    );
    let ids: Vec<String> = query(data, "SELECT mitre_id FROM techniques ORDER BY mitre_id")
        .into_iter()
        .map(|row| row.try_get("", "mitre_id").unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "T1027",
            "T1059",
            "T1059.001",
            "T1059.004",
            "T1086",
            "T1105",
            "T1566"
        ]
    );
}

#[test]
fn a_report_verifies_from_the_command_line_until_a_byte_changes() {
    use aegis_application::reports::DocumentSigner;
    use aegis_domain::report::{ReportFormat, seal};
    use sha2::Digest;

    let dir = tempfile::tempdir().unwrap();
    let signer = aegis_infrastructure::reports::Ed25519Signer::from_hex(&"2a".repeat(32)).unwrap();
    let body = b"%PDF-1.7\n% a report\n%%EOF";
    let digest = sha2::Sha256::digest(body);
    let sealed = seal(
        body,
        ReportFormat::Pdf,
        &hex::encode(digest),
        &signer.sign(&digest),
    );
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &sealed).unwrap();
    let key = signer.public_key();
    let path = file.to_str().unwrap();

    let ok = aegis(
        dir.path(),
        &["report", "verify", path, "--public-key", &key],
        None,
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout(&ok).contains("valid: unaltered"), "{}", stdout(&ok));

    // Another server's key (this data directory's own) does not vouch for it.
    let foreign = aegis(dir.path(), &["report", "verify", path], None);
    assert!(!foreign.status.success());

    let mut altered = sealed.clone();
    altered[12] ^= 1;
    std::fs::write(&file, &altered).unwrap();
    let bad = aegis(
        dir.path(),
        &["report", "verify", path, "--public-key", &key],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("altered"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn an_idle_server_runs_a_job_queued_after_a_quiet_spell() {
    // With sub-second polling, apalis' interval strategy let the embedded server's worker sleep
    // for good after a few quiet seconds: a job queued then never ran.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut server = Command::new(env!("CARGO_BIN_EXE_aegis"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AEGIS_FIRST_START_SYNC", "false")
        .env("AEGIS_DATA_DIR", data)
        .env("AEGIS_LISTEN", "127.0.0.1:0")
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_LOG", "warn")
        .env("AEGIS_JOB_POLL_MILLIS", "200")
        .current_dir(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(8));
    let queued = aegis(
        data,
        &["jobs", "run", "notification_cleanup", "--queued"],
        None,
    );
    assert!(queued.status.success(), "{queued:?}");

    let mut outcome = String::new();
    for _ in 0..50 {
        outcome = query(
            data,
            "SELECT outcome FROM job_runs WHERE kind = 'notification_cleanup'",
        )
        .first()
        .map(|row| row.try_get::<String>("", "outcome").unwrap())
        .unwrap_or_default();
        if outcome == "succeeded" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        outcome, "succeeded",
        "the job queued after 8 idle seconds did not run within 5 s"
    );
}

#[test]
fn a_bundle_installs_its_binary_units_and_feeds_and_refuses_a_damaged_copy() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/attack/enterprise-v1.json")
        .canonicalize()
        .unwrap();
    let out = work.join("aegis-bundle.tar.gz");
    let created = aegis(
        work,
        &[
            "bundle",
            "create",
            "--out",
            out.to_str().unwrap(),
            "--feed",
            &format!("attack={}", fixture.display()),
        ],
        None,
    );
    assert!(created.status.success(), "{created:?}");
    assert!(stdout(&created).contains("6 files"), "{}", stdout(&created));
    let unpacked = Command::new("tar")
        .args(["xzf", out.to_str().unwrap(), "-C", work.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(unpacked.success());

    // The site's settings come first (embedded here, so that the import needs no server).
    let root = work.join("root");
    let data = root.join("var/lib/aegis");
    std::fs::create_dir_all(root.join("etc/aegis")).unwrap();
    std::fs::write(
        root.join("etc/aegis/aegis.env"),
        format!(
            "AEGIS_DATA_DIR={}\nAEGIS_BCRYPT_COST=4\nAEGIS_LOG=warn\n",
            data.display()
        ),
    )
    .unwrap();
    let install = |bundle: &Path| {
        Command::new("bash")
            .arg(bundle.join("install.sh"))
            .args(["--root", root.to_str().unwrap(), "--import"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap()
    };
    let bundle = work.join("aegis-bundle");
    let installed = install(&bundle);
    assert!(installed.status.success(), "{installed:?}");
    for file in [
        "usr/local/bin/aegis",
        "etc/systemd/system/aegis.service",
        "etc/systemd/system/aegis-worker.service",
        "var/lib/aegis/feeds/attack/enterprise-v1.json",
    ] {
        assert!(root.join(file).is_file(), "{file}");
    }
    let techniques = query(&data, "SELECT COUNT(*) AS n FROM techniques");
    let n: i64 = techniques[0].try_get("", "n").unwrap();
    assert!(n > 0, "the bundle's ATT&CK was imported");

    let mut binary = std::fs::read(bundle.join("bin/aegis")).unwrap();
    let last = binary.len() - 1;
    binary[last] ^= 1;
    std::fs::write(bundle.join("bin/aegis"), binary).unwrap();
    let refused = install(&bundle);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the bundle is damaged"));
}

/// A diff of one added file, as `git diff` writes it.
fn added_file(path: &str, body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut diff = format!(
        "diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for line in lines {
        diff.push('+');
        diff.push_str(line);
        diff.push('\n');
    }
    diff
}

fn sigma_rule(title: &str, tag: &str, needle: &str) -> String {
    format!(
        "title: {title}\nid: 5d3b4c2a-7e1f-4a9b-8c6d-0e2f4a6b8c01\nstatus: test\ntags:\n    - attack.{tag}\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        CommandLine|contains: '{needle}'\n    condition: selection\nlevel: high\n"
    )
}

#[test]
fn a_diff_scans_offline_with_the_pipelines_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/attack/enterprise-v1.json");
    let imported = aegis(
        data,
        &["import", "attack", "--path", fixture.to_str().unwrap()],
        None,
    );
    assert!(imported.status.success(), "{imported:?}");

    let hostile = data.join("hostile.patch");
    std::fs::write(
        &hostile,
        added_file(
            "rules/cradle.yml",
            &sigma_rule("Cradle \u{202E}exe.txt", "t1086", "AKIAIOSFODNN7EXAMPLE"),
        ),
    )
    .unwrap();
    let failed = aegis(data, &["scan", "--diff", hostile.to_str().unwrap()], None);
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    let printed = stdout(&failed);
    for rule in [
        "bidi-control",
        "attack-tag-revoked",
        "secret-aws-access-key",
    ] {
        assert!(printed.contains(rule), "{rule} in {printed}");
    }
    assert!(printed.contains("3 finding(s): fail"), "{printed}");
    assert!(!printed.contains("AKIAIOSFODNN7EXAMPLE"), "{printed}");

    let clean = data.join("clean.patch");
    std::fs::write(
        &clean,
        added_file(
            "rules/clean.yml",
            &sigma_rule("Encoded PowerShell", "t1059.001", " -EncodedCommand "),
        ),
    )
    .unwrap();
    let passed = aegis(data, &["scan", "--diff", clean.to_str().unwrap()], None);
    assert_eq!(passed.status.code(), Some(0), "{passed:?}");
    assert!(stdout(&passed).contains("0 finding(s): pass"));

    let missing = aegis(data, &["scan", "--diff", "missing.patch"], None);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}
