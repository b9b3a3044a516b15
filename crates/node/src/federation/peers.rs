//! The peers this node syncs with and serves: `concord peer add` files
//! them in the store (records of kind `peer`), the server and the sync
//! read them from there, so a running `serve` sees a new peer without a
//! restart.

use anyhow::{Context, Result, anyhow};
use concord_store::{AnyStore, Record, Store};
use concord_trust::{PublicKey, TrustedKeySet};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "peer";

/// One configured peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRecord {
    pub name: String,
    /// Its TAXII discovery URL or API root.
    pub url: String,
    /// Its node key (64 hex digits).
    pub key: String,
    /// Its member's STIX identity id: objects signed by its key must name
    /// this member, and audiences name it by this id.
    pub member: String,
    /// Group names an audience may use for it.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Serve it and trust its key, but do not pull from it (in a ring or
    /// a hub, or when it only reads from us).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_pull: bool,
}

impl PeerRecord {
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_hex(&self.key)
            .map_err(|e| anyhow!("peer {}: key {:?}: {e}", self.name, self.key))
    }
}

/// Every configured peer, by name.
pub async fn list(store: &AnyStore) -> Result<Vec<PeerRecord>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(KIND, after.as_deref(), 1000).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            let p: PeerRecord = serde_json::from_str(&r.value)
                .with_context(|| format!("the stored peer {:?} is unreadable", r.key))?;
            out.push(p);
        }
        after = Some(last);
    }
    Ok(out)
}

pub async fn put(store: &AnyStore, peer: &PeerRecord) -> Result<()> {
    store
        .put_records(vec![Record::new(
            KIND,
            peer.name.clone(),
            serde_json::to_string(peer)?,
        )])
        .await?;
    Ok(())
}

pub async fn remove(store: &AnyStore, name: &str) -> Result<bool> {
    Ok(store.delete_records(KIND, vec![name.to_string()]).await? > 0)
}

/// The keys whose signatures this node accepts on objects: its own and
/// every configured peer's, each for its member.
pub fn trusted_keys(
    peers: &[PeerRecord],
    own_member: &str,
    own_key: &PublicKey,
) -> Result<TrustedKeySet> {
    let mut set = TrustedKeySet::new();
    set.insert(own_member, own_key)
        .map_err(|e| anyhow!("the node's own key: {e}"))?;
    for p in peers {
        set.insert(&p.member, &p.public_key()?)
            .map_err(|e| anyhow!("peer {}: {e}", p.name))?;
    }
    Ok(set)
}
