//! Signed-in sessions and their CSRF tokens, kept in memory.
//!
//! A session id is 32 random bytes (base64url) in a cookie that is
//! `HttpOnly`, `SameSite=Strict`, `Path=/` and `Secure` whenever the
//! console is reached over TLS or the caller says cookies must be secure
//! (a TLS proxy in front). The one case without `Secure` is a node
//! serving plain HTTP on a loopback address: browsers do not keep a
//! `Secure` cookie set over `http://127.0.0.1`, and nothing leaves the host.
//!
//! Each session has its own CSRF token, put in every form and checked on
//! every POST (constant-time). The log-in form, before any session, uses a
//! double-submit token: a random value in a `SameSite=Strict` cookie that
//! the form must echo. Sessions end on log-out, after `idle` without a
//! request, or `max_age` after log-in; the user record is read again on
//! every request, so a changed right or a deleted user takes effect at once.
//! Sessions do not survive a restart: analysts sign in again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub(crate) const SESSION_COOKIE: &str = "concord_session";
pub(crate) const LOGIN_CSRF_COOKIE: &str = "concord_login_csrf";
pub(crate) const LANG_COOKIE: &str = "concord_lang";

/// Most sessions kept at once; beyond it the oldest are dropped.
const MAX_SESSIONS: usize = 10_000;

/// A random token, base64url, 256 bits.
pub(crate) fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// Compares two secrets without an early exit on the first difference.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    // Hash first: equal lengths, and no timing signal from the length.
    let (ha, hb) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    ha.iter()
        .zip(hb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
        && !a.is_empty()
}

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    started: Instant,
    last_seen: Instant,
}

/// Every live session, by the SHA-256 of its id (a leaked memory dump does
/// not hand out live cookies).
pub(crate) struct Sessions {
    idle: Duration,
    max_age: Duration,
    live: Mutex<HashMap<[u8; 32], Session>>,
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    pub(crate) fn new(idle: Duration, max_age: Duration) -> Sessions {
        Sessions {
            idle,
            max_age,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session for `user`; returns its id (for the cookie).
    pub(crate) fn open(&self, user: &str) -> String {
        let id = random_token();
        let now = Instant::now();
        let s = Session {
            user: user.to_string(),
            csrf: random_token(),
            started: now,
            last_seen: now,
        };
        if let Ok(mut live) = self.live.lock() {
            if live.len() >= MAX_SESSIONS {
                let (idle, max_age) = (self.idle, self.max_age);
                live.retain(|_, s| s.last_seen.elapsed() < idle && s.started.elapsed() < max_age);
                if live.len() >= MAX_SESSIONS
                    && let Some(oldest) = live
                        .iter()
                        .min_by_key(|(_, s)| s.last_seen)
                        .map(|(k, _)| *k)
                {
                    live.remove(&oldest);
                }
            }
            live.insert(key(&id), s);
        }
        id
    }

    /// The live session with this id, touched; `None` if unknown or expired.
    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().ok()?;
        let k = key(id);
        let s = live.get_mut(&k)?;
        if s.last_seen.elapsed() >= self.idle || s.started.elapsed() >= self.max_age {
            live.remove(&k);
            return None;
        }
        s.last_seen = Instant::now();
        Some(s.clone())
    }

    /// Ends a session.
    pub(crate) fn close(&self, id: &str) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(&key(id));
        }
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v.trim())
    })
}

/// A `Set-Cookie` value with the console's attributes.
pub(crate) fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A `Set-Cookie` value that deletes the cookie.
pub(crate) fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", secure, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_expire_and_close() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(3600));
        let id = s.open("alice");
        let got = s.get(&id).unwrap();
        assert_eq!(got.user, "alice");
        assert!(got.csrf.len() >= 43);
        assert!(s.get("forged").is_none());
        s.close(&id);
        assert!(s.get(&id).is_none());
        let short = Sessions::new(Duration::ZERO, Duration::from_secs(3600));
        let id = short.open("bob");
        assert!(short.get(&id).is_none(), "an idle session must expire");
    }

    #[test]
    fn cookies_and_secrets() {
        let h = "a=1; concord_session=xyz; b=2";
        assert_eq!(cookie(h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(h, "c"), None);
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "v", false, None).contains("Secure"));
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
    }
}
