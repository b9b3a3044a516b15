//! Which objects an export reads, and for whom: the node's own view, or
//! collections as the sharing policy gives them to a recipient.
//!
//! Reading is pipelined: while one page is parsed (on a blocking thread),
//! the store reads the next.

use std::collections::HashSet;

use concord_share::Recipient;
use concord_stix::tlp::{self, Tlp};
use concord_store::{ListQuery, ScanQuery, Store, StoredObject, VersionSel};
use concord_taxii::server::egress::{self, SharedFederation};
use serde_json::{Map, Value};

use crate::{PublishError, Query};

/// Whose view of the store an export shows.
#[derive(Clone)]
pub enum Scope {
    /// Everything the node holds: its operator's own view.
    Node,
    /// Everything the node holds, as the sharing policy gives it to
    /// `recipient` (the command line's `--for`); references resolve in
    /// `collection`.
    NodeFor {
        /// The member, its peers and the policy.
        federation: SharedFederation,
        /// Whom the export is for.
        recipient: Recipient,
        /// Where references are looked up (the node's local collection).
        collection: String,
    },
    /// Collections, each whole (`None`: a user with rights on it) or as
    /// the policy gives it to a recipient (the public, a peer): what TAXII
    /// would serve the same caller.
    Collections {
        /// The member, its peers and the policy.
        federation: SharedFederation,
        /// Collection ids and whom each is filtered for.
        collections: Vec<(String, Option<Recipient>)>,
    },
}

/// A recipient as text, for keys.
fn recipient_key(r: Option<&Recipient>) -> String {
    match r {
        None => "whole".into(),
        Some(Recipient::Public) => "public".into(),
        Some(Recipient::Peer(p)) => {
            let groups: Vec<&str> = p.groups.iter().map(String::as_str).collect();
            format!(
                "peer:{}:{}:{}",
                p.member,
                groups.join("+"),
                p.charter_member
            )
        }
    }
}

impl Scope {
    /// The view as one canonical text (two scopes with the same key give
    /// the same objects from the same store).
    pub fn key(&self) -> String {
        match self {
            Scope::Node => "node".into(),
            Scope::NodeFor {
                recipient,
                collection,
                ..
            } => format!("node-for:{}@{collection}", recipient_key(Some(recipient))),
            Scope::Collections { collections, .. } => {
                let mut parts: Vec<String> = collections
                    .iter()
                    .map(|(c, r)| format!("{c}={}", recipient_key(r.as_ref())))
                    .collect();
                parts.sort_unstable();
                parts.dedup();
                format!("collections:{}", parts.join(";"))
            }
        }
    }

    /// The collections the view reads (none for the node's views).
    pub fn collections(&self) -> Vec<&str> {
        match self {
            Scope::Collections { collections, .. } => {
                collections.iter().map(|(c, _)| c.as_str()).collect()
            }
            Scope::Node | Scope::NodeFor { .. } => Vec::new(),
        }
    }

    /// The federation whose policy filters the view, if any part of it is
    /// filtered.
    pub(crate) fn policy_federation(&self) -> Option<&SharedFederation> {
        match self {
            Scope::Node => None,
            Scope::NodeFor { federation, .. } => Some(federation),
            Scope::Collections {
                federation,
                collections,
            } => collections
                .iter()
                .any(|(_, r)| r.is_some())
                .then_some(federation),
        }
    }
}

/// The objects of a view that pass a query's filters.
#[derive(Default)]
pub(crate) struct Loaded {
    /// Each object with only the properties an export reads.
    pub maps: Vec<Map<String, Value>>,
    /// The stored JSON of each, when asked for (a STIX bundle).
    pub texts: Vec<String>,
}

const PAGE: usize = 10_000;

/// What [`load`] reads.
pub(crate) struct Want<'q> {
    pub query: &'q Query,
    /// STIX types to read.
    pub types: Vec<String>,
    /// Keep each object's whole stored JSON.
    pub texts: bool,
    /// Leave out revoked objects (a STIX bundle of active objects).
    pub drop_revoked: bool,
    /// The properties to keep of each object (`None`: the whole object).
    pub properties: Option<Vec<&'static str>>,
}

/// Reads the view's objects that `want` selects.
pub(crate) async fn load<S: Store + Clone + 'static>(
    store: &S,
    scope: &Scope,
    want: &Want<'_>,
) -> Result<Loaded, PublishError> {
    let mut loaded = Loaded::default();
    let mut seen = HashSet::new();
    match scope {
        Scope::Node | Scope::NodeFor { .. } => {
            let scan = |after_row: i64| {
                let store = store.clone();
                let q = ScanQuery {
                    after_row,
                    limit: PAGE,
                    types: want.types.clone(),
                    since_us: want.query.since.map(|t| t.0),
                    max_tlp: want.query.max_tlp,
                    include_revoked: true,
                };
                tokio::spawn(async move { store.scan_latest(q).await })
            };
            let mut next = scan(0);
            loop {
                let page = next.await.map_err(task)??;
                let Some(last) = page.last() else { break };
                next = scan(last.row);
                let page = match scope {
                    Scope::NodeFor {
                        federation,
                        recipient,
                        collection,
                    } => egress::filter(store, federation, recipient, collection, page).await?,
                    _ => page,
                };
                // The scan gives each object once.
                take(page, want, None, &mut loaded).await?;
            }
        }
        Scope::Collections {
            federation,
            collections,
        } => {
            for (collection, recipient) in collections {
                let mut after = None;
                loop {
                    let page = store
                        .list(ListQuery {
                            collection: collection.clone(),
                            added_after_us: after,
                            limit: PAGE,
                            ids: Vec::new(),
                            types: want.types.clone(),
                            spec_versions: Vec::new(),
                            versions: VersionSel::Last,
                        })
                        .await?;
                    let more = page.more;
                    let last = page.objects.last().and_then(|o| o.date_added_us);
                    let objects = match recipient {
                        Some(r) => {
                            egress::filter(store, federation, r, collection, page.objects).await?
                        }
                        None => page.objects,
                    };
                    // An object filed in several collections is taken once.
                    let seen = (collections.len() > 1).then_some(&mut seen);
                    take(objects, want, seen, &mut loaded).await?;
                    match (more, last) {
                        (true, Some(last)) => after = Some(last),
                        _ => break,
                    }
                }
            }
        }
    }
    Ok(loaded)
}

fn task(e: tokio::task::JoinError) -> PublishError {
    PublishError::Task(e.to_string())
}

/// Parses a page (off the async workers) and keeps what passes the
/// filters; a version in `seen` (taken from another collection) is not
/// taken again.
async fn take(
    page: Vec<StoredObject>,
    want: &Want<'_>,
    seen: Option<&mut HashSet<(String, String)>>,
    loaded: &mut Loaded,
) -> Result<(), PublishError> {
    let mut page = page;
    if let Some(seen) = seen {
        page.retain(|o| seen.insert((o.id.clone(), o.version.clone())));
    }
    let (max_tlp, since) = (want.query.max_tlp, want.query.since);
    let (texts, drop_revoked) = (want.texts, want.drop_revoked);
    let parse = move |part: Vec<StoredObject>, properties: Option<Vec<&'static str>>| {
        let mut out = Vec::with_capacity(part.len());
        for o in part {
            let map = match &properties {
                None => concord_stix::json::parse_object(o.json.as_bytes()).ok(),
                Some(p) => concord_exports::parse_object(o.json.as_bytes(), p).ok(),
            };
            // Stored text that does not read is never exported.
            let Some(map) = map else { continue };
            if !passes(&map, max_tlp, since, drop_revoked) {
                continue;
            }
            out.push((map, texts.then_some(o.json)));
        }
        out
    };
    // Two halves on two threads: parsing is most of the cost of reading.
    let second = page.split_off(page.len() / 2);
    let (p1, p2) = (want.properties.clone(), want.properties.clone());
    let first = tokio::task::spawn_blocking(move || parse(page, p1));
    let second = tokio::task::spawn_blocking(move || parse(second, p2));
    let (first, second) = (first.await.map_err(task)?, second.await.map_err(task)?);
    let parsed = first.into_iter().chain(second);
    for (map, text) in parsed {
        loaded.maps.push(map);
        loaded.texts.extend(text);
    }
    Ok(())
}

/// The filters the store's list does not apply (the scan applies the
/// first two itself; applying them again costs little and keeps one rule).
fn passes(
    map: &Map<String, Value>,
    max_tlp: Option<Tlp>,
    since: Option<concord_stix::Timestamp>,
    drop_revoked: bool,
) -> bool {
    if let Some(max) = max_tlp {
        let level = map
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .and_then(|refs| tlp::strictest_of(refs));
        if level.is_none_or(|l| l > max) {
            return false;
        }
    }
    if let Some(since) = since {
        let modified = map
            .get("modified")
            .and_then(Value::as_str)
            .and_then(|m| concord_stix::Timestamp::parse(m).ok());
        // Objects without `modified` (marking definitions) count as old.
        if modified.is_none_or(|m| m < since) {
            return false;
        }
    }
    !(drop_revoked && map.get("revoked").and_then(Value::as_bool) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_share::Peer;
    use serde_json::json;

    #[test]
    fn keys_name_each_collection_and_recipient() {
        let fed: SharedFederation = std::sync::Arc::new(egress::Federation::new(
            "identity--m".into(),
            Default::default(),
        ));
        let peer = Recipient::Peer(Peer {
            member: "identity--p".into(),
            groups: ["isp".to_string()].into(),
            charter_member: true,
        });
        let a = Scope::Collections {
            federation: fed.clone(),
            collections: vec![("b".into(), Some(peer)), ("a".into(), None)],
        };
        assert_eq!(a.key(), "collections:a=whole;b=peer:identity--p:isp:true");
        let public = Scope::Collections {
            federation: fed,
            collections: vec![("a".into(), Some(Recipient::Public))],
        };
        assert_ne!(public.key(), a.key());
        assert!(public.policy_federation().is_some());
        assert!(Scope::Node.policy_federation().is_none());
        assert_eq!(Scope::Node.key(), "node");
    }

    #[test]
    fn filters_by_tlp_time_and_revocation() {
        let clear = tlp::Tlp::Clear.marking_id();
        let amber = tlp::Tlp::Amber.marking_id();
        let o = |marking: Option<&str>, modified: &str, revoked: bool| {
            let mut v = json!({"type": "indicator", "modified": modified, "revoked": revoked});
            if let Some(m) = marking {
                v["object_marking_refs"] = json!([m]);
            }
            v.as_object().unwrap().clone()
        };
        let t = |s| concord_stix::Timestamp::parse(s).unwrap();
        let green = Some(Tlp::Green);
        assert!(passes(
            &o(Some(clear), "2026-01-01T00:00:00Z", false),
            green,
            None,
            true
        ));
        assert!(!passes(
            &o(Some(amber), "2026-01-01T00:00:00Z", false),
            green,
            None,
            true
        ));
        assert!(!passes(
            &o(None, "2026-01-01T00:00:00Z", false),
            green,
            None,
            true
        ));
        assert!(passes(
            &o(None, "2026-01-01T00:00:00Z", false),
            None,
            None,
            true
        ));
        let since = Some(t("2026-06-01T00:00:00Z"));
        assert!(!passes(
            &o(None, "2026-01-01T00:00:00Z", false),
            None,
            since,
            true
        ));
        assert!(passes(
            &o(None, "2026-07-01T00:00:00Z", false),
            None,
            since,
            true
        ));
        assert!(!passes(
            &o(None, "2026-07-01T00:00:00Z", true),
            None,
            None,
            true
        ));
        assert!(passes(
            &o(None, "2026-07-01T00:00:00Z", true),
            None,
            None,
            false
        ));
    }
}
