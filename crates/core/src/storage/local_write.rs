//! The write path of file blob stores: a body streamed to `tmp/<id>` at the disk's durable
//! write bandwidth.
//!
//! object_store's local multipart upload writes every part to the page cache and makes it all
//! durable with one `fsync` at the end, so a 1 GiB push spends its last seconds waiting on the
//! disk while the client sits idle. Here a blocking writer hashes and writes the body on its own
//! thread, and a flusher thread calls `fdatasync` on the same file each time another
//! [`FLUSH_STEP`] has been written. Disk write-back thus overlaps the network receive, and the
//! closing `fdatasync` only has the last few MiB left to flush.

use crate::{CoreError, Result};
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes written between two background flushes.
const FLUSH_STEP: u64 = 32 * 1024 * 1024;
/// Write buffer: fewer, larger `write` calls than the body's network-sized chunks.
const WRITE_BUFFER: usize = 1024 * 1024;
/// Chunks queued between the request task and the writer; bounds an upload's memory.
const QUEUE: usize = 16;

/// What the request task hands the writer thread.
enum Piece {
    Chunk(Bytes),
    /// The body is complete. A queue that closes without it means the upload was abandoned.
    End,
}

/// Streams `body` into the new file `path` (which must not exist), hashing it on the way, and
/// returns its lowercase hex sha256 and size once the file and its directory entry are durable.
/// On any failure the file is removed before the error is returned.
pub(super) async fn write_file<S, E>(path: PathBuf, mut body: S) -> Result<(String, u64)>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Piece>(QUEUE);
    // If this future is dropped (the client went away), `tx` goes with it and the writer
    // removes the file.
    let writer = tokio::task::spawn_blocking(move || write_blocking(&path, rx));
    let mut failure = None;
    loop {
        let piece = match body.next().await {
            Some(Ok(chunk)) => Piece::Chunk(chunk),
            Some(Err(e)) => {
                failure = Some(CoreError::Interrupted(e.to_string()));
                break;
            }
            None => Piece::End,
        };
        let end = matches!(piece, Piece::End);
        // A closed queue means the writer stopped early; its error is reported below.
        if tx.send(piece).await.is_err() || end {
            break;
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| CoreError::Internal(format!("blob writer: {e}")))?;
    match (failure, written) {
        (Some(e), _) => Err(e),
        (None, Ok(done)) => Ok(done),
        (None, Err(e)) => Err(CoreError::Io(e)),
    }
}

/// The writer thread: everything from `rx` into `path`, then durable; the file is removed on
/// any failure.
fn write_blocking(
    path: &Path,
    mut rx: tokio::sync::mpsc::Receiver<Piece>,
) -> std::io::Result<(String, u64)> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a temporary object needs a folder"))?;
    std::fs::create_dir_all(dir)?;
    let file = Arc::new(File::create_new(path)?);
    let written = write_all(&file, dir, &mut rx);
    if written.is_err()
        && let Err(e) = std::fs::remove_file(path)
    {
        tracing::warn!(file = %path.display(), error = %e, "could not remove an unfinished upload");
    }
    written
}

fn write_all(
    file: &Arc<File>,
    dir: &Path,
    rx: &mut tokio::sync::mpsc::Receiver<Piece>,
) -> std::io::Result<(String, u64)> {
    let flusher = Flusher::start(Arc::clone(file));
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, &**file);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut next_flush = FLUSH_STEP;
    loop {
        match rx.blocking_recv() {
            Some(Piece::Chunk(chunk)) => {
                hasher.update(&chunk);
                out.write_all(&chunk)?;
                size += chunk.len() as u64;
                if size >= next_flush {
                    out.flush()?;
                    flusher.kick();
                    next_flush = size + FLUSH_STEP;
                }
            }
            Some(Piece::End) => break,
            None => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "the upload was abandoned",
                ));
            }
        }
    }
    out.flush()?;
    drop(out);
    flusher.finish()?;
    file.sync_data()?;
    File::open(dir)?.sync_all()?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// A thread that runs `fdatasync` on a file whenever asked, skipping requests that arrive
/// while it is still busy with the previous one.
struct Flusher {
    kick: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Flusher {
    fn start(file: Arc<File>) -> Self {
        let (kick, wake) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            while wake.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        });
        Self { kick, thread }
    }

    fn kick(&self) {
        // Full means a flush is queued already: it will cover these bytes too.
        let _ = self.kick.try_send(());
    }

    fn finish(self) -> std::io::Result<()> {
        drop(self.kick);
        self.thread
            .join()
            .map_err(|_| std::io::Error::other("the flusher thread panicked"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(
        parts: Vec<std::result::Result<Bytes, String>>,
    ) -> impl Stream<Item = std::result::Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(parts)
    }

    #[tokio::test]
    async fn writes_hashes_and_sizes_the_body() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp").join("a");
        let big = Bytes::from(vec![7u8; 40 * 1024 * 1024]);
        let (sha, size) = write_file(
            path.clone(),
            chunks(vec![Ok(Bytes::from_static(b"hello ")), Ok(big.clone())]),
        )
        .await
        .unwrap();
        let mut want = Sha256::new();
        want.update(b"hello ");
        want.update(&big);
        assert_eq!(sha, hex::encode(want.finalize()));
        assert_eq!(size, 6 + big.len() as u64);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    }

    #[tokio::test]
    async fn an_interrupted_body_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp").join("b");
        let err = write_file(
            path.clone(),
            chunks(vec![
                Ok(Bytes::from_static(b"part")),
                Err("connection reset".into()),
            ]),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, CoreError::Interrupted(m) if m.contains("connection reset")));
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn an_abandoned_upload_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp").join("d");
        let (tx, rx) = tokio::sync::mpsc::channel::<std::result::Result<Bytes, String>>(1);
        tx.send(Ok(Bytes::from_static(b"part"))).await.unwrap();
        let body = tokio_stream_from(rx);
        let upload = tokio::spawn(write_file(path.clone(), body));
        while !path.exists() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The client goes away: the request future is dropped mid-body.
        upload.abort();
        let _ = upload.await;
        drop(tx);
        for _ in 0..200 {
            if !path.exists() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{} is still there", path.display());
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<std::result::Result<Bytes, String>>,
    ) -> impl Stream<Item = std::result::Result<Bytes, String>> + Unpin {
        Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }

    #[tokio::test]
    async fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        std::fs::write(&path, b"keep").unwrap();
        let err = write_file(path.clone(), chunks(vec![Ok(Bytes::from_static(b"new"))]))
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::Io(_)));
        assert_eq!(std::fs::read(&path).unwrap(), b"keep");
    }
}
