//! Building and running the application: open the catalogue and blob stores, make sure the
//! first-start defaults exist, bind the listener.

use crate::connectors::Connectors;
use crate::request_span::request_span;
use crate::state::AppState;
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use stowage_core::catalogue::{Catalogue, DownloadFlusher};
use stowage_core::config::Config;
use stowage_core::format::{Formats, Services};
use stowage_core::model::{BlobStoreRecord, User, UserStatus};
use stowage_core::security::audit::AuditLog;
use stowage_core::security::tokens::TokenSigner;
use stowage_core::security::{ADMIN_ROLE, ANONYMOUS_ROLE, ANONYMOUS_USER, Security, password};
use stowage_core::storage::{BlobStore, BlobStores, StoreSettings};
use stowage_core::{CoreError, Result};

/// Temporary upload objects older than this are leftovers of interrupted uploads.
const TMP_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    downloads: DownloadFlusher,
}

impl Application {
    /// Opens everything `config` names and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            CoreError::Internal(format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            ))
        })?;
        // Work files of formats (proxy spools) never outlive the process that wrote them.
        let work = config.data_dir.join("work");
        if let Err(e) = std::fs::remove_dir_all(&work)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %work.display(), error = %e, "could not empty the work folder");
        }
        let catalogue = Catalogue::connect(&config.database_url()).await?;
        tracing::info!(backend = ?catalogue.backend(), "catalogue ready");
        let blob_stores = open_blob_stores(&catalogue, &config).await?;
        let downloads = catalogue.spawn_download_flusher(config.download_flush_interval());
        ensure_admin(&catalogue, &config).await?;
        ensure_anonymous_user(&catalogue).await?;

        let listener = TcpListener::bind(config.listen_addr())
            .map_err(|e| CoreError::Internal(format!("cannot listen on {}: {e}", config.listen)))?;
        let addr = listener.local_addr()?;
        tracing::info!(address = %addr, "listening");

        let formats = Arc::new(Formats::new(crate::formats::registered()));
        let token_key = catalogue
            .setting_or_init(TokenSigner::SETTING, || {
                format!("{}{}", password::random_secret(), password::random_secret())
            })
            .await?;
        let audit = AuditLog::open(&config.data_dir.join("audit"))?;
        let security = Arc::new(Security::load(catalogue.clone(), formats.names(), audit).await?);
        security.spawn_refresher();
        let connectors = Arc::new(Connectors::default());
        let services = Arc::new(Services {
            catalogue: catalogue.clone(),
            blob_stores,
            config,
            security: Arc::clone(&security),
            tokens: TokenSigner::new(token_key.as_bytes()),
            formats,
            ports: connectors.clone(),
        });
        let state = web::Data::new(AppState {
            services,
            security,
            connectors,
            started: std::time::Instant::now(),
        });
        open_connectors(&state).await?;
        tokio::spawn(expire_upload_sessions(state.services.clone()));
        let app_state = state.clone();
        let identity = crate::auth::identity();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(web::Data::from(app_state.services.clone()))
                .app_data(identity.clone())
                .wrap(actix_web::middleware::from_fn(crate::routes::enforce_main))
                .wrap(actix_web::middleware::from_fn(
                    crate::body_timeout::limit_idle_body,
                ))
                .wrap(actix_web::middleware::from_fn(
                    crate::headers::main_listener,
                ))
                .wrap(actix_web::middleware::from_fn(request_span))
                .configure(|cfg| crate::routes::main_table().configure(cfg))
        })
        .listen(listener)?
        .run();
        Ok(Self {
            port: addr.port(),
            server,
            state,
            downloads,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The shared state (for tests that inspect the catalogue).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM, or the handle). Then the
    /// repositories' own ports stop (requests in flight get up to 5 s), the download times
    /// noted since the last flush are written, and the catalogue is closed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.state.connectors.close_all().await;
        self.downloads.stop().await;
        self.state.services.catalogue.close().await;
        result
    }
}

/// Opens the listener of every repository that has its own port. One that cannot be bound is
/// logged and skipped, so a taken port does not keep the whole server down.
async fn open_connectors(state: &web::Data<AppState>) -> Result<()> {
    let ip = state.services.config.listen_addr().ip();
    for repo in state.services.catalogue.list_repositories().await? {
        let Some(port) = state
            .services
            .formats
            .get(&repo.format, repo.kind)
            .and_then(|r| r.connector_port(&repo.attributes))
        else {
            continue;
        };
        if let Err(e) = state.connectors.open(state, &repo, ip, port) {
            tracing::error!(repo = %repo.name, port, error = %e, "repository port not opened");
        }
    }
    Ok(())
}

/// Drops upload sessions (chunked uploads a format keeps open) untouched for [`TMP_MAX_AGE`] with their chunks: the start-up
/// sweep of `tmp/` removes chunks of that age, so such a session could not be finished anyway.
async fn expire_upload_sessions(services: Arc<Services>) {
    let before = stowage_core::now_millis() - i64::try_from(TMP_MAX_AGE.as_millis()).unwrap_or(0);
    let stale = match services.catalogue.stale_uploads(before).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "could not list stale upload sessions");
            return;
        }
    };
    for s in &stale {
        if let Ok(store) = services.blob_store(&s.blob_store).await {
            for p in &s.parts {
                store.discard_tmp(p).await;
            }
        }
        let _ = services.catalogue.delete_upload(&s.id).await;
    }
    if !stale.is_empty() {
        tracing::info!(sessions = stale.len(), "expired abandoned upload sessions");
    }
}

/// Creates the `default` file blob store on first start, opens every configured store and
/// sweeps old temporary uploads in the background.
async fn open_blob_stores(catalogue: &Catalogue, config: &Config) -> Result<BlobStores> {
    let mut records = catalogue.list_blob_stores().await?;
    if !records.iter().any(|r| r.name == "default") {
        let rec = BlobStoreRecord {
            name: "default".into(),
            kind: "File".into(),
            attributes: serde_json::json!({ "path": "default" }),
        };
        catalogue.create_blob_store(&rec).await?;
        records.push(rec);
    }
    let stores = BlobStores::default();
    for rec in records {
        let opened = StoreSettings::parse(&rec.kind, &rec.attributes, &config.data_dir)
            .and_then(|s| BlobStore::open(&rec.name, s));
        match opened {
            Ok(store) => {
                let store_name = rec.name.clone();
                stores.insert(store);
                let store = stores.get(&store_name)?;
                tokio::spawn(async move {
                    match store.sweep_tmp(TMP_MAX_AGE).await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(blob_store = %store_name, removed = n, "swept interrupted uploads")
                        }
                        Err(e) => {
                            tracing::warn!(blob_store = %store_name, error = %crate::error::chain(&e), "could not sweep temporary uploads")
                        }
                    }
                });
            }
            Err(e) => tracing::error!(
                blob_store = %rec.name,
                error = %crate::error::chain(&e),
                "blob store unavailable"
            ),
        }
    }
    Ok(stores)
}

/// Creates the anonymous user (no password; it cannot sign in) if it is missing. Whether
/// requests without credentials act as it is the anonymous-access switch.
async fn ensure_anonymous_user(catalogue: &Catalogue) -> Result<()> {
    if catalogue.find_user(ANONYMOUS_USER).await?.is_some() {
        return Ok(());
    }
    let created = catalogue
        .create_user(&User {
            user_id: ANONYMOUS_USER.into(),
            first_name: "Anonymous".into(),
            last_name: "User".into(),
            email: "anonymous@example.org".into(),
            status: UserStatus::Active,
            roles: vec![ANONYMOUS_ROLE.into()],
            password_hash: String::new(),
        })
        .await;
    match created {
        // Another node got there first.
        Ok(()) | Err(CoreError::Invalid { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// On first start (no users), creates `admin` with the configured password, or a random one
/// written to `<data dir>/admin.password` (mode 0600), as Nexus does.
async fn ensure_admin(catalogue: &Catalogue, config: &Config) -> Result<()> {
    if !catalogue.list_users().await?.is_empty() {
        return Ok(());
    }
    let (pass, generated) = match &config.admin_password {
        Some(p) if !p.expose_secret().is_empty() => (p.expose_secret().to_owned(), false),
        _ => (password::random_secret(), true),
    };
    let hash = {
        let pass = pass.clone();
        tokio::task::spawn_blocking(move || password::hash(&pass))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
    };
    catalogue
        .create_user(&User {
            user_id: "admin".into(),
            first_name: "Administrator".into(),
            last_name: "User".into(),
            email: "admin@example.org".into(),
            status: UserStatus::Active,
            roles: vec![ADMIN_ROLE.into()],
            password_hash: hash,
        })
        .await?;
    if generated {
        let path = config.data_dir.join("admin.password");
        write_private(&path, &pass)?;
        tracing::info!(path = %path.display(), "created user 'admin'; its generated password is in this file");
    } else {
        tracing::info!("created user 'admin' with the password from the configuration");
    }
    Ok(())
}

fn write_private(path: &std::path::Path, content: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
