//! Who a peer node is, and what each caller may see: the sharing policy
//! (`concord_share`) applied to every page before it leaves the server.
//!
//! Local users with rights on a collection see it whole: they are the
//! member's own analysts. Peer nodes and the public (anonymous callers,
//! and users without rights reading a public collection) see only what
//! `concord_share::decide` gives them, closed over references, so an
//! object they may not see does not exist for them: it is not listed,
//! counted, named in `next` or the date headers, or referenced by anything
//! they receive.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arc_swap::ArcSwap;
use concord_share::{
    Decision, EgressPolicy, Peer, Provenance, Reason, Recipient, decide, references,
    withhold_dangling,
};
use concord_stix::StixObject;
use concord_stix::json::parse_object;
use concord_store::{Collection, ListQuery, Store, StoredObject, VersionSel};
use concord_trust::KeyId;

use crate::access::{PeerIdentity, Principal};

/// What the server knows of its member and its peers; the node swaps in a
/// new peer table or policy while serving (after `peer add`, or when a
/// charter is adopted).
pub struct Federation {
    /// This member's STIX identity id: versions it signed are authored
    /// here, all others are relayed.
    pub member: String,
    pub peers: ArcSwap<HashMap<KeyId, PeerIdentity>>,
    pub policy: ArcSwap<EgressPolicy>,
}

impl Federation {
    pub fn new(member: String, policy: EgressPolicy) -> Federation {
        Federation {
            member,
            peers: ArcSwap::from_pointee(HashMap::new()),
            policy: ArcSwap::from_pointee(policy),
        }
    }

    pub fn peer(&self, key: &KeyId) -> Option<PeerIdentity> {
        self.peers.load().get(key).cloned()
    }
}

/// Whom a caller is for the sharing policy on this collection: `None` for
/// a local user with rights on it (no filter).
pub fn recipient_of(principal: &Principal, collection: &Collection) -> Option<Recipient> {
    match principal {
        Principal::Peer(p) => Some(Recipient::Peer(Peer {
            member: p.member.clone(),
            groups: p.groups.clone(),
            charter_member: p.charter_member,
        })),
        Principal::Anonymous => Some(Recipient::Public),
        Principal::User(u) => {
            let granted = u.admin
                || u.grants
                    .iter()
                    .any(|g| g.collection == collection.id && (g.read || g.write));
            (!granted).then_some(Recipient::Public)
        }
    }
}

/// How this node holds a version: signed by its own member (authored),
/// signed by another member (relayed), or unsigned (local only: peers
/// would quarantine it, so it never goes to them).
pub fn provenance_of(member: &str, object: &StixObject) -> Result<Provenance, Reason> {
    match concord_trust::read_provenance(object.as_map()) {
        Ok(claim) if claim.signer == member => Ok(Provenance::Author),
        Ok(claim) => Ok(Provenance::Relay {
            author: claim.signer,
        }),
        Err(_) => Err(Reason::UnknownAuthor),
    }
}

fn parse(o: &StoredObject) -> Option<StixObject> {
    parse_object(o.json.as_bytes())
        .ok()
        .map(StixObject::from_map)
}

/// The decision for each object alone (no references).
pub fn decide_each(
    fed: &Federation,
    objects: &[StixObject],
    recipient: &Recipient,
) -> Vec<Decision> {
    let policy = fed.policy.load();
    objects
        .iter()
        .map(|o| {
            let provenance = match provenance_of(&fed.member, o) {
                Ok(p) => p,
                Err(_) if matches!(recipient, Recipient::Public) => Provenance::Author,
                Err(r) => return Decision::Withhold(r),
            };
            decide(&policy, o, recipient, &provenance)
        })
        .collect()
}

/// Keeps the entries of a page the recipient may see. References to ids
/// outside the page are resolved against the collection: an id is visible
/// when some version of it there is shared with the recipient.
pub async fn filter<S: Store>(
    store: &S,
    fed: &Federation,
    recipient: &Recipient,
    collection: &str,
    page: Vec<StoredObject>,
) -> Result<Vec<StoredObject>, concord_store::StoreError> {
    let parsed: Vec<Option<StixObject>> = page.iter().map(parse).collect();
    let objects: Vec<StixObject> = parsed.iter().flatten().cloned().collect();
    let mut decisions = decide_each(fed, &objects, recipient);
    // Referenced ids that are not in this page.
    let in_page: HashSet<&str> = objects.iter().map(|o| o.id()).collect();
    let mut outside: HashSet<String> = HashSet::new();
    for (o, d) in objects.iter().zip(&decisions) {
        if !d.is_share() {
            continue;
        }
        if let Ok(refs) = references(o) {
            for r in refs {
                if !in_page.contains(r.id.as_str())
                    && concord_stix::tlp::Tlp::from_marking_id(&r.id).is_none()
                {
                    outside.insert(r.id);
                }
            }
        }
    }
    let visible = visible_ids(store, fed, recipient, collection, outside).await?;
    withhold_dangling(&objects, &mut decisions, &|id: &str| visible.contains(id));
    let mut shared = decisions.iter().map(Decision::is_share);
    Ok(page
        .into_iter()
        .zip(parsed)
        .filter_map(|(stored, p)| match p {
            // Unreadable stored text never leaves the node.
            None => None,
            Some(_) => shared.next().unwrap_or(false).then_some(stored),
        })
        .collect())
}

/// Which of `ids` have a version in the collection shared with the
/// recipient (on its own; the references of those versions are not
/// followed further).
async fn visible_ids<S: Store>(
    store: &S,
    fed: &Federation,
    recipient: &Recipient,
    collection: &str,
    ids: HashSet<String>,
) -> Result<HashSet<String>, concord_store::StoreError> {
    let mut visible = HashSet::new();
    let ids: Vec<String> = ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        let mut after = None;
        loop {
            let page = store
                .list(ListQuery {
                    collection: collection.to_string(),
                    added_after_us: after,
                    limit: 5000,
                    ids: chunk.to_vec(),
                    types: vec![],
                    spec_versions: vec![],
                    versions: VersionSel::All,
                })
                .await?;
            let objects: Vec<StixObject> = page.objects.iter().filter_map(parse).collect();
            for (o, d) in objects.iter().zip(decide_each(fed, &objects, recipient)) {
                if d.is_share() {
                    visible.insert(o.id().to_string());
                }
            }
            match (page.more, page.objects.last().and_then(|o| o.date_added_us)) {
                (true, Some(last)) => after = Some(last),
                _ => break,
            }
        }
    }
    Ok(visible)
}

/// The shared handle the server keeps.
pub type SharedFederation = Arc<Federation>;
