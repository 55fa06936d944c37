//! The six roles of Aegis, with the original's names.

use std::fmt;
use std::str::FromStr;

/// What a user is allowed to do is decided by their role (see `permission`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    RedLead,
    RedTech,
    BlueLead,
    BlueTech,
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`: expected one of admin, red_lead, red_tech, blue_lead, blue_tech, viewer"
)]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::RedLead,
        Role::RedTech,
        Role::BlueLead,
        Role::BlueTech,
        Role::Viewer,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RedLead => "red_lead",
            Role::RedTech => "red_tech",
            Role::BlueLead => "blue_lead",
            Role::BlueTech => "blue_tech",
            Role::Viewer => "viewer",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
