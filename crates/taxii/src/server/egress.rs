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
    Decision, EgressPolicy, Peer, Provenance, Reason, Recipient, decide, referenced_ids,
    sharing_view, withhold_dangling,
};
use concord_stix::StixObject;
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
    /// The configured peer nodes, by the node key they sign requests with.
    pub peers: ArcSwap<HashMap<KeyId, PeerIdentity>>,
    /// The sharing policy applied to what peers and the public receive.
    pub policy: ArcSwap<EgressPolicy>,
}

impl Federation {
    /// The federation of `member` under `policy`, with no peers yet.
    pub fn new(member: String, policy: EgressPolicy) -> Federation {
        Federation {
            member,
            peers: ArcSwap::from_pointee(HashMap::new()),
            policy: ArcSwap::from_pointee(policy),
        }
    }

    /// The peer node whose key this is, if it is configured.
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
    // Only the signer's name: signatures were checked when the object came
    // in (and peers check again), decoding the key here would cost a point
    // decompression per object served.
    match concord_trust::signer_of(object.as_map()) {
        Some(signer) if signer == member => Ok(Provenance::Author),
        Some(signer) => Ok(Provenance::Relay {
            author: signer.to_string(),
        }),
        None => Err(Reason::UnknownAuthor),
    }
}

/// Whether the peer authored this version or is named in its audience:
/// then it may hold the object from its author, and a reference to it
/// tells the peer nothing new.
fn entitled_from_author(peer: &Peer, object: &StixObject) -> bool {
    let map = object.as_map();
    if concord_trust::signer_of(map) == Some(peer.member.as_str()) {
        return true;
    }
    matches!(
        concord_share::read_audience(map),
        Ok(Some(a)) if a.names(&peer.member, peer.groups.iter().map(String::as_str))
    )
}

/// What the policy reads of a stored object: its sharing view, not the
/// whole object (building the whole map was most of the cost of deciding
/// a page).
fn parse(o: &StoredObject, policy: &EgressPolicy) -> Option<StixObject> {
    sharing_view(o.json.as_bytes(), policy).ok()
}

/// The decision for each object alone (no references), under `policy`.
pub fn decide_each(
    fed: &Federation,
    policy: &EgressPolicy,
    objects: &[StixObject],
    recipient: &Recipient,
) -> Vec<Decision> {
    objects
        .iter()
        .map(|o| {
            let provenance = match provenance_of(&fed.member, o) {
                Ok(p) => p,
                Err(_) if matches!(recipient, Recipient::Public) => Provenance::Author,
                Err(r) => return Decision::Withhold(r),
            };
            decide(policy, o, recipient, &provenance)
        })
        .collect()
}

/// Keeps the entries of a page the recipient may see. References to ids
/// outside the page are resolved against the collection, closed over
/// their own references: an id is visible when some version of it there
/// is shared with the recipient and everything that version references is
/// visible in turn (to a fixed point), so an object is never kept because
/// it points at something that is itself withheld further down the chain.
pub async fn filter<S: Store>(
    store: &S,
    fed: &Federation,
    recipient: &Recipient,
    collection: &str,
    page: Vec<StoredObject>,
) -> Result<Vec<StoredObject>, concord_store::StoreError> {
    // One policy for the whole request: the views are read for it (a view
    // keeps what its data classes name), and it decides them.
    let policy = fed.policy.load_full();
    // Parsed once, never copied: `readable` remembers which entries of the
    // page they are.
    let mut readable = Vec::with_capacity(page.len());
    let mut objects: Vec<StixObject> = Vec::with_capacity(page.len());
    for stored in &page {
        let p = parse(stored, &policy);
        readable.push(p.is_some());
        objects.extend(p);
    }
    let in_page = objects.len();
    let mut decisions = decide_each(fed, &policy, &objects, recipient);
    // Every object this call holds decisions for, and every id already
    // looked up (found or not): each is read from the store once.
    let mut known: HashSet<String> = objects.iter().map(|o| o.id().to_string()).collect();
    let mut frontier = unknown_refs(&objects, &decisions, 0, &mut known);
    while !frontier.is_empty() {
        let more = versions_of(store, collection, frontier, &policy).await?;
        let start = objects.len();
        decisions.extend(decide_each(fed, &policy, &more, recipient));
        objects.extend(more);
        frontier = unknown_refs(&objects, &decisions, start, &mut known);
    }
    // Ids nobody here holds are not visible: the reference would leak them.
    // Except ids the recipient may know from their author: a sighting or a
    // note that answers the recipient's own AMBER indicator or incident, or
    // one whose audience names it, names an id it is entitled to already.
    let known_to_recipient: HashSet<&str> = match recipient {
        Recipient::Peer(p) => objects
            .iter()
            .filter(|o| entitled_from_author(p, o))
            .map(StixObject::id)
            .collect(),
        Recipient::Public => HashSet::new(),
    };
    withhold_dangling(&objects, &mut decisions, &|id: &str| {
        known_to_recipient.contains(id)
    });
    decisions.truncate(in_page);
    let mut shared = decisions.iter().map(Decision::is_share);
    Ok(page
        .into_iter()
        .zip(readable)
        .filter_map(|(stored, ok)| {
            // Unreadable stored text never leaves the node.
            (ok && shared.next().unwrap_or(false)).then_some(stored)
        })
        .collect())
}

/// The ids referenced by the shared objects from `start` on that are not
/// yet `known` (TLP marking definitions aside); they become known.
fn unknown_refs(
    objects: &[StixObject],
    decisions: &[Decision],
    start: usize,
    known: &mut HashSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (o, d) in objects.iter().zip(decisions).skip(start) {
        if !d.is_share() {
            continue;
        }
        // A malformed reference withholds the object in withhold_dangling.
        if let Ok(refs) = referenced_ids(o) {
            for id in refs {
                if concord_stix::tlp::Tlp::from_marking_id(id).is_none() && !known.contains(id) {
                    known.insert(id.to_string());
                    out.push(id.to_string());
                }
            }
        }
    }
    out
}

/// Every version the collection holds of `ids`.
async fn versions_of<S: Store>(
    store: &S,
    collection: &str,
    ids: Vec<String>,
    policy: &EgressPolicy,
) -> Result<Vec<StixObject>, concord_store::StoreError> {
    let mut out = Vec::new();
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
            out.extend(page.objects.iter().filter_map(|o| parse(o, policy)));
            match (page.more, page.objects.last().and_then(|o| o.date_added_us)) {
                (true, Some(last)) => after = Some(last),
                _ => break,
            }
        }
    }
    Ok(out)
}

/// The shared handle the server keeps.
pub type SharedFederation = Arc<Federation>;
