//! Writes to PostgreSQL: one transaction per batch, each step one statement
//! over arrays (`unnest`), so a batch of thousands costs a handful of round
//! trips.

use std::collections::HashMap;

use concord_stix::Timestamp;
use deadpool_postgres::{Client, Transaction};
use foldhash::fast::FixedState;

use crate::{BatchOutcome, Collection, LogMark, NewCollection, PreparedObject, Result, StoreError};

pub(super) async fn put_batch(
    client: &mut Client,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<BatchOutcome> {
    Ok(put_batch_rows(client, collection, batch).await?.0)
}

/// The rows of a batch's versions by (id, version): (row, inserted now,
/// stored with log material); keys borrow the rows the server answered.
type Rows<'a> = HashMap<(&'a str, &'a str), (i64, bool, bool), FixedState>;

/// Where a batch's new versions went, for the search index.
pub(super) struct Placed {
    /// Each new row, with its version's place in the batch.
    pub(super) rows: Vec<(i64, usize)>,
    /// The search queue entry that holds the new rows.
    pub(super) queued: Option<i64>,
}

/// [`put_batch`], also answering where the new versions went.
pub(super) async fn put_batch_rows(
    client: &mut Client,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<(BatchOutcome, Placed)> {
    let tx = client.transaction().await?;
    let written = put_batch_with_rows(&tx, collection, batch).await?;
    tx.commit().await?;
    Ok(written)
}

/// The batch write inside a caller's transaction, so the caller can add
/// what must commit with it (a sync cursor, a POST status).
pub(super) async fn put_batch_in(
    tx: &Transaction<'_>,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<BatchOutcome> {
    Ok(put_batch_with_rows(tx, collection, batch).await?.0)
}

async fn put_batch_with_rows(
    tx: &Transaction<'_>,
    collection: &str,
    batch: &[PreparedObject],
) -> Result<(BatchOutcome, Placed)> {
    let coll_row: i64 = tx
        .query_opt("SELECT row FROM collections WHERE id = $1", &[&collection])
        .await?
        .ok_or_else(|| StoreError::UnknownCollection(collection.to_string()))?
        .get(0);
    let mut outcome = BatchOutcome::default();
    if batch.is_empty() {
        return Ok((
            outcome,
            Placed {
                rows: Vec::new(),
                queued: None,
            },
        ));
    }

    // Insert in (id, version) order: concurrent writers then take index
    // locks in the same order and cannot deadlock each other.
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|&a, &b| {
        (&batch[a].id, &batch[a].version).cmp(&(&batch[b].id, &batch[b].version))
    });
    // Columns borrow the batch's text: a batch's JSON is megabytes.
    let col = |f: &dyn Fn(&PreparedObject) -> &str| -> Vec<&str> {
        order.iter().map(|&i| f(&batch[i])).collect()
    };
    let ids = col(&|o| o.id.as_str());
    let versions = col(&|o| o.version.as_str());
    let types = col(&|o| o.object_type.as_str());
    let jsons = col(&|o| o.json.as_str());
    let version_us: Vec<i64> = order.iter().map(|&i| batch[i].version_us).collect();
    let spec: Vec<Option<&str>> = order
        .iter()
        .map(|&i| batch[i].spec_version.as_deref())
        .collect();
    let created_by: Vec<Option<&str>> = order
        .iter()
        .map(|&i| batch[i].created_by.as_deref())
        .collect();
    let tlp: Vec<Option<i16>> = order
        .iter()
        .map(|&i| batch[i].tlp.map(|t| t as i16))
        .collect();
    let revoked: Vec<bool> = order.iter().map(|&i| batch[i].revoked).collect();
    // Received versions carry their author's leaf and nonce; authored
    // ones get a leaf of the node's log below, once it is known which
    // were inserted.
    let (leaves, nonces): (Vec<Option<i64>>, Vec<Option<Vec<u8>>>) = order
        .iter()
        .map(|&i| match &batch[i].log {
            Some(LogMark::Received { leaf, nonce }) => {
                (i64::try_from(*leaf).ok(), Some(nonce.to_vec()))
            }
            _ => (None, None),
        })
        .unzip();
    let inserted = tx
        .query(
            "INSERT INTO objects (id, version, version_us, type, spec_version, created_by, tlp, revoked, json, log_leaf, log_nonce)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::bool[], $9::text[], $10::bigint[], $11::bytea[])
             ON CONFLICT (id, version) DO NOTHING
             RETURNING row, id, version",
            &[&ids, &versions, &version_us, &types, &spec, &created_by, &tlp, &revoked, &jsons, &leaves, &nonces],
        )
        .await?;
    outcome.inserted = inserted.len();
    outcome.duplicates = batch.len() - inserted.len();
    let existing = if outcome.duplicates > 0 {
        tx.query(
            "SELECT o.row, o.id, o.version, o.log_leaf IS NOT NULL FROM objects o
             JOIN unnest($1::text[], $2::text[]) AS k(id, version) ON o.id = k.id AND o.version = k.version",
            &[&ids, &versions],
        )
        .await?
    } else {
        Vec::new()
    };
    let mut rows = Rows::with_capacity_and_hasher(batch.len(), Default::default());
    for r in &inserted {
        rows.insert((r.get(1), r.get(2)), (r.get(0), true, false));
    }
    for r in &existing {
        rows.entry((r.get(1), r.get(2)))
            .or_insert((r.get(0), false, r.get(3)));
    }
    mark_logged(tx, batch, &mut rows).await?;

    // New heads: the newest inserted version per id; the upsert keeps a
    // stored head that is newer still.
    let mut heads: HashMap<&str, &PreparedObject> = HashMap::new();
    for o in batch {
        if !matches!(
            rows.get(&(o.id.as_str(), o.version.as_str())),
            Some((_, true, _))
        ) {
            continue;
        }
        let newer = heads.get(o.id.as_str()).is_none_or(|h| {
            (o.version_us, o.version.as_str()) > (h.version_us, h.version.as_str())
        });
        if newer {
            heads.insert(o.id.as_str(), o);
        }
    }
    if !heads.is_empty() {
        let mut hs: Vec<&PreparedObject> = heads.into_values().collect();
        hs.sort_by(|a, b| a.id.cmp(&b.id));
        let h_ids: Vec<&str> = hs.iter().map(|o| o.id.as_str()).collect();
        let h_rows: Vec<i64> = hs
            .iter()
            .map(|o| {
                rows.get(&(o.id.as_str(), o.version.as_str()))
                    .map_or(0, |r| r.0)
            })
            .collect();
        let h_us: Vec<i64> = hs.iter().map(|o| o.version_us).collect();
        let h_versions: Vec<&str> = hs.iter().map(|o| o.version.as_str()).collect();
        let h_types: Vec<&str> = hs.iter().map(|o| o.object_type.as_str()).collect();
        let h_tlp: Vec<Option<i16>> = hs.iter().map(|o| o.tlp.map(|t| t as i16)).collect();
        let h_revoked: Vec<bool> = hs.iter().map(|o| o.revoked).collect();
        tx.execute(
            "INSERT INTO heads (id, row, version_us, version, type, tlp, revoked)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::smallint[], $7::bool[])
             ON CONFLICT (id) DO UPDATE SET row = excluded.row, version_us = excluded.version_us,
                 version = excluded.version, type = excluded.type, tlp = excluded.tlp, revoked = excluded.revoked
             WHERE (heads.version_us, heads.version) < (excluded.version_us, excluded.version)",
            &[&h_ids, &h_rows, &h_us, &h_versions, &h_types, &h_tlp, &h_revoked],
        )
        .await?;
    }

    let new_rows: Vec<i64> = inserted.iter().map(|r| r.get(0)).collect();
    let placed: Vec<(i64, usize)> = batch
        .iter()
        .enumerate()
        .filter_map(
            |(i, o)| match rows.get(&(o.id.as_str(), o.version.as_str())) {
                Some((row, true, _)) => Some((*row, i)),
                _ => None,
            },
        )
        .collect();
    let queued = if new_rows.is_empty() {
        None
    } else {
        Some(
            tx.query_one(
                "INSERT INTO search_queue (rows) VALUES ($1) RETURNING id",
                &[&new_rows],
            )
            .await?
            .get(0),
        )
    };

    // The lock that makes date_added unique and increasing across
    // processes, taken last so that concurrent batches store their objects
    // in parallel and only file their entries one after the other. It is
    // held to commit: entries become visible in date_added order.
    let last: i64 = tx
        .query_one(
            "SELECT last_added_us FROM collections WHERE row = $1 FOR UPDATE",
            &[&coll_row],
        )
        .await?
        .get(0);
    // Entries in input order, dates from max(now, last + 1) upwards.
    let start = Timestamp::now().0.max(last + 1);
    let mut dates = Vec::with_capacity(batch.len());
    let mut objects = Vec::with_capacity(batch.len());
    for (i, o) in batch.iter().enumerate() {
        if let Some((row, _, _)) = rows.get(&(o.id.as_str(), o.version.as_str())) {
            dates.push(start + i as i64);
            objects.push(*row);
        }
    }
    let added = tx
        .query(
            "INSERT INTO entries (collection, date_added_us, object)
             SELECT $1, d, o FROM unnest($2::bigint[], $3::bigint[]) AS t(d, o)
             ON CONFLICT (object, collection) DO NOTHING
             RETURNING date_added_us",
            &[&coll_row, &dates, &objects],
        )
        .await?;
    if let Some(max) = added.iter().map(|r| r.get::<_, i64>(0)).max() {
        outcome.last_added_us = Some(max);
        tx.execute(
            "UPDATE collections SET last_added_us = $2 WHERE row = $1",
            &[&coll_row, &max],
        )
        .await?;
    }
    Ok((
        outcome,
        Placed {
            rows: placed,
            queued,
        },
    ))
}

/// Gives the versions of the batch that have no log material yet theirs:
/// authored ones the next leaves of the node's log (appended here, under
/// the log's row lock, in the batch's order), received ones their author's
/// leaf when they were stored before without it.
async fn mark_logged<'a>(
    tx: &Transaction<'_>,
    batch: &'a [PreparedObject],
    rows: &mut Rows<'a>,
) -> Result<()> {
    let mut targets: Vec<i64> = Vec::new();
    let mut leaves: Vec<i64> = Vec::new();
    let mut nonces: Vec<Vec<u8>> = Vec::new();
    let mut entries: Vec<&[u8]> = Vec::new();
    let mut start: Option<u64> = None;
    for o in batch {
        let Some(mark) = &o.log else { continue };
        let Some(slot) = rows.get_mut(&(o.id.as_str(), o.version.as_str())) else {
            continue;
        };
        let (row, inserted, logged) = *slot;
        match mark {
            LogMark::Append { entry, nonce } if !logged => {
                let size = match start {
                    Some(s) => s,
                    None => {
                        let s = super::log::lock_size(tx).await?;
                        start = Some(s);
                        s
                    }
                };
                leaves.push(crate::log::to_db(size + entries.len() as u64)?);
                entries.push(entry);
                nonces.push(nonce.to_vec());
                targets.push(row);
            }
            LogMark::Received { leaf, nonce } if !logged && !inserted => {
                leaves.push(crate::log::to_db(*leaf)?);
                nonces.push(nonce.to_vec());
                targets.push(row);
            }
            _ => continue,
        }
        slot.2 = true;
    }
    if !targets.is_empty() {
        tx.execute(
            "UPDATE objects SET log_leaf = t.leaf, log_nonce = t.nonce
             FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS t(row, leaf, nonce)
             WHERE objects.row = t.row",
            &[&targets, &leaves, &nonces],
        )
        .await?;
    }
    if let Some(size) = start {
        super::log::extend(tx, size, &entries).await?;
    }
    Ok(())
}

pub(super) async fn create_collection(client: &Client, c: &NewCollection) -> Result<Collection> {
    let id =
        c.id.clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    client
        .execute(
            "INSERT INTO collections (id, title, description, public) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
            &[&id, &c.title, &c.description, &c.public],
        )
        .await?;
    Ok(Collection {
        id,
        title: c.title.clone(),
        description: c.description.clone(),
        public: c.public,
    })
}
