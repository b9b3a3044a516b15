//! Slows down password guessing on the log-in form: after `MAX_FAILURES`
//! wrong passwords for one user name from one address within `WINDOW`,
//! that pair is refused until the window has passed. Keyed by address too,
//! so that nobody can lock a user out from elsewhere; a success clears it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) const MAX_FAILURES: u32 = 5;
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Pairs remembered at most; beyond it the expired ones are forgotten,
/// then everything (failing open rather than growing without bound).
const MAX_TRACKED: usize = 100_000;

type Key = (String, Option<IpAddr>);

#[derive(Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

fn key(user: &str, from: Option<IpAddr>) -> Key {
    (user.to_lowercase(), from)
}

impl LoginThrottle {
    /// Whether this user name may try a password from this address now.
    pub(crate) fn allowed(&self, user: &str, from: Option<IpAddr>) -> bool {
        let Ok(map) = self.failures.lock() else {
            return true;
        };
        map.get(&key(user, from))
            .is_none_or(|(n, first)| *n < MAX_FAILURES || first.elapsed() >= WINDOW)
    }

    pub(crate) fn failed(&self, user: &str, from: Option<IpAddr>) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, first)| first.elapsed() < WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let e = map.entry(key(user, from)).or_insert((0, Instant::now()));
        if e.1.elapsed() >= WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub(crate) fn succeeded(&self, user: &str, from: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&key(user, from));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_per_address() {
        let t = LoginThrottle::default();
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        let b = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILURES {
            assert!(t.allowed("Alice", a));
            t.failed("alice", a);
        }
        assert!(!t.allowed("ALICE", a));
        assert!(t.allowed("alice", b), "another address is not locked out");
        t.succeeded("alice", a);
        assert!(t.allowed("alice", a));
    }
}
