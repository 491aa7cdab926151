//! One blob store: streaming, hashing ingest and ranged reads over an `ObjectStore`.
//!
//! Over 400 lines on purpose: one type's whole life cycle (ingest to a temporary object,
//! commit by rename, ranged reads, the small-blob cache, delete) keeps its invariants in one
//! place; about 50 of the lines are its unit tests.

use super::keys::StorageKey;
use super::settings::StoreSettings;
use crate::model::BlobRef;
use crate::{CoreError, Result};
use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, WriteMultipart};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// Bytes buffered per multipart part: S3's minimum is 5 MiB.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploaded concurrently; with [`PART_SIZE`] this bounds an upload's memory to ~24 MiB.
const PARTS_IN_FLIGHT: usize = 2;
/// Reads up to this size are done in one blocking call (manifests, configs).
const SMALL_READ: u64 = 1024 * 1024;
/// Read buffer for local files.
const READ_CHUNK: usize = 1024 * 1024;
/// Chunks read ahead of a slow client.
const READ_AHEAD: usize = 2;

/// A resolved byte range within a blob, end exclusive.
pub type ByteRange = Range<u64>;

/// A complete, durable temporary object: an upload not yet moved to its content address, or
/// one chunk of a docker upload session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TmpObject {
    /// Its id (the key is `tmp/<id>`).
    pub id: String,
    /// Lowercase hex sha256 of its content.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// An open read of (part of) a blob.
pub struct BlobRead {
    /// The whole blob's size.
    pub total_size: u64,
    /// The bytes this read returns.
    pub range: ByteRange,
    /// The bytes.
    pub stream: BoxStream<'static, std::io::Result<Bytes>>,
}

/// A named blob store.
pub struct BlobStore {
    name: String,
    pub(super) settings: StoreSettings,
    pub(super) store: Arc<dyn ObjectStore>,
    small: SmallBlobs,
    /// Ids of the temporary objects this process is writing now ([`Self::write_tmp`]), which
    /// a purge must leave alone however old they look.
    pub(super) writing: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Blobs of at most [`SMALL_BLOB`] bytes (manifests, configs) kept in memory once read. Blobs
/// are named by their content, so a kept copy never goes stale; a deleted blob is dropped.
#[derive(Default)]
struct SmallBlobs {
    kept: std::sync::Mutex<(std::collections::HashMap<String, Bytes>, usize)>,
}

/// The largest blob [`SmallBlobs`] keeps.
const SMALL_BLOB: u64 = 64 * 1024;
/// What [`SmallBlobs`] holds at most; when full it starts over.
const SMALL_BLOBS_BYTES: usize = 8 * 1024 * 1024;

impl SmallBlobs {
    fn get(&self, sha256: &str) -> Option<Bytes> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.0.get(sha256).cloned()
    }

    fn put(&self, sha256: &str, bytes: &Bytes) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.1 + bytes.len() > SMALL_BLOBS_BYTES {
            kept.0.clear();
            kept.1 = 0;
        }
        if kept.0.insert(sha256.to_owned(), bytes.clone()).is_none() {
            kept.1 += bytes.len();
        }
    }

    fn forget(&self, sha256: &str) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = kept.0.remove(sha256) {
            kept.1 -= b.len();
        }
    }
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.name)
    }
}

impl BlobStore {
    /// Opens the store described by `settings` (creating a file store's directory).
    pub fn open(name: &str, settings: StoreSettings) -> Result<Self> {
        let store: Arc<dyn ObjectStore> = match &settings {
            StoreSettings::File { path } => {
                std::fs::create_dir_all(path)?;
                // fsync makes every completed write and rename durable before it returns, so
                // the catalogue commit that follows never points at bytes a crash could lose.
                Arc::new(
                    LocalFileSystem::new_with_prefix(path)?
                        .with_fsync(true)
                        .with_automatic_cleanup(false),
                )
            }
            StoreSettings::S3(s3) => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_virtual_hosted_style_request(!s3.force_path_style)
                    .with_retry(object_store::RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(15),
                        ..Default::default()
                    });
                if let Some(endpoint) = &s3.endpoint {
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(id) = &s3.access_key_id {
                    b = b.with_access_key_id(id);
                }
                if let Some(key) = &s3.secret_access_key {
                    b = b.with_secret_access_key(key.expose_secret());
                }
                if let Some(token) = &s3.session_token {
                    b = b.with_token(token.expose_secret());
                }
                let s3store = b.build()?;
                if s3.prefix.is_empty() {
                    Arc::new(s3store)
                } else {
                    Arc::new(PrefixStore::new(s3store, s3.prefix.as_str()))
                }
            }
        };
        Ok(Self {
            name: name.to_owned(),
            settings,
            store,
            small: SmallBlobs::default(),
            writing: Default::default(),
        })
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its settings.
    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Streams `body` into the store while hashing it, never holding it whole in memory.
    ///
    /// The bytes go to `tmp/<uuid>` first ([`Self::write_tmp`]); once complete (and durable),
    /// the digest is checked against `expected_sha256` and the object is moved to its content
    /// address, or dropped when that address already holds the same content
    /// ([`Self::commit_tmp`]). On any failure the temporary object is removed, so nothing
    /// half-written is ever visible under `blobs/`.
    pub async fn ingest<S, E>(&self, body: S, expected_sha256: Option<&str>) -> Result<BlobRef>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let tmp = self.write_tmp(body).await?;
        self.commit_tmp(&tmp, expected_sha256).await
    }

    /// Writes `body` to a new temporary object, hashing it as it arrives, and returns it once
    /// complete and durable. An interrupted body leaves nothing behind. File stores take their
    /// own path (`local_write`), which flushes to disk while the body is still arriving; S3
    /// gets a multipart upload of [`PART_SIZE`] parts.
    pub async fn write_tmp<S, E>(&self, mut body: S) -> Result<TmpObject>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp = StorageKey::tmp(&id);
        let _writing = super::tmp_objects::Writing::start(self, &id);
        if let StoreSettings::File { path } = &self.settings {
            let (sha256, size) =
                super::local_write::write_file(path.join(tmp.as_ref()), body).await?;
            return Ok(TmpObject { id, sha256, size });
        }
        let upload = self.store.put_multipart(&tmp).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let failure = loop {
            match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(CoreError::Interrupted(e.to_string())),
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    size += chunk.len() as u64;
                    if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                        break Some(e.into());
                    }
                    writer.put(chunk);
                }
            }
        };
        if let Some(e) = failure {
            let _ = writer.abort().await;
            return Err(e);
        }
        if let Err(e) = writer.finish().await {
            self.discard(&tmp).await;
            return Err(e.into());
        }
        Ok(TmpObject {
            id,
            sha256: hex::encode(hasher.finalize()),
            size,
        })
    }

    /// Moves a complete temporary object to its content address (or drops it when the address
    /// already holds the content) after checking `expected_sha256`. The temporary object is
    /// gone afterwards, whatever the outcome.
    pub async fn commit_tmp(
        &self,
        tmp: &TmpObject,
        expected_sha256: Option<&str>,
    ) -> Result<BlobRef> {
        let tmp_key = StorageKey::tmp(&tmp.id);
        if let Some(expected) = expected_sha256
            && expected != tmp.sha256
        {
            self.discard(&tmp_key).await;
            return Err(CoreError::DigestMismatch {
                expected: expected.to_owned(),
                actual: tmp.sha256.clone(),
            });
        }
        let digest = crate::Sha256::from_hex(&tmp.sha256)?;
        let key = StorageKey::blob(&digest);
        match self.store.head(&key).await {
            Ok(_) => self.discard(&tmp_key).await,
            Err(object_store::Error::NotFound { .. }) => {
                if let Err(e) = self.store.rename(&tmp_key, &key).await {
                    self.discard(&tmp_key).await;
                    return Err(e.into());
                }
            }
            Err(e) => {
                self.discard(&tmp_key).await;
                return Err(e.into());
            }
        }
        Ok(BlobRef {
            blob_store: self.name.clone(),
            digest,
            size: i64::try_from(tmp.size).unwrap_or(i64::MAX),
        })
    }

    /// Where a file store keeps temporary object `id` on disk (`None` for S3). A caller may
    /// write that file itself, make it durable, and then hand it to [`Self::commit_tmp`]:
    /// the docker proxy spools upstream downloads there, so that caching them is a rename.
    pub fn tmp_file(&self, id: &str) -> Option<std::path::PathBuf> {
        match &self.settings {
            StoreSettings::File { path } => Some(path.join(StorageKey::tmp(id).as_ref())),
            StoreSettings::S3(_) => None,
        }
    }

    /// Removes a temporary object that will not be committed.
    pub async fn discard_tmp(&self, tmp: &TmpObject) {
        self.discard(&StorageKey::tmp(&tmp.id)).await;
    }

    /// Reads a temporary object back whole (to join the chunks of an upload session).
    pub async fn read_tmp(
        &self,
        tmp: &TmpObject,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let res = self.store.get(&StorageKey::tmp(&tmp.id)).await?;
        Ok(res.into_stream().map_err(std::io::Error::other).boxed())
    }

    pub(super) async fn discard(&self, key: &object_store::path::Path) {
        if let Err(e) = self.store.delete(key).await {
            tracing::warn!(store = %self.name, key = %key, error = %e, "could not remove temporary object");
        }
    }

    /// Opens blob `sha256` for reading, all of it or `range` (end exclusive, within the blob).
    pub async fn read(&self, sha256: &str, range: Option<ByteRange>) -> Result<BlobRead> {
        if let Some(bytes) = self.small.get(sha256) {
            return whole_or_part(bytes, range);
        }
        let key = StorageKey::blob(&crate::Sha256::from_hex(sha256)?);
        if let StoreSettings::File { path } = &self.settings {
            let read = read_local(path.join(key.as_ref()), range.clone()).await?;
            return Ok(self.keep_if_small(sha256, read, range.is_none()).await);
        }
        let res = self
            .store
            .get_opts(&key, GetOptions::new().with_range(range))
            .await?;
        let total_size = res.meta.size;
        let range = res.range.clone();
        let stream = res.into_stream().map_err(std::io::Error::other).boxed();
        Ok(BlobRead {
            total_size,
            range,
            stream,
        })
    }

    /// The size of blob `sha256`, or `None` when it is not stored.
    pub async fn size_of(&self, sha256: &str) -> Result<Option<u64>> {
        let key = StorageKey::blob(&crate::Sha256::from_hex(sha256)?);
        match self.store.head(&key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes blob `sha256` (missing is fine).
    pub async fn delete(&self, sha256: &str) -> Result<()> {
        let key = StorageKey::blob(&crate::Sha256::from_hex(sha256)?);
        self.small.forget(sha256);
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes temporary objects older than `max_age`: the leftovers of interrupted uploads.
    /// Returns how many were removed.
    pub async fn sweep_tmp(&self, max_age: Duration) -> Result<usize> {
        let cutoff = std::time::SystemTime::now() - max_age;
        if let StoreSettings::File { path } = &self.settings {
            // object_store stages local multipart uploads as `tmp/<uuid>#<n>` and hides such
            // names from listings, so the directory is swept directly.
            let dir = path.join(StorageKey::tmp_dir().as_ref());
            return tokio::task::spawn_blocking(move || sweep_dir(&dir, cutoff))
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?;
        }
        let cutoff = chrono::DateTime::<chrono::Utc>::from(cutoff);
        let old: Vec<_> = self
            .store
            .list(Some(&StorageKey::tmp_dir()))
            .try_filter(|m| futures_util::future::ready(m.last_modified <= cutoff))
            .map_ok(|m| m.location)
            .try_collect()
            .await?;
        for key in &old {
            self.discard(key).await;
        }
        Ok(old.len())
    }

    /// Bytes free on the file system of a file store (`None` for S3).
    pub fn available_space(&self) -> Option<u64> {
        match &self.settings {
            StoreSettings::File { path } => fs_available(path),
            StoreSettings::S3(_) => None,
        }
    }
}

impl BlobStore {
    /// Keeps a whole small blob just read (file stores read those in one piece).
    async fn keep_if_small(&self, sha256: &str, mut read: BlobRead, whole: bool) -> BlobRead {
        if !whole || read.total_size > SMALL_BLOB {
            return read;
        }
        let mut bytes = Vec::with_capacity(read.total_size as usize);
        while let Some(chunk) = read.stream.next().await {
            match chunk {
                Ok(c) => bytes.extend_from_slice(&c),
                Err(e) => {
                    return BlobRead {
                        total_size: read.total_size,
                        range: read.range,
                        stream: futures_util::stream::once(async move { Err(e) }).boxed(),
                    };
                }
            }
        }
        let bytes = Bytes::from(bytes);
        self.small.put(sha256, &bytes);
        let range = read.range;
        BlobRead {
            total_size: read.total_size,
            range,
            stream: futures_util::stream::once(async move { Ok(bytes) }).boxed(),
        }
    }
}

/// `bytes` (a whole blob) or the part of it in `range`.
fn whole_or_part(bytes: Bytes, range: Option<ByteRange>) -> Result<BlobRead> {
    let total = bytes.len() as u64;
    let range = range.unwrap_or(0..total);
    if range.start > range.end || range.end > total {
        return Err(CoreError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("range {range:?} is outside the blob of {total} bytes"),
        )));
    }
    let part = bytes.slice(range.start as usize..range.end as usize);
    Ok(BlobRead {
        total_size: total,
        range,
        stream: futures_util::stream::once(async move { Ok(part) }).boxed(),
    })
}

/// Reads a blob of a file store straight from disk, in one blocking call for small reads (a
/// manifest: one hop instead of object_store's open, stat, seek and read hops), else streaming
/// in [`READ_CHUNK`] pieces.
async fn read_local(file: std::path::PathBuf, range: Option<ByteRange>) -> Result<BlobRead> {
    use std::io::{Read, Seek};
    let shown = file.display().to_string();
    let opened = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut f = std::fs::File::open(&file)?;
        let total = f.metadata()?.len();
        let range = range.unwrap_or(0..total);
        if range.start > range.end || range.end > total {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("range {range:?} is outside the blob of {total} bytes"),
            ));
        }
        f.seek(std::io::SeekFrom::Start(range.start))?;
        let len = range.end - range.start;
        if len <= SMALL_READ {
            let mut buf = vec![0; usize::try_from(len).unwrap_or(0)];
            f.read_exact(&mut buf)?;
            Ok((total, range, Ok(Bytes::from(buf))))
        } else {
            Ok((total, range, Err(f)))
        }
    })
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?;
    let (total_size, range, content) = opened.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CoreError::Storage(object_store::Error::NotFound {
            path: shown,
            source: Box::new(e),
        }),
        _ => CoreError::Io(e),
    })?;
    let stream = match content {
        Ok(bytes) => futures_util::stream::once(async move { Ok(bytes) }).boxed(),
        Err(file) => stream_file(file, range.end - range.start),
    };
    Ok(BlobRead {
        total_size,
        range,
        stream,
    })
}

/// Streams `len` bytes from `file`'s current position. A blocking thread reads each
/// [`READ_CHUNK`] straight into the buffer that is sent (tokio's file reads go through a buffer
/// of their own: one more copy of every byte), at most [`READ_AHEAD`] chunks ahead of the client.
fn stream_file(file: std::fs::File, len: u64) -> BoxStream<'static, std::io::Result<Bytes>> {
    use std::io::Read;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut left = len;
        while left > 0 {
            let want = left.min(READ_CHUNK as u64);
            let mut buf = Vec::with_capacity(want as usize);
            let read = match (&mut file).take(want).read_to_end(&mut buf) {
                Ok(0) => Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the blob is shorter than its recorded size",
                )),
                Ok(n) => Ok(n),
                Err(e) => Err(e),
            };
            let failed = read.is_err();
            let piece = read.map(|n| {
                left -= n as u64;
                Bytes::from(buf)
            });
            // A closed channel: the client went away.
            if tx.blocking_send(piece).is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

fn sweep_dir(dir: &std::path::Path, cutoff: std::time::SystemTime) -> Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let meta = entry.metadata()?;
        if meta.is_file() && meta.modified()? <= cutoff {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn fs_available(path: &std::path::Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(path).ok()?;
    Some(st.blocks_available() * st.fragment_size())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(read: BlobRead) -> Vec<u8> {
        read.stream
            .try_fold(Vec::new(), |mut v, c| async move {
                v.extend_from_slice(&c);
                Ok(v)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn small_blobs_are_kept_and_forgotten_on_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(
            "t",
            StoreSettings::File {
                path: dir.path().to_owned(),
            },
        )
        .unwrap();
        let body = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(Bytes::from_static(b"{\"small\":true}"))
        });
        let blob = store.ingest(Box::pin(body), None).await.unwrap();
        assert_eq!(
            all(store.read(blob.digest.hex(), None).await.unwrap()).await,
            b"{\"small\":true}"
        );
        assert!(
            store.small.get(blob.digest.hex()).is_some(),
            "kept after the first read"
        );
        let part = store.read(blob.digest.hex(), Some(1..6)).await.unwrap();
        assert_eq!((part.total_size, part.range.clone()), (14, 1..6));
        assert_eq!(all(part).await, b"\"smal");
        assert!(store.read(blob.digest.hex(), Some(3..99)).await.is_err());
        store.delete(blob.digest.hex()).await.unwrap();
        assert!(store.small.get(blob.digest.hex()).is_none());
        assert!(
            store.read(blob.digest.hex(), None).await.is_err(),
            "gone from disk and memory"
        );
    }
}
