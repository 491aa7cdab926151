//! Slows, then refuses, repeated failed sign-ins per (user, client address).
//!
//! The first [`FREE_FAILURES`] failures cost nothing extra; each one after that waits a little
//! longer before its answer ([`STEP_DELAY`] more each time, at most [`MAX_DELAY`]); from
//! [`LIMIT`] failures on, attempts from that address for that user are refused with 429 without
//! checking the password, until [`WINDOW`] has passed since the last failure. Keyed by user
//! *and* address, so an attacker elsewhere cannot lock a user out. A success clears the count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures that are answered at once.
pub const FREE_FAILURES: u32 = 3;
/// Extra delay per failure beyond the free ones.
pub const STEP_DELAY: Duration = Duration::from_millis(250);
/// The longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(2);
/// Failures after which attempts are refused.
pub const LIMIT: u32 = 10;
/// How long failures are remembered after the last one.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Tracked keys above which stale ones are dropped.
const MAX_TRACKED: usize = 100_000;

/// What to do with a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the credentials.
    Allow,
    /// Refuse without checking; retry after this long.
    Refuse(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The failure counts.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<(String, String), Failures>>,
}

impl Throttle {
    /// An empty throttle.
    pub fn new() -> Self {
        Self::default()
    }

    fn live(&self, user: &str, addr: &str) -> Option<Failures> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(user.to_owned(), addr.to_owned()))
            .copied()
            .filter(|f| f.last.elapsed() < WINDOW)
    }

    /// Whether an attempt for `user` from `addr` may be checked at all.
    pub fn check(&self, user: &str, addr: &str) -> Verdict {
        match self.live(user, addr) {
            Some(f) if f.count >= LIMIT => Verdict::Refuse(WINDOW.saturating_sub(f.last.elapsed())),
            _ => Verdict::Allow,
        }
    }

    /// Records a failed attempt and returns how long to wait before answering it.
    pub fn failed(&self, user: &str, addr: &str) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| f.last.elapsed() < WINDOW);
        }
        let entry = map
            .entry((user.to_owned(), addr.to_owned()))
            .or_insert(Failures {
                count: 0,
                last: Instant::now(),
            });
        if entry.last.elapsed() >= WINDOW {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = Instant::now();
        let over = entry.count.saturating_sub(FREE_FAILURES);
        (STEP_DELAY * over).min(MAX_DELAY)
    }

    /// Clears the failures of `user` from `addr` after a successful sign-in.
    pub fn succeeded(&self, user: &str, addr: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(user.to_owned(), addr.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_then_refuses_per_user_and_address() {
        let t = Throttle::new();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.failed("bob", "10.0.0.1"), Duration::ZERO);
        }
        assert_eq!(t.failed("bob", "10.0.0.1"), STEP_DELAY);
        for _ in FREE_FAILURES + 1..LIMIT {
            assert!(t.failed("bob", "10.0.0.1") <= MAX_DELAY);
        }
        assert!(matches!(t.check("bob", "10.0.0.1"), Verdict::Refuse(d) if d > Duration::ZERO));
        assert_eq!(t.check("bob", "10.0.0.2"), Verdict::Allow);
        assert_eq!(t.check("alice", "10.0.0.1"), Verdict::Allow);
        t.succeeded("bob", "10.0.0.1");
        assert_eq!(t.check("bob", "10.0.0.1"), Verdict::Allow);
    }
}
