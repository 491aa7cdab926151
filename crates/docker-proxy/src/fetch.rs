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
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt as _, StreamExt as _};
use sha2::{Digest as _, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use stowage_core::format::ContentContext;
use stowage_core::http::{RangeRequest, parse_range};
use stowage_core::model::NewAsset;
use stowage_core::storage::TmpObject;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure};
use stowage_docker::layout::blob_path;
use stowage_docker::{Digest, ImageName};
use tokio::sync::{mpsc, watch};

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

/// One client's read of a download.
struct Reader {
    flight: Arc<Flight>,
    progress: watch::Receiver<Progress>,
    spool: Arc<std::fs::File>,
    offset: u64,
    /// Where a range ends (exclusive); `None`: at the end of the blob.
    end: Option<u64>,
}

impl Reader {
    /// The next bytes from `offset`, up to `end`. `None` at the end.
    async fn next(&mut self) -> std::io::Result<Option<Bytes>> {
        let Some(end) = self.end else {
            return self.next_of_blob().await;
        };
        if self.offset >= end {
            return Ok(None);
        }
        let mut bytes = self.next_of_blob().await?;
        if let Some(b) = bytes.as_mut() {
            b.truncate((end - self.offset).min(b.len() as u64) as usize);
        }
        Ok(bytes)
    }

    /// The next bytes from `offset`: from the window when they are there, else from the spool
    /// file, else once they arrive. `None` at the end of the blob.
    async fn next_of_blob(&mut self) -> std::io::Result<Option<Bytes>> {
        loop {
            let (published, on_disk, finished) = match &*self.progress.borrow_and_update() {
                Progress::Receiving {
                    published, on_disk, ..
                } => (*published, *on_disk, false),
                Progress::Done { total } => (*total, *total, true),
                Progress::Failed(why) => return Err(std::io::Error::other(why.clone())),
                Progress::Starting | Progress::Missing | Progress::Throttled(_) => (0, 0, false),
            };
            if self.offset < published {
                if let Some(bytes) = self.flight.window().from(self.offset) {
                    return Ok(Some(bytes));
                }
                if self.offset < on_disk {
                    let want = (on_disk - self.offset).min(PIECE as u64) as usize;
                    let (file, at) = (Arc::clone(&self.spool), self.offset);
                    return tokio::task::spawn_blocking(move || {
                        let mut buf = BytesMut::zeroed(want);
                        file.read_exact_at(&mut buf, at)?;
                        Ok(Some(buf.freeze()))
                    })
                    .await
                    .map_err(std::io::Error::other)?;
                }
            } else if finished {
                return Ok(None);
            }
            if self.progress.changed().await.is_err() {
                return Err(std::io::Error::other("the download stopped"));
            }
        }
    }
}

/// One download, run on its own task so that it completes even if every client goes away.
struct Download {
    ctx: ContentContext,
    store: Arc<stowage_core::storage::BlobStore>,
    upstream: Arc<Upstream>,
    image: String,
    digest: Digest,
    flight: Arc<Flight>,
    /// The spool's temporary-object id (its file name).
    id: String,
    /// Whether the spool file is a temporary object of the blob store.
    in_store: bool,
    key: String,
}

impl Download {
    async fn run(self) {
        let outcome = self.fetch().await;
        let delivered = matches!(*self.flight.progress.borrow(), Progress::Done { .. });
        let final_state = match outcome {
            Ok(_) => None,
            // Every byte went out verified; only keeping a copy failed.
            Err(e) if delivered => {
                tracing::error!(repo = %self.ctx.repository.name, digest = %self.digest, error = %e, "a proxied blob was served but could not be cached");
                None
            }
            Err(UpstreamError::NotFound) => Some(Progress::Missing),
            Err(UpstreamError::TooMany(retry)) => Some(Progress::Throttled(retry)),
            Err(e) => {
                tracing::warn!(repo = %self.ctx.repository.name, digest = %self.digest, error = %e, "proxy download failed");
                Some(Progress::Failed(e.to_string()))
            }
        };
        if let Some(state) = final_state {
            self.flight.progress.send_replace(state);
        }
        flights().remove(&self.key);
        // Committed, it is gone already; readers that opened it keep reading it after this.
        let _ = tokio::fs::remove_file(&self.flight.spool).await;
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
        let spool = self.flight.spool.clone();
        let file = tokio::task::spawn_blocking(move || {
            if let Some(dir) = spool.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::File::create_new(&spool)
        })
        .await
        .map_err(|e| fail("spool", &e))?
        .map_err(|e| fail("spool", &e))?;
        let reading = file.try_clone().map_err(|e| fail("spool", &e))?;
        let _ = self.flight.file.set(Arc::new(reading));
        self.flight.progress.send_replace(Progress::Receiving {
            total,
            published: 0,
            on_disk: 0,
        });
        let (to_writer, writer) = spawn_writer(file, Arc::clone(&self.flight));
        let (to_hasher, hasher) = spawn_hasher();
        let mut feed = Feed {
            to_writer,
            to_hasher,
            newest: None,
            published: 0,
        };

        // Network chunks are small: gather them while more keep coming, and hand on a piece
        // when it is full or the network has nothing more for now.
        let mut pending = BytesMut::new();
        let mut body = resp.bytes_stream();
        loop {
            let chunk = match body.next().now_or_never() {
                Some(chunk) => chunk,
                None => {
                    if !pending.is_empty() {
                        feed.take(&self.flight, pending.split().freeze()).await?;
                    }
                    body.next().await
                }
            };
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| fail("download", &e))?;
            if pending.is_empty() && chunk.len() >= DIRECT {
                feed.take(&self.flight, chunk).await?;
                continue;
            }
            if pending.capacity() - pending.len() < chunk.len() {
                pending.reserve(PIECE.max(chunk.len()));
            }
            pending.extend_from_slice(&chunk);
            if pending.len() >= PIECE {
                feed.take(&self.flight, pending.split().freeze()).await?;
            }
        }
        if !pending.is_empty() {
            feed.take(&self.flight, pending.split().freeze()).await?;
        }
        // The last piece waits for the digest.
        let Feed {
            to_writer,
            to_hasher,
            newest: held_back,
            ..
        } = feed;
        drop((to_writer, to_hasher));
        let (actual, size) = hasher.await.map_err(|e| fail("hashing", &e))?;
        let on_disk = writer
            .await
            .map_err(|e| fail("spool", &e))?
            .map_err(|e| fail("spool", &e))?;
        if actual != self.digest.hex() {
            return Err(UpstreamError::Unavailable(format!(
                "the upstream sent content with digest sha256:{actual} for {}",
                self.digest
            )));
        }
        if total.is_some_and(|t| t != size) || on_disk != size {
            return Err(UpstreamError::Unavailable(format!(
                "the upstream announced {total:?} bytes of {} and sent {size}",
                self.digest
            )));
        }
        // Every client can finish now; storing the copy is the cache's business.
        if let Some(last) = held_back {
            self.flight.window().push(last, on_disk);
        }
        self.flight
            .progress
            .send_replace(Progress::Done { total: size });
        let blob = self
            .keep(&actual, size)
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
        let repo = &self.ctx.repository;
        self.ctx
            .services
            .catalogue
            .put_asset(repo, &new, true)
            .await
            .map_err(|e| fail("recording", &e))?;
        tracing::info!(repo = %repo.name, digest = %self.digest, size_bytes = size, "cached blob from upstream");
        Ok(size)
    }

    /// Makes the verified spool file a blob of the store: a durable rename for a file store, a
    /// copy for S3.
    async fn keep(
        &self,
        sha256: &str,
        size: u64,
    ) -> stowage_core::Result<stowage_core::model::BlobRef> {
        let spool = self.flight.spool.clone();
        if self.in_store {
            tokio::task::spawn_blocking(move || std::fs::File::open(spool)?.sync_data())
                .await
                .map_err(|e| stowage_core::CoreError::Internal(e.to_string()))??;
            let tmp = TmpObject {
                id: self.id.clone(),
                sha256: sha256.to_owned(),
                size,
            };
            return self.store.commit_tmp(&tmp, Some(sha256)).await;
        }
        let file = tokio::fs::File::open(&spool).await?;
        self.store.ingest(file_stream(file), Some(sha256)).await
    }
}

/// Where the pieces of a download go: each at once to the writer and the hasher, and to the
/// clients one piece later, so that the last piece can be held back until the digest is known.
struct Feed {
    to_writer: mpsc::Sender<Bytes>,
    to_hasher: mpsc::Sender<Bytes>,
    /// The piece given to the writer and the hasher but not yet to the clients.
    newest: Option<Bytes>,
    /// Bytes given to the clients.
    published: u64,
}

impl Feed {
    async fn take(&mut self, flight: &Flight, piece: Bytes) -> Result<(), UpstreamError> {
        send(&self.to_writer, piece.clone()).await?;
        send(&self.to_hasher, piece.clone()).await?;
        let Some(previous) = self.newest.replace(piece) else {
            return Ok(());
        };
        self.published += previous.len() as u64;
        let on_disk = match &*flight.progress.borrow() {
            Progress::Receiving { on_disk, .. } => *on_disk,
            _ => 0,
        };
        // In the window first, then announced: a client never looks for bytes not there yet.
        flight.window().push(previous, on_disk);
        let published = self.published;
        flight.progress.send_modify(|p| {
            if let Progress::Receiving { published: at, .. } = p {
                *at = published;
            }
        });
        Ok(())
    }
}

async fn send(queue: &mpsc::Sender<Bytes>, piece: Bytes) -> Result<(), UpstreamError> {
    queue
        .send(piece)
        .await
        .map_err(|_| UpstreamError::Unavailable("the spool writer stopped".into()))
}

/// The writer thread: appends pieces to the spool file, announcing each as it is on disk.
fn spawn_writer(
    file: std::fs::File,
    flight: Arc<Flight>,
) -> (
    mpsc::Sender<Bytes>,
    tokio::task::JoinHandle<std::io::Result<u64>>,
) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
    let handle = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut on_disk = 0u64;
        while let Some(piece) = rx.blocking_recv() {
            file.write_all(&piece)?;
            on_disk += piece.len() as u64;
            flight.progress.send_modify(|p| {
                if let Progress::Receiving { on_disk: at, .. } = p {
                    *at = on_disk;
                }
            });
        }
        Ok(on_disk)
    });
    (tx, handle)
}

/// The hasher thread: the sha256 (lowercase hex) and size of everything it is given.
fn spawn_hasher() -> (mpsc::Sender<Bytes>, tokio::task::JoinHandle<(String, u64)>) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
    let handle = tokio::task::spawn_blocking(move || {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(piece) = rx.blocking_recv() {
            hasher.update(&piece);
            size += piece.len() as u64;
        }
        (hex::encode(hasher.finalize()), size)
    });
    (tx, handle)
}

/// A file as a stream of chunks.
fn file_stream(
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
