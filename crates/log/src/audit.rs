//! `concord log verify`: everything this node holds of one log, checked
//! again. For its own log: every tile against the latest checkpoint's
//! root, every entry against its leaf hash, every checkpoint it ever
//! signed consistent with the latest. For a member's log: the checkpoint
//! held against the member's current one (with its tiles), every object
//! of that member held here proven included under the held checkpoint,
//! and the evidence held against it.

use concord_store::{AnyStore, ScanQuery, Store};
use concord_taxii::client::Client;
use concord_tlog::{
    ConsistencyCheck, SignedCheckpoint, TILE_HEIGHT, Tile, TileNodes, check_consistency,
    inclusion_proof, verify_entry_bundles, verify_hash_tiles, verify_inclusion,
};
use concord_trust::Keypair;
use serde::Serialize;

use crate::directory::{Directory, MemberLog};
use crate::own::{CHECKPOINT_KIND, Signed, latest};
use crate::tiles::{RemoteSource, StoreSource, TileSet, prefetch, with_tiles};
use crate::witness::{Observed, held, witness_member};
use crate::{LogError, Result, evidence};

/// What an audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// The log's owner (its name).
    pub member: String,
    /// The log's origin.
    pub origin: String,
    /// The checkpoint checked against: size and root.
    pub checkpoint: Option<(u64, String)>,
    /// Checks that passed, in words.
    pub passed: Vec<String>,
    /// Checks that failed, in words: empty when the log is consistent.
    pub failed: Vec<String>,
}

impl std::fmt::Display for Audit {
    /// The log and its owner, then each check, passed or failed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log {} of {}", self.origin, self.member)?;
        for p in &self.passed {
            write!(f, "\n  ok      {p}")?;
        }
        for x in &self.failed {
            write!(f, "\n  FAILED  {x}")?;
        }
        Ok(())
    }
}

impl Audit {
    /// Whether everything checked out.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Every tile of the tree of `size` leaves.
fn all_tiles(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    for level in 0..8u32 {
        let count = size >> (TILE_HEIGHT * level);
        if count == 0 {
            break;
        }
        for index in 0..count.div_ceil(256) {
            let width = if (index + 1) * 256 <= count {
                256
            } else {
                (count & 0xff) as u16
            };
            out.push(Tile::hashes(level as u8, index, width));
        }
    }
    for index in 0..size.div_ceil(256) {
        let width = if (index + 1) * 256 <= size {
            256
        } else {
            (size & 0xff) as u16
        };
        out.push(Tile::entries(index, width));
    }
    out
}

/// Audits this node's own log.
pub async fn own(store: &AnyStore, directory: &Directory) -> Result<Audit> {
    let mut audit = Audit {
        member: directory.own.name.clone(),
        origin: directory.own.origin.clone(),
        ..Default::default()
    };
    let Some(last) = latest(store).await? else {
        audit
            .passed
            .push("no checkpoint signed yet: nothing to check".into());
        return Ok(audit);
    };
    let c = last.checkpoint()?;
    let (size, root) = (c.checkpoint().size, c.checkpoint().root);
    audit.checkpoint = Some((size, root.to_base64()));
    if let Err(e) = c.verify_by_member(&directory.own.key) {
        audit.failed.push(format!("the latest checkpoint: {e}"));
    }
    let mut tiles = TileSet::new();
    prefetch(&mut tiles, &StoreSource(store), all_tiles(size)).await?;
    match verify_hash_tiles(size, &root, &tiles) {
        Ok(()) => audit.passed.push(format!(
            "every hash tile of the {size} entries leads to the checkpoint's root"
        )),
        Err(e) => audit.failed.push(format!("hash tiles: {e}")),
    }
    match verify_entry_bundles(size, &tiles) {
        Ok(()) => audit
            .passed
            .push("every entry hashes to its leaf".to_string()),
        Err(e) => audit.failed.push(format!("entries: {e}")),
    }
    let mut after: Option<String> = None;
    let mut checked = 0usize;
    loop {
        let page = store
            .records(CHECKPOINT_KIND, after.as_deref(), 500)
            .await?;
        let Some(last_key) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            let old: Signed = serde_json::from_str(&r.value)
                .map_err(|e| LogError::corrupt(format!("checkpoint {}", r.key), e))?;
            let old = old.checkpoint()?;
            if old.checkpoint().origin != c.checkpoint().origin {
                continue;
            }
            checked += 1;
            match check_consistency(&old, &c, &directory.own.key, &tiles)? {
                ConsistencyCheck::Consistent => {}
                ConsistencyCheck::SplitView(_) => audit.failed.push(format!(
                    "this node signed a checkpoint of size {} inconsistent with its latest",
                    old.checkpoint().size
                )),
                ConsistencyCheck::Unverifiable(why) => audit.failed.push(format!(
                    "checkpoint of size {}: {why}",
                    old.checkpoint().size
                )),
            }
        }
        after = Some(last_key);
    }
    audit.passed.push(format!(
        "{checked} checkpoints signed under {} checked against the latest",
        audit.origin
    ));
    Ok(audit)
}

/// Audits what this node holds of `member`'s log, with its node's help
/// for the tiles.
pub async fn member(
    store: &AnyStore,
    directory: &Directory,
    key: &Keypair,
    client: &Client,
    member: &MemberLog,
) -> Result<Audit> {
    let mut audit = Audit {
        member: member.name.clone(),
        origin: member.origin.clone(),
        ..Default::default()
    };
    for e in evidence::list(store).await? {
        if e.origin == member.origin {
            audit.failed.push(format!(
                "evidence of a split view ({}, sizes {} and {}), found by {} at {}",
                e.kind, e.sizes.0, e.sizes.1, e.found, e.at
            ));
        }
    }
    let mut tiles = TileSet::new();
    if member.base().is_some() {
        match witness_member(store, directory, key, client, member, &mut tiles).await {
            Ok(Observed::Cosigned(c)) => audit.passed.push(format!(
                "its current checkpoint (size {}) extends the one held",
                c.checkpoint().size
            )),
            Ok(Observed::Known) => audit
                .passed
                .push("its current checkpoint is the one held".into()),
            Ok(Observed::Nothing) => audit.passed.push("it has no checkpoint yet".into()),
            Ok(Observed::SplitView(_)) => audit
                .failed
                .push("its current checkpoint contradicts the one held (evidence kept)".into()),
            Ok(Observed::Unverifiable(why)) => audit.failed.push(format!("unverifiable: {why}")),
            Err(e) => audit.failed.push(format!("its node: {e}")),
        }
    }
    let Some(c) = held(store, &member.origin).await? else {
        audit
            .passed
            .push("no checkpoint of this log is held yet".into());
        return Ok(audit);
    };
    audit.checkpoint = Some((c.checkpoint().size, c.checkpoint().root.to_base64()));
    let (checked, failed) = objects(store, member, &c, client).await?;
    audit.passed.push(format!(
        "{} of its objects held here are included under the held checkpoint",
        checked - failed.len()
    ));
    audit.failed.extend(failed);
    Ok(audit)
}

/// Checks every version of `member` held with log material against `c`.
async fn objects(
    store: &AnyStore,
    member: &MemberLog,
    c: &SignedCheckpoint,
    client: &Client,
) -> Result<(usize, Vec<String>)> {
    let (size, root) = (c.checkpoint().size, c.checkpoint().root);
    let Some(base) = member.base() else {
        return Ok((0, vec!["its node has no URL to read its tiles from".into()]));
    };
    let source = RemoteSource::direct(client.clone(), base);
    let mut tiles = TileSet::new();
    let mut failed = Vec::new();
    let mut checked = 0usize;
    let mut after_row = 0;
    loop {
        let page = store
            .scan_latest(ScanQuery {
                after_row,
                limit: 5000,
                include_revoked: true,
                ..Default::default()
            })
            .await?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        let keys: Vec<(String, String)> = page
            .iter()
            .filter(|o| {
                concord_stix::json::parse_object(o.json.as_bytes())
                    .ok()
                    .and_then(|m| concord_trust::signer_of(&m).map(|s| s == member.member))
                    .unwrap_or(false)
            })
            .map(|o| (o.id.clone(), o.version.clone()))
            .collect();
        for l in store.logged_versions(keys, true).await? {
            if l.leaf >= size {
                continue;
            }
            checked += 1;
            let leaf = l.leaf;
            let h = crate::receipt::leaf_of(&l.object.json, &l.nonce);
            let proof = with_tiles(&mut tiles, &source, |t| {
                inclusion_proof(leaf, size, &mut TileNodes::new(t, size))
            })
            .await;
            let ok = match proof {
                Ok(p) => h
                    .iter()
                    .any(|h| verify_inclusion(leaf, size, h, &p, &root).is_ok()),
                Err(_) => false,
            };
            if !ok {
                failed.push(format!(
                    "{} {} is not included at leaf {leaf}",
                    l.object.id, l.object.version
                ));
            }
        }
        tiles.forget_leaf_tiles();
    }
    Ok((checked, failed))
}

#[cfg(test)]
mod text_tests {
    use super::Audit;

    #[test]
    fn an_audit_lists_each_check() {
        let a = Audit {
            member: "b".into(),
            origin: "o".into(),
            checkpoint: None,
            passed: vec!["consistent".into()],
            failed: vec!["entry 3 missing".into()],
        };
        assert_eq!(
            a.to_string(),
            "log o of b\n  ok      consistent\n  FAILED  entry 3 missing"
        );
        assert!(!a.ok());
    }
}
