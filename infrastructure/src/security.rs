//! Password hashing (bcrypt), access tokens (HS256 JWT), the system clock, UUID v7 ids and
//! cryptographically random secrets.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use aegis_application::ports::{
    AccessClaims, Clock, HashingError, IdGenerator, PasswordHasher, SecretGenerator, TokenError,
    TokenService,
};
use aegis_domain::Role;
use aegis_domain::session::SessionFamilyId;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

/// bcrypt on the blocking pool, so a sign-in never stalls the async executor.
#[derive(Debug, Clone, Copy)]
pub struct BcryptPasswordHasher {
    cost: u32,
}

impl BcryptPasswordHasher {
    pub fn new(cost: u32) -> Self {
        Self { cost }
    }
}

#[async_trait]
impl PasswordHasher for BcryptPasswordHasher {
    async fn hash(&self, password: &str) -> Result<String, HashingError> {
        let password = password.to_owned();
        let cost = self.cost;
        // Non-truncating: a password beyond bcrypt's 72 bytes is an error, not a silent cut.
        tokio::task::spawn_blocking(move || bcrypt::non_truncating_hash(password, cost))
            .await
            .map_err(|e| HashingError(e.to_string()))?
            .map_err(|e| HashingError(e.to_string()))
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let password = password.to_owned();
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || {
            bcrypt::non_truncating_verify(password, &hash).unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    tid: Uuid,
    role: String,
    jti: String,
    sid: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    /// Set while the tenant's policy waits for the user to enrol a second factor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    mfa: bool,
}

/// HS256 access tokens signed with the installation's secret.
pub struct JwtTokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl JwtTokenService {
    pub fn new(secret: &[u8], issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
        }
    }
}

fn instant(seconds: i64) -> Result<DateTime<Utc>, TokenError> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .ok_or(TokenError::Invalid)
}

impl TokenService for JwtTokenService {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let body = Claims {
            sub: claims.user_id.as_uuid(),
            tid: claims.tenant_id.as_uuid(),
            role: claims.role.as_str().to_owned(),
            jti: claims.jti.clone(),
            sid: claims.session_family.as_uuid(),
            iat: claims.issued_at.timestamp(),
            exp: claims.expires_at.timestamp(),
            iss: self.issuer.clone(),
            mfa: claims.mfa_enrolment_required,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &body, &self.encoding)
            .map_err(|e| TokenError::Issue(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let claims = data.claims;
        Ok(AccessClaims {
            user_id: UserId::from_uuid(claims.sub),
            tenant_id: TenantId::from_uuid(claims.tid),
            role: claims
                .role
                .parse::<Role>()
                .map_err(|_| TokenError::Invalid)?,
            jti: claims.jti,
            session_family: SessionFamilyId::from_uuid(claims.sid),
            issued_at: instant(claims.iat)?,
            expires_at: instant(claims.exp)?,
            mfa_enrolment_required: claims.mfa,
        })
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Microseconds, the precision both databases keep, so a value reads back as written.
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// Time-ordered UUIDs: index-friendly and sortable by creation.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Secrets from the operating system's CSPRNG (through `rand`'s thread generator, seeded by it).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsSecretGenerator;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#%+-=?@^_";

impl SecretGenerator for OsSecretGenerator {
    fn token(&self) -> String {
        let mut bytes = [0_u8; 32];
        rand::rng().fill(&mut bytes);
        hex::encode(bytes)
    }

    fn password(&self) -> String {
        let mut rng = rand::rng();
        let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
        // One of each class guarantees the policy's mix; the rest is drawn from all of them.
        let mut chars: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS]
            .iter()
            .map(|class| class[rng.random_range(0..class.len())])
            .collect();
        chars.extend((0..16).map(|_| all[rng.random_range(0..all.len())]));
        chars.shuffle(&mut rng);
        chars.into_iter().map(char::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use aegis_domain::password::violations;
    use aegis_domain::user::Email;

    fn claims(expires_in: Duration) -> AccessClaims {
        let now = Utc::now();
        AccessClaims {
            user_id: UserId::from_uuid(Uuid::now_v7()),
            tenant_id: TenantId::from_uuid(Uuid::now_v7()),
            role: Role::BlueLead,
            jti: Uuid::now_v7().to_string(),
            session_family: SessionFamilyId::from_uuid(Uuid::now_v7()),
            issued_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
            expires_at: DateTime::from_timestamp((now + expires_in).timestamp(), 0).unwrap_or(now),
            mfa_enrolment_required: false,
        }
    }

    #[test]
    fn tokens_round_trip() {
        let service = JwtTokenService::new(b"0123456789abcdef0123456789abcdef", "aegis");
        let original = claims(Duration::minutes(15));
        let token = service.issue(&original).unwrap_or_default();
        assert_eq!(service.verify(&token), Ok(original));
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let service = JwtTokenService::new(b"0123456789abcdef0123456789abcdef", "aegis");
        let expired = service
            .issue(&claims(Duration::seconds(-5)))
            .unwrap_or_default();
        assert_eq!(service.verify(&expired), Err(TokenError::Expired));
        let token = service
            .issue(&claims(Duration::minutes(15)))
            .unwrap_or_default();
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(service.verify(&tampered), Err(TokenError::Invalid));
        let other = JwtTokenService::new(b"another-secret-another-secret-xx", "aegis");
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        let other_issuer =
            JwtTokenService::new(b"0123456789abcdef0123456789abcdef", "someone-else");
        assert_eq!(other_issuer.verify(&token), Err(TokenError::Invalid));
    }

    #[tokio::test]
    async fn bcrypt_hashes_verify_and_refuse_long_passwords() {
        let hasher = BcryptPasswordHasher::new(4);
        let hash = hasher.hash("Kq9!vZr2#mTx7Lp").await.unwrap_or_default();
        assert!(hash.starts_with("$2b$04$"));
        assert!(hasher.verify("Kq9!vZr2#mTx7Lp", &hash).await);
        assert!(!hasher.verify("Kq9!vZr2#mTx7Lq", &hash).await);
        assert!(!hasher.verify("anything", "not a hash").await);
        assert!(hasher.hash(&"x".repeat(100)).await.is_err());
    }

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        let email = Email::parse("someone@example.com").unwrap_or_else(|_| unreachable!());
        let generator = OsSecretGenerator;
        for _ in 0..200 {
            let password = generator.password();
            assert_eq!(violations(&password, &email), vec![], "{password}");
        }
        assert_eq!(generator.token().len(), 64);
        assert_ne!(generator.token(), generator.token());
    }
}
