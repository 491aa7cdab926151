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
    #[serde(default, deserialize_with = "secret_from_scalar")]
    pub admin_password: Option<SecretString>,
    /// Address clients use to reach this server (for download URLs), e.g. `https://repo.example`.
    /// Derived from each request's Host header when absent.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Log filter (tracing's env-filter syntax).
    pub log: String,
    /// Seconds a request body may send nothing before the upload is ended (at least 1).
    pub body_idle_timeout_secs: u64,
    /// How often the download times noted in memory are written to the catalogue, in seconds.
    pub download_flush_seconds: u64,
}

/// Environment values that look like numbers or booleans reach serde as such; a password of
/// digits is still a password.
fn secret_from_scalar<'de, D>(d: D) -> Result<Option<SecretString>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(SecretString::from(s)),
        Some(other @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            Some(SecretString::from(other.to_string()))
        }
        Some(_) => {
            return Err(serde::de::Error::custom("admin_password must be a string"));
        }
    })
}

#[derive(Serialize)]
struct Defaults {
    data_dir: &'static str,
    listen: &'static str,
    log: &'static str,
    body_idle_timeout_secs: u64,
    download_flush_seconds: u64,
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
            body_idle_timeout_secs: 60,
            download_flush_seconds: 5,
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
        if let Some(p) = &self.admin_password {
            use secrecy::ExposeSecret;
            let len = p.expose_secret().chars().count();
            if len > 0 && len < 8 {
                return Err(ConfigError(
                    "admin_password must be at least 8 characters".into(),
                ));
            }
        }
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
        if let Some(base) = &self.base_url
            && !(base.starts_with("http://") || base.starts_with("https://"))
        {
            return Err(ConfigError(
                "base_url must start with http:// or https://".into(),
            ));
        }
        if self.body_idle_timeout_secs == 0 {
            return Err(ConfigError(
                "body_idle_timeout_secs must be at least 1".into(),
            ));
        }
        if !(1..=3600).contains(&self.download_flush_seconds) {
            return Err(ConfigError(
                "download_flush_seconds must be a whole number from 1 to 3600".into(),
            ));
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

    /// How often noted download times are written (validated at load).
    pub fn download_flush_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.download_flush_seconds.max(1))
    }

    /// The listen address (validated at load).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.parse().expect("validated in Config::load")
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment::Jail closures return figment's own error type"
)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_and_numeric_passwords() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("STOWAGE_LISTEN", "127.0.0.1:0");
            jail.set_env("STOWAGE_ADMIN_PASSWORD", "12345678");
            let c = Config::load(None).expect("loads");
            assert_eq!(c.listen, "127.0.0.1:0");
            use secrecy::ExposeSecret;
            assert_eq!(c.admin_password.unwrap().expose_secret(), "12345678");
            assert_eq!(c.data_dir, PathBuf::from("./stowage-data"));
            assert_eq!(c.body_idle_timeout_secs, 60);
            Ok(())
        });
    }

    #[test]
    fn bad_values_give_one_clear_message() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("STOWAGE_LISTEN", "not-an-address");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("listen"), "{e}");
            jail.set_env("STOWAGE_LISTEN", "0.0.0.0:8081");
            jail.set_env("STOWAGE_DATABASE_URL", "mysql://x");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("database_url"), "{e}");
            jail.set_env("STOWAGE_DATABASE_URL", "");
            jail.set_env("STOWAGE_ADMIN_PASSWORD", "short");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("admin_password"), "{e}");
            jail.set_env("STOWAGE_ADMIN_PASSWORD", "");
            jail.set_env("STOWAGE_BODY_IDLE_TIMEOUT_SECS", "0");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("body_idle_timeout_secs"), "{e}");
            jail.set_env("STOWAGE_BODY_IDLE_TIMEOUT_SECS", "5");
            assert_eq!(Config::load(None).unwrap().body_idle_timeout_secs, 5);
            jail.set_env("STOWAGE_ADMIN_PASSWORD", "long enough");
            jail.set_env("STOWAGE_DOWNLOAD_FLUSH_SECONDS", "0");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("download_flush_seconds"), "{e}");
            jail.set_env("STOWAGE_DOWNLOAD_FLUSH_SECONDS", "2");
            assert_eq!(Config::load(None).unwrap().download_flush_seconds, 2);
            Ok(())
        });
    }

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "s.toml",
                "listen = \"127.0.0.1:9000\"\ndata_dir = \"/tmp/x\"\n",
            )?;
            jail.set_env("STOWAGE_DATA_DIR", "/tmp/y");
            let c = Config::load(Some(Path::new("s.toml"))).expect("loads");
            assert_eq!(c.listen, "127.0.0.1:9000");
            assert_eq!(c.data_dir, PathBuf::from("/tmp/y"));
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}
