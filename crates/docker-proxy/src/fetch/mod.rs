//! Cold blobs: one upstream download per blob however many clients ask at once, each of them
//! served while the bytes arrive.
//!
//! The first `GET` of a blob that is not cached starts a [`Download`]. It reads the upstream's
//! body and hands every piece to three parties at once:
//! - a writer thread, which appends it to a spool file: for a file blob store that file is
//!   already a temporary object of the store, so caching the blob afterwards is a rename;
//! - a hasher thread, which computes the sha256;
//! - the flight's window of recent pieces, from which the clients keeping up with the download
//!   are served without copying.
//!
//! A client that falls behind the window (or joins late) reads the spool file instead; pieces
//! leave the window only once they are on disk. The last piece is published only when the
//! digest has checked out, so no client receives a whole blob that does not match: after a
//! mismatch every response ends short. The download then makes the spool durable and commits
//! it to the blob store, records the asset, and only then leaves the table of flights, so a
//! request that comes later either joins it or finds the blob cached.
//!
//! A `Range` (a client resuming a pull) is served from the download once its size is known. A
//! `HEAD` of a blob that is not cached asks the upstream with a `HEAD`; it downloads nothing.

use crate::upstream::{Upstream, UpstreamError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};
use sha2::Digest as _;
use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use stowage_core::format::ContentContext;
use stowage_core::http::{RangeRequest, parse_range};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure};
use stowage_docker::{Digest, ImageName};
use tokio::sync::watch;
mod download;
#[allow(unused_imports)]
pub(crate) use download::*;

/// Largest piece handed on at once: network chunks are gathered up to this size while more
/// keep arriving, and a spool read of a lagging client returns at most this much.
const PIECE: usize = 1024 * 1024;
/// A network chunk at least this big is handed on as it is, without gathering.
const DIRECT: usize = 64 * 1024;
/// Pieces kept in memory for the clients that keep up (on top of those still being written).
const WINDOW: usize = 16;
/// Pieces queued for the writer and for the hasher; bounds a download's memory.
const QUEUE: usize = 8;

/// Where a download stands.
#[derive(Debug, Clone)]
enum Progress {
    Starting,
    Receiving {
        total: Option<u64>,
        /// Bytes clients may have (the window, or the spool below `on_disk`).
        published: u64,
        /// Bytes written to the spool file.
        on_disk: u64,
    },
    /// Every byte arrived and the digest matched; the spool file is complete.
    Done {
        total: u64,
    },
    Missing,
    /// The upstream is rate-limiting us; its `Retry-After`.
    Throttled(Option<String>),
    Failed(String),
}

/// The most recent pieces of a download, the first starting at byte `start`.
#[derive(Default)]
struct Window {
    start: u64,
    pieces: VecDeque<Bytes>,
}

impl Window {
    /// The bytes from `offset` to the end of the piece holding it, if that piece is here.
    fn from(&self, offset: u64) -> Option<Bytes> {
        let mut at = self.start;
        for piece in &self.pieces {
            let end = at + piece.len() as u64;
            if offset >= at && offset < end {
                return Some(piece.slice((offset - at) as usize..));
            }
            at = end;
        }
        None
    }

    /// Adds `piece` and lets go of the oldest pieces beyond [`WINDOW`] that are on disk.
    fn push(&mut self, piece: Bytes, on_disk: u64) {
        self.pieces.push_back(piece);
        while self.pieces.len() > WINDOW {
            let first = self.pieces[0].len() as u64;
            if self.start + first > on_disk {
                break;
            }
            self.pieces.pop_front();
            self.start += first;
        }
    }
}

struct Flight {
    spool: PathBuf,
    /// The spool file, open for reading, once the download has created it. Readers use this
    /// handle, never the path: the file is renamed into the blob store or removed at the end.
    file: std::sync::OnceLock<Arc<std::fs::File>>,
    progress: watch::Sender<Progress>,
    window: Mutex<Window>,
}

impl Flight {
    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Downloads in progress, by repository id and digest.
static FLIGHTS: LazyLock<Mutex<HashMap<String, Arc<Flight>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn flights() -> std::sync::MutexGuard<'static, HashMap<String, Arc<Flight>>> {
    FLIGHTS.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn unknown(digest: &Digest) -> Failure {
    RegistryError::new(
        ErrorCode::BlobUnknown,
        format!("blob {digest} is not in this repository nor upstream"),
    )
    .into()
}

fn failure(e: UpstreamError, digest: &Digest) -> Failure {
    match e {
        UpstreamError::NotFound => unknown(digest),
        e => crate::serve::upstream_failure(e),
    }
}

fn blob_response(digest: &Digest) -> actix_web::HttpResponseBuilder {
    let mut resp = HttpResponse::Ok();
    resp.insert_header(API_VERSION)
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .content_type("application/octet-stream");
    resp
}

/// Serves a blob that is not cached: a `GET` joins the download of it or starts one, a `HEAD`
/// asks the upstream. `None`: the upstream does not have it.
pub async fn cold_blob(
    ctx: &ContentContext,
    req: &HttpRequest,
    upstream: &Arc<Upstream>,
    image: &ImageName,
    digest: &Digest,
) -> Result<Option<HttpResponse>, Failure> {
    let key = format!("{}/{digest}", ctx.repository.id);
    let head = req.method() == actix_web::http::Method::HEAD;
    let joined = flights().get(&key).cloned();
    let flight = match joined {
        Some(f) => f,
        None if head => return head_upstream(upstream, image, digest).await,
        None => start(ctx, upstream, image, digest, key).await?,
    };
    let mut progress = flight.progress.subscribe();
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
        Progress::Missing => return Ok(None),
        Progress::Throttled(retry) => return Err(failure(UpstreamError::TooMany(retry), digest)),
        Progress::Failed(why) => return Err(RegistryError::new(ErrorCode::Unavailable, why).into()),
        Progress::Receiving { total, .. } => total,
        Progress::Done { total } => Some(total),
        Progress::Starting => None,
    };
    let mut resp = blob_response(digest);
    if head {
        return Ok(Some(head_response(resp, total)));
    }
    // A range (a client resuming a pull) is served from the download once its size is known.
    let mut range = None;
    if let Some(size) = total {
        resp.insert_header((header::ACCEPT_RANGES, "bytes"));
        let asked = req
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok());
        match parse_range(asked, size) {
            RangeRequest::Full => {}
            RangeRequest::Partial(r) => {
                resp.status(StatusCode::PARTIAL_CONTENT).insert_header((
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{size}", r.start, r.end - 1),
                ));
                range = Some(r);
            }
            RangeRequest::Unsatisfiable => {
                return Ok(Some(
                    resp.status(StatusCode::RANGE_NOT_SATISFIABLE)
                        .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                        .finish(),
                ));
            }
        }
    }
    let spool = flight.file.get().cloned().ok_or_else(|| {
        Failure::Core(stowage_core::CoreError::Internal(
            "a download without its spool file".into(),
        ))
    })?;
    let (offset, end) = range.as_ref().map_or((0, None), |r| (r.start, Some(r.end)));
    let length = range.map(|r| r.end - r.start).or(total);
    let body = futures_util::stream::unfold(
        Reader {
            flight,
            progress,
            spool,
            offset,
            end,
        },
        |mut r| async move {
            match r.next().await {
                Ok(Some(bytes)) => {
                    r.offset += bytes.len() as u64;
                    Some((Ok(bytes), r))
                }
                Ok(None) => None,
                Err(e) => Some((Err(e), r)),
            }
        },
    );
    match length {
        Some(len) => Ok(Some(resp.no_chunking(len).streaming(body))),
        None => Ok(Some(resp.streaming(body))),
    }
}

/// `HEAD` of a blob neither cached nor being downloaded: the upstream's answer, nothing fetched.
async fn head_upstream(
    upstream: &Upstream,
    image: &ImageName,
    digest: &Digest,
) -> Result<Option<HttpResponse>, Failure> {
    let resp = match upstream
        .send(
            reqwest::Method::HEAD,
            &image.to_string(),
            &format!("blobs/{digest}"),
            &[],
        )
        .await
    {
        Ok(resp) => resp,
        Err(UpstreamError::NotFound) => return Ok(None),
        Err(e) => return Err(failure(e, digest)),
    };
    let len = resp
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    Ok(Some(head_response(blob_response(digest), len)))
}

/// The answer to a `HEAD`: the headers, with the blob's length when known, and no body.
fn head_response(mut resp: actix_web::HttpResponseBuilder, len: Option<u64>) -> HttpResponse {
    match len {
        // actix sends this Content-Length and no body for HEAD.
        Some(len) => resp.body(actix_web::body::SizedStream::new(
            len,
            futures_util::stream::empty::<std::io::Result<Bytes>>(),
        )),
        None => resp.finish(),
    }
}

/// Registers a flight for `key` (unless another request just did) and starts its download.
async fn start(
    ctx: &ContentContext,
    upstream: &Arc<Upstream>,
    image: &ImageName,
    digest: &Digest,
    key: String,
) -> Result<Arc<Flight>, Failure> {
    let store = ctx.services.blob_store(&ctx.repository.blob_store).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (spool, in_store) = match store.tmp_file(&id) {
        Some(path) => (path, true),
        None => (ctx.services.work_dir("docker-proxy").join(&id), false),
    };
    let mut all = flights();
    if let Some(f) = all.get(&key) {
        return Ok(Arc::clone(f));
    }
    let flight = Arc::new(Flight {
        spool: spool.clone(),
        file: std::sync::OnceLock::new(),
        progress: watch::Sender::new(Progress::Starting),
        window: Mutex::new(Window::default()),
    });
    all.insert(key.clone(), Arc::clone(&flight));
    drop(all);
    let job = Download {
        ctx: ctx.clone(),
        store,
        upstream: Arc::clone(upstream),
        image: image.to_string(),
        digest: digest.clone(),
        flight: Arc::clone(&flight),
        id,
        in_store,
        key,
    };
    tokio::spawn(job.run());
    Ok(flight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_serves_what_it_holds_and_keeps_what_is_not_on_disk() {
        let piece = |i: usize| Bytes::from(vec![i as u8; 10]);
        let mut w = Window::default();
        let n = WINDOW + 2;
        for i in 0..n {
            w.push(piece(i), 0);
        }
        // Nothing is on disk: every piece stays.
        assert_eq!(w.pieces.len(), n);
        assert_eq!(w.from(25).unwrap(), Bytes::from(vec![2u8; 5]));
        // Once on disk, only the newest WINDOW pieces stay.
        let end = 10 * (n as u64 + 1);
        w.push(piece(n), end);
        assert_eq!(w.pieces.len(), WINDOW);
        let start = end - 10 * WINDOW as u64;
        assert_eq!(w.start, start);
        assert!(w.from(start - 1).is_none());
        assert_eq!(w.from(start).unwrap(), piece(n + 1 - WINDOW));
        assert_eq!(w.from(end - 1).unwrap(), Bytes::from(vec![n as u8; 1]));
        assert!(w.from(end).is_none());
        // Pieces not yet on disk are kept even beyond WINDOW.
        w.push(piece(n + 1), start);
        assert_eq!(w.pieces.len(), WINDOW + 1);
    }
}
