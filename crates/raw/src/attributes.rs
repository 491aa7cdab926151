//! Nexus's `Raw{Hosted,Proxy,Group}RepositoryApiRequest` ([`RawRepositoryRequest`]) and the
//! `raw {…}` block of raw repositories ([`RawAttributes`]). Runtime code reads stored
//! attributes through `RawAttributes::of(&repository.attributes)`.

use serde::Deserialize;
use serde_json::Value;
use stowage_core::attributes::{Block, Given, RepositoryRequest};
use stowage_core::{CoreError, Result};

/// A raw repository request: the shared blocks plus `raw`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawRepositoryRequest {
    /// `name`, `online`, `storage`, `proxy`, `group` … .
    #[serde(flatten)]
    pub common: RepositoryRequest,
    /// `raw`.
    pub raw: Block<RawAttributes>,
}

impl RawRepositoryRequest {
    /// Reads a request body (see [`stowage_core::attributes::read`]).
    pub fn read(body: &Value) -> Self {
        stowage_core::attributes::read(body)
    }
}

/// The `raw` block: how files are served.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawAttributes {
    /// `contentDisposition`: `INLINE` or `ATTACHMENT`.
    pub content_disposition: Given<String>,
}

impl RawAttributes {
    /// The `raw` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/raw").into_inner()
    }

    /// `contentDisposition` of a request (every raw repository kind has it): ATTACHMENT
    /// unless INLINE is given (either case); any other string is refused.
    pub fn parse_content_disposition(&self) -> Result<&'static str> {
        match self.content_disposition.valid() {
            None => Ok("ATTACHMENT"),
            Some(s) if s.eq_ignore_ascii_case("ATTACHMENT") => Ok("ATTACHMENT"),
            Some(s) if s.eq_ignore_ascii_case("INLINE") => Ok("INLINE"),
            Some(_) => Err(CoreError::invalid(
                "raw.contentDisposition",
                "must be INLINE or ATTACHMENT",
            )),
        }
    }

    /// The stored `Content-Disposition` type files are served with (ATTACHMENT unless INLINE).
    pub fn content_disposition(&self) -> &'static str {
        self.parse_content_disposition().unwrap_or("ATTACHMENT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_disposition_defaults_to_attachment() {
        let parse = |v: Value| {
            RawRepositoryRequest::read(&v)
                .raw
                .parse_content_disposition()
        };
        assert_eq!(parse(json!({})).unwrap(), "ATTACHMENT");
        assert_eq!(
            parse(json!({"raw": {"contentDisposition": 1}})).unwrap(),
            "ATTACHMENT"
        );
        assert_eq!(
            parse(json!({"raw": {"contentDisposition": "inline"}})).unwrap(),
            "INLINE"
        );
        assert_eq!(
            parse(json!({"raw": {"contentDisposition": "x"}}))
                .unwrap_err()
                .to_string(),
            "raw.contentDisposition: must be INLINE or ATTACHMENT"
        );
        let stored = json!({"raw": {"contentDisposition": "INLINE"}});
        assert_eq!(RawAttributes::of(&stored).content_disposition(), "INLINE");
        assert_eq!(
            RawAttributes::of(&json!({})).content_disposition(),
            "ATTACHMENT"
        );
    }
}
