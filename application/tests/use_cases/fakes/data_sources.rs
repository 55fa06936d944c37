//! In-memory data sources for use-case tests.

use aegis_domain::ports::*;
use async_trait::async_trait;

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::DataSourceRepository for EmptyCatalog {
    async fn data_sources(
        &self,
    ) -> Result<Vec<aegis_domain::data_source::DataSource>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn save_data_source(
        &self,
        _: &aegis_domain::data_source::DataSource,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
}

/// No feed can be made: use-case tests never sync.
pub struct NoFeeds;

impl aegis_application::data_sources::FeedFactory for NoFeeds {
    fn feed(
        &self,
        kind: aegis_domain::data_source::FeedKind,
        _: aegis_application::data_sources::FeedOrigin,
    ) -> Result<aegis_application::data_sources::SourceFeed, aegis_application::catalog::FeedError>
    {
        Err(aegis_application::catalog::FeedError(format!(
            "no {} feed in use-case tests",
            kind.as_str()
        )))
    }
}

/// Reversible and obviously not secret: enough for tests of the layer above the cipher.
pub struct PlainCipher;

impl aegis_application::data_sources::CredentialCipher for PlainCipher {
    fn encrypt(&self, secret: &str) -> Vec<u8> {
        secret.as_bytes().to_vec()
    }
    fn decrypt(&self, ciphertext: &[u8]) -> Result<String, aegis_application::catalog::FeedError> {
        String::from_utf8(ciphertext.to_vec())
            .map_err(|e| aegis_application::catalog::FeedError(e.to_string()))
    }
}
