//! The embedded profile's signing secret: generated once, kept in the data directory with
//! owner-only permissions, so tokens survive restarts.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::RngCore;
use secrecy::SecretString;

/// Reads the secret at `path`, creating it (mode 0600) when missing.
///
/// # Errors
/// When the file cannot be read or written.
pub fn load_or_create(path: &Path) -> io::Result<SecretString> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= 64 => {
            return Ok(SecretString::from(text.trim().to_owned()));
        }
        Ok(_) => {
            return Err(io::Error::other(format!(
                "{} is too short to be a secret",
                path.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_secret_is_created_once_with_owner_only_access() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("secret.key");
        let first = super::load_or_create(&path)?;
        let second = super::load_or_create(&path)?;
        use secrecy::ExposeSecret;
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
        Ok(())
    }
}
