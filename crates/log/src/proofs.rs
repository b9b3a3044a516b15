//! The serving side of inclusion on receipt: `POST /concord/v1/proofs`
//! answers, for the versions a caller names, their log material (leaf
//! index in their author's log, nonce), but only for versions the caller
//! may see: the same sharing decision as TAXII pages, closed over
//! references, so a peer learns nothing (not even that an id exists) about
//! what it is not entitled to.

use std::collections::HashMap;

use concord_store::{AnyStore, Collection, Store, StoredObject};
use concord_taxii::access::Principal;
use concord_taxii::server::egress::{self, Federation};

use crate::own::nonce_to_base64;
use crate::receipt::{MAX_PROOF_REQUEST, ProofsAnswer, ProofsRequest};
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
            "the body is not {{\"versions\": [[id, modified], ...]}}: {e}"
        ))
    })?;
    if request.versions.len() > MAX_PROOF_REQUEST {
        return Err(LogError::Refused(format!(
            "{} versions asked for; at most {MAX_PROOF_REQUEST} per request",
            request.versions.len()
        )));
    }
    let keys = request.versions;
    // Pages of objects carry their material to concord peers already;
    // this answers the rest (held objects tried again, other tools), with
    // the sharing decision taken again in full.
    let logged = store.logged_versions(keys.clone(), true).await?;
    let objects: Vec<StoredObject> = logged.iter().map(|l| l.object.clone()).collect();
    let visible = match egress::recipient_of(caller, collection) {
        None => objects,
        Some(to) => egress::filter(store, federation, &to, &collection.id, objects).await?,
    };
    let rows: std::collections::HashSet<i64> = visible.iter().map(|o| o.row).collect();
    let mut found: HashMap<(String, String), (u64, [u8; 32])> = HashMap::new();
    for l in logged {
        if rows.contains(&l.object.row) {
            found.insert((l.object.id, l.object.version), (l.leaf, l.nonce));
        }
    }
    Ok(ProofsAnswer {
        material: keys
            .into_iter()
            .map(|k| {
                found
                    .get(&k)
                    .map(|(leaf, nonce)| (*leaf, nonce_to_base64(nonce)))
            })
            .collect(),
    })
}
