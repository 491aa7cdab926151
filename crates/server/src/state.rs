//! The application state shared by every handler.

use crate::recipes::Recipes;
use std::sync::Arc;
use stowage_core::format::Services;
use stowage_core::security::Security;

/// Everything a handler needs.
pub struct AppState {
    /// Core services, shared with the formats.
    pub services: Arc<Services>,
    /// Who callers are and what they may do.
    pub security: Arc<Security>,
    /// Format recipes.
    pub recipes: Arc<Recipes>,
    /// Signs and checks docker Bearer tokens.
    pub tokens: stowage_core::security::tokens::TokenSigner,
    /// Per-repository listeners.
    pub connectors: crate::connectors::Connectors,
    /// Process start, for uptime.
    pub started: std::time::Instant,
}

/// The form handlers receive it in.
pub type State = actix_web::web::Data<AppState>;
