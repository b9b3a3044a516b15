//! concord's log entries: `d = "concord/entry/v1\n" ‖ kind ‖ body`.
//!
//! - kind 0x01, intel: body = SHA-256(`"concord/commit/v1\n"` ‖ nonce[32] ‖
//!   JCS(object)) with a fresh random nonce per entry. The log shows only
//!   that *something* was published and when; a recipient that holds the
//!   object and its nonce recomputes the commitment and checks its
//!   inclusion. Purging an object's body (retention) never touches the log.
//! - kind 0x02, governance: body = the JCS of the public message itself
//!   (proposals, votes, delegations, evidence; charters go in by hash).
//!
//! FEDERATION.md allows 64 KiB for a governance body; an entry bundle
//! prefixes each entry with a 16-bit length, so the body is held to
//! [`MAX_GOVERNANCE_BODY`] = 65,535 - 18 bytes and every entry fits.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::TlogError;
use crate::hash::{Hash, leaf_hash};
use crate::tile::MAX_ENTRY_BYTES;

/// The prefix of every concord entry.
pub const ENTRY_PREFIX: &[u8] = b"concord/entry/v1\n";
/// The prefix of an intel commitment's preimage.
pub const COMMIT_PREFIX: &[u8] = b"concord/commit/v1\n";
/// The largest governance body: what fits an entry bundle's u16 length.
pub const MAX_GOVERNANCE_BODY: usize = MAX_ENTRY_BYTES - ENTRY_PREFIX.len() - 1;

/// The kind byte of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// 0x01: a salted commitment to an intel object version.
    Intel,
    /// 0x02: a public governance message.
    Governance,
}

impl EntryKind {
    /// The byte.
    pub fn byte(self) -> u8 {
        match self {
            EntryKind::Intel => 0x01,
            EntryKind::Governance => 0x02,
        }
    }
}

/// A log entry, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A commitment to an intel object.
    Intel(Hash),
    /// A governance message (its canonical JSON).
    Governance(Vec<u8>),
}

impl Entry {
    /// The entry's bytes `d`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (kind, body): (EntryKind, &[u8]) = match self {
            Entry::Intel(h) => (EntryKind::Intel, h.as_bytes()),
            Entry::Governance(b) => (EntryKind::Governance, b),
        };
        let mut d = Vec::with_capacity(ENTRY_PREFIX.len() + 1 + body.len());
        d.extend_from_slice(ENTRY_PREFIX);
        d.push(kind.byte());
        d.extend_from_slice(body);
        d
    }

    /// The entry's leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_bytes())
    }

    /// Reads an entry (from an entry bundle). A governance body must be
    /// canonical JSON of an object: the same bytes its author logged.
    pub fn parse(d: &[u8]) -> Result<Entry, TlogError> {
        let rest = d
            .strip_prefix(ENTRY_PREFIX)
            .ok_or_else(|| TlogError::Entry("does not start with concord/entry/v1".into()))?;
        let (&kind, body) = rest
            .split_first()
            .ok_or_else(|| TlogError::Entry("no kind byte".into()))?;
        match kind {
            0x01 => Hash::from_slice(body)
                .map(Entry::Intel)
                .ok_or_else(|| TlogError::Entry("an intel commitment has 32 bytes".into())),
            0x02 => {
                if body.len() > MAX_GOVERNANCE_BODY {
                    return Err(TlogError::Entry(format!(
                        "a governance body has at most {MAX_GOVERNANCE_BODY} bytes"
                    )));
                }
                let value: Value = serde_json::from_slice(body)
                    .map_err(|e| TlogError::Entry(format!("a governance body is JSON: {e}")))?;
                if !value.is_object() || canonical(&value)? != body {
                    return Err(TlogError::Entry(
                        "a governance body is the canonical JSON of an object".into(),
                    ));
                }
                Ok(Entry::Governance(body.to_vec()))
            }
            k => Err(TlogError::Entry(format!("unknown kind 0x{k:02x}"))),
        }
    }
}

fn canonical(value: &Value) -> Result<Vec<u8>, TlogError> {
    concord_stix::canonical::to_canonical_string(value)
        .map(String::into_bytes)
        .map_err(|e| TlogError::Canonical(e.to_string()))
}

/// SHA-256("concord/commit/v1\n" ‖ nonce ‖ JCS(object)): the commitment to
/// one object version (as published, provenance signature included).
pub fn commitment(object: &Map<String, Value>, nonce: &[u8; 32]) -> Result<Hash, TlogError> {
    let jcs = concord_stix::canonical::to_canonical_string_omitting(object, &[])
        .map_err(|e| TlogError::Canonical(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(COMMIT_PREFIX);
    h.update(nonce);
    h.update(jcs.as_bytes());
    Ok(Hash(h.finalize().into()))
}

/// A fresh 32-byte nonce from the operating system's randomness.
pub fn fresh_nonce() -> [u8; 32] {
    let mut nonce = [0u8; 32];
    rand::fill(&mut nonce);
    nonce
}

/// The entry for an intel object with a fresh nonce: (entry, nonce). The
/// node stores the nonce with the object and hands both to entitled
/// recipients.
pub fn intel_entry(object: &Map<String, Value>) -> Result<(Entry, [u8; 32]), TlogError> {
    let nonce = fresh_nonce();
    Ok((Entry::Intel(commitment(object, &nonce)?), nonce))
}

/// The entry for a public governance message: its canonical JSON.
pub fn governance_entry(message: &Value) -> Result<Entry, TlogError> {
    if !message.is_object() {
        return Err(TlogError::Entry(
            "a governance message is a JSON object".into(),
        ));
    }
    let body = canonical(message)?;
    if body.len() > MAX_GOVERNANCE_BODY {
        return Err(TlogError::Entry(format!(
            "a governance message of {} canonical bytes is above the limit of {MAX_GOVERNANCE_BODY}",
            body.len()
        )));
    }
    Ok(Entry::Governance(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intel_entries_hide_the_object_and_recompute() {
        let obj = json!({"type": "indicator", "id": "indicator--1", "name": "x"});
        let obj = obj.as_object().unwrap();
        let (entry, nonce) = intel_entry(obj).unwrap();
        let (again, other_nonce) = intel_entry(obj).unwrap();
        assert_ne!(nonce, other_nonce);
        assert_ne!(entry, again, "a fresh nonce per entry");
        assert_eq!(entry, Entry::Intel(commitment(obj, &nonce).unwrap()));
        let d = entry.to_bytes();
        assert_eq!(d.len(), 17 + 1 + 32);
        assert_eq!(Entry::parse(&d).unwrap(), entry);
        // Key order does not matter: the commitment is over JCS.
        let reordered = json!({"name": "x", "id": "indicator--1", "type": "indicator"});
        assert_eq!(
            commitment(reordered.as_object().unwrap(), &nonce).unwrap(),
            commitment(obj, &nonce).unwrap()
        );
    }

    #[test]
    fn governance_entries_are_canonical_and_bounded() {
        let msg = json!({"b": 1, "a": [true, null]});
        let e = governance_entry(&msg).unwrap();
        assert_eq!(
            e.to_bytes(),
            b"concord/entry/v1\n\x02{\"a\":[true,null],\"b\":1}".to_vec()
        );
        assert_eq!(Entry::parse(&e.to_bytes()).unwrap(), e);
        let big = json!({"x": "y".repeat(MAX_GOVERNANCE_BODY)});
        assert!(governance_entry(&big).is_err());
        let fits = json!({"x": "y".repeat(MAX_GOVERNANCE_BODY - 8)});
        assert_eq!(
            governance_entry(&fits).unwrap().to_bytes().len(),
            MAX_ENTRY_BYTES
        );
        assert!(Entry::parse(b"concord/entry/v1\n\x02{\"b\":1, \"a\":2}").is_err());
        assert!(Entry::parse(b"concord/entry/v1\n\x03").is_err());
        assert!(Entry::parse(b"concord/entry/v1\n\x01short").is_err());
        assert!(governance_entry(&json!([1])).is_err());
    }
}
