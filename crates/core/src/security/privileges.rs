//! Nexus privileges and how they match a request.
//!
//! Every privilege becomes an Apache-Shiro-style wildcard pattern, as in Nexus:
//! `nexus:repository-view:<format>:<repository>:<actions>`,
//! `nexus:repository-admin:<format>:<repository>:<actions>`, `nexus:<domain>:<actions>`, or a
//! wildcard privilege's own pattern (`nx-all` is `nexus:*`). Parts are separated by `:`,
//! alternatives within a part by `,`, `*` matches anything, and a pattern with fewer parts than
//! the request implies the rest. A request is itself turned into such a string
//! ([`super::Permission::parts`]) and allowed when any pattern the caller holds implies it.

use crate::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// Repository actions, in the order Nexus lists them; `*` stands for all.
pub const REPOSITORY_ACTIONS: &[&str] = &["browse", "read", "edit", "add", "delete"];
/// Application actions.
pub const APPLICATION_ACTIONS: &[&str] = &["create", "read", "update", "delete"];

/// The application domains this server checks, each with its built-in privileges
/// (`nx-<domain>-<action>` and `nx-<domain>-all`).
pub const APPLICATION_DOMAINS: &[&str] = &[
    "users",
    "roles",
    "privileges",
    "blobstores",
    "settings",
    "apikey",
    "audit",
    "search",
    "healthcheck",
];

/// What a privilege grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PrivilegeKind {
    /// Content of repositories: `format` and `repository` may be `*`.
    RepositoryView {
        /// Format, or `*`.
        format: String,
        /// Repository name, or `*`.
        repository: String,
        /// Lowercase actions (`browse`, `read`, `edit`, `add`, `delete`, `*`).
        actions: Vec<String>,
    },
    /// Configuration of repositories.
    RepositoryAdmin {
        /// Format, or `*`.
        format: String,
        /// Repository name, or `*`.
        repository: String,
        /// Lowercase actions.
        actions: Vec<String>,
    },
    /// An application area (`users`, `blobstores`, …).
    Application {
        /// The area.
        domain: String,
        /// Lowercase actions (`create`, `read`, `update`, `delete`, `*`).
        actions: Vec<String>,
    },
    /// A raw pattern.
    Wildcard {
        /// The pattern, e.g. `nexus:repository-view:raw:*:read`.
        pattern: String,
    },
}

impl PrivilegeKind {
    /// Nexus's `type` value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::RepositoryView { .. } => "repository-view",
            Self::RepositoryAdmin { .. } => "repository-admin",
            Self::Application { .. } => "application",
            Self::Wildcard { .. } => "wildcard",
        }
    }

    /// The repository a repository-view or repository-admin privilege names.
    pub fn repository(&self) -> Option<&str> {
        match self {
            Self::RepositoryView { repository, .. } | Self::RepositoryAdmin { repository, .. } => {
                Some(repository)
            }
            _ => None,
        }
    }

    /// The pattern this privilege grants.
    pub fn pattern(&self) -> Pattern {
        let text = match self {
            Self::RepositoryView {
                format,
                repository,
                actions,
            } => format!(
                "nexus:repository-view:{format}:{repository}:{}",
                actions.join(",")
            ),
            Self::RepositoryAdmin {
                format,
                repository,
                actions,
            } => format!(
                "nexus:repository-admin:{format}:{repository}:{}",
                actions.join(",")
            ),
            Self::Application { domain, actions } => {
                format!("nexus:{domain}:{}", actions.join(","))
            }
            Self::Wildcard { pattern } => pattern.clone(),
        };
        Pattern::parse(&text)
    }
}

/// A privilege: a name and what it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    /// Unique name (`nx-repository-view-docker-team-read`).
    pub name: String,
    /// Description.
    pub description: String,
    /// What it grants.
    pub kind: PrivilegeKind,
    /// Built-in: neither changeable nor deletable.
    pub read_only: bool,
}

impl Privilege {
    fn builtin(name: String, description: String, kind: PrivilegeKind) -> Self {
        Self {
            name,
            description,
            kind,
            read_only: true,
        }
    }
}

/// The built-in privileges for the given formats and repositories `(format, name)`: `nx-all`,
/// the repository-view and repository-admin families (`*` formats and repositories included)
/// and the application ones. They come and go with the repositories.
pub fn builtin_privileges(formats: &[&str], repositories: &[(String, String)]) -> Vec<Privilege> {
    let mut out = vec![Privilege::builtin(
        "nx-all".into(),
        "All permissions".into(),
        PrivilegeKind::Wildcard {
            pattern: "nexus:*".into(),
        },
    )];
    let mut targets: Vec<(String, String)> = vec![("*".into(), "*".into())];
    targets.extend(formats.iter().map(|f| ((*f).to_owned(), "*".to_owned())));
    targets.extend(repositories.iter().cloned());
    for (family, admin) in [("view", false), ("admin", true)] {
        for (format, repository) in &targets {
            for action in REPOSITORY_ACTIONS.iter().chain(&["*"]) {
                let name = format!("nx-repository-{family}-{format}-{repository}-{action}");
                let what = if *action == "*" { "All" } else { action };
                let description = format!(
                    "{what} permissions for {} {} repository {family}",
                    if format == "*" { "all" } else { format },
                    if repository == "*" {
                        "repositories'".to_owned()
                    } else {
                        format!("'{repository}'")
                    },
                );
                let (format, repository, actions) = (
                    format.clone(),
                    repository.clone(),
                    vec![(*action).to_owned()],
                );
                let kind = if admin {
                    PrivilegeKind::RepositoryAdmin {
                        format,
                        repository,
                        actions,
                    }
                } else {
                    PrivilegeKind::RepositoryView {
                        format,
                        repository,
                        actions,
                    }
                };
                out.push(Privilege::builtin(name, description, kind));
            }
        }
    }
    for domain in APPLICATION_DOMAINS {
        for action in APPLICATION_ACTIONS.iter().chain(&["*"]) {
            let suffix = if *action == "*" { "all" } else { action };
            out.push(Privilege::builtin(
                format!("nx-{domain}-{suffix}"),
                format!("{} permission for {domain}", capitalised(suffix)),
                PrivilegeKind::Application {
                    domain: (*domain).to_owned(),
                    actions: vec![(*action).to_owned()],
                },
            ));
        }
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Checks and normalises a list of actions given in Nexus's upper-case form (`READ`, `ALL`).
pub fn parse_actions(field: &str, given: &[String], allowed: &[&str]) -> Result<Vec<String>> {
    if given.is_empty() {
        return Err(CoreError::invalid(field, "must name at least one action"));
    }
    let mut out = Vec::new();
    for a in given {
        let mut lower = a.to_ascii_lowercase();
        // Nexus's API names application actions ADD and EDIT; they mean create and update.
        if allowed == APPLICATION_ACTIONS {
            lower = match lower.as_str() {
                "add" => "create".into(),
                "edit" => "update".into(),
                _ => lower,
            };
        }
        let action = if lower == "all" || lower == "*" {
            "*".to_owned()
        } else if allowed.contains(&lower.as_str()) {
            lower
        } else {
            return Err(CoreError::invalid(
                field,
                format!(
                    "unknown action '{a}'; use {} or ALL",
                    allowed
                        .iter()
                        .map(|x| x.to_ascii_uppercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if !out.contains(&action) {
            out.push(action);
        }
    }
    Ok(out)
}

/// Whether `name` is a valid privilege name (Nexus's rule: letters, digits and `-` first, then
/// also `_` and `.`).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A parsed wildcard pattern: parts of lowercase alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(Vec<Vec<String>>);

impl Pattern {
    /// Parses `a:b,c:*`.
    pub fn parse(text: &str) -> Self {
        Self(
            text.split(':')
                .map(|part| {
                    part.split(',')
                        .map(|alt| alt.trim().to_ascii_lowercase())
                        .filter(|alt| !alt.is_empty())
                        .collect()
                })
                .collect(),
        )
    }

    /// Whether the pattern is well formed (no empty part).
    pub fn is_valid(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|p| !p.is_empty())
    }

    /// Whether this pattern implies the request `parts`. Parts compare ignoring ASCII case, as
    /// in Shiro; for the repository part that is [`crate::names::same_repository`], the rule the
    /// catalogue's lookups follow too, so a privilege never names a repository other than the one
    /// a request reaches.
    pub fn implies(&self, parts: &[&str]) -> bool {
        for (i, want) in parts.iter().enumerate() {
            let Some(have) = self.0.get(i) else {
                return true;
            };
            if !have
                .iter()
                .any(|h| h == "*" || crate::names::same_repository(h, want))
            {
                return false;
            }
        }
        self.0[parts.len().min(self.0.len())..]
            .iter()
            .all(|p| p.iter().any(|h| h == "*"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shiro_style_matching() {
        let p = Pattern::parse("nexus:repository-view:docker:*:read,browse");
        assert!(p.implies(&["nexus", "repository-view", "docker", "team", "read"]));
        assert!(p.implies(&["nexus", "repository-view", "docker", "x", "browse"]));
        assert!(!p.implies(&["nexus", "repository-view", "docker", "x", "add"]));
        assert!(!p.implies(&["nexus", "repository-view", "raw", "x", "read"]));
        assert!(Pattern::parse("nexus:*").implies(&["nexus", "users", "delete"]));
        assert!(Pattern::parse("nexus:users").implies(&["nexus", "users", "delete"]));
        assert!(!Pattern::parse("nexus:users:read:extra").implies(&["nexus", "users", "read"]));
        assert!(Pattern::parse("nexus:users:read:*").implies(&["nexus", "users", "read"]));
        assert!(Pattern::parse("NEXUS:Users:READ").implies(&["nexus", "users", "read"]));
        assert!(!Pattern::parse("nexus::read").is_valid());
    }

    #[test]
    fn builtins_follow_repositories() {
        let repos = vec![("docker".to_owned(), "team".to_owned())];
        let all = builtin_privileges(&["docker", "raw"], &repos);
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        for want in [
            "nx-all",
            "nx-repository-view-*-*-*",
            "nx-repository-view-docker-*-read",
            "nx-repository-view-docker-team-browse",
            "nx-repository-admin-docker-team-edit",
            "nx-users-read",
            "nx-users-all",
        ] {
            assert!(names.contains(&want), "{want} missing");
        }
        assert!(!names.iter().any(|n| n.contains("-raw-team-")));
        let read = all
            .iter()
            .find(|p| p.name == "nx-repository-view-docker-team-read")
            .unwrap();
        assert!(read.kind.pattern().implies(&[
            "nexus",
            "repository-view",
            "docker",
            "team",
            "read"
        ]));
    }

    #[test]
    fn actions_are_checked() {
        let ok = parse_actions(
            "actions",
            &["READ".into(), "ALL".into()],
            REPOSITORY_ACTIONS,
        )
        .unwrap();
        assert_eq!(ok, ["read", "*"]);
        assert!(parse_actions("actions", &["fly".into()], REPOSITORY_ACTIONS).is_err());
        assert!(parse_actions("actions", &[], REPOSITORY_ACTIONS).is_err());
    }
}
