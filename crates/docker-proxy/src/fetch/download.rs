//! The download behind a flight: the reader each client holds, the upstream body handed to the
//! spool writer, the hasher and the window, and the spool file read back for lagging clients.

#[allow(unused_imports)]
use super::*;
use crate::upstream::{Upstream, UpstreamError};
use bytes::{Bytes, BytesMut};

use sha2::Sha256;

use std::sync::Arc;
use stowage_core::format::ContentContext;
use stowage_core::model::NewAsset;
use stowage_core::storage::TmpObject;
use stowage_docker::Digest;
use stowage_docker::layout::blob_path;
use tokio::sync::{mpsc, watch};

/// One client's read of a download.
pub(super) struct Reader {
    pub(super) flight: Arc<Flight>,
    pub(super) progress: watch::Receiver<Progress>,
    pub(super) spool: Arc<std::fs::File>,
    pub(super) offset: u64,
    /// Where a range ends (exclusive); `None`: at the end of the blob.
    pub(super) end: Option<u64>,
}

impl Reader {
    /// The next bytes from `offset`, up to `end`. `None` at the end.
    pub(super) async fn next(&mut self) -> std::io::Result<Option<Bytes>> {
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
    pub(super) async fn next_of_blob(&mut self) -> std::io::Result<Option<Bytes>> {
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
pub(super) struct Download {
    pub(super) ctx: ContentContext,
    pub(super) store: Arc<stowage_core::storage::BlobStore>,
    pub(super) upstream: Arc<Upstream>,
    pub(super) image: String,
    pub(super) digest: Digest,
    pub(super) flight: Arc<Flight>,
    /// The spool's temporary-object id (its file name).
    pub(super) id: String,
    /// Whether the spool file is a temporary object of the blob store.
    pub(super) in_store: bool,
    pub(super) key: String,
}

impl Download {
    pub(super) async fn run(self) {
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

    pub(super) async fn fetch(&self) -> Result<u64, UpstreamError> {
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
    pub(super) async fn keep(
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
pub(super) struct Feed {
    pub(super) to_writer: mpsc::Sender<Bytes>,
    pub(super) to_hasher: mpsc::Sender<Bytes>,
    /// The piece given to the writer and the hasher but not yet to the clients.
    pub(super) newest: Option<Bytes>,
    /// Bytes given to the clients.
    pub(super) published: u64,
}

impl Feed {
    pub(super) async fn take(
        &mut self,
        flight: &Flight,
        piece: Bytes,
    ) -> Result<(), UpstreamError> {
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

pub(super) async fn send(queue: &mpsc::Sender<Bytes>, piece: Bytes) -> Result<(), UpstreamError> {
    queue
        .send(piece)
        .await
        .map_err(|_| UpstreamError::Unavailable("the spool writer stopped".into()))
}

/// The writer thread: appends pieces to the spool file, announcing each as it is on disk.
pub(super) fn spawn_writer(
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
pub(super) fn spawn_hasher() -> (mpsc::Sender<Bytes>, tokio::task::JoinHandle<(String, u64)>) {
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
pub(super) fn file_stream(
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
