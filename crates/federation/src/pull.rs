//! One sync round with a peer: discover its API root, list the collections
//! it shares with us, pull each into the node's local collection with every
//! object's signature verified (refused ones go to quarantine with the
//! reason), and record how it went.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use concord_store::{AnyStore, Record, Store};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_taxii::sync::{Admission, PullOptions, pull};
use concord_trust::{Keypair, TrustError, TrustedKeySet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::membership::Membership;
use crate::peers::PeerRecord;
use crate::{FederationError, LocalNode, Result};

/// The record kind of each peer's last sync outcome.
pub const STATUS_KIND: &str = "sync-status";

/// Accepts an object only when its author's signature verifies under a
/// trusted key, and only when that author may publish it: a member speaks
/// only for itself (its `created_by_ref` names no other member), each id
/// belongs to the member that first published it (nobody else may add,
/// revoke or rename a version of it), and AMBER and stricter intel comes
/// from its author's node or not at all, unless its audience names this
/// member.
pub struct Verifier {
    /// The keys whose signatures are accepted, by member.
    pub trusted: TrustedKeySet,
    /// Ids whose author withdrew them: only their tombstone (or a newer
    /// revoked version) is taken; earlier versions are dropped unseen and
    /// later live versions refused (STIX 2.1 section 3.6: nothing follows a
    /// revocation).
    pub tombstones: HashMap<String, i64>,
    /// Which ids belong to whom.
    pub binding: Binding,
}

/// What the author rules need: who this member is, whom it pulls from,
/// who the members are, and where to look up what it already holds.
pub struct Binding {
    /// This member's identity id.
    pub me: String,
    /// The groups an audience may name this member by.
    pub my_groups: BTreeSet<String>,
    /// The member whose node this round pulls from.
    pub source: String,
    /// Every member's identity id, with a name for messages.
    pub members: HashMap<String, String>,
    /// The store, read for the first version of ids already held.
    pub store: AnyStore,
    /// The runtime the store is read on (the checks run on blocking
    /// threads).
    pub runtime: tokio::runtime::Handle,
    /// Ids claimed by earlier pages of this round, by member.
    pub claimed: Mutex<HashMap<String, String>>,
}

impl Binding {
    fn name<'a>(&'a self, member: &'a str) -> &'a str {
        self.members.get(member).map_or(member, String::as_str)
    }

    /// Who the version `first` binds its id to: the member its
    /// `created_by_ref` names, else its signer.
    fn owner_of(&self, first: &Map<String, Value>) -> Option<String> {
        match first.get("created_by_ref").and_then(Value::as_str) {
            Some(c) if self.members.contains_key(c) => Some(c.to_string()),
            _ => concord_trust::signer_of(first).map(str::to_string),
        }
    }
}

fn modified_us(object: &StixObject) -> Option<i64> {
    object
        .as_map()
        .get("modified")
        .and_then(serde_json::Value::as_str)
        .and_then(|m| concord_stix::Timestamp::parse(m).ok())
        .map(|t| t.0)
}

fn is_revoked(object: &StixObject) -> bool {
    object.as_map().get("revoked") == Some(&serde_json::Value::Bool(true))
}

fn reason_of(e: TrustError) -> String {
    match e {
        TrustError::Unsigned => {
            "unsigned: it carries no concord provenance signature, so its author is unknown".into()
        }
        e => e.to_string(),
    }
}

const WITHDRAWN: &str =
    "a live version of an object its author withdrew: nothing may follow a revocation";

impl Verifier {
    /// The rules that need nothing but the object and its verified
    /// signer: no forged `created_by_ref`, no AMBER from a relay.
    fn speaks_for_itself(&self, object: &StixObject, signer: &str) -> Result<(), String> {
        let b = &self.binding;
        let map = object.as_map();
        let id = object.id();
        if let Some(creator) = map.get("created_by_ref").and_then(Value::as_str)
            && creator != signer
            && b.members.contains_key(creator)
        {
            return Err(format!(
                "{id} says it was created by {} but is signed by {}: a member publishes only as itself",
                b.name(creator),
                b.name(signer)
            ));
        }
        let strict = matches!(
            concord_stix::tlp::of_object(map),
            Some(Tlp::Amber | Tlp::AmberStrict | Tlp::Red)
        );
        if strict && signer != b.source && signer != b.me {
            let named = matches!(
                concord_share::read_audience(map),
                Ok(Some(a)) if a.names(&b.me, b.my_groups.iter().map(String::as_str))
            );
            if !named {
                return Err(format!(
                    "{id} is {} intel of {} relayed by {}, and its audience does not name this member: it is never relayed to whom its author did not address it",
                    concord_stix::tlp::of_object(map).map_or("?", |t| t.name()),
                    b.name(signer),
                    b.name(&b.source)
                ));
            }
        }
        Ok(())
    }
}

impl Admission for Verifier {
    fn admit_all(&self, objects: &[&StixObject]) -> Vec<Result<(), String>> {
        let maps: Vec<&serde_json::Map<String, serde_json::Value>> =
            objects.iter().map(|o| o.as_map()).collect();
        let verdicts = concord_trust::verify_objects(&maps, &self.trusted);
        objects
            .iter()
            .zip(verdicts)
            .map(|(o, v)| {
                if self.tombstones.contains_key(o.id()) && !is_revoked(o) {
                    return Err(WITHDRAWN.into());
                }
                let claim = v.map_err(reason_of)?;
                self.speaks_for_itself(o, &claim.signer)
            })
            .collect()
    }

    fn skip(&self, object: &StixObject) -> bool {
        match self.tombstones.get(object.id()) {
            Some(cut) => modified_us(object).is_some_and(|m| m < *cut),
            None => false,
        }
    }

    fn admit(&self, object: &StixObject) -> Result<(), String> {
        self.admit_all(&[object])
            .pop()
            .unwrap_or(Err("not checked".into()))
    }

    fn bind_all(&self, objects: &[&StixObject]) -> Vec<Result<(), String>> {
        let b = &self.binding;
        let Ok(mut claimed) = b.claimed.lock() else {
            return vec![Err("the binding check failed".into()); objects.len()];
        };
        // The first version this node holds of each id not claimed in this
        // round yet: one store read for the page.
        let unknown: Vec<String> = objects
            .iter()
            .map(|o| o.id().to_string())
            .filter(|id| !claimed.contains_key(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let held = if unknown.is_empty() {
            Ok(Vec::new())
        } else {
            b.runtime.block_on(b.store.first_versions(unknown))
        };
        let held = match held {
            Ok(h) => h,
            Err(e) => {
                let reason = format!("the store could not say who the id belongs to: {e}");
                return vec![Err(reason); objects.len()];
            }
        };
        for first in held {
            if let Ok(map) = concord_stix::json::parse_object(first.json.as_bytes())
                && let Some(owner) = b.owner_of(&map)
            {
                claimed.insert(first.id, owner);
            }
        }
        objects
            .iter()
            .map(|o| {
                let signer = concord_trust::signer_of(o.as_map()).unwrap_or_default();
                let id = o.id();
                match claimed.get(id) {
                    Some(owner) if owner != signer => {
                        tracing::warn!(
                            id,
                            owner = %owner,
                            signer,
                            source = %b.source,
                            "a version of another member's object was refused"
                        );
                        Err(format!(
                            "{id} belongs to {}; signed by {}: only its author publishes versions of it (others answer with a sighting, an opinion or a note)",
                            b.name(owner),
                            b.name(signer)
                        ))
                    }
                    Some(_) => Ok(()),
                    None => {
                        let owner = b.owner_of(o.as_map()).unwrap_or_else(|| signer.to_string());
                        claimed.insert(id.to_string(), owner);
                        Ok(())
                    }
                }
            })
            .collect()
    }
}

/// What one round with one peer did.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerRound {
    /// The peer's local name.
    pub peer: String,
    /// The API root pulled from, once resolved.
    pub api_root: Option<String>,
    /// Collections of the peer's that this node could read and pulled.
    pub collections: usize,
    /// Pages fetched, over all collections.
    pub pages: usize,
    /// Objects received.
    pub received: usize,
    /// Versions newly stored.
    pub stored: usize,
    /// Versions already held.
    pub duplicates: usize,
    /// Objects put in quarantine (refused by the admission check).
    pub quarantined: usize,
    /// Objects held until their author's log shows them.
    pub held: usize,
    /// Revoked versions received (withdrawals), each buried here.
    pub withdrawn: usize,
    /// Object JSON received, uncompressed.
    pub bytes: u64,
    /// How long the round took, in seconds.
    pub seconds: f64,
    /// Why the round failed, with a hint for the operator when one
    /// applies; `None` if it completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What taking in the peer's governance documents did (an
    /// `IngestReport`, or `{"error": ...}`); kept apart from `error` so a
    /// peer without governance documents still syncs its objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<serde_json::Value>,
    /// What the round did with the peer's log: witnessing it, objects
    /// held before and released, the checkpoint exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<serde_json::Value>,
    /// When it ran (RFC 3339).
    pub at: String,
}

impl std::fmt::Display for PeerRound {
    /// `PEER: N received, N stored, ... (S s)`, or why the round failed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(e) => write!(f, "{}: failed: {e}", self.peer),
            None => write!(
                f,
                "{}: {} received, {} stored, {} already held, {} quarantined, {} withdrawn ({:.1} s)",
                self.peer,
                self.received,
                self.stored,
                self.duplicates,
                self.quarantined,
                self.withdrawn,
                self.seconds
            ),
        }
    }
}

/// Pulls everything new from one peer. Errors are reported in the round
/// (and stored as the peer's sync status), not returned: one unreachable
/// peer must not stop the others.
pub async fn sync_peer(
    node: &LocalNode,
    key: Arc<Keypair>,
    membership: &Membership,
    directory: &concord_log::Directory,
    peer: &PeerRecord,
    page: usize,
) -> PeerRound {
    let store = &node.store;
    let started = std::time::Instant::now();
    let mut round = PeerRound {
        peer: peer.name.clone(),
        at: concord_stix::Timestamp::now().to_taxii(),
        ..Default::default()
    };
    if let Err(e) = run(node, key, membership, directory, peer, page, &mut round).await {
        let text = format!("{e:#}");
        // What to do next, for the failures an operator can fix.
        let hint = if text.contains("Connection refused") || text.contains("connect error") {
            " (is the peer's `concord serve` running at that URL? check it with `concord peer list`)"
        } else if text.contains("401") {
            " (the peer refused this node's signed request: are both clocks within 5 minutes?)"
        } else {
            ""
        };
        round.error = Some(format!("{text}{hint}"));
    }
    round.seconds = started.elapsed().as_secs_f64();
    if let Ok(text) = serde_json::to_string(&round) {
        let _ = store
            .put_records(vec![Record::new(STATUS_KIND, peer.name.clone(), text)])
            .await;
    }
    round
}

async fn run(
    node: &LocalNode,
    key: Arc<Keypair>,
    membership: &Membership,
    directory: &concord_log::Directory,
    peer: &PeerRecord,
    page: usize,
    round: &mut PeerRound,
) -> Result<()> {
    let store = &node.store;
    let local_collection = node.collection.as_str();
    crate::check_peer_url(&peer.url)?;
    // Every object is stored only once its author's log shows it.
    let inclusion = concord_log::receipt::Receiver::new(
        store.clone(),
        directory.clone(),
        crate::logs::client(key.clone())?,
        &peer.name,
        &peer.url,
    )
    .map_err(|e| FederationError::Invalid(e.to_string()))?;
    let inclusion: Arc<dyn concord_taxii::sync::Inclusion> = Arc::new(inclusion);
    let client = Client::new(ClientOptions {
        auth: Auth::Node(key),
        attempts: 4,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(120),
        compressed: true,
        ca_pem: None,
    })?;
    let api_root = client.resolve_api_root(&peer.url).await?;
    round.api_root = Some(api_root.clone());
    let collections = client.collections(&api_root).await?;
    let tombstones = tombstones(store).await?;
    if !collections.iter().any(|c| c.can_read) {
        return Err(FederationError::Invalid("the peer shares no collection with this node: it has probably not added it yet (on the peer: `concord peer add` with this node's `concord key show`)".to_string()));
    }
    let admission: Arc<dyn Admission> = Arc::new(Verifier {
        trusted: membership.trusted.clone(),
        tombstones,
        binding: Binding {
            me: node.member.clone(),
            my_groups: membership.own_groups.clone(),
            source: peer.member.clone(),
            members: membership.names(&node.member),
            store: store.clone(),
            runtime: tokio::runtime::Handle::current(),
            claimed: Mutex::new(HashMap::new()),
        },
    });
    for c in collections.iter().filter(|c| c.can_read) {
        round.collections += 1;
        let opts = PullOptions {
            page,
            // A peer is a concord node: its `date_added` values are unique
            // and become visible in increasing order (one writer in SQLite,
            // a row lock held to commit in PostgreSQL), so nothing can
            // appear before its cursor later. With the foreign-server
            // overlap, every round re-received the last second's entries
            // (a whole import, when it was stored within that second).
            overlap: Duration::ZERO,
            admission: Some(admission.clone()),
            inclusion: Some(inclusion.clone()),
            source_name: peer.name.clone(),
            ..Default::default()
        };
        let report = pull(&client, store, &api_root, &c.id, local_collection, &opts).await?;
        round.pages += report.pages;
        round.received += report.received;
        round.stored += report.stored;
        round.duplicates += report.duplicates;
        round.quarantined += report.quarantined;
        round.held += report.held;
        round.withdrawn += report.revoked.len();
        for id in &report.revoked {
            bury(store, id).await?;
        }
        round.bytes += report.bytes;
    }
    Ok(())
}

/// The last round of each peer, by peer name.
pub async fn statuses(store: &AnyStore) -> Result<Vec<PeerRound>> {
    Ok(store
        .records(STATUS_KIND, None, 100_000)
        .await?
        .iter()
        .filter_map(|r| serde_json::from_str(&r.value).ok())
        .collect())
}

/// The record kind of withdrawn objects: key id, value the tombstone's
/// `modified` in microseconds.
pub const TOMBSTONE_KIND: &str = "tombstone";

async fn tombstones(store: &AnyStore) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .records(TOMBSTONE_KIND, after.as_deref(), 10_000)
            .await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            if let Ok(us) = r.value.parse() {
                out.insert(r.key, us);
            }
        }
        after = Some(last);
    }
    Ok(out)
}

/// A withdrawal arrived for `id`: keep only the tombstone (drop the bodies
/// of every earlier version, from storage, collections and search) and
/// remember it, so earlier versions are never taken again and later live
/// ones are refused.
pub(crate) async fn bury(store: &AnyStore, id: &str) -> Result<()> {
    let latest = store.versions(id, concord_store::VersionSel::Last).await?;
    let Some(head) = latest.last() else {
        return Ok(());
    };
    let object = concord_stix::json::parse_object(head.json.as_bytes())
        .map_err(|e| FederationError::Invalid(format!("stored {id} is unreadable: {e}")))?;
    if object.get("revoked") != Some(&serde_json::Value::Bool(true)) {
        return Ok(());
    }
    let Ok(cut) = concord_stix::Timestamp::parse(&head.version) else {
        return Ok(());
    };
    store.purge_before(id, cut.0).await?;
    store
        .put_records(vec![Record::new(TOMBSTONE_KIND, id, cut.0.to_string())])
        .await?;
    Ok(())
}

#[cfg(test)]
mod round_text_tests {
    use super::PeerRound;

    #[test]
    fn a_round_reads_as_one_line() {
        let mut r = PeerRound {
            peer: "b".into(),
            received: 3,
            stored: 2,
            duplicates: 1,
            seconds: 0.25,
            ..PeerRound::default()
        };
        assert_eq!(
            r.to_string(),
            "b: 3 received, 2 stored, 1 already held, 0 quarantined, 0 withdrawn (0.2 s)"
        );
        r.error = Some("refused".into());
        assert_eq!(r.to_string(), "b: failed: refused");
    }
}
