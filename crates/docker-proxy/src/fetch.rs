//! Cold blobs: one upstream download per blob however many clients ask at once, each of them
//! served while the bytes arrive.
//!
//! The first request for a blob that is not cached starts a download into a spool file under
//! `<data dir>/work/docker-proxy/`, and publishes how far it got on a watch channel. Every request for
//! that blob, the first included, streams the spool file up to that mark, waiting for more as
//! it arrives. When the download completes and its sha256 checks out, the download is marked
//! done (the waiting responses end), the bytes go into the blob store and the asset is
//! recorded; the download leaves the table of flights only then, so a request that comes later
//! either joins it (and reads the spool file) or finds the blob cached. A failed download ends every waiting response early
//! (clients see a short body and retry) and stores nothing.

use crate::blob_path;
use crate::upstream::{Upstream, UpstreamError};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use stowage_core::format::ContentContext;
use stowage_core::model::NewAsset;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, RegistryResult};
use stowage_docker::{Digest, ImageName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// Largest piece read from a spool file at once.
const PIECE: u64 = 1024 * 1024;

/// Where a download stands.
#[derive(Debug, Clone)]
enum Progress {
    Starting,
    Receiving {
        total: Option<u64>,
        written: u64,
    },
    Done {
        total: u64,
    },
    Missing,
    /// The upstream is rate-limiting us; its `Retry-After`.
    Throttled(Option<String>),
    Failed(String),
}

struct Flight {
    spool: PathBuf,
    progress: watch::Receiver<Progress>,
}

/// Downloads in progress, by repository id and digest.
static FLIGHTS: LazyLock<Mutex<HashMap<String, Arc<Flight>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn unknown(digest: &Digest) -> Failure {
    RegistryError::new(
        ErrorCode::BlobUnknown,
        format!("blob {digest} is not in this repository nor upstream"),
    )
    .into()
}

/// Serves a blob that is not cached, joining the download of it or starting one.
pub async fn cold_blob(
    ctx: &ContentContext,
    req: &HttpRequest,
    upstream: &Arc<Upstream>,
    image: &ImageName,
    digest: &Digest,
) -> RegistryResult {
    let key = format!("{}/{digest}", ctx.repository.id);
    let flight = {
        let mut flights = FLIGHTS.lock().unwrap_or_else(|p| p.into_inner());
        match flights.get(&key) {
            Some(f) => Arc::clone(f),
            None => {
                let spool = ctx
                    .services
                    .work_dir("docker-proxy")
                    .join(uuid::Uuid::new_v4().simple().to_string());
                let (tx, rx) = watch::channel(Progress::Starting);
                let f = Arc::new(Flight {
                    spool: spool.clone(),
                    progress: rx,
                });
                flights.insert(key.clone(), Arc::clone(&f));
                let job = Download {
                    ctx: ctx.clone(),
                    upstream: Arc::clone(upstream),
                    image: image.to_string(),
                    digest: digest.clone(),
                    spool,
                    tx,
                    key,
                };
                tokio::spawn(job.run());
                f
            }
        }
    };
    let mut progress = flight.progress.clone();
    let state = progress
        .wait_for(|p| !matches!(p, Progress::Starting))
        .await
        .map_err(|_| {
            Failure::Core(stowage_core::CoreError::Internal(
                "download vanished".into(),
            ))
        })?
        .clone();
    let total = match state {
        Progress::Missing => return Err(unknown(digest)),
        Progress::Throttled(retry) => {
            return Err(crate::serve::upstream_failure(UpstreamError::TooMany(
                retry,
            )));
        }
        Progress::Failed(why) => {
            return Err(RegistryError::new(ErrorCode::Unavailable, why).into());
        }
        Progress::Receiving { total, .. } => total,
        Progress::Done { total } => Some(total),
        Progress::Starting => None,
    };
    let mut resp = HttpResponse::Ok();
    resp.insert_header(API_VERSION)
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .content_type("application/octet-stream");
    if req.method() == actix_web::http::Method::HEAD {
        if let Some(t) = total {
            resp.insert_header((actix_web::http::header::CONTENT_LENGTH, t.to_string()));
        }
        return Ok(resp.finish());
    }
    let file = match tokio::fs::File::open(&flight.spool).await {
        Ok(f) => f,
        // Finished and cleaned up in the meantime: it is cached now.
        Err(_) => {
            return crate::serve::cached_blob(ctx, req, digest)
                .await?
                .ok_or_else(|| unknown(digest));
        }
    };
    let body = futures_util::stream::unfold(
        (file, 0u64, progress),
        |(mut file, offset, mut progress)| async move {
            loop {
                let state = progress.borrow_and_update().clone();
                let (available, finished) = match state {
                    Progress::Receiving { written, .. } => (written, None),
                    Progress::Done { total } => (total, Some(total)),
                    Progress::Failed(why) => {
                        return Some((Err(std::io::Error::other(why)), (file, offset, progress)));
                    }
                    Progress::Starting | Progress::Missing | Progress::Throttled(_) => (0, None),
                };
                if offset < available {
                    let want = (available - offset).min(PIECE) as usize;
                    let mut buf = vec![0u8; want];
                    return match file.read_exact(&mut buf).await {
                        Ok(_) => {
                            Some((Ok(Bytes::from(buf)), (file, offset + want as u64, progress)))
                        }
                        Err(e) => Some((Err(e), (file, offset, progress))),
                    };
                }
                if finished.is_some() {
                    return None;
                }
                if progress.changed().await.is_err() {
                    return Some((
                        Err(std::io::Error::other("the download stopped")),
                        (file, offset, progress),
                    ));
                }
            }
        },
    );
    match total {
        Some(t) => Ok(resp.no_chunking(t).streaming(body)),
        None => Ok(resp.streaming(body)),
    }
}

/// One download, run on its own task so that it completes even if every client goes away.
struct Download {
    ctx: ContentContext,
    upstream: Arc<Upstream>,
    image: String,
    digest: Digest,
    spool: PathBuf,
    tx: watch::Sender<Progress>,
    key: String,
}

impl Download {
    async fn run(self) {
        let outcome = self.fetch().await;
        let delivered = matches!(*self.tx.borrow(), Progress::Done { .. });
        let final_state = match outcome {
            Ok(total) => Progress::Done { total },
            // Every byte went out verified; only keeping a copy failed (logged below).
            Err(e) if delivered => {
                tracing::error!(repo = %self.ctx.repository.name, digest = %self.digest, error = %e, "a proxied blob was served but could not be cached");
                Progress::Done { total: 0 }
            }
            Err(UpstreamError::NotFound) => Progress::Missing,
            Err(UpstreamError::TooMany(retry)) => Progress::Throttled(retry),
            Err(e) => {
                tracing::warn!(repo = %self.ctx.repository.name, digest = %self.digest, error = %e, "proxy download failed");
                Progress::Failed(e.to_string())
            }
        };
        if !delivered {
            let _ = self.tx.send(final_state);
        }
        FLIGHTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
        // Readers that opened the spool file keep reading it after this.
        let _ = tokio::fs::remove_file(&self.spool).await;
    }

    async fn fetch(&self) -> Result<u64, UpstreamError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            UpstreamError::Unavailable(format!("{what}: {e}"))
        };
        let resp = self
            .upstream
            .send(
                reqwest::Method::GET,
                &self.image,
                &format!("blobs/{}", self.digest),
                &[],
            )
            .await?;
        let total = resp.content_length();
        if let Some(dir) = self.spool.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| fail("spool", &e))?;
        }
        let mut file = tokio::fs::File::create(&self.spool)
            .await
            .map_err(|e| fail("spool", &e))?;
        let _ = self.tx.send(Progress::Receiving { total, written: 0 });
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        // Network chunks are small: gather them, and write and announce a piece at a time.
        let mut pending = bytes::BytesMut::with_capacity(PIECE as usize);
        let mut body = resp.bytes_stream();
        loop {
            let chunk = body.next().await;
            let end = chunk.is_none();
            if let Some(chunk) = chunk {
                let chunk = chunk.map_err(|e| fail("download", &e))?;
                hasher.update(&chunk);
                pending.extend_from_slice(&chunk);
            }
            if pending.len() as u64 >= PIECE || (end && !pending.is_empty()) {
                file.write_all(&pending)
                    .await
                    .map_err(|e| fail("spool", &e))?;
                file.flush().await.map_err(|e| fail("spool", &e))?;
                written += pending.len() as u64;
                pending.clear();
                let _ = self.tx.send(Progress::Receiving { total, written });
            }
            if end {
                break;
            }
        }
        drop(file);
        let actual = hex::encode(hasher.finalize());
        if actual != self.digest.hex() {
            return Err(UpstreamError::Unavailable(format!(
                "the upstream sent content with digest sha256:{actual} for {}",
                self.digest
            )));
        }
        // Every waiting client can finish now; storing the copy is the cache's business.
        let _ = self.tx.send(Progress::Done { total: written });
        let services = &self.ctx.services;
        let repo = &self.ctx.repository;
        let store = services
            .blob_store(&repo.blob_store)
            .await
            .map_err(|e| fail("blob store", &e))?;
        let spool = tokio::fs::File::open(&self.spool)
            .await
            .map_err(|e| fail("spool", &e))?;
        let blob = store
            .ingest(tokio_stream(spool), Some(self.digest.hex()))
            .await
            .map_err(|e| fail("storing", &e))?;
        let new = NewAsset {
            path: blob_path(&self.digest),
            blob,
            content_type: "application/octet-stream".into(),
            component: None,
            uploader: None,
            uploader_ip: None,
        };
        services
            .catalogue
            .put_asset(repo, &new, true)
            .await
            .map_err(|e| fail("recording", &e))?;
        tracing::info!(repo = %repo.name, digest = %self.digest, size_bytes = written, "cached blob from upstream");
        Ok(written)
    }
}

/// A file as a stream of chunks.
fn tokio_stream(
    mut file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Unpin {
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        let mut buf = vec![0u8; 256 * 1024];
        let mut read_buf = tokio::io::ReadBuf::new(&mut buf);
        match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut file), cx, &mut read_buf) {
            std::task::Poll::Ready(Ok(())) => {
                let n = read_buf.filled().len();
                if n == 0 {
                    std::task::Poll::Ready(None)
                } else {
                    buf.truncate(n);
                    std::task::Poll::Ready(Some(Ok(Bytes::from(buf))))
                }
            }
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Some(Err(e))),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }))
}
