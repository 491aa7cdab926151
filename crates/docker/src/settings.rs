//! The parts of Nexus's docker repository requests that every docker recipe shares: the
//! `docker {…}` block and the small field readers behind it.

use serde_json::{Value, json};
use stowage_core::{CoreError, Result};

/// The boolean at `ptr`, `default` when absent (`None`: required), naming `field` on error.
pub fn bool_at(body: &Value, ptr: &str, field: &str, default: Option<bool>) -> Result<bool> {
    match body.pointer(ptr) {
        None | Some(Value::Null) => {
            default.ok_or_else(|| CoreError::invalid(field, "is required (true or false)"))
        }
        Some(v) => v
            .as_bool()
            .ok_or_else(|| CoreError::invalid(field, "must be true or false")),
    }
}

/// The port at `ptr`, if any.
pub fn port_at(body: &Value, ptr: &str, field: &str) -> Result<Option<u16>> {
    match body.pointer(ptr) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| CoreError::invalid(field, "must be a port number from 1 to 65535")),
    }
}

/// Validates the request's `docker` block and returns it normalised: `v1Enabled`,
/// `forceBasicAuth`, `httpPort`, `pathEnabled` (HTTPS connectors and subdomains are refused
/// with a reason).
pub fn docker_block(body: &Value) -> Result<Value> {
    if !body.get("docker").is_some_and(Value::is_object) {
        return Err(CoreError::invalid("docker", "is required (an object)"));
    }
    let force_basic = bool_at(
        body,
        "/docker/forceBasicAuth",
        "docker.forceBasicAuth",
        Some(true),
    )?;
    let v1 = bool_at(body, "/docker/v1Enabled", "docker.v1Enabled", Some(false))?;
    let path_enabled = bool_at(
        body,
        "/docker/pathEnabled",
        "docker.pathEnabled",
        Some(true),
    )?;
    let http_port = port_at(body, "/docker/httpPort", "docker.httpPort")?;
    if port_at(body, "/docker/httpsPort", "docker.httpsPort")?.is_some() {
        return Err(CoreError::invalid(
            "docker.httpsPort",
            "HTTPS connectors are not supported; terminate TLS in a reverse proxy",
        ));
    }
    if body
        .pointer("/docker/subdomain")
        .is_some_and(|v| !v.is_null())
    {
        return Err(CoreError::invalid(
            "docker.subdomain",
            "subdomain routing is not supported",
        ));
    }
    Ok(json!({
        "v1Enabled": v1,
        "forceBasicAuth": force_basic,
        "httpPort": http_port,
        "httpsPort": Value::Null,
        "subdomain": Value::Null,
        "pathEnabled": path_enabled,
    }))
}

/// `docker.automaticCrossMount` of a hosted repository request (default `true`): whether
/// `POST …/blobs/uploads/?mount=<digest>` without `from` mounts a blob the repository already
/// has (201), as the spec allows, or always opens an upload session (202), as distribution
/// does. Requests that name `from` (what docker, containerd and other clients send) mount
/// either way.
pub fn automatic_cross_mount_at(body: &Value) -> Result<bool> {
    bool_at(
        body,
        "/docker/automaticCrossMount",
        "docker.automaticCrossMount",
        Some(true),
    )
}

/// Whether a hosted repository with these stored attributes mounts a blob asked for without
/// `from` (repositories saved before the setting existed do).
pub fn automatic_cross_mount(attributes: &Value) -> bool {
    attributes
        .pointer("/docker/automaticCrossMount")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// The port a docker repository with these stored attributes listens on.
pub fn connector_port(attributes: &Value) -> Option<u16> {
    attributes
        .pointer("/docker/httpPort")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_cross_mount_defaults_to_on_and_must_be_a_boolean() {
        assert!(automatic_cross_mount_at(&json!({"docker": {}})).unwrap());
        assert!(
            !automatic_cross_mount_at(&json!({"docker": {"automaticCrossMount": false}})).unwrap()
        );
        let e = automatic_cross_mount_at(&json!({"docker": {"automaticCrossMount": "no"}}));
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("docker.automaticCrossMount")
        );
        assert!(automatic_cross_mount(
            &json!({"docker": {"httpPort": null}})
        ));
        assert!(!automatic_cross_mount(
            &json!({"docker": {"automaticCrossMount": false}})
        ));
    }
}
