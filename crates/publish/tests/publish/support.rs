//! A store in a temporary directory with indicators in collections.

use std::sync::Arc;

use concord_publish::{OutputFormat, Query};
use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use concord_store::{AnyStore, NewCollection, PreparedObject, SqliteStore, Store};
use concord_taxii::server::egress::{Federation, SharedFederation};
use serde_json::{Value, json};

/// The member of the node the tests export from.
pub(crate) const MEMBER: &str = "identity--11111111-1111-4111-8111-111111111111";

/// A store and the directory that holds it.
pub(crate) struct Fixture {
    pub store: AnyStore,
    key: concord_trust::Keypair,
    pub federation: SharedFederation,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).expect("the store opens"));
        Fixture {
            store,
            key: concord_trust::Keypair::generate(),
            federation: Arc::new(Federation::new(MEMBER.into(), Default::default())),
            _dir: dir,
        }
    }

    /// A collection with this id.
    pub(crate) async fn collection(&self, id: &str, public: bool) {
        self.store
            .create_collection(NewCollection {
                id: Some(id.into()),
                title: id.into(),
                description: String::new(),
                public,
            })
            .await
            .expect("the collection is created");
    }

    /// Files `objects` in `collection`, signed by [`MEMBER`] (peers are
    /// given only signed versions).
    pub(crate) async fn put(&self, collection: &str, objects: &[Value]) {
        let batch = objects
            .iter()
            .map(|o| {
                let map = o.as_object().expect("an object");
                let map = concord_trust::sign_object(map, MEMBER, &self.key).expect("signed");
                let text = serde_json::to_string(&map).expect("JSON");
                PreparedObject::new(&StixObject::from_map(map), text)
            })
            .collect();
        self.store
            .put_batch(collection, batch)
            .await
            .expect("the objects are stored");
    }
}

/// An active indicator `n` with `pattern`, marked `tlp`.
pub(crate) fn indicator(n: u32, pattern: &str, tlp: Tlp) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
        "name": format!("indicator {n}"),
        "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": [tlp.marking_id()],
    })
}

/// A new version of `o`, modified at `modified`.
pub(crate) fn version(o: &Value, modified: &str) -> Value {
    let mut v = o.clone();
    v["modified"] = json!(modified);
    v
}

/// The query for `format` with the default options.
pub(crate) fn query(format: &str) -> Query {
    Query::new(format.parse::<OutputFormat>().expect("a format"))
}

/// The fixed time the tests export at.
pub(crate) fn now() -> concord_stix::Timestamp {
    concord_stix::Timestamp::parse("2026-12-01T00:00:00Z").expect("a timestamp")
}

/// An output as text.
pub(crate) fn text(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).expect("UTF-8")
}
