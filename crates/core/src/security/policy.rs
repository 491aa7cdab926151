//! Roles and the in-memory policy that answers "may this caller do that?".
//!
//! A [`Policy`] is an immutable snapshot of every role and privilege (custom ones from the
//! catalogue, built-in ones derived from the repositories). A caller's roles are expanded once
//! (roles may contain roles, cycles are harmless) into [`Grants`], a short list of patterns, and
//! memoised per role set, so a permission check on the request path is a few string compares.

use super::Permission;
use super::privileges::{Pattern, Privilege};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The built-in administrator role: holds `nx-all`.
pub const ADMIN_ROLE: &str = "nx-admin";
/// The built-in role of the anonymous user.
pub const ANONYMOUS_ROLE: &str = "nx-anonymous";

/// A role: privileges and other roles under one id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Unique id, used in users' role lists.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Privilege names.
    pub privileges: Vec<String>,
    /// Contained role ids.
    pub roles: Vec<String>,
    /// Protected from change and deletion (`nx-admin`, so nobody locks everyone out).
    pub read_only: bool,
}

/// What a set of roles allows: the patterns of every privilege they reach.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Grants(Vec<Pattern>);

impl Grants {
    /// Whether any held pattern implies `permission`.
    pub fn permits(&self, permission: &Permission<'_>) -> bool {
        permission.with_parts(|parts| self.0.iter().any(|p| p.implies(parts)))
    }
}

/// A snapshot of all roles and privileges.
#[derive(Debug, Default)]
pub struct Policy {
    roles: HashMap<String, Role>,
    privileges: HashMap<String, Privilege>,
    memo: Mutex<HashMap<Vec<String>, Arc<Grants>>>,
}

impl Policy {
    /// A policy over `roles` and `privileges` (built-in and custom).
    pub fn new(roles: Vec<Role>, privileges: Vec<Privilege>) -> Self {
        Self {
            roles: roles.into_iter().map(|r| (r.id.clone(), r)).collect(),
            privileges: privileges
                .into_iter()
                .map(|p| (p.name.clone(), p))
                .collect(),
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// What `roles` allow, together with every role they contain. Unknown roles and
    /// privileges grant nothing.
    pub fn grants(&self, roles: &[String]) -> Arc<Grants> {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = memo.get(roles) {
            return Arc::clone(g);
        }
        let mut seen = HashSet::new();
        let mut patterns = Vec::new();
        let mut todo: Vec<&str> = roles.iter().map(String::as_str).collect();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(role) = self.roles.get(id) else {
                continue;
            };
            todo.extend(role.roles.iter().map(String::as_str));
            for name in &role.privileges {
                if let Some(p) = self.privileges.get(name) {
                    let pattern = p.kind.pattern();
                    if !patterns.contains(&pattern) {
                        patterns.push(pattern);
                    }
                }
            }
        }
        let grants = Arc::new(Grants(patterns));
        memo.insert(roles.to_vec(), Arc::clone(&grants));
        grants
    }

    /// The role `id`.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }

    /// Every role, by id.
    pub fn roles(&self) -> Vec<&Role> {
        let mut all: Vec<&Role> = self.roles.values().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// The privilege `name`.
    pub fn privilege(&self, name: &str) -> Option<&Privilege> {
        self.privileges.get(name)
    }

    /// Every privilege, by name.
    pub fn privileges(&self) -> Vec<&Privilege> {
        let mut all: Vec<&Privilege> = self.privileges.values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Whether role `id` reaches role `target` through its contained roles (or is it).
    pub fn contains_role(&self, id: &str, target: &str) -> bool {
        let mut seen = HashSet::new();
        let mut todo = vec![id];
        while let Some(r) = todo.pop() {
            if r == target {
                return true;
            }
            if seen.insert(r)
                && let Some(role) = self.roles.get(r)
            {
                todo.extend(role.roles.iter().map(String::as_str));
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::privileges::builtin_privileges;
    use super::super::{Action, AppAction};
    use super::*;

    fn role(id: &str, privileges: &[&str], roles: &[&str]) -> Role {
        Role {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            privileges: privileges.iter().map(|s| (*s).to_owned()).collect(),
            roles: roles.iter().map(|s| (*s).to_owned()).collect(),
            read_only: false,
        }
    }

    #[test]
    fn nested_roles_and_deny_by_default() {
        let repos = vec![
            ("docker".to_owned(), "team".to_owned()),
            ("raw".to_owned(), "files".to_owned()),
        ];
        let policy = Policy::new(
            vec![
                role(ADMIN_ROLE, &["nx-all"], &[]),
                role("reader", &["nx-repository-view-docker-team-read"], &[]),
                role(
                    "deployer",
                    &["nx-repository-view-docker-team-add"],
                    &["reader", "loop"],
                ),
                role("loop", &[], &["deployer"]),
            ],
            builtin_privileges(&["docker", "raw"], &repos),
        );
        let read = Permission::RepositoryView {
            format: "docker",
            repository: "team",
            action: Action::Read,
        };
        let add = Permission::RepositoryView {
            format: "docker",
            repository: "team",
            action: Action::Add,
        };
        let users = Permission::Application {
            domain: "users",
            action: AppAction::Read,
        };
        let reader = policy.grants(&["reader".into()]);
        assert!(reader.permits(&read) && !reader.permits(&add) && !reader.permits(&users));
        let deployer = policy.grants(&["deployer".into()]);
        assert!(deployer.permits(&read) && deployer.permits(&add));
        let admin = policy.grants(&[ADMIN_ROLE.into()]);
        assert!(admin.permits(&read) && admin.permits(&users));
        let nobody = policy.grants(&["missing".into()]);
        assert!(!nobody.permits(&read));
        assert!(policy.contains_role("loop", "reader"));
        assert!(!policy.contains_role("reader", "deployer"));
    }
}
