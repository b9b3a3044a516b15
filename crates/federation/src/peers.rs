//! The peers this node syncs with and serves: `concord peer add` files
//! them in the store (records of kind `peer`), the server and the sync
//! read them from there, so a running `serve` sees a new peer without a
//! restart.

use std::time::Duration;

use crate::{FederationError, LocalNode, Result};
use concord_store::{AnyStore, Record, Store};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_trust::{PublicKey, TrustedKeySet};
use serde::{Deserialize, Serialize};

/// The record kind of configured peers (one record per peer, by name).
pub const KIND: &str = "peer";

/// One configured peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRecord {
    /// Its local name (`concord peer add NAME`), unique on this node.
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
    /// Its node key, decoded; `Invalid` if `key` is not a public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_hex(&self.key).map_err(|e| {
            FederationError::Invalid(format!("peer {}: key {:?}: {e}", self.name, self.key))
        })
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
            let p: PeerRecord = serde_json::from_str(&r.value).map_err(|e| {
                FederationError::Invalid(format!("the stored peer {:?} is unreadable: {e}", r.key))
            })?;
            out.push(p);
        }
        after = Some(last);
    }
    Ok(out)
}

/// What `concord peer add` asks for.
#[derive(Debug, Clone)]
pub struct NewPeer {
    /// A short local name without spaces.
    pub name: String,
    /// Its TAXII URL.
    pub url: String,
    /// Its node key (64 hex digits).
    pub key: String,
    /// Its member's STIX identity id.
    pub member: Option<String>,
    /// Groups an audience may name it by.
    pub groups: Vec<String>,
    /// Serve it and trust its key, but never pull from it.
    pub no_pull: bool,
}

/// Checks a new peer against the rules (a usable name, a TLS or loopback
/// URL, a key that is not this node's nor another peer's, a member
/// identity that is not this member's), finds its TAXII server (see
/// [`locate`]) unless it is never pulled from, and stores it with the URL
/// that answered; replaces a peer of the same name.
pub async fn add(node: &LocalNode, own: &PublicKey, new: NewPeer) -> Result<PeerRecord> {
    let NewPeer {
        name,
        url,
        key,
        member,
        groups,
        no_pull,
    } = new;
    let invalid = |m: String| Err(FederationError::Invalid(m));
    if name.is_empty() || name.chars().any(|c| c.is_control() || c == ' ') {
        return invalid(format!(
            "peer name {name:?}: use a short name without spaces (e.g. cert-b)"
        ));
    }
    check_peer_url(&url)?;
    let public = PublicKey::from_hex(&key).map_err(|e| {
        FederationError::Invalid(format!(
            "--key {key:?}: {e} (give the 64 hex digits `concord key show` prints on the peer)"
        ))
    })?;
    if public == *own {
        return invalid("--key is this node's own key: give the peer's key".into());
    }
    let Some(member) = member else {
        return invalid("--member is needed until a community charter names the peer's member: give the identity id `concord key show` prints on the peer".into());
    };
    match concord_stix::id::StixId::parse(&member) {
        Ok(id) if id.object_type == "identity" => {}
        _ => {
            return invalid(format!(
                "--member {member:?} is not a STIX identity id (identity--<uuid>)"
            ));
        }
    }
    if member == node.member {
        return invalid("--member is this node's own member identity".into());
    }
    let existing = list(&node.store).await?;
    if let Some(other) = existing
        .iter()
        .find(|p| p.key == public.to_hex() && p.name != name)
    {
        return invalid(format!(
            "peer {} already has this key; remove it first",
            other.name
        ));
    }
    // A peer that is only served may not serve anything itself (behind a
    // NAT, or reading only): there is nothing to probe.
    let url = if no_pull { url } else { locate(&url).await? };
    let record = PeerRecord {
        name,
        url,
        key: public.to_hex(),
        member,
        groups,
        no_pull,
    };
    put(&node.store, &record).await?;
    Ok(record)
}

/// The URL of the TAXII server a user pointed at, as `concord peer add`
/// stores it: the URL itself when it answers TAXII, else `taxii2/` below
/// it (a bare base URL, as copied from a browser). The probe is
/// unauthenticated (discovery is public; the peer may not know this node
/// yet) and keeps to TLS or loopback like every other request to a peer.
pub async fn locate(url: &str) -> Result<String> {
    check_peer_url(url)?;
    let client = Client::new(ClientOptions {
        auth: Auth::None,
        attempts: 2,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(30),
        compressed: true,
        ca_pem: None,
    })?;
    let found = client.locate(url).await.map_err(|e| {
        FederationError::Invalid(format!(
            "{e}: give the peer's TAXII discovery URL (e.g. https://node.example/taxii2/, what `concord serve` prints on the peer)"
        ))
    })?;
    check_peer_url(&found.url)?;
    Ok(found.url)
}

/// Stores a peer (replacing one of the same name).
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

/// Removes a peer; false if there was none of that name.
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
        .map_err(|e| FederationError::Invalid(format!("the node's own key: {e}")))?;
    for p in peers {
        set.insert(&p.member, &p.public_key()?)
            .map_err(|e| FederationError::Invalid(format!("peer {}: {e}", p.name)))?;
    }
    Ok(set)
}

/// Whether a peer URL may be used: TLS, or plain HTTP on loopback only.
pub fn check_peer_url(url: &str) -> Result<url::Url> {
    let u = url::Url::parse(url).map_err(|e| {
        FederationError::Invalid(format!(
            "{url:?} is not a URL: {e} (e.g. https://node.example/taxii2/)"
        ))
    })?;
    match u.scheme() {
        "https" => Ok(u),
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(u)
            } else {
                Err(FederationError::Invalid(format!(
                    "{url} is plain HTTP on a non-loopback address: peers are reached over https:// (plain http only on 127.0.0.1)"
                )))
            }
        }
        other => Err(FederationError::Invalid(format!(
            "{url}: scheme {other:?} is neither https nor http"
        ))),
    }
}
