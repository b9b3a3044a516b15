//! Marking an object this member holds (FEDERATION.md section 6): a new
//! version with the TLP marking and the audience the member chose, a newer
//! `modified`, and the node's signature. It is how intel imported unmarked
//! (which never leaves the node) is shared afterwards, and how an authored
//! object is re-addressed: re-importing the same version with `--tlp`
//! cannot do it, since (id, modified) is already held.
//!
//! Only this member's own objects, or objects no member claims (imported
//! from a feed), may be marked: another member's intel is that member's to
//! mark.

use concord_stix::Timestamp;
use concord_stix::json::parse_object;
use concord_stix::tlp::Tlp;
use concord_store::{Store, VersionSel};
use concord_trust::{AUDIENCE_EXTENSION_ID, Keypair};
use serde::Serialize;
use serde_json::Value;

use crate::authoring::{Authoring, bound_to_others, refusal};
use crate::{FederationError, LocalNode, Result, membership};

/// The version [`mark`] stored.
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    /// The object's id.
    pub id: String,
    /// The new version's `modified`.
    pub modified: String,
    /// The TLP level it carries now (`clear`, `green`, ...).
    pub tlp: String,
    /// Who it is addressed to (members or groups); empty: everyone the
    /// TLP level allows.
    pub audience: Vec<String>,
}

impl std::fmt::Display for Marked {
    /// The object, its level and audience, and its new version.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = if self.audience.is_empty() {
            String::new()
        } else {
            format!(" for {}", self.audience.join(", "))
        };
        write!(
            f,
            "{} marked {}{to} (version {}); the next sync shares it",
            self.id, self.tlp, self.modified
        )
    }
}

/// Marks the latest version of `id` with `tlp` and, when given, addresses
/// it to `audience` (replacing any earlier audience: without one, the new
/// version goes to everyone its level allows), signs it as this member and
/// stores it in the node's local collection, so the next sync carries it
/// to the peers the sharing policy allows.
pub async fn mark(
    node: &LocalNode,
    key: &Keypair,
    id: &str,
    tlp: Tlp,
    audience: Option<Vec<String>>,
) -> Result<Marked> {
    let versions = node.store.versions(id, VersionSel::Last).await?;
    let Some(latest) = versions.last() else {
        return Err(FederationError::NotFound(format!(
            "this node holds no object {id} (see `concord search`)"
        )));
    };
    let object = parse_object(latest.json.as_bytes())
        .map_err(|e| FederationError::Invalid(format!("the stored {id} is not JSON: {e}")))?;
    if object.get("type").and_then(Value::as_str) == Some("marking-definition") {
        return Err(FederationError::Invalid(format!(
            "{id} is a marking definition: those are not marked themselves"
        )));
    }
    if object.get("revoked") == Some(&Value::Bool(true)) {
        return Err(FederationError::Invalid(format!(
            "{id} is withdrawn: nothing may follow a revocation"
        )));
    }
    let members = membership::current(node, &key.public())
        .await?
        .names(&node.member);
    let theirs = bound_to_others(&node.store, &node.member, &members, vec![id.to_string()]).await?;
    if let Some((_, owner)) = theirs.first() {
        return Err(FederationError::Forbidden(refusal(id, owner)));
    }
    let previous = object
        .get("modified")
        .and_then(Value::as_str)
        .and_then(|m| Timestamp::parse(m).ok())
        .ok_or_else(|| {
            FederationError::Invalid(format!("{id} has no modified timestamp to supersede"))
        })?;
    // STIX timestamps are kept to the millisecond: one more than the last.
    let modified = Timestamp(Timestamp::now().0.max(previous.0 + 1_000));
    let mut next = object;
    if let Some(Value::Object(exts)) = next.get_mut("extensions") {
        exts.remove(AUDIENCE_EXTENSION_ID);
        if exts.is_empty() {
            next.remove("extensions");
        }
    }
    next.insert("modified".into(), modified.to_stix().into());
    let signed = Authoring {
        member: node.member.clone(),
        key: key.clone(),
        tlp: Some(tlp),
        audience: audience.clone(),
    }
    .author(&next)?;
    // An authored version: logged in the same transaction.
    let prepared = crate::authoring::prepared(signed)?;
    node.store
        .put_batch(&node.collection, vec![prepared])
        .await?;
    Ok(Marked {
        id: id.to_string(),
        modified: modified.to_stix(),
        tlp: tlp.word().to_string(),
        audience: audience.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_version_reads_with_its_audience() {
        let mut m = Marked {
            id: "indicator--x".into(),
            modified: "2026-01-01T00:00:00.000Z".into(),
            tlp: "amber".into(),
            audience: vec!["a".into(), "g".into()],
        };
        let v = "(version 2026-01-01T00:00:00.000Z); the next sync shares it";
        assert_eq!(
            m.to_string(),
            format!("indicator--x marked amber for a, g {v}")
        );
        m.audience.clear();
        assert_eq!(m.to_string(), format!("indicator--x marked amber {v}"));
    }
    use concord_stix::StixObject;
    use concord_store::{AnyStore, PreparedObject, SqliteStore};

    async fn node(dir: &std::path::Path) -> (LocalNode, Keypair) {
        // A node directory is one with a config file (the community's
        // files are read from it; this node is in no community).
        std::fs::write(dir.join(concord_community::NODE_CONFIG_FILE), "").expect("config");
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir).expect("store"));
        let c = store
            .create_collection(concord_store::NewCollection {
                id: None,
                title: "local".into(),
                description: String::new(),
                public: false,
            })
            .await
            .expect("collection");
        let node = LocalNode {
            store,
            data_dir: dir.to_path_buf(),
            member: "identity--a0000000-0000-4000-8000-000000000001".into(),
            collection: c.id,
            log: Default::default(),
        };
        (node, Keypair::generate())
    }

    fn indicator(id: &str) -> serde_json::Map<String, Value> {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        })
        .as_object()
        .cloned()
        .expect("object")
    }

    async fn put(node: &LocalNode, object: serde_json::Map<String, Value>) {
        let text = Value::Object(object.clone()).to_string();
        let p = PreparedObject::new(&StixObject::from_map(object), text);
        node.store
            .put_batch(&node.collection, vec![p])
            .await
            .expect("stored");
    }

    #[tokio::test]
    async fn an_unmarked_object_gets_a_newer_signed_marked_version() {
        let dir = tempfile::tempdir().expect("dir");
        let (node, key) = node(dir.path()).await;
        let id = "indicator--b0000000-0000-4000-8000-000000000001";
        put(&node, indicator(id)).await;
        let marked = mark(
            &node,
            &key,
            id,
            Tlp::Amber,
            Some(vec!["identity--x".into()]),
        )
        .await
        .expect("marked");
        assert_eq!(marked.tlp, "amber");
        let all = node.store.versions(id, VersionSel::All).await.expect("all");
        assert_eq!(all.len(), 2, "the first version stays, a new one is added");
        let latest = parse_object(all[1].json.as_bytes()).expect("json");
        assert_eq!(latest["modified"], Value::from(marked.modified.clone()));
        assert!(marked.modified.as_str() > "2026-01-01T00:00:00.000Z");
        assert_eq!(
            concord_stix::tlp::of_object(&latest),
            Some(Tlp::Amber),
            "{latest:?}"
        );
        let claim = concord_trust::read_provenance(&latest).expect("signed");
        assert_eq!(claim.signer, node.member);
        let audience = concord_trust::read_audience(&latest)
            .expect("audience")
            .expect("present");
        assert_eq!(audience.audience, vec!["identity--x".to_string()]);

        // Marked again without an audience: the audience goes.
        let again = mark(&node, &key, id, Tlp::Green, None)
            .await
            .expect("again");
        assert!(again.modified > marked.modified);
        let all = node
            .store
            .versions(id, VersionSel::Last)
            .await
            .expect("last");
        let latest = parse_object(all[0].json.as_bytes()).expect("json");
        assert_eq!(concord_trust::read_audience(&latest).expect("read"), None);
        assert_eq!(concord_stix::tlp::of_object(&latest), Some(Tlp::Green));
    }

    #[tokio::test]
    async fn another_members_object_is_refused_and_unknown_ids_not_found() {
        let dir = tempfile::tempdir().expect("dir");
        let (node, key) = node(dir.path()).await;
        let id = "indicator--b0000000-0000-4000-8000-000000000002";
        let other = Keypair::generate();
        let theirs = concord_trust::sign_object(
            &indicator(id),
            "identity--c0000000-0000-4000-8000-000000000003",
            &other,
        )
        .expect("signed");
        put(&node, theirs).await;
        match mark(&node, &key, id, Tlp::Green, None).await {
            Err(FederationError::Forbidden(m)) => {
                assert!(m.contains("only its author publishes"), "{m}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            node.store
                .versions(id, VersionSel::All)
                .await
                .expect("all")
                .len(),
            1,
            "nothing was stored"
        );
        match mark(
            &node,
            &key,
            "indicator--b0000000-0000-4000-8000-000000000009",
            Tlp::Green,
            None,
        )
        .await
        {
            Err(FederationError::NotFound(_)) => {}
            other => panic!("expected not found, got {other:?}"),
        }
    }
}
