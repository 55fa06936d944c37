//! The `MailSender` port over SMTP with lettre: plain, STARTTLS (the upgrade is required, so
//! a server that does not offer it is refused rather than spoken to in clear) or implicit
//! TLS, with optional authentication, and rustls with the web's roots plus an optional
//! private CA.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use aegis_application::notifications::{MailFailure, MailMessage, MailSender};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same host or network.
    None,
    /// Plain connection upgraded with STARTTLS before anything else is said (port 587).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// Where and how to send.
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password, when the server wants authentication.
    pub credentials: Option<(String, String)>,
    /// The sender, e.g. `Aegis <aegis@example.com>`.
    pub from: String,
    /// A PEM certificate to trust besides the web's roots (a private CA, a test server).
    pub extra_root_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// Why SMTP cannot be set up with these settings.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("the sender `{0}` is not an email address")]
    From(String),
    #[error("TLS cannot be set up: {0}")]
    Tls(String),
}

/// Sends email over SMTP.
pub struct SmtpMailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

// Written by hand: the transport holds the password.
impl std::fmt::Debug for SmtpMailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailSender")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailSender {
    /// # Errors
    /// `From` when the sender does not parse, `Tls` when the extra root is not a certificate.
    pub fn new(settings: SmtpSettings) -> Result<Self, MailSetupError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| MailSetupError::From(settings.from.clone()))?;
        let tls = || -> Result<TlsParameters, MailSetupError> {
            let mut builder = TlsParameters::builder(settings.host.clone());
            if let Some(pem) = &settings.extra_root_pem {
                let root =
                    Certificate::from_pem(pem).map_err(|e| MailSetupError::Tls(e.to_string()))?;
                builder = builder.add_root_certificate(root);
            }
            builder
                .build_rustls()
                .map_err(|e| MailSetupError::Tls(e.to_string()))
        };
        let security = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(security)
                .timeout(Some(settings.timeout));
        if let Some((user, password)) = settings.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl MailSender for SmtpMailSender {
    async fn send(&self, message: &MailMessage) -> Result<(), MailFailure> {
        let to: Mailbox = message.to.parse().map_err(|_| MailFailure {
            permanent: true,
            reason: format!("`{}` is not an email address", message.to),
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| MailFailure {
                permanent: true,
                reason: format!("the message cannot be built: {e}"),
            })?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) => Err(MailFailure {
                // A 5xx answer is the server's final word; anything else (4xx, a connection
                // or TLS failure, a timeout) may pass on another try.
                permanent: error.is_permanent(),
                reason: error.to_string(),
            }),
        }
    }
}
