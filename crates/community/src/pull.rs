//! Governance over the wire: a sync round asks each peer for its
//! governance documents (`GET /concord/v1/community`, a request signed
//! with this node's key, which the peer serves only to peers it knows and
//! to its admins) and takes them in with [`super::ingest_documents`]:
//! everything verified here, nothing trusted because of who sent it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::{CommunityError, Result};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_trust::Keypair;

use super::IngestReport;

/// The path of the documents on every node.
pub const DOCUMENTS_PATH: &str = "/concord/v1/community";

/// The documents URL of a peer given by its TAXII URL (discovery or API
/// root): the same scheme, host and port.
pub fn documents_url(peer_url: &str) -> Result<String> {
    let u = url::Url::parse(peer_url)
        .map_err(|e| CommunityError::Invalid(format!("{peer_url:?} is not a URL: {e}")))?;
    Ok(u.join(DOCUMENTS_PATH)
        .map_err(|e| CommunityError::Invalid(format!("{peer_url:?}: no documents URL: {e}")))?
        .to_string())
}

/// Pulls one peer's governance documents and takes them in.
pub async fn from_peer(data_dir: &Path, key: Arc<Keypair>, peer_url: &str) -> Result<IngestReport> {
    let url = documents_url(peer_url)?;
    let client = Client::new(ClientOptions {
        auth: Auth::Node(key),
        attempts: 2,
        backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        compressed: true,
        ca_pem: None,
    })?;
    let doc = client.get_document(&url).await?;
    let dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || super::ingest_documents(&dir, &doc))
        .await
        .map_err(|e| CommunityError::Refused(format!("taking in the governance documents: {e}")))?
        .map_err(|e| e.at(format!("documents from {url}")))
}
