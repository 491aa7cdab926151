//! The admin UI's form for each raw recipe: fields after the common ones, named by their path
//! in the Nexus request body, and a new repository's defaults.

use serde_json::{Value, json};
use stowage_core::format::ui::{FieldSpec, Input, field as f};

/// The raw-hosted recipe's fields.
pub const HOSTED: &[FieldSpec] = &[
    f(
        "raw.contentDisposition",
        "Content disposition",
        Input::Select(&["ATTACHMENT", "INLINE"]),
        "ATTACHMENT: browsers download files. INLINE: browsers show them.",
    ),
    f(
        "cleanup.policyNames",
        "Cleanup policies",
        Input::List,
        "Names, comma-separated.",
    ),
];

/// The raw-proxy recipe's fields.
pub const PROXY: &[FieldSpec] = &[
    f(
        "proxy.remoteUrl",
        "Remote storage",
        Input::Text,
        "The base URL files are fetched from: <remote>/<path>.",
    ),
    f(
        "proxy.contentMaxAge",
        "Maximum component age (minutes)",
        Input::Number,
        "How long a fetched file is served before it is fetched again; -1: forever.",
    ),
    f(
        "negativeCache.enabled",
        "Negative cache",
        Input::Check,
        "Remember what the remote does not have.",
    ),
    f(
        "negativeCache.timeToLive",
        "Negative cache time to live (minutes)",
        Input::Number,
        "How long a 404 from the remote is remembered.",
    ),
    f(
        "httpClient.authentication.username",
        "Remote username",
        Input::Text,
        "Only if the remote needs credentials.",
    ),
    f(
        "httpClient.authentication.password",
        "Remote password",
        Input::Password,
        "Stored, never shown; leave empty when editing to keep the stored one.",
    ),
    f(
        "raw.contentDisposition",
        "Content disposition",
        Input::Select(&["ATTACHMENT", "INLINE"]),
        "ATTACHMENT: browsers download files. INLINE: browsers show them.",
    ),
];

/// The raw-group recipe's fields.
pub const GROUP: &[FieldSpec] = &[f(
    "group.memberNames",
    "Members",
    Input::List,
    "Raw repositories, comma-separated, in the order they are asked; the first that has the file serves it.",
)];

/// A new raw-hosted repository's attributes.
pub fn hosted_defaults() -> Value {
    json!({"raw": {"contentDisposition": "ATTACHMENT"}})
}

/// A new raw-proxy repository's attributes.
pub fn proxy_defaults() -> Value {
    json!({
        "proxy": {"contentMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "raw": {"contentDisposition": "ATTACHMENT"},
    })
}
