//! What the HTTP layer needs to know of the configuration.

use secrecy::SecretString;

/// HTTP behaviour chosen by the composition root from the typed configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Production hides internal detail, requires Secure cookies and sends HSTS.
    pub production: bool,
    pub secure_cookies: bool,
    pub swagger_ui: bool,
    /// Origins allowed by CORS; empty means same-origin only.
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub auth_requests_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The bearer token Prometheus presents to read `/metrics`. Without one, `/metrics` is not
    /// served: the listener is the public one, and the metrics tell anyone who reaches it
    /// which routes are used, how often and how they fail.
    pub metrics_token: Option<SecretString>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            production: false,
            secure_cookies: false,
            swagger_ui: true,
            cors_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            auth_requests_per_minute: 30,
            trust_forwarded_for: false,
            metrics_token: None,
        }
    }
}
