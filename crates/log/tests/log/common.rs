//! What every test here needs: a store in a temporary directory with the
//! node's collection, members and their directory, signed objects.

use std::time::Duration;

use concord_log::{Directory, MemberLog};
use concord_store::{AnyStore, Store};
use concord_trust::Keypair;
use serde_json::{Map, Value, json};

/// A member: its identity, node key and log.
pub(crate) struct Member {
    pub identity: String,
    pub key: Keypair,
}

impl Member {
    pub(crate) fn new(seed: u8) -> Member {
        Member {
            identity: format!("identity--0d5c0d37-52c2-4a09-8a51-3f1a0e8c0a{seed:02x}"),
            key: Keypair::from_seed(&[seed; 32]),
        }
    }

    pub(crate) fn origin(&self) -> String {
        concord_log::directory::default_origin(&self.identity)
    }

    pub(crate) fn log(&self, name: &str) -> MemberLog {
        MemberLog {
            member: self.identity.clone(),
            name: name.to_string(),
            origin: self.origin(),
            key: self.key.public(),
            url: String::new(),
        }
    }

    /// An indicator signed by this member.
    pub(crate) fn signed(&self, i: u64) -> Map<String, Value> {
        let o = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": format!("indicator {i} é"), "pattern": "[ipv4-addr:value = '192.0.2.1']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
        });
        concord_trust::sign_object(o.as_object().expect("object"), &self.identity, &self.key)
            .expect("sign")
    }
}

/// The directory `me` has of itself and `others`.
pub(crate) fn directory(me: &Member, others: &[(&Member, &str)]) -> Directory {
    Directory {
        own: me.log("this member"),
        members: others.iter().map(|(m, n)| m.log(n)).collect(),
        interval: Duration::from_secs(1),
    }
}

/// A fresh embedded store with the collection `c`.
pub(crate) async fn store() -> (tempfile::TempDir, AnyStore) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = concord_store::testkit::embedded_with_collection(dir.path(), "c")
        .await
        .expect("a store with collection c");
    (dir, s)
}

/// Stores objects `from..to` authored by `m`, with their log entries.
pub(crate) async fn author(s: &AnyStore, m: &Member, from: u64, to: u64) {
    let batch = (from..to)
        .map(|i| concord_log::own::prepare_authored(m.signed(i)).expect("prepare"))
        .collect();
    s.put_batch("c", batch).await.expect("put");
}
