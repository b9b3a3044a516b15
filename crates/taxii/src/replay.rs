//! Each (peer key, nonce) of a node-signed request is accepted once: a
//! request captured by anyone (a peer it was relayed through, a log) cannot
//! be sent again within the date window, and outside the window the date
//! check refuses it anyway, so a nonce is remembered only until its date
//! plus the window.
//!
//! Memory stays bounded under a flood: entries expire by date, and each
//! key may hold at most [`MAX_PER_KEY`] live nonces; a key that exceeds
//! it (a peer sending thousands of requests a second) is refused until
//! its oldest expire, rather than letting memory grow. Only the keys of
//! configured peers are remembered (a signature by any other key gets what
//! the public gets, so its replay gains nothing).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use concord_trust::KeyId;
use concord_trust::request::MAX_SKEW_MICROS;

/// Live nonces per key at most.
pub const MAX_PER_KEY: usize = 200_000;

/// Why a node-signed request was not accepted as new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The same (key, nonce) was accepted before, within its window.
    Replay,
    /// The key has too many live nonces.
    Flood,
}

#[derive(Default)]
struct PerKey {
    live: HashMap<String, i64>,
    /// (expiry, nonce) in arrival order, to expire the oldest first.
    order: VecDeque<(i64, String)>,
}

/// The nonces seen per key.
#[derive(Default)]
pub struct NonceCache {
    keys: Mutex<HashMap<KeyId, PerKey>>,
}

impl NonceCache {
    /// Records (key, nonce) of a request dated `date_us`, at `now_us`;
    /// `Err` when it must be refused.
    pub fn admit(&self, key: KeyId, nonce: &str, date_us: i64, now_us: i64) -> Result<(), Seen> {
        let Ok(mut keys) = self.keys.lock() else {
            return Err(Seen::Flood);
        };
        let k = keys.entry(key).or_default();
        while let Some((expiry, _)) = k.order.front()
            && *expiry < now_us
        {
            if let Some((_, n)) = k.order.pop_front() {
                k.live.remove(&n);
            }
        }
        // Expiries are not in arrival order when dates differ: also drop
        // any expired entry still in the map when it is large.
        if k.live.len() >= MAX_PER_KEY {
            k.live.retain(|_, e| *e >= now_us);
            k.order.retain(|(e, _)| *e >= now_us);
        }
        if k.live.contains_key(nonce) {
            return Err(Seen::Replay);
        }
        if k.live.len() >= MAX_PER_KEY {
            return Err(Seen::Flood);
        }
        let expiry = date_us.saturating_add(MAX_SKEW_MICROS);
        k.live.insert(nonce.to_string(), expiry);
        k.order.push_back((expiry, nonce.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_trust::Keypair;

    #[test]
    fn a_nonce_is_accepted_once_until_its_window_ends() {
        let c = NonceCache::default();
        let k = Keypair::generate().key_id();
        let other = Keypair::generate().key_id();
        let t = 1_000_000_000_000;
        assert_eq!(c.admit(k, "aa", t, t), Ok(()));
        assert_eq!(c.admit(k, "aa", t, t + 1), Err(Seen::Replay));
        assert_eq!(c.admit(other, "aa", t, t + 1), Ok(()), "per key");
        // After the window the entry is gone (and the date check refuses
        // the request anyway).
        assert_eq!(c.admit(k, "aa", t, t + MAX_SKEW_MICROS + 1), Ok(()));
    }

    #[test]
    fn memory_is_bounded_per_key() {
        let c = NonceCache::default();
        let k = Keypair::generate().key_id();
        let t = 5_000_000_000_000;
        for i in 0..MAX_PER_KEY {
            assert!(c.admit(k, &format!("{i:032x}"), t, t).is_ok());
        }
        assert_eq!(c.admit(k, "ff", t, t), Err(Seen::Flood));
        // Once they expire, the key is served again.
        assert_eq!(
            c.admit(k, "ff", t + 2 * MAX_SKEW_MICROS, t + MAX_SKEW_MICROS + 1),
            Ok(())
        );
    }
}
