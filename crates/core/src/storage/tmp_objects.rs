//! The temporary objects of a blob store (`tmp/`): how many there are and how big, and a purge
//! of those no upload needs any more.
//!
//! A temporary object is one of: an upload being written ([`BlobStore::write_tmp`]), a chunk of
//! a docker upload session waiting for the next PATCH or the closing PUT, a docker proxy
//! download in progress (file stores), or the leftover of an upload cut off by a crash. Only
//! the last kind is garbage, and nothing marks it as such; so a purge removes an object only
//! when all of these hold:
//!
//! - no upload session in the catalogue lists it as a chunk (the caller passes those ids);
//! - this process is not writing it (an in-memory set kept by [`BlobStore::write_tmp`]);
//! - it was not modified in the last [`PURGE_GRACE`]: uploads and proxy downloads on other
//!   nodes sharing the store write to their object as bytes arrive, and a chunk just written
//!   is listed in its session a moment later.
//!
//! The start-up sweep (`BlobStore::sweep_tmp`) is the blunt version: everything older than a
//! day.

use super::blob_store::BlobStore;
use super::keys::StorageKey;
use super::settings::StoreSettings;
use crate::{CoreError, Result};
use futures_util::stream::TryStreamExt;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// A temporary object modified more recently than this is never purged.
pub const PURGE_GRACE: Duration = Duration::from_secs(10 * 60);

/// A count of temporary objects and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TmpUsage {
    /// Objects (files) under `tmp/`.
    pub count: u64,
    /// Their total size.
    pub bytes: u64,
}

impl TmpUsage {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
}

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TmpPurge {
    /// Removed.
    pub removed: TmpUsage,
    /// Left in place because an upload may still need them.
    pub kept: TmpUsage,
}

/// Marks a temporary object as being written by this process until dropped.
pub(super) struct Writing<'a> {
    store: &'a BlobStore,
    id: String,
}

impl<'a> Writing<'a> {
    pub(super) fn start(store: &'a BlobStore, id: &str) -> Self {
        let mut set = store.writing.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id.to_owned());
        Self {
            store,
            id: id.to_owned(),
        }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let mut set = self.store.writing.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.id);
    }
}

/// One temporary object as listed.
struct Entry {
    /// Its upload id: the file name without object_store's `#<n>` staging suffix.
    id: String,
    size: u64,
    modified: SystemTime,
    /// Where it is: a file (file stores) or a key (S3).
    at: Location,
}

enum Location {
    File(std::path::PathBuf),
    Key(object_store::path::Path),
}

impl BlobStore {
    /// How many temporary objects the store holds and their size.
    pub async fn tmp_usage(&self) -> Result<TmpUsage> {
        let mut usage = TmpUsage::default();
        for e in self.list_tmp().await? {
            usage.add(e.size);
        }
        Ok(usage)
    }

    /// Removes the temporary objects no upload needs: not in `session_parts` (the chunk ids
    /// of the catalogue's upload sessions on this store), not being written by this process
    /// and not modified within [`PURGE_GRACE`].
    pub async fn purge_tmp(&self, session_parts: &HashSet<String>) -> Result<TmpPurge> {
        let cutoff = SystemTime::now() - PURGE_GRACE;
        let writing = self
            .writing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut done = TmpPurge::default();
        for e in self.list_tmp().await? {
            let needed =
                session_parts.contains(&e.id) || writing.contains(&e.id) || e.modified > cutoff;
            if needed {
                done.kept.add(e.size);
                continue;
            }
            let removed = match &e.at {
                Location::File(path) => match tokio::fs::remove_file(path).await {
                    Ok(()) => true,
                    // Finished (committed or discarded) since it was listed.
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => false,
                    Err(err) => return Err(err.into()),
                },
                Location::Key(key) => {
                    self.discard(key).await;
                    true
                }
            };
            if removed {
                done.removed.add(e.size);
            }
        }
        if done.removed.count > 0 {
            tracing::info!(
                blob_store = %self.name(),
                removed = done.removed.count,
                removed_bytes = done.removed.bytes,
                kept = done.kept.count,
                "purged temporary objects"
            );
        }
        Ok(done)
    }

    async fn list_tmp(&self) -> Result<Vec<Entry>> {
        if let StoreSettings::File { path } = &self.settings {
            // object_store hides `tmp/<uuid>#<n>` staging files from listings: read the folder.
            let dir = path.join(StorageKey::tmp_dir().as_ref());
            return tokio::task::spawn_blocking(move || list_dir(&dir))
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?;
        }
        let listed: Vec<_> = self
            .store
            .list(Some(&StorageKey::tmp_dir()))
            .try_collect()
            .await?;
        Ok(listed
            .into_iter()
            .map(|m| Entry {
                id: m.location.filename().unwrap_or_default().to_owned(),
                size: m.size,
                modified: m.last_modified.into(),
                at: Location::Key(m.location),
            })
            .collect())
    }
}

fn list_dir(dir: &std::path::Path) -> Result<Vec<Entry>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        out.push(Entry {
            id: name.split('#').next().unwrap_or_default().to_owned(),
            size: meta.len(),
            modified: meta.modified()?,
            at: Location::File(entry.path()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_age(path: &std::path::Path, age: Duration) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    #[tokio::test]
    async fn a_purge_keeps_what_uploads_need() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(
            "t",
            StoreSettings::File {
                path: dir.path().to_owned(),
            },
        )
        .unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let old = Duration::from_secs(3600);
        for (name, len) in [
            ("crashed", 10),
            ("crashed2#3", 5),
            ("chunk", 7),
            ("fresh", 3),
        ] {
            std::fs::write(tmp.join(name), vec![0u8; len]).unwrap();
            if name != "fresh" {
                set_age(&tmp.join(name), old);
            }
        }
        // An upload this process is writing, old-looking (a slow client) but live.
        let live = Writing::start(&store, "live");
        std::fs::write(tmp.join("live"), b"abc").unwrap();
        set_age(&tmp.join("live"), old);

        assert_eq!(
            store.tmp_usage().await.unwrap(),
            TmpUsage {
                count: 5,
                bytes: 28
            }
        );
        let parts: HashSet<String> = ["chunk".to_owned()].into();
        let done = store.purge_tmp(&parts).await.unwrap();
        assert_eq!(
            done.removed,
            TmpUsage {
                count: 2,
                bytes: 15
            }
        );
        assert_eq!(
            done.kept,
            TmpUsage {
                count: 3,
                bytes: 13
            }
        );
        for kept in ["chunk", "fresh", "live"] {
            assert!(tmp.join(kept).exists(), "{kept} was removed");
        }
        drop(live);
        let done = store.purge_tmp(&parts).await.unwrap();
        assert_eq!(done.removed.count, 1, "once no longer written, it may go");
    }
}
