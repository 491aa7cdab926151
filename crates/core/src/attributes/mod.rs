//! Typed views of Nexus's repository requests and stored attributes: the blocks every format
//! shares (`storage`, `proxy`, `negativeCache`, `httpClient`, `group`, `cleanup`) and the
//! common request fields (`name`, `online`). Format crates add their own blocks (`docker`,
//! `dockerProxy`, `raw`) the same way.
//!
//! A request and the attributes stored from it have the same shape (Nexus returns what it was
//! given), so one struct per block serves both: a recipe's `parse_request` deserializes the
//! body into its request struct and validates it, and runtime code reads stored attributes with
//! the block's `of` (`StorageAttributes::of(&repository.attributes)`) instead of JSON pointers.
//!
//! Every field is a [`Given`]: absent, `null`, a value of the expected type, or something else.
//! Deserializing never fails, so validation can name the offending field with the messages the
//! API has always given (`storage.writePolicy: is required`), and stored attributes written by
//! an older version read with the defaults documented on each accessor.

use crate::names::RepositoryName;
use crate::{CoreError, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::ops::Deref;
use std::time::Duration;

/// One field of a request or of stored attributes, as it was given.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Given<T> {
    /// Not there.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value of the expected type.
    Valid(T),
    /// A value of another type, kept as given.
    Invalid(Value),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Self::Null,
            v => match T::deserialize(&v) {
                Ok(t) => Self::Valid(t),
                Err(_) => Self::Invalid(v),
            },
        })
    }
}

impl<T> Given<T> {
    /// The value when it has the expected type.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(t) => Some(t),
            _ => None,
        }
    }

    /// Whether it is absent or `null`.
    pub fn is_unset(&self) -> bool {
        matches!(self, Self::Absent | Self::Null)
    }

    /// The value as given (`Some(Value::Null)` for `null`), `None` when absent: for fields
    /// stored exactly as the client sent them.
    pub fn as_given(&self) -> Option<Value>
    where
        T: serde::Serialize,
    {
        match self {
            Self::Absent => None,
            Self::Null => Some(Value::Null),
            Self::Valid(t) => Some(serde_json::to_value(t).unwrap_or(Value::Null)),
            Self::Invalid(v) => Some(v.clone()),
        }
    }
}

impl Given<bool> {
    /// A request's flag: `default` when absent or `null` (`None`: required), refused naming
    /// `field` when not a boolean.
    pub fn flag(&self, field: &str, default: Option<bool>) -> Result<bool> {
        match self {
            Self::Absent | Self::Null => {
                default.ok_or_else(|| CoreError::invalid(field, "is required (true or false)"))
            }
            Self::Valid(b) => Ok(*b),
            Self::Invalid(_) => Err(CoreError::invalid(field, "must be true or false")),
        }
    }

    /// A request's flag that may be left out (`default`) but not be `null`.
    pub fn flag_not_null(&self, field: &str, default: bool) -> Result<bool> {
        match self {
            Self::Absent => Ok(default),
            Self::Valid(b) => Ok(*b),
            Self::Null | Self::Invalid(_) => {
                Err(CoreError::invalid(field, "must be true or false"))
            }
        }
    }

    /// The flag when it is a boolean, `default` otherwise (how stored flags are read).
    pub fn or(&self, default: bool) -> bool {
        self.valid().copied().unwrap_or(default)
    }
}

impl Given<String> {
    /// The text trimmed, when it is a string that is not blank.
    pub fn text(&self) -> Option<&str> {
        self.valid().map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The string as given when it is one and not empty.
    pub fn non_empty(&self) -> Option<&str> {
        self.valid().map(String::as_str).filter(|s| !s.is_empty())
    }
}

impl Given<i64> {
    /// A request's minutes (`-1`: forever), `default` when absent or `null`; anything else is
    /// refused naming `field`.
    pub fn minutes(&self, field: &str, default: i64) -> Result<i64> {
        match self {
            Self::Absent | Self::Null => Ok(default),
            Self::Valid(m) if *m >= -1 => Ok(*m),
            _ => Err(CoreError::invalid(
                field,
                "must be a number of minutes (-1: forever)",
            )),
        }
    }

    /// Stored minutes as a duration; `None` means forever (`-1`, or absent).
    pub fn duration(&self) -> Option<Duration> {
        match self.valid() {
            Some(m) if *m >= 0 => Some(Duration::from_secs(*m as u64 * 60)),
            _ => None,
        }
    }
}

/// A nested object of a request or of stored attributes: the block's fields when it is an
/// object, all absent otherwise. Dereferences to the block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block<T> {
    /// Whether the block was given as a JSON object.
    pub is_object: bool,
    inner: T,
}

impl<T> Deref for Block<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> Block<T> {
    /// The block's fields.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<'de, T: DeserializeOwned + Default> Deserialize<'de> for Block<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Self::of(&Value::deserialize(d)?))
    }
}

impl<T: DeserializeOwned + Default> Block<T> {
    /// `value` read as the block (all fields absent unless it is an object).
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Object(_) => Self {
                is_object: true,
                inner: T::deserialize(value).unwrap_or_default(),
            },
            _ => Self::default(),
        }
    }

    /// The block at `pointer` of `value` (e.g. `/httpClient/connection`).
    pub fn at(value: &Value, pointer: &str) -> Self {
        value.pointer(pointer).map(Self::of).unwrap_or_default()
    }
}

/// A request body (or stored attributes) read as the request struct `T`; fields of the wrong
/// type are kept as [`Given::Invalid`], and a body that is not an object reads as empty.
pub fn read<T: DeserializeOwned + Default>(body: &Value) -> T {
    Block::<T>::of(body).into_inner()
}

/// The fields every repository request has, with the shared blocks. Format crates flatten it
/// into their own request struct (`#[serde(flatten)]`) next to their blocks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositoryRequest {
    /// `name`.
    pub name: Given<String>,
    /// `online`.
    pub online: Given<bool>,
    /// `storage`.
    pub storage: Block<StorageAttributes>,
    /// `proxy` (proxies).
    pub proxy: Block<ProxyAttributes>,
    /// `negativeCache` (proxies).
    pub negative_cache: Block<NegativeCacheAttributes>,
    /// `httpClient` (proxies).
    pub http_client: Block<HttpClientAttributes>,
    /// `group` (groups).
    pub group: Block<GroupAttributes>,
    /// `cleanup`, stored as given (see [`CleanupAttributes`] to read it).
    pub cleanup: Given<Value>,
    /// `component`, stored as given.
    pub component: Given<Value>,
}

impl RepositoryRequest {
    /// Validates `name`, `online` and `storage.blobStoreName`, in that order, with the same
    /// fields and messages as `format::parse_common` (which reads them untyped).
    pub fn validate_common(&self) -> Result<(RepositoryName, bool, String)> {
        let name = self
            .name
            .valid()
            .ok_or_else(|| CoreError::invalid("name", "is required"))?;
        let name = RepositoryName::parse(name)?;
        let online = self.online.flag_not_null("online", true)?;
        let blob_store = self
            .storage
            .blob_store_name
            .non_empty()
            .ok_or_else(|| CoreError::invalid("storage.blobStoreName", "is required"))?
            .to_owned();
        Ok((name, online, blob_store))
    }

    /// `cleanup` as given, `null` when absent.
    pub fn cleanup_as_given(&self) -> Value {
        self.cleanup.as_given().unwrap_or(Value::Null)
    }

    /// `component` as given, Nexus's `{"proprietaryComponents": false}` when absent.
    pub fn component_as_given(&self) -> Value {
        self.component
            .as_given()
            .unwrap_or_else(|| serde_json::json!({"proprietaryComponents": false}))
    }
}

mod blocks;
#[cfg(test)]
mod tests;

pub use blocks::*;
