//! Users, credentials and permissions.
//!
//! Permissions follow Nexus: repository content is guarded by `nx-repository-view-<format>-<repo>-
//! <action>` privileges, administration by admin privileges; roles hold privileges and users hold
//! roles. The built-in role `nx-admin` holds every privilege. Deny by default.

mod authenticator;
pub mod password;
pub mod tokens;

pub use authenticator::Authenticator;

/// What a caller wants to do with a repository's content (Nexus's repository-view actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See that content exists (listings).
    Browse,
    /// Download content.
    Read,
    /// Upload new content.
    Add,
    /// Replace existing content.
    Edit,
    /// Delete content.
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

/// A privilege a request needs.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// `nx-repository-view-<format>-<repository>-<action>`.
    RepositoryView {
        /// Repository format.
        format: &'a str,
        /// Repository name.
        repository: &'a str,
        /// The action.
        action: Action,
    },
    /// Reading server settings (repositories, blob stores, users as configuration).
    AdminRead,
    /// Changing server settings.
    AdminWrite,
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
            Self::AdminRead => f.write_str("nx-admin-read"),
            Self::AdminWrite => f.write_str("nx-admin-write"),
        }
    }
}

/// Roles that exist on every server.
pub const BUILTIN_ROLES: &[&str] = &[ADMIN_ROLE, "nx-anonymous"];

/// The built-in administrator role.
pub const ADMIN_ROLE: &str = "nx-admin";

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id (`anonymous` for the anonymous user).
    pub user_id: String,
    /// Role ids.
    pub roles: Vec<String>,
}

impl Principal {
    /// Whether the caller holds `permission`.
    pub fn permits(&self, _permission: &Permission<'_>) -> bool {
        self.roles.iter().any(|r| r == ADMIN_ROLE)
    }
}
