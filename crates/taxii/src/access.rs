//! Who is calling and what they may do.
//!
//! Passwords are kept as argon2id PHC strings; tokens as the hex SHA-256 of
//! the token (a token is 32 random bytes, so a fast hash is enough and a
//! lookup needs no scan). Rights: an admin reads and writes everything; a
//! user reads and writes what its grants say; anyone, signed in or not,
//! reads a public collection. A collection the caller can neither read nor
//! write is treated as absent (404), so its existence does not leak.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use concord_store::{Collection, Store, User};
use sha2::{Digest, Sha256};

use crate::TaxiiError;

/// The fewest characters a new password may have: the throttle slows
/// guessing, it cannot make a short password strong.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Checks a password about to be set (never one being verified: existing
/// accounts still log in).
pub fn check_new_password(password: &str) -> Result<(), TaxiiError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(TaxiiError::WeakPassword(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters; this one has {n}"
        )));
    }
    Ok(())
}

/// Hashes a password for storage (argon2id, default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String, TaxiiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| TaxiiError::Password(e.to_string()))
}

/// Whether `password` matches a stored PHC string. A malformed stored hash
/// matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A new API token (shown once to the user) and the hash to store.
pub fn new_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    (token, hash)
}

/// The hash stored for an API token: SHA-256 of its text, lowercase hex.
/// A presented token is looked up by this hash, never by the token itself.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A configured peer node, as the node that serves it knows it: its
/// member, the groups an audience may name it by, whether the member is in
/// the charter, and the collections it may pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The local name of the peer (`concord peer add NAME`).
    pub name: String,
    /// The member's STIX identity id.
    pub member: String,
    /// The groups its member belongs to (names an audience may use).
    pub groups: std::collections::BTreeSet<String>,
    /// Whether its member is in the adopted charter.
    pub charter_member: bool,
    /// Collections it may read (besides public ones).
    pub collections: Vec<String>,
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// No credentials: sees public collections only.
    Anonymous,
    /// A local user, authenticated by password or API token.
    User(User),
    /// A peer node, authenticated by a request signed with its node key.
    Peer(PeerIdentity),
}

impl Principal {
    /// The user's name; `None` for anonymous callers and peer nodes.
    pub fn name(&self) -> Option<&str> {
        match self {
            Principal::Anonymous | Principal::Peer(_) => None,
            Principal::User(u) => Some(&u.name),
        }
    }

    /// Whether the caller may read the collection: it is public, or the
    /// caller is an admin, holds a read grant on it, or is a peer allowed it.
    pub fn can_read(&self, c: &Collection) -> bool {
        c.public
            || match self {
                Principal::Anonymous => false,
                Principal::User(u) => {
                    u.admin || u.grants.iter().any(|g| g.collection == c.id && g.read)
                }
                Principal::Peer(p) => p.collections.contains(&c.id),
            }
    }

    /// Whether the caller may add to the collection: an admin or a user
    /// with a write grant on it; never anonymous callers or peer nodes.
    pub fn can_write(&self, c: &Collection) -> bool {
        match self {
            Principal::Anonymous | Principal::Peer(_) => false,
            Principal::User(u) => {
                u.admin || u.grants.iter().any(|g| g.collection == c.id && g.write)
            }
        }
    }

    /// Whether the collection exists for this caller at all.
    pub fn sees(&self, c: &Collection) -> bool {
        self.can_read(c) || self.can_write(c)
    }
}

/// Credentials as they arrived in an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization` header.
    None,
    /// `Basic`: a user name and password, decoded.
    Basic {
        /// The user name before the first `:`.
        user: String,
        /// Everything after the first `:`.
        password: String,
    },
    /// `Bearer` or `Token`: an API token as presented (not yet hashed).
    Token(String),
    /// A node-signed request: the whole header, checked against the
    /// request line by the server's guard.
    Node(String),
}

/// An `Authorization` header this server cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unreadable Authorization header")]
pub struct BadCredentials;

/// Reads an `Authorization` header: `Basic`, or `Bearer`/`Token` (the
/// latter is what taxii2-client's TokenAuth sends). `Err` for anything
/// else: a caller that sends credentials we cannot read must not be served
/// as anonymous.
pub fn credentials(header: Option<&[u8]>) -> Result<Credentials, BadCredentials> {
    let Some(h) = header else {
        return Ok(Credentials::None);
    };
    let h = std::str::from_utf8(h).map_err(|_| BadCredentials)?.trim();
    let (scheme, rest) = h.split_once(' ').ok_or(BadCredentials)?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => {
            let raw = STANDARD.decode(rest).map_err(|_| BadCredentials)?;
            let text = String::from_utf8(raw).map_err(|_| BadCredentials)?;
            let (user, password) = text.split_once(':').ok_or(BadCredentials)?;
            Ok(Credentials::Basic {
                user: user.to_string(),
                password: password.to_string(),
            })
        }
        "bearer" | "token" if !rest.is_empty() => Ok(Credentials::Token(rest.to_string())),
        "concord" if !rest.is_empty() => Ok(Credentials::Node(h.to_string())),
        _ => Err(BadCredentials),
    }
}

/// How long a verified password is remembered. argon2 costs tens of
/// milliseconds by design; a client paging through a collection must not
/// pay it per page.
const REMEMBER: Duration = Duration::from_secs(300);
const CACHE_MAX: usize = 10_000;

/// Remembers recently verified Basic credentials, keyed by a keyed hash of
/// the header (never the password itself), per process.
pub struct CredentialCache {
    key: [u8; 32],
    seen: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        CredentialCache {
            key,
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl CredentialCache {
    fn digest(&self, user: &str, password: &str, stored_hash: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        for part in [user, password, stored_hash] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    fn hit(&self, d: &[u8; 32], user: &str) -> bool {
        self.seen.lock().is_ok_and(|m| {
            m.get(d)
                .is_some_and(|(u, t)| u == user && t.elapsed() < REMEMBER)
        })
    }

    fn remember(&self, d: [u8; 32], user: &str) {
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= CACHE_MAX {
                m.retain(|_, (_, t)| t.elapsed() < REMEMBER);
                if m.len() >= CACHE_MAX {
                    m.clear();
                }
            }
            m.insert(d, (user.to_string(), Instant::now()));
        }
    }
}

/// A hash to check against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// Authenticates a request. `Ok(None)` means bad credentials (401).
pub async fn authenticate<S: Store>(
    store: &S,
    cache: &CredentialCache,
    creds: Credentials,
) -> Result<Option<Principal>, TaxiiError> {
    match creds {
        Credentials::None => Ok(Some(Principal::Anonymous)),
        // Checked by the server against the request line and its peers.
        Credentials::Node(_) => Ok(None),
        Credentials::Token(t) => Ok(store
            .token_user(&token_hash(&t))
            .await?
            .map(Principal::User)),
        Credentials::Basic { user, password } => {
            let Some(u) = store.user(&user).await? else {
                // An unknown name costs as long as a wrong password, so
                // timing does not tell which names exist.
                let stored = dummy_hash().to_string();
                let _ =
                    tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await;
                return Ok(None);
            };
            // The stored hash is part of the key: a changed password
            // invalidates what was remembered.
            let d = cache.digest(&user, &password, &u.password_hash);
            if cache.hit(&d, &user) {
                return Ok(Some(Principal::User(u)));
            }
            let stored = u.password_hash.clone();
            let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
                .await
                .unwrap_or(false);
            if ok {
                cache.remember(d, &user);
                Ok(Some(Principal::User(u)))
            } else {
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::Grant;

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("s3cret ", &h));
        assert!(!verify_password("s3cret", "not a hash"));
        let (t, th) = new_token();
        assert_eq!(token_hash(&t), th);
        assert_ne!(new_token().0, t);
    }

    #[test]
    fn new_passwords_need_twelve_characters() {
        for short in ["", "a", "elevenchars"] {
            let e = check_new_password(short).unwrap_err().to_string();
            assert!(e.contains("at least 12 characters"), "{e}");
        }
        // Characters, not bytes: twelve Cyrillic letters are enough.
        check_new_password("пароль-пароль").unwrap();
        check_new_password("twelve chars").unwrap();
    }

    #[test]
    fn reads_authorization_headers() {
        assert_eq!(credentials(None), Ok(Credentials::None));
        assert_eq!(
            credentials(Some(b"Basic YWxpY2U6cDpx")),
            Ok(Credentials::Basic {
                user: "alice".into(),
                password: "p:q".into()
            })
        );
        assert_eq!(
            credentials(Some(b"Bearer abc")),
            Ok(Credentials::Token("abc".into()))
        );
        assert_eq!(
            credentials(Some(b"Token abc")),
            Ok(Credentials::Token("abc".into()))
        );
        for bad in [
            &b"Basic !!"[..],
            b"Digest x",
            b"Bearer",
            b"Basic YWxpY2U=",
            b"\xff",
        ] {
            assert!(credentials(Some(bad)).is_err());
        }
    }

    #[test]
    fn rights() {
        let c = |id: &str, public: bool| Collection {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            public,
        };
        let user = Principal::User(User {
            name: "u".into(),
            password_hash: String::new(),
            admin: false,
            grants: vec![
                Grant {
                    collection: "r".into(),
                    read: true,
                    write: false,
                },
                Grant {
                    collection: "w".into(),
                    read: false,
                    write: true,
                },
            ],
        });
        assert!(user.can_read(&c("r", false)) && !user.can_write(&c("r", false)));
        assert!(!user.can_read(&c("w", false)) && user.can_write(&c("w", false)));
        assert!(user.sees(&c("w", false)));
        assert!(!user.sees(&c("x", false)));
        assert!(user.can_read(&c("x", true)));
        let anon = Principal::Anonymous;
        assert!(anon.can_read(&c("p", true)) && !anon.can_write(&c("p", true)));
        assert!(!anon.sees(&c("r", false)));
    }
}
