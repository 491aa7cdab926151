//! Typed configuration: built-in defaults, then an optional TOML file, then `STOWAGE_*`
//! environment variables (highest precedence). See `docs/configuration.md` for every key.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Stowage's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Directory holding the SQLite catalogue, the `default` file blob store and `admin.password`.
    pub data_dir: PathBuf,
    /// Address of the admin/API listener (port 0 picks a free port).
    pub listen: String,
    /// `postgres://…` for PostgreSQL; empty means SQLite in the data dir.
    #[serde(default)]
    pub database_url: Option<String>,
    /// Admin password set on first start; random (written to `admin.password`) when absent.
    #[serde(default)]
    pub admin_password: Option<SecretString>,
    /// Address clients use to reach this server (for download URLs), e.g. `https://repo.example`.
    /// Derived from each request's Host header when absent.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Log filter (tracing's env-filter syntax).
    pub log: String,
}

#[derive(Serialize)]
struct Defaults {
    data_dir: &'static str,
    listen: &'static str,
    log: &'static str,
}

/// A configuration that cannot be used, with one message saying why.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads defaults, then `file` (if given; it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Defaults {
            data_dir: "./stowage-data",
            listen: "0.0.0.0:8081",
            log: "info",
        }));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file(path));
        }
        let config: Config = fig
            .merge(Env::prefixed("STOWAGE_").ignore(&["CONFIG"]))
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen.parse::<SocketAddr>().map_err(|_| {
            ConfigError(format!(
                "listen = {:?} is not an address like 0.0.0.0:8081",
                self.listen
            ))
        })?;
        if let Some(url) = self.database_url.as_deref().filter(|u| !u.is_empty()) {
            let ok = ["postgres://", "postgresql://", "sqlite:"]
                .iter()
                .any(|p| url.starts_with(p));
            if !ok {
                return Err(ConfigError(
                    "database_url must start with postgres://, postgresql:// or sqlite:".into(),
                ));
            }
        }
        if let Some(base) = &self.base_url {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(ConfigError("base_url must start with http:// or https://".into()));
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError("data_dir must not be empty".into()));
        }
        Ok(())
    }

    /// The catalogue URL: the configured one, or SQLite at `<data_dir>/catalogue.db`.
    pub fn database_url(&self) -> String {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => url.to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("catalogue.db").display()
            ),
        }
    }

    /// The listen address (validated at load).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.parse().expect("validated in Config::load")
    }
}
