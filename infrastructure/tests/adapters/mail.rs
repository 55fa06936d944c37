//! The SMTP adapter against the STARTTLS server `scripts/test.sh` starts (aiosmtpd, STARTTLS
//! required, AUTH required, a self-signed certificate): a message arrives when the
//! certificate is trusted and the password right; an untrusted certificate is a failure worth
//! retrying; a wrong password is the server's final word.

use std::path::PathBuf;
use std::time::Duration;

use aegis_application::notifications::{MailMessage, MailSender};
use aegis_infrastructure::mail::{SmtpMailSender, SmtpSecurity, SmtpSettings};

struct StartTlsServer {
    port: u16,
    maildir: PathBuf,
    ca: Vec<u8>,
    user: String,
    password: String,
}

fn server() -> Option<StartTlsServer> {
    let var = |name: &str| std::env::var(name).ok();
    Some(StartTlsServer {
        port: var("AEGIS_TEST_SMTP_STARTTLS_PORT")?.parse().ok()?,
        maildir: PathBuf::from(var("AEGIS_TEST_SMTP_STARTTLS_MAILDIR")?),
        ca: std::fs::read(var("AEGIS_TEST_SMTP_CA")?).ok()?,
        user: var("AEGIS_TEST_SMTP_USER")?,
        password: var("AEGIS_TEST_SMTP_PASSWORD")?,
    })
}

fn sender(server: &StartTlsServer, trust: bool, password: &str) -> SmtpMailSender {
    SmtpMailSender::new(SmtpSettings {
        // The certificate names localhost and 127.0.0.1.
        host: "localhost".to_owned(),
        port: server.port,
        security: SmtpSecurity::StartTls,
        credentials: Some((server.user.clone(), password.to_owned())),
        from: "Aegis <aegis@aegis.test>".to_owned(),
        extra_root_pem: trust.then(|| server.ca.clone()),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

fn message(to: &str) -> MailMessage {
    MailMessage {
        to: to.to_owned(),
        subject: "[Aegis] Over STARTTLS".to_owned(),
        text: "Plain part".to_owned(),
        html: "<p>HTML part</p>".to_owned(),
    }
}

fn received_by(server: &StartTlsServer, to: &str) -> Option<String> {
    let entries = std::fs::read_dir(server.maildir.join("new")).ok()?;
    entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .find(|raw| raw.lines().any(|l| l.starts_with("To:") && l.contains(to)))
}

#[tokio::test]
async fn starttls_with_authentication_delivers_and_failures_say_whether_to_retry() {
    let Some(server) = server() else {
        eprintln!(
            "skipped: AEGIS_TEST_SMTP_STARTTLS_* are not set (scripts/test.sh starts the STARTTLS SMTP server)"
        );
        return;
    };
    let to = format!("tls.{}@aegis.test", uuid::Uuid::new_v4().simple());

    sender(&server, true, &server.password)
        .send(&message(&to))
        .await
        .unwrap();
    let raw = received_by(&server, &to).expect("the server received the message");
    assert!(raw.contains("Subject: [Aegis] Over STARTTLS"), "{raw}");
    assert!(
        raw.contains("Plain part") && raw.contains("<p>HTML part</p>"),
        "{raw}"
    );

    // A refused password is not checked against this server: after a failed AUTH, aiosmtpd
    // 1.4.6 and lettre wait on each other until the timeout (seen here, not yet explained).
    let untrusted = tokio::time::timeout(
        Duration::from_secs(30),
        sender(&server, false, &server.password).send(&message(&to)),
    )
    .await
    .expect("an untrusted certificate fails in time")
    .unwrap_err();
    assert!(!untrusted.permanent, "{untrusted:?}");
}
