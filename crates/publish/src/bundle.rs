//! `concord export` as one STIX bundle: the latest version of every object
//! a scan selects, page by page, through the egress filter when the bundle
//! is for a recipient. Streamed, so the store is never held in memory.

use std::io::Write;

use concord_share::Recipient;
use concord_store::{ScanQuery, Store, StoredObject};
use concord_taxii::server::egress::{self, Federation};

use crate::PublishError;

/// Who a bundle is for: a recipient under the node's policy, filed in the
/// node's collection (the egress filter reads its entries).
pub struct For<'a> {
    /// The node's policy.
    pub federation: &'a Federation,
    /// The recipient.
    pub recipient: &'a Recipient,
    /// The node's own collection.
    pub collection: &'a str,
}

/// Every page of `scan` (from `scan.after_row`), each through the egress
/// filter when `to` names a recipient, handed to `page`.
pub async fn pages<S: Store>(
    store: &S,
    mut scan: ScanQuery,
    to: Option<&For<'_>>,
    page: &mut dyn FnMut(Vec<StoredObject>) -> Result<(), PublishError>,
) -> Result<(), PublishError> {
    loop {
        let got = store.scan_latest(scan.clone()).await?;
        let Some(last) = got.last() else { break };
        scan.after_row = last.row;
        let got = match to {
            None => got,
            Some(f) => egress::filter(store, f.federation, f.recipient, f.collection, got).await?,
        };
        page(got)?;
    }
    Ok(())
}

/// Writes the bundle of what `scan` selects (for `to`, when given) to
/// `out`; answers how many objects it holds.
pub async fn write_bundle<S: Store>(
    store: &S,
    scan: ScanQuery,
    to: Option<&For<'_>>,
    out: &mut dyn Write,
) -> Result<u64, PublishError> {
    let io = |e: std::io::Error| PublishError::Write(e.to_string());
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid::Uuid::new_v4()
    )
    .map_err(io)?;
    let mut n = 0u64;
    pages(store, scan, to, &mut |page| {
        for o in &page {
            out.write_all(if n == 0 { b"\n" } else { b",\n" })
                .map_err(io)?;
            out.write_all(o.json.as_bytes()).map_err(io)?;
            n += 1;
        }
        Ok(())
    })
    .await?;
    out.write_all(b"\n]}\n").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(n)
}
