//! The audit log: who did what, when, from where, as JSON lines in `<data dir>/audit/audit.log`.
//!
//! Events are rare (verified sign-ins and failures, changes to repositories, users, roles,
//! privileges and settings, deletions), so each is appended and flushed at once: nothing is
//! lost in a buffer when the process dies. Secrets never go in: callers pass names, not values.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// RFC 3339 time.
    pub timestamp: String,
    /// The acting user (`anonymous`, or the name tried in a failed sign-in).
    pub user: String,
    /// The client's address.
    pub client_ip: Option<String>,
    /// What happened: `signin`, `repository.create`, `user.delete`, …
    pub action: String,
    /// What it happened to (a repository, user, role or privilege name).
    pub target: String,
    /// `success` or `failure`.
    pub result: &'static str,
}

impl AuditEvent {
    /// A successful `action` on `target` by `user` from `client_ip`.
    pub fn new(user: &str, client_ip: Option<&str>, action: &str, target: &str) -> Self {
        Self {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            user: user.to_owned(),
            client_ip: client_ip.map(str::to_owned),
            action: action.to_owned(),
            target: target.to_owned(),
            result: "success",
        }
    }

    /// The same event, failed.
    pub fn failed(mut self) -> Self {
        self.result = "failure";
        self
    }
}

/// The append-only log file.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating) `<dir>/audit.log` for appending.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("audit.log");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// Appends `event`. A failure to write is logged, never fatal to the request.
    pub fn record(&self, event: AuditEvent) {
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(&line) {
            tracing::error!(error = %e, path = %self.path.display(), "could not write the audit log");
        }
        tracing::info!(
            target: "audit",
            user = %event.user,
            action = %event.action,
            target_name = %event.target,
            result = event.result,
            "audit"
        );
    }

    /// The last `limit` events, oldest first.
    pub async fn recent(&self, limit: usize) -> std::io::Result<Vec<serde_json::Value>> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let reader = BufReader::new(File::open(path)?);
            let mut tail = std::collections::VecDeque::with_capacity(limit.min(10_000));
            for line in reader.lines() {
                let line = line?;
                if let Ok(v) = serde_json::from_str(&line) {
                    if tail.len() == limit {
                        tail.pop_front();
                    }
                    if limit > 0 {
                        tail.push_back(v);
                    }
                }
            }
            Ok(tail.into_iter().collect())
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_and_reads_back_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..5 {
            log.record(AuditEvent::new(
                "admin",
                Some("127.0.0.1"),
                "user.create",
                &format!("u{i}"),
            ));
        }
        log.record(AuditEvent::new("mallory", None, "signin", "mallory").failed());
        let tail = log.recent(2).await.unwrap();
        assert_eq!(tail.len(), 2);
        assert_eq!(tail[0]["target"], "u4");
        assert_eq!(tail[1]["result"], "failure");
        assert_eq!(tail[1]["user"], "mallory");
        let reopened = AuditLog::open(dir.path()).unwrap();
        assert_eq!(reopened.recent(100).await.unwrap().len(), 6);
    }
}
