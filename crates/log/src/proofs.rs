//! The serving side of inclusion on receipt: `POST /concord/v1/proofs`
//! answers, for the versions a caller names, their log material (leaf
//! index in their author's log, nonce), but only for versions the caller
//! may see: the same sharing decision as TAXII pages, closed over
//! references, so a peer learns nothing (not even that an id exists) about
//! what it is not entitled to.

use concord_store::{AnyStore, Collection, Store, StoredObject};
use concord_taxii::access::Principal;
use concord_taxii::server::egress::{self, Federation};

use crate::own::nonce_to_base64;
use crate::receipt::{MAX_PROOF_REQUEST, Material, ProofsAnswer, ProofsRequest};
use crate::{LogError, Result};

/// The answer to a proofs request by `caller` about versions of
/// `collection` (the node's local collection).
pub async fn answer(
    store: &AnyStore,
    federation: &Federation,
    caller: &Principal,
    collection: &Collection,
    body: &[u8],
) -> Result<ProofsAnswer> {
    let request: ProofsRequest = serde_json::from_slice(body).map_err(|e| {
        LogError::Refused(format!(
            "the body is not {{\"versions\": [{{\"id\", \"modified\"}}, ...]}}: {e}"
        ))
    })?;
    if request.versions.len() > MAX_PROOF_REQUEST {
        return Err(LogError::Refused(format!(
            "{} versions asked for; at most {MAX_PROOF_REQUEST} per request",
            request.versions.len()
        )));
    }
    let keys = request
        .versions
        .into_iter()
        .map(|v| (v.id, v.modified))
        .collect();
    let logged = store.logged_versions(keys).await?;
    let objects: Vec<StoredObject> = logged.iter().map(|l| l.object.clone()).collect();
    let visible = match egress::recipient_of(caller, collection) {
        None => objects,
        Some(to) => egress::filter(store, federation, &to, &collection.id, objects).await?,
    };
    let rows: std::collections::HashSet<i64> = visible.iter().map(|o| o.row).collect();
    Ok(ProofsAnswer {
        entries: logged
            .into_iter()
            .filter(|l| rows.contains(&l.object.row))
            .map(|l| Material {
                id: l.object.id,
                modified: l.object.version,
                leaf_index: l.leaf,
                nonce: nonce_to_base64(&l.nonce),
            })
            .collect(),
    })
}
