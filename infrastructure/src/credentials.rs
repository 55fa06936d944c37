//! Data-source credentials sealed with XChaCha20-Poly1305 under a key derived from the
//! server's secret: a database copy alone does not reveal them, and an altered ciphertext
//! is refused.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use aegis_application::catalog::FeedError;
use aegis_application::data_sources::CredentialCipher;

const NONCE_BYTES: usize = 24;

pub struct SealedCredentials {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedCredentials")
    }
}

impl SealedCredentials {
    /// The key is the SHA-256 of a purpose label and the server secret, so it differs from
    /// every other use of that secret (token signing).
    #[must_use]
    pub fn new(server_secret: &[u8]) -> Self {
        let key = Sha256::new()
            .chain_update(b"aegis data-source credentials v1\0")
            .chain_update(server_secret)
            .finalize();
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }
}

impl CredentialCipher for SealedCredentials {
    fn encrypt(&self, secret: &str) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_BYTES] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        // Encryption into a Vec cannot fail for inputs this small; an empty ciphertext would
        // fail to decrypt, never leak.
        let sealed = self
            .cipher
            .encrypt(&nonce, secret.as_bytes())
            .unwrap_or_default();
        nonce_bytes.iter().copied().chain(sealed).collect()
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<String, FeedError> {
        let refused = || {
            FeedError(
                "the stored credential cannot be read with this server's secret; set it again"
                    .to_owned(),
            )
        };
        if ciphertext.len() <= NONCE_BYTES {
            return Err(refused());
        }
        let (nonce, sealed) = ciphertext.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| refused())?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), sealed)
            .map_err(|_| refused())?;
        String::from_utf8(plain).map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_round_trips_and_is_not_stored_in_clear() {
        let cipher = SealedCredentials::new(b"0123456789abcdef0123456789abcdef");
        let sealed = cipher.encrypt("ghp_secret-token");
        assert!(!sealed.windows(6).any(|w| w == b"ghp_se"));
        assert_eq!(
            cipher.decrypt(&sealed).ok().as_deref(),
            Some("ghp_secret-token")
        );
        assert_ne!(
            sealed,
            cipher.encrypt("ghp_secret-token"),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn another_secret_or_an_altered_ciphertext_is_refused() {
        let cipher = SealedCredentials::new(b"one secret, long enough to be used");
        let mut sealed = cipher.encrypt("token");
        let other = SealedCredentials::new(b"another secret, long enough as well");
        assert!(other.decrypt(&sealed).is_err());
        if let Some(last) = sealed.last_mut() {
            *last ^= 1;
        }
        assert!(cipher.decrypt(&sealed).is_err());
        assert!(cipher.decrypt(b"short").is_err());
    }
}
