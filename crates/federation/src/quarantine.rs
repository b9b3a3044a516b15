//! Objects peers sent that were not stored (unsigned, signed by an unknown
//! key, changed in transit, not valid STIX), each with the reason. They
//! are never served or matched; an operator reads and drops them.

use concord_store::{AnyStore, Store};
use concord_taxii::sync::QUARANTINE;
use serde_json::Value;

use crate::Result;

/// One quarantined object as recorded: `{"id", "source", "received",
/// "reason", "object"}`.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record's key (what `drop` takes).
    pub key: String,
    /// The record as stored.
    pub value: Value,
}

impl Entry {
    /// Whether `key` names this entry, by its key or the object's id.
    pub fn is_named(&self, key: &str) -> bool {
        self.key == key || self.value.get("id").and_then(Value::as_str) == Some(key)
    }
}

impl std::fmt::Display for Entry {
    /// The key, where it came from and when, then why it was refused.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = |k: &str| self.value.get(k).and_then(Value::as_str).unwrap_or("?");
        let (source, received) = (field("source"), field("received"));
        write!(
            f,
            "{}  from {source}  at {received}\n    {}",
            self.key,
            field("reason")
        )
    }
}

/// Every quarantined object, in key order.
pub async fn entries(store: &AnyStore) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(QUARANTINE, after.as_deref(), 1000).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        out.extend(page.into_iter().map(|r| Entry {
            value: serde_json::from_str(&r.value).unwrap_or(Value::Null),
            key: r.key,
        }));
        after = Some(last);
    }
    Ok(out)
}

/// Forgets the entries with these keys; returns how many were dropped.
pub async fn drop(store: &AnyStore, keys: Vec<String>) -> Result<usize> {
    Ok(store.delete_records(QUARANTINE, keys).await?)
}

#[cfg(test)]
mod tests {
    use super::Entry;

    #[test]
    fn an_entry_reads_as_its_key_source_and_reason() {
        let e = Entry {
            key: "k1".into(),
            value: serde_json::json!({"id": "indicator--x", "source": "b", "reason": "unsigned"}),
        };
        assert_eq!(e.to_string(), "k1  from b  at ?\n    unsigned");
        assert!(e.is_named("indicator--x") && e.is_named("k1") && !e.is_named("k2"));
    }
}
