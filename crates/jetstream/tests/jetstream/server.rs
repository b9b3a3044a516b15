//! A `nats-server -js` of the test's own, and a store with indicators.

use concord_stix::StixObject;
use concord_store::{AnyStore, PreparedObject, Store};
use serde_json::{Value, json};

pub(crate) use crate::nats_server::nats;

/// An indicator of `pattern` (valid since 2020, TLP-less).
pub(crate) fn indicator(uuid_tail: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{uuid_tail}"),
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "name": format!("test {uuid_tail}"),
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
    })
}

/// A fresh embedded store holding `indicators`.
pub(crate) async fn store(indicators: &[Value]) -> (tempfile::TempDir, AnyStore) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = concord_store::testkit::embedded_with_collection(dir.path(), "c")
        .await
        .expect("a store with collection c");
    put(&s, indicators).await;
    (dir, s)
}

/// Stores more indicators.
pub(crate) async fn put(s: &AnyStore, indicators: &[Value]) {
    let batch = indicators
        .iter()
        .map(|v| {
            let map = v.as_object().expect("an object").clone();
            PreparedObject::new(&StixObject::from_map(map), v.to_string())
        })
        .collect::<Vec<_>>();
    if !batch.is_empty() {
        s.put_batch("c", batch).await.expect("put");
    }
}
