//! One sync round with a peer: discover its API root, list the collections
//! it shares with us, pull each into the node's local collection with every
//! object's signature verified (refused ones go to quarantine with the
//! reason), and record how it went.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use concord_stix::StixObject;
use concord_store::{AnyStore, Record, Store};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_taxii::sync::{Admission, PullOptions, pull};
use concord_trust::{Keypair, TrustError, TrustedKeySet, verify_object};
use serde::{Deserialize, Serialize};

use super::peers::PeerRecord;

/// The record kind of each peer's last sync outcome.
pub const STATUS_KIND: &str = "sync-status";

/// Accepts an object only when its author's signature verifies under a
/// trusted key.
pub struct Verifier {
    pub trusted: TrustedKeySet,
}

impl Admission for Verifier {
    fn admit(&self, object: &StixObject) -> Result<(), String> {
        match verify_object(object.as_map(), &self.trusted) {
            Ok(_) => Ok(()),
            Err(TrustError::Unsigned) => Err(
                "unsigned: it carries no concord provenance signature, so its author is unknown"
                    .into(),
            ),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What one round with one peer did.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerRound {
    pub peer: String,
    pub api_root: Option<String>,
    pub collections: usize,
    pub pages: usize,
    pub received: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    pub withdrawn: usize,
    /// Object JSON received, uncompressed.
    pub bytes: u64,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What taking in the peer's governance documents did (an
    /// `IngestReport`, or `{"error": ...}`); kept apart from `error` so a
    /// peer without governance documents still syncs its objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<serde_json::Value>,
    /// When it ran (RFC 3339).
    pub at: String,
}

/// Pulls everything new from one peer. Errors are reported in the round
/// (and stored as the peer's sync status), not returned: one unreachable
/// peer must not stop the others.
pub async fn sync_peer(
    store: &AnyStore,
    key: Arc<Keypair>,
    trusted: TrustedKeySet,
    peer: &PeerRecord,
    local_collection: &str,
    page: usize,
) -> PeerRound {
    let started = std::time::Instant::now();
    let mut round = PeerRound {
        peer: peer.name.clone(),
        at: concord_stix::Timestamp::now().to_taxii(),
        ..Default::default()
    };
    if let Err(e) = run(
        store,
        key,
        trusted,
        peer,
        local_collection,
        page,
        &mut round,
    )
    .await
    {
        round.error = Some(format!("{e:#}"));
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
    store: &AnyStore,
    key: Arc<Keypair>,
    trusted: TrustedKeySet,
    peer: &PeerRecord,
    local_collection: &str,
    page: usize,
    round: &mut PeerRound,
) -> Result<()> {
    super::check_peer_url(&peer.url)?;
    let client = Client::new(ClientOptions {
        auth: Auth::Node(key),
        attempts: 4,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(120),
        gzip: true,
        ca_pem: None,
    })?;
    let api_root = client.resolve_api_root(&peer.url).await?;
    round.api_root = Some(api_root.clone());
    let collections = client.collections(&api_root).await?;
    let admission: Arc<dyn Admission> = Arc::new(Verifier { trusted });
    for c in collections.iter().filter(|c| c.can_read) {
        round.collections += 1;
        let opts = PullOptions {
            page,
            admission: Some(admission.clone()),
            source_name: peer.name.clone(),
            ..Default::default()
        };
        let report = pull(&client, store, &api_root, &c.id, local_collection, &opts).await?;
        round.pages += report.pages;
        round.received += report.received;
        round.stored += report.stored;
        round.duplicates += report.duplicates;
        round.quarantined += report.quarantined;
        round.withdrawn += report.revoked.len();
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
