//! The parts of Nexus's docker repository requests and attributes that every docker recipe
//! shares: the `docker {…}` block ([`DockerAttributes`]), a proxy's `dockerProxy {…}` block
//! ([`DockerProxyAttributes`]) and the request they arrive in ([`DockerRepositoryRequest`]).
//! Runtime code reads stored attributes through `DockerAttributes::of(&repository.attributes)`.

use serde::Deserialize;
use serde_json::{Value, json};
use stowage_core::attributes::{Block, Given, RepositoryRequest};
use stowage_core::{CoreError, Result};

/// Nexus's `Docker{Hosted,Proxy,Group}RepositoryApiRequest`: the shared blocks plus `docker`
/// and, for proxies, `dockerProxy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DockerRepositoryRequest {
    /// `name`, `online`, `storage`, `proxy`, `group` … .
    #[serde(flatten)]
    pub common: RepositoryRequest,
    /// `docker`.
    pub docker: Block<DockerAttributes>,
    /// `dockerProxy` (proxies).
    pub docker_proxy: Block<DockerProxyAttributes>,
}

impl DockerRepositoryRequest {
    /// Reads a request body (see [`stowage_core::attributes::read`]).
    pub fn read(body: &Value) -> Self {
        stowage_core::attributes::read(body)
    }

    /// `name`, `online` and `storage.blobStoreName`, validated (a docker repository's name must
    /// be lowercase).
    pub fn validate_common(&self) -> Result<(stowage_core::names::RepositoryName, bool, String)> {
        let (name, online, blob_store) = self.common.validate_common()?;
        if name.as_str().chars().any(|c| c.is_ascii_uppercase()) {
            return Err(CoreError::invalid(
                "name",
                "must be lowercase for docker repositories",
            ));
        }
        Ok((name, online, blob_store))
    }

    /// `storage.strictContentTypeValidation` (default true).
    pub fn strict_content_type_validation(&self) -> Result<bool> {
        self.common
            .storage
            .strict_content_type_validation
            .flag("storage.strictContentTypeValidation", Some(true))
    }
}

/// The `docker` block of a docker repository: connectors and client behaviour.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DockerAttributes {
    /// `v1Enabled`: docker registry API v1 (never served; stored as given).
    pub v1_enabled: Given<bool>,
    /// `forceBasicAuth`: basic authentication only, no bearer-token flow.
    pub force_basic_auth: Given<bool>,
    /// `httpPort`: a port of the repository's own.
    pub http_port: Given<u64>,
    /// `httpsPort`: refused (TLS belongs to a reverse proxy).
    pub https_port: Given<u64>,
    /// `subdomain`: refused.
    pub subdomain: Given<Value>,
    /// `pathEnabled`: whether the repository is served under `/v2/<name>/…` as well.
    pub path_enabled: Given<bool>,
    /// `automaticCrossMount` (hosted): whether a mount without `from` mounts a blob the
    /// repository already has.
    pub automatic_cross_mount: Given<bool>,
}

impl DockerAttributes {
    /// The `docker` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/docker").into_inner()
    }

    /// Whether clients must use basic authentication (true unless stored as false; false
    /// means the token flow).
    pub fn force_basic_auth(&self) -> bool {
        self.force_basic_auth.or(true)
    }

    /// Whether v1 is enabled (false unless stored as true).
    pub fn v1_enabled(&self) -> bool {
        self.v1_enabled.or(false)
    }

    /// Whether the repository is served by path, `/v2/<name>/…` (true unless stored as false).
    pub fn path_enabled(&self) -> bool {
        self.path_enabled.or(true)
    }

    /// The port of the repository's own listener, if any.
    pub fn http_port(&self) -> Option<u16> {
        self.http_port.valid().and_then(|p| u16::try_from(*p).ok())
    }

    /// Whether a hosted repository mounts a blob asked for without `from` (repositories saved
    /// before the setting existed do).
    pub fn automatic_cross_mount(&self) -> bool {
        self.automatic_cross_mount.or(true)
    }

    /// Validates a request's `docker` block and returns it normalised: `v1Enabled`,
    /// `forceBasicAuth`, `httpPort`, `pathEnabled` (HTTPS connectors and subdomains are
    /// refused with a reason).
    pub fn parse(block: &Block<Self>) -> Result<Value> {
        if !block.is_object {
            return Err(CoreError::invalid("docker", "is required (an object)"));
        }
        let force_basic = block
            .force_basic_auth
            .flag("docker.forceBasicAuth", Some(true))?;
        let v1 = block.v1_enabled.flag("docker.v1Enabled", Some(false))?;
        let path_enabled = block.path_enabled.flag("docker.pathEnabled", Some(true))?;
        let http_port = port(&block.http_port, "docker.httpPort")?;
        if port(&block.https_port, "docker.httpsPort")?.is_some() {
            return Err(CoreError::invalid(
                "docker.httpsPort",
                "HTTPS connectors are not supported; terminate TLS in a reverse proxy",
            ));
        }
        if !block.subdomain.is_unset() {
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
    /// `POST …/blobs/uploads/?mount=<digest>` without `from` mounts a blob the repository
    /// already has (201), as the spec allows, or always opens an upload session (202), as
    /// distribution does. Requests that name `from` (what docker, containerd and other clients
    /// send) mount either way.
    pub fn parse_automatic_cross_mount(&self) -> Result<bool> {
        self.automatic_cross_mount
            .flag("docker.automaticCrossMount", Some(true))
    }
}

/// A request's port: none when absent or `null`, refused naming `field` unless 1 to 65535.
fn port(given: &Given<u64>, field: &str) -> Result<Option<u16>> {
    match given {
        Given::Absent | Given::Null => Ok(None),
        Given::Valid(p) => u16::try_from(*p)
            .ok()
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| CoreError::invalid(field, "must be a port number from 1 to 65535")),
        Given::Invalid(_) => Err(CoreError::invalid(
            field,
            "must be a port number from 1 to 65535",
        )),
    }
}

/// The `dockerProxy` block of a docker proxy: what kind of registry the remote is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DockerProxyAttributes {
    /// `indexType`: `REGISTRY`, `HUB` or `CUSTOM`.
    pub index_type: Given<String>,
    /// `indexUrl` (`CUSTOM`).
    pub index_url: Given<String>,
    /// `cacheForeignLayers`.
    pub cache_foreign_layers: Given<bool>,
    /// `foreignLayerUrlWhitelist`, stored as given.
    pub foreign_layer_url_whitelist: Given<Value>,
}

impl DockerProxyAttributes {
    /// The `dockerProxy` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/dockerProxy").into_inner()
    }

    /// Whether the remote is Docker Hub (`indexType` stored as `HUB`).
    pub fn is_hub(&self) -> bool {
        self.index_type.valid().map(String::as_str) == Some("HUB")
    }

    /// A request's `indexType`: `REGISTRY` when not given, else one of Nexus's three.
    pub fn parse_index_type(&self) -> Result<&str> {
        match self.index_type.text().unwrap_or("REGISTRY") {
            t @ ("REGISTRY" | "HUB" | "CUSTOM") => Ok(t),
            other => Err(CoreError::invalid(
                "dockerProxy.indexType",
                format!("'{other}' is not one of REGISTRY, HUB, CUSTOM"),
            )),
        }
    }

    /// Validates the rest of a request's `dockerProxy` block and returns it as stored, with
    /// `index_type` from [`Self::parse_index_type`].
    pub fn parse(&self, index_type: &str) -> Result<Value> {
        Ok(json!({
            "indexType": index_type,
            "indexUrl": self.index_url.text(),
            "cacheForeignLayers": self
                .cache_foreign_layers
                .flag("dockerProxy.cacheForeignLayers", Some(false))?,
            "foreignLayerUrlWhitelist": self
                .foreign_layer_url_whitelist
                .as_given()
                .unwrap_or(json!([])),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> DockerRepositoryRequest {
        DockerRepositoryRequest::read(&body)
    }

    #[test]
    fn automatic_cross_mount_defaults_to_on_and_must_be_a_boolean() {
        let parse = |v: Value| request(v).docker.parse_automatic_cross_mount();
        assert!(parse(json!({"docker": {}})).unwrap());
        assert!(!parse(json!({"docker": {"automaticCrossMount": false}})).unwrap());
        let e = parse(json!({"docker": {"automaticCrossMount": "no"}}));
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("docker.automaticCrossMount")
        );
        assert!(
            DockerAttributes::of(&json!({"docker": {"httpPort": null}})).automatic_cross_mount()
        );
        assert!(
            !DockerAttributes::of(&json!({"docker": {"automaticCrossMount": false}}))
                .automatic_cross_mount()
        );
    }

    #[test]
    fn docker_block_is_normalised_and_refused_with_its_fields() {
        let parse = |v: Value| DockerAttributes::parse(&request(v).docker);
        assert_eq!(
            parse(json!({"docker": {"httpPort": 5000}})).unwrap(),
            json!({"v1Enabled": false, "forceBasicAuth": true, "httpPort": 5000,
                "httpsPort": null, "subdomain": null, "pathEnabled": true})
        );
        for (body, says) in [
            (json!({}), "docker: is required (an object)"),
            (json!({"docker": 1}), "docker: is required (an object)"),
            (
                json!({"docker": {"forceBasicAuth": "yes"}}),
                "docker.forceBasicAuth: must be true or false",
            ),
            (
                json!({"docker": {"httpPort": 0}}),
                "docker.httpPort: must be a port number from 1 to 65535",
            ),
            (
                json!({"docker": {"httpPort": 70000}}),
                "docker.httpPort: must be a port number from 1 to 65535",
            ),
            (
                json!({"docker": {"httpPort": "80"}}),
                "docker.httpPort: must be a port number from 1 to 65535",
            ),
            (
                json!({"docker": {"httpsPort": 443}}),
                "docker.httpsPort: HTTPS connectors are not supported; terminate TLS in a reverse proxy",
            ),
            (
                json!({"docker": {"subdomain": "x"}}),
                "docker.subdomain: subdomain routing is not supported",
            ),
        ] {
            assert_eq!(parse(body.clone()).unwrap_err().to_string(), says, "{body}");
        }
    }

    #[test]
    fn stored_docker_attributes_read_with_defaults() {
        let none = DockerAttributes::of(&json!({}));
        assert!(none.force_basic_auth() && none.path_enabled() && !none.v1_enabled());
        assert_eq!(none.http_port(), None);
        let set = DockerAttributes::of(&json!({"docker": {"forceBasicAuth": false,
            "pathEnabled": false, "v1Enabled": true, "httpPort": 5000}}));
        assert!(!set.force_basic_auth() && !set.path_enabled() && set.v1_enabled());
        assert_eq!(set.http_port(), Some(5000));
        assert!(DockerProxyAttributes::of(&json!({"dockerProxy": {"indexType": "HUB"}})).is_hub());
    }
}
