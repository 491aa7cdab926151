//! The security service: the current policy, the anonymous switch, sign-in with throttling and
//! auditing. One per process; every node reloads it from the catalogue after its own changes
//! and every [`REFRESH_EVERY`] for changes made on other nodes.

use super::Principal;
use super::anonymous::{AnonymousSettings, SETTING_KEY};
use super::audit::{AuditEvent, AuditLog};
use super::authenticator::{Authenticator, Identity};
use super::policy::Policy;
use super::privileges::builtin_privileges;
use super::throttle::{Throttle, Verdict};
use crate::catalogue::Catalogue;
use crate::{CoreError, Result};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often a node reloads roles, privileges and settings changed elsewhere.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

struct Snapshot {
    policy: Arc<Policy>,
    anonymous: AnonymousSettings,
    /// The anonymous principal while anonymous access is on.
    anonymous_principal: Option<Principal>,
}

/// Everything that decides who a caller is and what they may do.
pub struct Security {
    catalogue: Catalogue,
    formats: Vec<String>,
    authenticator: Authenticator,
    throttle: Throttle,
    audit: AuditLog,
    snapshot: RwLock<Arc<Snapshot>>,
}

impl Security {
    /// Loads the policy for a server that serves `formats`.
    pub async fn load(catalogue: Catalogue, formats: Vec<String>, audit: AuditLog) -> Result<Self> {
        let security = Self {
            authenticator: Authenticator::new(catalogue.clone()),
            catalogue,
            formats,
            throttle: Throttle::new(),
            audit,
            snapshot: RwLock::new(Arc::new(Snapshot {
                policy: Arc::new(Policy::default()),
                anonymous: AnonymousSettings::default(),
                anonymous_principal: None,
            })),
        };
        security.refresh().await?;
        Ok(security)
    }

    /// Reloads roles, privileges, repositories (for the built-in privileges) and the anonymous
    /// settings, and forgets cached credentials so role changes apply at once.
    pub async fn refresh(&self) -> Result<()> {
        let repositories: Vec<(String, String)> = self
            .catalogue
            .list_repositories()
            .await?
            .into_iter()
            .map(|r| (r.format, r.name))
            .collect();
        let formats: Vec<&str> = self.formats.iter().map(String::as_str).collect();
        let mut privileges = builtin_privileges(&formats, &repositories);
        privileges.extend(self.catalogue.list_privileges().await?);
        let policy = Arc::new(Policy::new(self.catalogue.list_roles().await?, privileges));
        let anonymous: AnonymousSettings = match self.catalogue.setting(SETTING_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| CoreError::Internal(format!("bad {SETTING_KEY} setting: {e}")))?,
            None => AnonymousSettings::default(),
        };
        let anonymous_principal = if anonymous.enabled {
            self.catalogue
                .find_user(&anonymous.user_id)
                .await?
                .filter(|u| u.status == crate::model::UserStatus::Active)
                .map(|u| {
                    let grants = policy.grants(&u.roles);
                    Principal::new(u.user_id, u.roles, true, grants)
                })
        } else {
            None
        };
        let changed = {
            let old = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
            old.policy.roles() != policy.roles() || old.policy.privileges() != policy.privileges()
        };
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Snapshot {
            policy,
            anonymous,
            anonymous_principal,
        });
        if changed {
            self.authenticator.forget_all();
        }
        Ok(())
    }

    /// Reloads every [`REFRESH_EVERY`] for as long as the process runs.
    pub fn spawn_refresher(self: &Arc<Self>) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH_EVERY).await;
                let Some(me) = me.upgrade() else { return };
                if let Err(e) = me.refresh().await {
                    tracing::warn!(error = %e, "could not reload the security settings");
                }
            }
        });
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The current roles and privileges.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.snapshot().policy)
    }

    /// The anonymous-access settings.
    pub fn anonymous_settings(&self) -> AnonymousSettings {
        self.snapshot().anonymous.clone()
    }

    /// Stores new anonymous-access settings and applies them.
    pub async fn set_anonymous_settings(&self, settings: &AnonymousSettings) -> Result<()> {
        let text =
            serde_json::to_string(settings).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.catalogue.put_setting(SETTING_KEY, &text).await?;
        self.refresh().await
    }

    /// Who a request without credentials is: the anonymous user while anonymous access is on.
    pub fn anonymous(&self) -> Option<Principal> {
        self.snapshot().anonymous_principal.clone()
    }

    /// The principal of user `user_id` holding `roles`, with the current policy's grants.
    pub fn principal(&self, user_id: &str, roles: &[String]) -> Principal {
        let grants = self.snapshot().policy.grants(roles);
        Principal::new(user_id.to_owned(), roles.to_vec(), false, grants)
    }

    /// Checks Basic credentials (a password or a user token) from `client`: throttled per user
    /// and address, audited when actually verified. `via` names the door (`basic`, `token`,
    /// `ui`) in the audit log.
    pub async fn sign_in(
        &self,
        user: &str,
        secret: &str,
        client: &str,
        via: &str,
    ) -> Result<Principal> {
        if let Some(identity) = self.authenticator.cached(user, secret) {
            return Ok(self.principal_of(&identity));
        }
        if let Verdict::Refuse(retry) = self.throttle.check(user, client) {
            self.audit.record(
                AuditEvent::new(user, Some(client), &format!("signin.{via}.throttled"), user)
                    .failed(),
            );
            return Err(CoreError::Throttled(retry));
        }
        match self.authenticator.basic(user, secret).await {
            Ok(identity) => {
                self.throttle.succeeded(user, client);
                let action = if identity.token_id.is_some() {
                    format!("signin.{via}.user-token")
                } else {
                    format!("signin.{via}")
                };
                self.audit
                    .record(AuditEvent::new(user, Some(client), &action, user));
                Ok(self.principal_of(&identity))
            }
            Err(CoreError::Unauthenticated) => {
                let delay = self.throttle.failed(user, client);
                self.audit.record(
                    AuditEvent::new(user, Some(client), &format!("signin.{via}"), user).failed(),
                );
                tokio::time::sleep(delay).await;
                Err(CoreError::Unauthenticated)
            }
            Err(e) => Err(e),
        }
    }

    fn principal_of(&self, identity: &Identity) -> Principal {
        self.principal(&identity.user_id, &identity.roles)
    }

    /// The credential checker (to forget a user's cached credentials).
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }
}
