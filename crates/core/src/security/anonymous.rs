//! The anonymous-access switch (Nexus's `AnonymousAccessSettingsXO`).

use serde::{Deserialize, Serialize};

/// Settings key in the catalogue.
pub const SETTING_KEY: &str = "security.anonymous";

/// Whether requests without credentials act as the anonymous user, and which user that is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnonymousSettings {
    /// The switch. Off on a new server until the administrator turns it on.
    pub enabled: bool,
    /// The user whose roles anonymous requests get.
    pub user_id: String,
    /// Nexus's realm name; kept for compatibility.
    pub realm_name: String,
}

impl Default for AnonymousSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            user_id: super::ANONYMOUS_USER.into(),
            realm_name: "NexusAuthorizingRealm".into(),
        }
    }
}
