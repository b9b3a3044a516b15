//! Signed bundles (`concord export --signed`): another member's objects,
//! each with its log entry and inclusion proof under its log's checkpoint,
//! taken in whole or not at all.

use concord_log::Directory;
use concord_store::{AnyStore, Store};
use serde::Serialize;
use tokio::runtime::Handle;

use crate::IngestError;
use crate::source::Source;

/// What taking in a signed bundle did.
#[derive(Debug, Clone, Serialize)]
pub struct SignedImport {
    /// The log the bundle's checkpoint is of (its author's).
    pub origin: String,
    /// The checkpoint's size.
    pub checkpoint_size: u64,
    /// Objects verified.
    pub verified: usize,
    /// New versions stored.
    pub stored: usize,
    /// Versions already held.
    pub duplicates: usize,
}

/// The bytes of `source` when it is a signed bundle (read whole: such
/// bundles are bounded by `concord_tlog::MAX_BUNDLE_BYTES`).
pub fn signed_bundle(source: &Source) -> Option<Vec<u8>> {
    let Source::File(p) = source else { return None };
    let len = std::fs::metadata(p).ok()?.len();
    if len > concord_tlog::MAX_BUNDLE_BYTES as u64 {
        return None;
    }
    let bytes = std::fs::read(p).ok()?;
    concord_log::bundle::is_signed_bundle(&bytes).then_some(bytes)
}

/// Stores a signed bundle's objects only when every object, its inclusion
/// proof and the checkpoint check with the member's key (found through
/// `directory`); else stores nothing and says which object failed
/// ([`IngestError::Refused`]).
pub fn take_in_signed(
    rt: &Handle,
    store: &AnyStore,
    directory: &Directory,
    collection: &str,
    bytes: &[u8],
) -> Result<SignedImport, IngestError> {
    let (objects, report, _) = concord_log::bundle::take_in(bytes, directory)
        .map_err(|e| IngestError::Refused(e.to_string()))?;
    let verified = objects.len();
    let out = rt
        .block_on(store.put_batch(collection, objects))
        .map_err(|source| IngestError::Write {
            collection: collection.to_string(),
            source,
        })?;
    Ok(SignedImport {
        origin: report.origin,
        checkpoint_size: report.size,
        verified,
        stored: out.inserted,
        duplicates: out.duplicates,
    })
}
