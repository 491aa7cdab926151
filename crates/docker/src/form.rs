//! The admin UI's form for each docker recipe: fields after the common ones, named by their
//! path in the Nexus request body, and a new repository's defaults.

use serde_json::{Value, json};
use stowage_core::format::ui::{FieldSpec, Input, field as f};

/// The docker-hosted recipe's fields.
pub const HOSTED: &[FieldSpec] = &[
    f(
        "storage.latestPolicy",
        "Allow redeploying 'latest'",
        Input::Check,
        "With ALLOW_ONCE, still let the 'latest' tag move.",
    ),
    f(
        "docker.httpPort",
        "HTTP port",
        Input::Number,
        "Its own port for docker login/push/pull (e.g. 8082); opened at once. Empty: reach it through path routing on this port.",
    ),
    f(
        "docker.forceBasicAuth",
        "Force basic authentication",
        Input::Check,
        "Off: docker gets short-lived Bearer tokens from /v2/token (needed for anonymous pulls without docker login).",
    ),
    f(
        "docker.v1Enabled",
        "Enable Docker V1 API (search)",
        Input::Check,
        "Answers docker search on this repository's port.",
    ),
    f(
        "docker.pathEnabled",
        "Allow path routing",
        Input::Check,
        "docker push host:8081/<repository>/<image> reaches this repository.",
    ),
    f(
        "docker.automaticCrossMount",
        "Mount blobs without a source",
        Input::Check,
        "A blob mount that names no source repository (no from=) reuses a blob this repository has. Off: such a request starts an upload, as distribution does. Docker always names the source.",
    ),
    f(
        "cleanup.policyNames",
        "Cleanup policies",
        Input::List,
        "Names, comma-separated.",
    ),
];

/// The docker-proxy recipe's fields.
pub const PROXY: &[FieldSpec] = &[
    f(
        "proxy.remoteUrl",
        "Remote storage",
        Input::Text,
        "The registry to cache, e.g. https://registry-1.docker.io (Docker Hub) or http://registry.internal:5000.",
    ),
    f(
        "dockerProxy.indexType",
        "Docker index",
        Input::Select(&["REGISTRY", "HUB", "CUSTOM"]),
        "HUB for Docker Hub (official images are under library/).",
    ),
    f(
        "proxy.metadataMaxAge",
        "Maximum metadata age (minutes)",
        Input::Number,
        "How long a tag is trusted before it is checked upstream again; -1: forever.",
    ),
    f(
        "proxy.contentMaxAge",
        "Maximum component age (minutes)",
        Input::Number,
        "Manifests by digest and blobs never change; kept for Nexus compatibility.",
    ),
    f(
        "negativeCache.enabled",
        "Negative cache",
        Input::Check,
        "Remember what the upstream does not have.",
    ),
    f(
        "negativeCache.timeToLive",
        "Negative cache time to live (minutes)",
        Input::Number,
        "How long a 404 from upstream is remembered.",
    ),
    f(
        "httpClient.authentication.username",
        "Upstream username",
        Input::Text,
        "Only if the upstream needs credentials.",
    ),
    f(
        "httpClient.authentication.password",
        "Upstream password",
        Input::Password,
        "Stored, never shown; leave empty when editing to keep the stored one.",
    ),
    f(
        "docker.httpPort",
        "HTTP port",
        Input::Number,
        "Its own port for docker login and pull (e.g. 8083). Empty: reach it through path routing on this port.",
    ),
    f(
        "docker.forceBasicAuth",
        "Force basic authentication",
        Input::Check,
        "Off: docker gets short-lived Bearer tokens from /v2/token.",
    ),
    f(
        "docker.pathEnabled",
        "Allow path routing",
        Input::Check,
        "docker pull host:8081/<repository>/<image> reaches this repository.",
    ),
];

/// The docker-group recipe's fields.
pub const GROUP: &[FieldSpec] = &[
    f(
        "group.memberNames",
        "Members",
        Input::List,
        "Docker repositories, comma-separated, in the order they are asked; the first that has an image serves it.",
    ),
    f(
        "group.writableMember",
        "Writable member",
        Input::Text,
        "A hosted member that receives pushes to the group. Empty: the group is read-only.",
    ),
    f(
        "docker.httpPort",
        "HTTP port",
        Input::Number,
        "Its own port for docker login, pull and push (e.g. 8084). Empty: reach it through path routing on this port.",
    ),
    f(
        "docker.forceBasicAuth",
        "Force basic authentication",
        Input::Check,
        "Off: docker gets short-lived Bearer tokens from /v2/token.",
    ),
    f(
        "docker.pathEnabled",
        "Allow path routing",
        Input::Check,
        "docker pull host:8081/<repository>/<image> reaches this group.",
    ),
];

/// A new docker-hosted repository's attributes.
pub fn hosted_defaults() -> Value {
    json!({
        "docker": {"forceBasicAuth": true, "v1Enabled": false, "pathEnabled": true,
            "automaticCrossMount": true},
        "storage": {"latestPolicy": false},
    })
}

/// A new docker-proxy repository's attributes.
pub fn proxy_defaults() -> Value {
    json!({
        "docker": {"forceBasicAuth": true, "v1Enabled": false, "pathEnabled": true},
        "proxy": {"metadataMaxAge": 1440, "contentMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "dockerProxy": {"indexType": "REGISTRY"},
    })
}

/// A new docker-group repository's attributes.
pub fn group_defaults() -> Value {
    json!({"docker": {"forceBasicAuth": true, "v1Enabled": false, "pathEnabled": true}})
}
