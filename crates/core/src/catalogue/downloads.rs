//! `lastDownloaded`, coalesced: serving content notes a download in memory, and a background
//! task writes every download noted since its last run in one transaction every few seconds
//! (and once more when the server stops), so a read never waits on a catalogue write.
//!
//! Downloads are keyed by (repository, asset path), the assets' unique key, so a caller can note
//! one it has not looked up (the manifest by digest that a tag names) without a query. Each
//! key keeps the latest time noted; an asset whose recorded time is younger than
//! [`DOWNLOAD_RECORD_INTERVAL_MS`] is left alone (checked in memory when the caller has the
//! asset, else by the `UPDATE`), so a hot asset costs one write an hour, as in Nexus.

use super::Catalogue;
use super::assets::DOWNLOAD_RECORD_INTERVAL_MS;
use crate::model::Asset;
use crate::{Result, now_millis};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Downloads noted since the last flush: (repository id, asset path) → when.
#[derive(Debug, Default)]
pub(super) struct PendingDownloads(Mutex<HashMap<(String, String), i64>>);

impl PendingDownloads {
    fn note(&self, repository_id: &str, path: &str, at: i64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((repository_id.to_owned(), path.to_owned()))
            .and_modify(|t| *t = (*t).max(at))
            .or_insert(at);
    }

    fn take(&self) -> HashMap<(String, String), i64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts back a batch whose write failed, so the next flush tries it again.
    fn restore(&self, batch: HashMap<(String, String), i64>) {
        for ((repo, path), at) in batch {
            self.note(&repo, &path, at);
        }
    }
}

/// The background task that writes noted downloads; see [`Catalogue::spawn_download_flusher`].
#[derive(Debug)]
pub struct DownloadFlusher {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl DownloadFlusher {
    /// Stops the task after one last flush, and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Catalogue {
    /// Notes that `asset` was served; written by the next flush unless its `lastDownloaded` is
    /// recent enough already. Never waits on the database.
    pub fn record_download(&self, asset: &Asset) {
        let now = now_millis();
        if asset
            .last_downloaded
            .is_some_and(|t| now - t < DOWNLOAD_RECORD_INTERVAL_MS)
        {
            return;
        }
        self.downloads.note(&asset.repository_id, &asset.path, now);
    }

    /// Notes that the asset at `path` of repository `repository_id` was served, without looking
    /// it up; a path with no asset by the time of the flush is skipped.
    pub fn record_download_at(&self, repository_id: &str, path: &str) {
        self.downloads.note(repository_id, path, now_millis());
    }

    /// Writes every download noted so far in one transaction; returns how many were noted. On
    /// failure they are kept for the next flush.
    pub async fn flush_downloads(&self) -> Result<usize> {
        let batch = self.downloads.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match self.write_downloads(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                self.downloads.restore(batch);
                Err(e)
            }
        }
    }

    async fn write_downloads(&self, batch: &HashMap<(String, String), i64>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for ((repository_id, path), at) in batch {
            sqlx::query(
                "UPDATE assets SET last_downloaded = $1 WHERE repository_id = $2 AND path = $3 \
                 AND (last_downloaded IS NULL OR last_downloaded < $4)",
            )
            .bind(*at)
            .bind(repository_id)
            .bind(path)
            .bind(*at - DOWNLOAD_RECORD_INTERVAL_MS)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts the task that flushes noted downloads every `every`, and once more when stopped.
    pub fn spawn_download_flusher(&self, every: Duration) -> DownloadFlusher {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let catalogue = self.clone();
        let task = self.runtime.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let last = tokio::select! {
                    _ = tick.tick() => false,
                    _ = &mut stopped => true,
                };
                if let Err(e) = catalogue.flush_downloads().await {
                    tracing::warn!(error = %e, "could not record download times; retrying at the next flush");
                }
                if last {
                    return;
                }
            }
        });
        DownloadFlusher { stop, task }
    }
}
