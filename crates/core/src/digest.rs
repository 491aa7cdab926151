//! [`Sha256`]: a validated sha256 content digest, the name every blob is stored and found by.
//!
//! It is the one place that knows how a digest is spelled (`sha256:` and 64 lowercase hex
//! digits) and how the hex is cut for the blob stores' two-character fan-out, so no other code
//! slices hex strings.

use crate::{CoreError, Result};
use std::fmt;

/// The algorithm prefix of a sha256 digest.
const PREFIX: &str = "sha256:";
/// Lowercase hex digits in a sha256.
const HEX_LEN: usize = 64;

/// A sha256 digest: 64 lowercase hex digits.
///
/// [`Display`](fmt::Display) and [`Sha256::as_str`] give the prefixed form `sha256:<hex>`;
/// [`Sha256::hex`] the bare hex the catalogue stores (`blob_sha256`), and serde (de)serializes
/// the bare hex too, so JSON and database columns keep their form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(
    /// Always `sha256:` followed by 64 lowercase hex digits.
    String,
);

impl Sha256 {
    /// Parses the prefixed form `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.strip_prefix(PREFIX) {
            Some(hex) => Self::from_hex(hex),
            None => Err(CoreError::invalid(
                "digest",
                format!("{s:?} is not a sha256 digest (sha256:<64 lowercase hex digits>)"),
            )),
        }
    }

    /// The digest whose bare hex is `hex` (64 lowercase hex digits).
    pub fn from_hex(hex: &str) -> Result<Self> {
        if Self::is_hex(hex) {
            Ok(Self(format!("{PREFIX}{hex}")))
        } else {
            Err(CoreError::invalid(
                "sha256",
                format!("{hex:?} is not 64 lowercase hex digits"),
            ))
        }
    }

    /// The digest of a finished hash.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    /// The sha256 of `content`.
    pub fn of(content: &[u8]) -> Self {
        use sha2::Digest as _;
        Self::from_bytes(&sha2::Sha256::digest(content).into())
    }

    /// Whether `hex` is 64 lowercase hex digits.
    pub fn is_hex(hex: &str) -> bool {
        hex.len() == HEX_LEN
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    /// The bare 64 hex digits, as the catalogue stores them.
    pub fn hex(&self) -> &str {
        self.0.strip_prefix(PREFIX).unwrap_or(&self.0)
    }

    /// The prefixed form, `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first two hex digits: the fan-out folder blobs are stored under.
    pub fn prefix(&self) -> &str {
        self.hex().get(..2).unwrap_or_default()
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

impl std::str::FromStr for Sha256 {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let hex = String::deserialize(d)?;
        Self::from_hex(&hex).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_fans_out() {
        let hex = "ab".repeat(32);
        let d = Sha256::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(d.hex(), hex);
        assert_eq!(d.prefix(), "ab");
        assert_eq!(d.to_string(), format!("sha256:{hex}"));
        assert_eq!(d.as_str(), format!("sha256:{hex}"));
        assert_eq!(Sha256::from_hex(&hex).unwrap(), d);
        assert_eq!(serde_json::to_value(&d).unwrap(), serde_json::json!(hex));
        assert_eq!(
            serde_json::from_value::<Sha256>(serde_json::json!(hex)).unwrap(),
            d
        );
        assert_eq!(
            Sha256::of(b"").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn refuses_what_is_not_a_sha256() {
        let hex = "ab".repeat(32);
        for bad in [
            String::new(),
            "a".into(),
            hex.to_uppercase(),
            format!("{hex}0"),
            hex[1..].to_owned(),
            format!("{}g", &hex[1..]),
        ] {
            assert!(Sha256::from_hex(&bad).is_err(), "{bad:?}");
        }
        assert!(Sha256::parse(&hex).is_err());
        assert!(Sha256::parse(&format!("sha512:{hex}")).is_err());
        assert!(serde_json::from_value::<Sha256>(serde_json::json!("ab")).is_err());
    }
}
