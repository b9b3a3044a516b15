//! Whom this node deals with: its configured peers combined with the
//! community's adopted charter. Once a charter is adopted it decides, at
//! once and on every node: its members' certified node keys are the keys
//! whose signatures are accepted, its members (and their groups) are who
//! GREEN and audiences reach, members with an endpoint are pulled from
//! even if nobody typed `peer add`, and a removed member is neither served
//! nor trusted any more, so its new objects land in quarantine.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use concord_taxii::access::PeerIdentity;
use concord_taxii::server::egress::Federation;
use concord_trust::{KeyId, PublicKey, TrustedKeySet};
use tokio::sync::Notify;

use crate::peers::{self, PeerRecord};
use crate::{FederationError, LocalNode, Result};

/// One peer as the node deals with it now.
#[derive(Debug, Clone)]
pub struct Member {
    /// How to reach it (a configured peer, or made from the charter).
    pub record: PeerRecord,
    /// Every node key it may sign requests and objects with.
    pub keys: Vec<String>,
    /// The groups it belongs to (names an audience may use for it).
    pub groups: BTreeSet<String>,
    /// In the adopted charter (always true without a charter: configured
    /// peers are the community until one is founded).
    pub charter_member: bool,
}

/// Everyone this node deals with now, and whose signatures it accepts.
pub struct Membership {
    /// Every peer and member this node deals with, by name.
    pub members: Vec<Member>,
    /// The keys whose signatures are accepted, by member.
    pub trusted: TrustedKeySet,
    /// The groups the charter puts this member in (audiences may name it
    /// by them).
    pub own_groups: BTreeSet<String>,
}

impl Membership {
    /// Every member's identity id with a name to show (its peer name),
    /// this member's own included as `me`.
    pub fn names(&self, me: &str) -> HashMap<String, String> {
        let mut out: HashMap<String, String> = self
            .members
            .iter()
            .map(|m| (m.record.member.clone(), m.record.name.clone()))
            .collect();
        out.insert(me.to_string(), "this member".to_string());
        out
    }
}

impl Membership {
    /// The peers to pull from in a round (or the one named).
    pub fn to_pull(&self, only: Option<&str>) -> Vec<&PeerRecord> {
        self.members
            .iter()
            .map(|m| &m.record)
            .filter(|p| match only {
                Some(n) => n == p.name,
                None => !p.no_pull && !p.url.is_empty(),
            })
            .collect()
    }

    /// The sharing recipient a peer's name or a member's identity id
    /// names.
    pub fn recipient(&self, name: &str) -> Option<concord_share::Recipient> {
        let m = self
            .members
            .iter()
            .find(|p| p.record.name == name || p.record.member == name)?;
        Some(concord_share::Recipient::Peer(concord_share::Peer {
            member: m.record.member.clone(),
            groups: m.groups.clone(),
            charter_member: m.charter_member,
        }))
    }

    /// The server's table: by node key, with what each may pull.
    pub fn table(&self, collections: &[String]) -> HashMap<KeyId, PeerIdentity> {
        let mut out = HashMap::new();
        for m in &self.members {
            for k in &m.keys {
                let Ok(key) = PublicKey::from_hex(k) else {
                    continue;
                };
                out.insert(
                    key.key_id(),
                    PeerIdentity {
                        name: m.record.name.clone(),
                        member: m.record.member.clone(),
                        groups: m.groups.clone(),
                        charter_member: m.charter_member,
                        collections: collections.to_vec(),
                    },
                );
            }
        }
        out
    }
}

/// A peer name from a charter member's name: lowercase letters, digits and
/// dashes.
fn name_of(name: &str, identity: &str) -> String {
    let n: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let n = n.trim_matches('-').to_string();
    if n.is_empty() {
        identity.to_string()
    } else {
        n
    }
}

/// Whom the node deals with now: the adopted charter's members (with their
/// certified node keys) and the configured peers outside it.
pub async fn current(node: &LocalNode, own: &PublicKey) -> Result<Membership> {
    let configured = peers::list(&node.store).await?;
    let own_member = node.member.as_str();
    let Some(view) = concord_community::view(&node.data_dir)? else {
        return Ok(Membership {
            own_groups: BTreeSet::new(),
            trusted: peers::trusted_keys(&configured, own_member, own)?,
            members: configured
                .into_iter()
                .map(|p| Member {
                    keys: vec![p.key.clone()],
                    groups: p.groups.iter().cloned().collect(),
                    charter_member: true,
                    record: p,
                })
                .collect(),
        });
    };
    let removed: HashSet<&str> = view.removed.iter().map(String::as_str).collect();
    let mut trusted = TrustedKeySet::new();
    trusted
        .insert(own_member, own)
        .map_err(|e| FederationError::Invalid(format!("the node's own key: {e}")))?;
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    for m in view.members.iter().filter(|m| m.identity != own_member) {
        seen.insert(m.identity.clone());
        let mine = configured.iter().find(|p| p.member == m.identity);
        let mut keys: Vec<String> = m.node_keys.clone();
        if keys.is_empty()
            && let Some(p) = mine
        {
            // A charter without node keys for this member: the operator's
            // configured key stands in until a delegation arrives.
            keys.push(p.key.clone());
        }
        for k in &keys {
            let key = PublicKey::from_hex(k).map_err(|e| {
                FederationError::Invalid(format!(
                    "charter member {}: node key {k:?}: {e}",
                    m.member
                ))
            })?;
            trusted.insert(&m.identity, &key).map_err(|e| {
                FederationError::Invalid(format!("charter member {}: {e}", m.member))
            })?;
        }
        let record = match mine {
            Some(p) => p.clone(),
            None => PeerRecord {
                name: name_of(&m.name, &m.identity),
                url: m.endpoints.first().cloned().unwrap_or_default(),
                key: keys.first().cloned().unwrap_or_default(),
                member: m.identity.clone(),
                groups: Vec::new(),
                no_pull: false,
            },
        };
        let mut groups: BTreeSet<String> = m.groups.iter().cloned().collect();
        groups.extend(record.groups.iter().cloned());
        members.push(Member {
            record,
            keys,
            groups,
            charter_member: true,
        });
    }
    // Configured peers outside the charter: a removed member is dropped;
    // anyone else (a partner outside the community) is served as a
    // non-member (CLEAR only) and its signatures are accepted.
    for p in configured {
        if seen.contains(&p.member) || removed.contains(p.member.as_str()) {
            continue;
        }
        if let Ok(key) = p.public_key()
            && trusted.insert(&p.member, &key).is_err()
        {
            continue;
        }
        members.push(Member {
            keys: vec![p.key.clone()],
            groups: p.groups.iter().cloned().collect(),
            charter_member: false,
            record: p,
        });
    }
    // Rounds go through the peers in name order, as `peer list` shows them.
    members.sort_by(|a, b| a.record.name.cmp(&b.record.name));
    let own_groups = view
        .members
        .iter()
        .find(|m| m.identity == own_member)
        .map(|m| m.groups.iter().cloned().collect())
        .unwrap_or_default();
    Ok(Membership {
        members,
        trusted,
        own_groups,
    })
}

/// Loads whom the node serves into the server's table: what a peer may
/// pull is the node's local collection, under the sharing policy. Returns
/// the peers to pull from (name and URL).
pub async fn serve(
    node: &LocalNode,
    own: &PublicKey,
    federation: &Federation,
) -> Result<HashSet<(String, String)>> {
    let m = current(node, own).await?;
    let table = m.table(std::slice::from_ref(&node.collection));
    federation.peers.store(Arc::new(table));
    Ok(m.to_pull(None)
        .into_iter()
        .map(|p| (p.name.clone(), p.url.clone()))
        .collect())
}

/// What `serve` runs: `peer add` and an adopted charter change the
/// membership in the store and on disk; the server's table follows within
/// a few seconds, and a new peer to pull from is pulled at once
/// (`peers_changed`; `to_pull` is what [`serve`] returned first).
pub async fn keep_serving(
    node: Arc<LocalNode>,
    own: PublicKey,
    federation: Arc<Federation>,
    mut to_pull: HashSet<(String, String)>,
    peers_changed: Arc<Notify>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        match serve(&node, &own, &federation).await {
            Ok(now) => {
                if !now.is_subset(&to_pull) {
                    peers_changed.notify_one();
                }
                to_pull = now;
            }
            Err(e) => tracing::warn!(error = %e, "reading the peers failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_is_named_by_peer_name_or_member_id() {
        let record = PeerRecord {
            name: "cert-b".into(),
            url: "https://b.example/taxii2/".into(),
            key: "00".repeat(32),
            member: "identity--00000000-0000-4000-8000-00000000000b".into(),
            groups: vec!["health".into()],
            no_pull: false,
        };
        let m = Membership {
            members: vec![Member {
                keys: vec![record.key.clone()],
                groups: BTreeSet::from(["health".to_string()]),
                charter_member: false,
                record,
            }],
            trusted: TrustedKeySet::new(),
            own_groups: BTreeSet::new(),
        };
        let Some(concord_share::Recipient::Peer(p)) = m.recipient("cert-b") else {
            panic!("cert-b is a peer");
        };
        assert_eq!(p.member, "identity--00000000-0000-4000-8000-00000000000b");
        assert!(p.groups.contains("health") && !p.charter_member);
        assert!(
            m.recipient("identity--00000000-0000-4000-8000-00000000000b")
                .is_some()
        );
        assert!(m.recipient("nobody").is_none());
    }
}
