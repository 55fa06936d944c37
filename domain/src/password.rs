//! The password policy: long, mixed, personal to nobody, and not a common password.

use crate::user::Email;

pub const MIN_LENGTH: usize = 12;
/// bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated.
pub const MAX_BYTES: usize = 72;

/// One rule a candidate password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    TooShort,
    TooLong,
    MissingUppercase,
    MissingLowercase,
    MissingDigit,
    MissingSymbol,
    ContainsEmail,
    TooCommon,
}

impl PolicyViolation {
    pub const fn message(self) -> &'static str {
        match self {
            Self::TooShort => "must be at least 12 characters long",
            Self::TooLong => "must be at most 72 bytes long",
            Self::MissingUppercase => "must contain an uppercase letter",
            Self::MissingLowercase => "must contain a lowercase letter",
            Self::MissingDigit => "must contain a digit",
            Self::MissingSymbol => "must contain a symbol",
            Self::ContainsEmail => "must not contain the account's email name",
            Self::TooCommon => "is too common or too easy to guess",
        }
    }
}

/// The rules `candidate` breaks for the account `email`; empty when it is acceptable.
///
/// "Common" is judged by zxcvbn (its dictionaries of leaked passwords, names and keyboard
/// patterns): anything it scores below 3 of 4 is refused.
pub fn violations(candidate: &str, email: &Email) -> Vec<PolicyViolation> {
    let mut found = Vec::new();
    if candidate.chars().count() < MIN_LENGTH {
        found.push(PolicyViolation::TooShort);
    }
    if candidate.len() > MAX_BYTES {
        found.push(PolicyViolation::TooLong);
    }
    if !candidate.chars().any(char::is_uppercase) {
        found.push(PolicyViolation::MissingUppercase);
    }
    if !candidate.chars().any(char::is_lowercase) {
        found.push(PolicyViolation::MissingLowercase);
    }
    if !candidate.chars().any(|c| c.is_ascii_digit()) {
        found.push(PolicyViolation::MissingDigit);
    }
    if !candidate
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        found.push(PolicyViolation::MissingSymbol);
    }
    let local = email.local_part();
    if local.len() >= 3 && candidate.to_lowercase().contains(local) {
        found.push(PolicyViolation::ContainsEmail);
    }
    if found.is_empty() {
        let estimate = zxcvbn::zxcvbn(candidate, &[local]);
        if (estimate.score() as u8) < 3 {
            found.push(PolicyViolation::TooCommon);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("ana.garcia@example.com").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn strong_passwords_pass() {
        assert!(violations("Vq7#kLm2!pRz9x", &email()).is_empty());
    }

    #[test]
    fn each_rule_is_reported() {
        assert!(violations("Sh0rt!", &email()).contains(&PolicyViolation::TooShort));
        assert!(
            violations("alllowercase1!xx", &email()).contains(&PolicyViolation::MissingUppercase)
        );
        assert!(
            violations("ALLUPPERCASE1!XX", &email()).contains(&PolicyViolation::MissingLowercase)
        );
        assert!(violations("NoDigitsHere!!xx", &email()).contains(&PolicyViolation::MissingDigit));
        assert!(violations("NoSymbolsHere12x", &email()).contains(&PolicyViolation::MissingSymbol));
        assert!(violations("Ana.Garcia#2024x", &email()).contains(&PolicyViolation::ContainsEmail));
        assert_eq!(
            violations("Password123!", &email()),
            vec![PolicyViolation::TooCommon]
        );
        assert!(violations(&"Aa1!".repeat(20), &email()).contains(&PolicyViolation::TooLong));
    }
}
