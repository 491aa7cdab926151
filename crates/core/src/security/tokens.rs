//! Short-lived signed tokens for the docker token flow (Docker's token authentication spec).
//!
//! A token is `base64url(header).base64url(claims).base64url(HMAC-SHA256)`, a JWT with HS256.
//! Only this server reads it: it carries the user, the user's roles and the granted scopes, so
//! checking a request costs one HMAC, never an argon2 verification. The key is shared by every
//! node through the catalogue.

use super::Principal;
use crate::{CoreError, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long an issued token is valid.
pub const TOKEN_TTL_SECS: i64 = 300;

/// One granted scope: `repository:<name>:<actions>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// Resource type (`repository`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Resource name (an image, or `<repository>/<image>` when path-routed).
    pub name: String,
    /// Granted actions: `pull`, `push`, `delete`.
    pub actions: Vec<String>,
}

impl Access {
    /// Parses a `scope` parameter (`repository:library/alpine:pull,push`).
    pub fn parse_scope(scope: &str) -> Option<Self> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some(Self {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The service it was issued for.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// The user's roles when it was issued (their privileges are looked up at each use).
    pub roles: Vec<String>,
    /// Issued to the anonymous user (no credentials).
    #[serde(default)]
    pub anonymous: bool,
    /// Granted scopes.
    pub access: Vec<Access>,
}

impl Claims {
    /// Whether the token grants `action` on resource `name`.
    pub fn allows(&self, name: &str, action: &str) -> bool {
        self.access.iter().any(|a| {
            a.kind == "repository"
                && a.name == name
                && a.actions.iter().any(|x| x == action || x == "*")
        })
    }
}

/// Issues and verifies tokens with one key.
pub struct TokenSigner {
    key: Vec<u8>,
}

impl TokenSigner {
    /// The catalogue setting that keeps the signing key (its name predates formats as plug-ins
    /// and stays, so tokens survive an upgrade).
    pub const SETTING: &'static str = "docker.token.key";
    /// A signer with `key` (at least 32 bytes of secret).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        mac.update(data);
        mac
    }

    /// Issues a token for `principal` with `access`, valid for [`TOKEN_TTL_SECS`].
    pub fn issue(
        &self,
        principal: &Principal,
        service: &str,
        access: Vec<Access>,
    ) -> (String, Claims) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "stowage".into(),
            sub: principal.user_id.clone(),
            aud: service.to_owned(),
            exp: now + TOKEN_TTL_SECS,
            iat: now,
            roles: principal.roles.clone(),
            anonymous: principal.anonymous,
            access,
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{header}.{body}");
        let sig = URL_SAFE_NO_PAD.encode(self.mac(signed.as_bytes()).finalize().into_bytes());
        (format!("{signed}.{sig}"), claims)
    }

    /// The claims of a valid, unexpired token; `Unauthenticated` otherwise.
    pub fn verify(&self, token: &str) -> Result<Claims> {
        let (signed, sig) = token.rsplit_once('.').ok_or(CoreError::Unauthenticated)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| CoreError::Unauthenticated)?;
        self.mac(signed.as_bytes())
            .verify_slice(&sig)
            .map_err(|_| CoreError::Unauthenticated)?;
        let body = signed.split('.').nth(1).ok_or(CoreError::Unauthenticated)?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CoreError::Unauthenticated)?;
        let claims: Claims =
            serde_json::from_slice(&body).map_err(|_| CoreError::Unauthenticated)?;
        if claims.exp < chrono::Utc::now().timestamp() {
            return Err(CoreError::Unauthenticated);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_and_tamper() {
        let signer = TokenSigner::new(&[7u8; 32]);
        let p = Principal::new(
            "ci".into(),
            vec!["nx-admin".into()],
            false,
            std::sync::Arc::default(),
        );
        let access = vec![Access::parse_scope("repository:team/app:pull,push").unwrap()];
        let (token, _) = signer.issue(&p, "stowage", access);
        let claims = signer.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.roles.as_slice()),
            ("ci", p.roles.as_slice())
        );
        assert!(!claims.anonymous);
        assert!(claims.allows("team/app", "push"));
        assert!(!claims.allows("team/app", "delete"));
        assert!(!claims.allows("other", "pull"));

        let other = TokenSigner::new(&[8u8; 32]);
        assert!(
            other.verify(&token).is_err(),
            "another key's token is refused"
        );
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"iss":"stowage","sub":"ci","aud":"x","exp":9999999999,"iat":0,"roles":["nx-admin"],"access":[]}"#);
        parts[1] = &forged;
        assert!(
            signer.verify(&parts.join(".")).is_err(),
            "changed claims are refused"
        );
        assert!(signer.verify("garbage").is_err());
    }

    #[test]
    fn scopes() {
        let a = Access::parse_scope("repository:library/alpine:pull").unwrap();
        assert_eq!(
            (a.kind.as_str(), a.name.as_str()),
            ("repository", "library/alpine")
        );
        assert_eq!(a.actions, ["pull"]);
        assert!(Access::parse_scope("nonsense").is_none());
    }
}
