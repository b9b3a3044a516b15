//! What the rest of the node (federation, sharing, the console) and the
//! operator see of the community: the adopted version, its members with
//! their identities, node keys, endpoints and groups, who was removed, and
//! whether the charter has expired (the freeze alarm).

use std::collections::BTreeSet;

use concord_stix::Timestamp;
use concord_trust::Charter;
use serde::Serialize;

use super::chain::Chain;

/// The adopted charter, flattened for its users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommunityView {
    /// The community id (32 hex digits).
    pub community: String,
    /// The adopted version.
    pub version: u64,
    /// Hex charter hash of the adopted version.
    pub hash: String,
    /// Hex hash of the pinned genesis ("" if none is pinned).
    pub genesis: String,
    /// The adopted version's quorum.
    pub quorum: u64,
    /// The adopted version's expiry (a STIX timestamp).
    pub expires: String,
    /// The adopted charter has expired: keep syncing with this member set,
    /// raise the alarm, adopt no new members until a renewal arrives.
    pub frozen: bool,
    /// The members, by member id.
    pub members: Vec<MemberView>,
    /// Seconds between two checkpoints of a member's log.
    pub checkpoint_interval_s: u64,
    /// Member cosignatures that make a checkpoint community-confirmed.
    pub witness_threshold: u64,
    /// STIX identity ids of members removed at some point of the chain and
    /// not re-admitted: their new objects are quarantined.
    pub removed: Vec<String>,
}

/// One member of the adopted charter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// The member id (the charter's key for it).
    pub member: String,
    /// Its STIX identity id (the `created_by_ref` of its objects).
    pub identity: String,
    /// Its organisation's name.
    pub name: String,
    /// Its ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// 64-hex Ed25519 node keys certified by the charter.
    pub node_keys: Vec<String>,
    /// 64-hex Ed25519 governance keys.
    pub governance_keys: Vec<String>,
    /// TAXII API roots of its node(s).
    pub endpoints: Vec<String>,
    /// The groups it belongs to.
    pub groups: Vec<String>,
    /// The origin of its transparency log.
    pub log_origin: String,
}

impl CommunityView {
    /// The member with this member id.
    pub fn member(&self, member: &str) -> Option<&MemberView> {
        self.members.iter().find(|m| m.member == member)
    }

    /// The member with this STIX identity id.
    pub fn by_identity(&self, identity: &str) -> Option<&MemberView> {
        self.members.iter().find(|m| m.identity == identity)
    }

    /// The member whose node key is `key_hex`, if any.
    pub fn by_node_key(&self, key_hex: &str) -> Option<&MemberView> {
        self.members
            .iter()
            .find(|m| m.node_keys.iter().any(|k| k == key_hex))
    }
}

/// The view of `chain`'s head as of `now`; `genesis` is the pinned hash.
pub fn of_chain(chain: &Chain, genesis: String, now: Timestamp) -> CommunityView {
    let head = chain.head();
    let c = head.charter();
    let members = c
        .members
        .iter()
        .map(|(id, m)| MemberView {
            member: id.clone(),
            identity: m.identity.clone(),
            name: m.name.clone(),
            country: m.country.clone(),
            node_keys: m.node_keys.values().map(|k| k.public.clone()).collect(),
            governance_keys: m.keys.values().map(|k| k.public.clone()).collect(),
            endpoints: m.endpoints.clone(),
            log_origin: m.log_origin.clone(),
            groups: c
                .groups
                .iter()
                .filter(|(_, list)| list.contains(id))
                .map(|(g, _)| g.clone())
                .collect(),
        })
        .collect();
    let current: BTreeSet<&str> = c.members.values().map(|m| m.identity.as_str()).collect();
    let mut removed = BTreeSet::new();
    for pair in chain.versions().windows(2) {
        let (before, after) = (pair[0].charter(), pair[1].charter());
        for (id, m) in &before.members {
            if !after.members.contains_key(id) && !current.contains(m.identity.as_str()) {
                removed.insert(m.identity.clone());
            }
        }
    }
    CommunityView {
        community: c.community.clone(),
        version: head.version(),
        hash: head.hash().to_hex(),
        genesis,
        quorum: head.quorum(),
        expires: c.expires.clone(),
        frozen: head.check_expiry(now).is_err(),
        members,
        checkpoint_interval_s: c.policy.checkpoint_interval_s,
        witness_threshold: c.policy.witness_threshold,
        removed: removed.into_iter().collect(),
    }
}

/// What `next` changes with respect to `base`, in words.
pub fn changes(base: &Charter, next: &Charter) -> Vec<String> {
    let mut out = Vec::new();
    for (id, m) in &next.members {
        match base.members.get(id) {
            None => out.push(format!("add member {id} ({}, {})", m.name, m.country)),
            Some(old) => {
                if old.keys != m.keys {
                    let keys: Vec<&str> = m.keys.keys().map(String::as_str).collect();
                    out.push(format!(
                        "rotate governance keys of {id} to {}",
                        keys.join(", ")
                    ));
                }
                if old.node_keys != m.node_keys {
                    out.push(format!("change node keys of {id}"));
                }
                if old.endpoints != m.endpoints {
                    out.push(format!("change endpoints of {id}"));
                }
                if old.name != m.name || old.country != m.country || old.identity != m.identity {
                    out.push(format!("change the details of {id}"));
                }
            }
        }
    }
    for id in base.members.keys() {
        if !next.members.contains_key(id) {
            out.push(format!("remove member {id}"));
        }
    }
    if base.quorum != next.quorum {
        out.push(format!(
            "quorum {} -> {}",
            base.quorum.threshold, next.quorum.threshold
        ));
    }
    if base.expires != next.expires {
        out.push(format!("expires {} -> {}", base.expires, next.expires));
    }
    if base.groups != next.groups {
        out.push("change groups".into());
    }
    if base.policy != next.policy {
        out.push("change the sharing policy".into());
    }
    out
}
