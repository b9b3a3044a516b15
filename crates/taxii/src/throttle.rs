//! Password and token guessing is slowed to a crawl: after
//! [`MAX_FAILURES`] failed authentications within [`WINDOW`] for one
//! account from one client address (or, for tokens and unreadable
//! credentials, from one address), further attempts are refused with 429
//! and a `Retry-After` until the window has passed, without any argon2
//! work. Other accounts are unaffected, and nobody can lock an account
//! from elsewhere. Shared by every way in: the console's log-in form,
//! TAXII Basic and tokens, and `/api/v1`.
//!
//! In memory, bounded, and forgotten on restart (a limit, not a record;
//! each lock is logged when it starts).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per account or address within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// The window failures are counted in, and how long a lock lasts.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Keys remembered at most; beyond it, expired ones are forgotten, then
/// the oldest (a flood of distinct names cannot grow memory without bound).
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A password for this account from this address.
    Account(String, Option<IpAddr>),
    /// A token (or unreadable credentials) from this address.
    Address(Option<IpAddr>),
}

/// The failure counters.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

impl LoginThrottle {
    fn key(account: Option<&str>, from: Option<IpAddr>) -> Key {
        match account {
            Some(a) => Key::Account(a.to_lowercase(), from),
            None => Key::Address(from),
        }
    }

    /// `Ok` when this account may try a password (or this address a token)
    /// now; `Err(seconds)` until it may.
    pub fn check(&self, account: Option<&str>, from: Option<IpAddr>) -> Result<(), u64> {
        let Ok(map) = self.failures.lock() else {
            return Ok(());
        };
        match map.get(&Self::key(account, from)) {
            Some((n, first)) if *n >= MAX_FAILURES && first.elapsed() < WINDOW => {
                Err(WINDOW.saturating_sub(first.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed attempt; logs when it locks an account or address.
    pub fn failed(&self, account: Option<&str>, from: Option<IpAddr>) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, first)| first.elapsed() < WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let k = Self::key(account, from);
        let e = map.entry(k.clone()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
        if e.0 == MAX_FAILURES {
            match &k {
                Key::Account(a, ip) => tracing::warn!(
                    account = %a,
                    client = ?ip,
                    "{MAX_FAILURES} failed log-ins within {} s: account locked from this address for the rest of the window",
                    WINDOW.as_secs()
                ),
                Key::Address(ip) => tracing::warn!(
                    client = ?ip,
                    "{MAX_FAILURES} failed token authentications within {} s: address locked for tokens for the rest of the window",
                    WINDOW.as_secs()
                ),
            }
        }
    }

    /// A success clears the count of that account from that address.
    pub fn succeeded(&self, account: &str, from: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::key(Some(account), from));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_from_an_address_but_not_others() {
        let t = LoginThrottle::default();
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        let b = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILURES {
            assert!(t.check(Some("Alice"), a).is_ok());
            t.failed(Some("alice"), a);
        }
        assert!(
            t.check(Some("ALICE"), a).is_err(),
            "the account is locked there"
        );
        assert!(t.check(Some("alice"), b).is_ok(), "not from elsewhere");
        assert!(t.check(Some("bob"), a).is_ok(), "other accounts are not");
        assert!(t.check(None, a).is_ok(), "nor tokens");
        let wait = t.check(Some("alice"), a).unwrap_err();
        assert!((1..=WINDOW.as_secs()).contains(&wait));
        t.succeeded("alice", a);
        assert!(t.check(Some("alice"), a).is_ok());
    }

    #[test]
    fn bad_tokens_count_per_address() {
        let t = LoginThrottle::default();
        let a = Some(IpAddr::from([198, 51, 100, 7]));
        for _ in 0..MAX_FAILURES {
            t.failed(None, a);
        }
        assert!(t.check(None, a).is_err());
        assert!(
            t.check(Some("alice"), a).is_ok(),
            "passwords are counted apart"
        );
        assert!(t.check(None, Some(IpAddr::from([198, 51, 100, 8]))).is_ok());
    }
}
