//! The application state shared by every handler.

use std::sync::Arc;
use stowage_core::format::Services;
use stowage_core::security::Security;

/// Everything a handler needs.
pub struct AppState {
    /// Core services, shared with the formats (the registered formats among them).
    pub services: Arc<Services>,
    /// Who callers are and what they may do (the same as `services.security`).
    pub security: Arc<Security>,
    /// Per-repository listeners.
    pub connectors: Arc<crate::connectors::Connectors>,
    /// Process start, for uptime.
    pub started: std::time::Instant,
}

/// The form handlers receive it in.
pub type State = actix_web::web::Data<AppState>;
