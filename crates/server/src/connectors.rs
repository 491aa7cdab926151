//! Per-repository HTTP connectors: a repository whose recipe asks for a port of its own
//! ([`Recipe::connector_port`](stowage_core::format::Recipe::connector_port)) gets a listener
//! serving its format's port routes, opened when the repository is created (or its port
//! changes) and closed when it is deleted, without a restart.
//!
//! A port is bound before the repository is saved, so a port already in use is refused with a
//! 400 and nothing is stored.

use crate::request_span::request_span;
use crate::routes::{PortTable, enforce_port, port_table};
use crate::state::AppState;
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::Mutex;
use stowage_core::CoreError;
use stowage_core::format::Ports;
use stowage_core::model::Repository;
use stowage_core::web::PortRepository;

/// Listeners bound ahead of time and handed over with [`hand_over`], for `open` to take instead
/// of binding their address itself.
static HANDED_OVER: Mutex<Vec<TcpListener>> = Mutex::new(Vec::new());

/// Test support: hands `listener` over to the repository that will next be opened on its
/// address. A test picks a repository's `httpPort` by binding port 0 and handing the listener
/// over, so the port stays reserved until the server takes it (a port that was merely free a
/// moment ago could be taken by a parallel test in between).
pub fn hand_over(listener: TcpListener) {
    HANDED_OVER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(listener);
}

/// The listener handed over for `addr`, if any.
fn take_handed_over(addr: SocketAddr) -> Option<TcpListener> {
    let mut handed = HANDED_OVER.lock().unwrap_or_else(|p| p.into_inner());
    let i = handed
        .iter()
        .position(|l| l.local_addr().is_ok_and(|a| a == addr))?;
    Some(handed.swap_remove(i))
}

/// The open connectors, by repository name.
#[derive(Default)]
pub struct Connectors {
    open: Mutex<HashMap<String, (u16, ServerHandle)>>,
}

impl Connectors {
    /// The port repository `name` listens on, if any.
    pub fn port_of(&self, name: &str) -> Option<u16> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(name).map(|(p, _)| *p)
    }

    /// Binds `port` for `repo` (replacing any listener it had). Fails with a 400-style error
    /// naming the recipe's port field when the port cannot be bound.
    pub fn open(
        &self,
        state: &web::Data<AppState>,
        repo: &Repository,
        ip: IpAddr,
        port: u16,
    ) -> Result<(), CoreError> {
        let name = repo.name.as_str();
        let recipe = state.services.formats.recipe_of(repo)?;
        let table = port_table(&repo.format).ok_or_else(|| {
            CoreError::Internal(format!("format {} serves no port of its own", repo.format))
        })?;
        if self.port_of(name) == Some(port) {
            return Ok(());
        }
        let addr = SocketAddr::new(ip, port);
        let listener = match take_handed_over(addr) {
            Some(listener) => listener,
            None => TcpListener::bind(addr).map_err(|e| {
                CoreError::invalid(
                    recipe.connector_field(),
                    format!("port {port} cannot be opened ({e}); choose a free port"),
                )
            })?,
        };
        let app_state = state.clone();
        let port_repo = web::Data::new(PortRepository(name.to_owned()));
        let table = web::Data::new(PortTable(table));
        let identity = crate::auth::identity();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(web::Data::from(app_state.services.clone()))
                .app_data(identity.clone())
                .app_data(port_repo.clone())
                .app_data(table.clone())
                .wrap(actix_web::middleware::from_fn(enforce_port))
                .wrap(actix_web::middleware::from_fn(
                    crate::body_timeout::limit_idle_body,
                ))
                .wrap(actix_web::middleware::from_fn(
                    crate::headers::port_listener,
                ))
                .wrap(actix_web::middleware::from_fn(request_span))
                .configure(|cfg| table.0.configure(cfg))
        })
        .workers(2)
        .shutdown_timeout(5)
        .disable_signals()
        .listen(listener)
        .map_err(|e| CoreError::Internal(format!("listener on port {port}: {e}")))?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(repo = %name, port, "repository port open");
        let old = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            open.insert(name.to_owned(), (port, handle))
        };
        if let Some((_, old)) = old {
            tokio::spawn(async move { old.stop(true).await });
        }
        Ok(())
    }

    /// Closes repository `name`'s listener, if it has one.
    pub async fn close(&self, name: &str) {
        let old = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            open.remove(name)
        };
        if let Some((port, handle)) = old {
            // Stops accepting at once; requests in flight get up to 5 s to finish.
            handle.stop(true).await;
            tracing::info!(repo = %name, port, "repository port closed");
        }
    }

    /// Closes every listener (at shutdown).
    pub async fn close_all(&self) {
        let names: Vec<String> = {
            let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            open.keys().cloned().collect()
        };
        for name in names {
            self.close(&name).await;
        }
    }
}

impl Ports for Connectors {
    fn port_of(&self, name: &str) -> Option<u16> {
        Connectors::port_of(self, name)
    }
}
