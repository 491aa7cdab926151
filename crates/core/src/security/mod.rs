//! Users, credentials and permissions.
//!
//! The model is Nexus's: privileges (`nx-repository-view-<format>-<repo>-<action>`,
//! `nx-repository-admin-…`, application privileges such as `nx-users-read`, wildcard patterns,
//! `nx-all`) are held by roles, roles by users (and by other roles). Deny by default. The
//! [`Security`] service keeps the current [`Policy`] in memory and turns credentials into a
//! [`Principal`] that carries its resolved [`Grants`].

pub mod anonymous;
pub mod audit;
mod authenticator;
pub mod password;
mod policy;
pub mod privileges;
mod service;
pub mod throttle;
pub mod tokens;
pub mod user_tokens;

pub use authenticator::{Authenticator, Identity};
pub use policy::{ADMIN_ROLE, ANONYMOUS_ROLE, Grants, Policy, Role};
pub use service::Security;

use std::sync::Arc;

/// What a caller wants to do with a repository (Nexus's repository-view and repository-admin
/// actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See that something exists (listings).
    Browse,
    /// Download content, or read settings.
    Read,
    /// Upload new content, or create.
    Add,
    /// Replace existing content or settings.
    Edit,
    /// Delete.
    Delete,
}

impl Action {
    /// Nexus's name for the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browse => "browse",
            Self::Read => "read",
            Self::Add => "add",
            Self::Edit => "edit",
            Self::Delete => "delete",
        }
    }
}

/// What a caller wants to do in an application area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAction {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

impl AppAction {
    /// Nexus's name for the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// A privilege a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    /// `nx-repository-view-<format>-<repository>-<action>`: a repository's content.
    RepositoryView {
        /// Repository format (`*` for "every format", in listings).
        format: &'a str,
        /// Repository name.
        repository: &'a str,
        /// The action.
        action: Action,
    },
    /// `nx-repository-admin-<format>-<repository>-<action>`: a repository's configuration.
    RepositoryAdmin {
        /// Repository format.
        format: &'a str,
        /// Repository name (`*` to create one).
        repository: &'a str,
        /// The action.
        action: Action,
    },
    /// `nx-<domain>-<action>`: an application area (`users`, `roles`, `blobstores`, …).
    Application {
        /// The area.
        domain: &'a str,
        /// The action.
        action: AppAction,
    },
}

impl Permission<'_> {
    /// Calls `f` with the permission as wildcard parts (`nexus:repository-view:docker:team:read`).
    pub fn with_parts<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        match *self {
            Self::RepositoryView {
                format,
                repository,
                action,
            } => f(&[
                "nexus",
                "repository-view",
                format,
                repository,
                action.as_str(),
            ]),
            Self::RepositoryAdmin {
                format,
                repository,
                action,
            } => f(&[
                "nexus",
                "repository-admin",
                format,
                repository,
                action.as_str(),
            ]),
            Self::Application { domain, action } => f(&["nexus", domain, action.as_str()]),
        }
    }
}

impl std::fmt::Display for Permission<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RepositoryView {
                format,
                repository,
                action,
            } => write!(
                f,
                "nx-repository-view-{format}-{repository}-{}",
                action.as_str()
            ),
            Self::RepositoryAdmin {
                format,
                repository,
                action,
            } => write!(
                f,
                "nx-repository-admin-{format}-{repository}-{}",
                action.as_str()
            ),
            Self::Application { domain, action } => write!(f, "nx-{domain}-{}", action.as_str()),
        }
    }
}

/// The id of the anonymous user, as in Nexus.
pub const ANONYMOUS_USER: &str = "anonymous";

/// Who is making a request, with what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id (`anonymous` for the anonymous user).
    pub user_id: String,
    /// Role ids.
    pub roles: Vec<String>,
    /// Whether this is the anonymous user (no credentials were sent). Denials then ask for
    /// credentials (401) rather than refuse (403).
    pub anonymous: bool,
    grants: Arc<Grants>,
}

impl Principal {
    /// A principal with resolved `grants`.
    pub fn new(user_id: String, roles: Vec<String>, anonymous: bool, grants: Arc<Grants>) -> Self {
        Self {
            user_id,
            roles,
            anonymous,
            grants,
        }
    }

    /// Whether the caller holds `permission`.
    pub fn permits(&self, permission: &Permission<'_>) -> bool {
        self.grants.permits(permission)
    }

    /// `Ok` when the caller holds `permission`; otherwise 401 for the anonymous user (so
    /// clients ask for credentials) and 403 naming the missing privilege for anyone else.
    pub fn require(&self, permission: Permission<'_>) -> crate::Result<()> {
        if self.permits(&permission) {
            Ok(())
        } else if self.anonymous {
            Err(crate::CoreError::Unauthenticated)
        } else {
            Err(crate::CoreError::Forbidden(format!(
                "user '{}' lacks privilege {permission}",
                self.user_id
            )))
        }
    }
}
