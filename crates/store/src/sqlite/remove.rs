//! Taking object versions out of a collection (TAXII DELETE). Local only:
//! the versions stay in storage (other collections may hold them, and the
//! history is kept); only this collection's entries go.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, TransactionBehavior, params_from_iter};

use super::read::{collection_row, version_condition};
use crate::{Result, VersionSel, id_key};

/// Removes the selected versions of `id` (optionally only those of the
/// given spec versions) from `collection`; returns how many entries went.
pub(super) fn remove_from_collection(
    conn: &mut Connection,
    collection: &str,
    id: &str,
    versions: &VersionSel,
    spec_versions: &[String],
) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (coll, _) = collection_row(&tx, collection)?;
    let mut args = vec![
        Sql::Integer(coll),
        Sql::Integer(id_key(id)),
        Sql::Text(id.into()),
    ];
    let mut sql = String::from(
        "SELECT e.date_added_us FROM entries e JOIN objects o ON o.row = e.object
         WHERE e.collection = ?1 AND o.id_key = ?2 AND o.id = ?3",
    );
    if !spec_versions.is_empty() {
        let marks = vec!["?"; spec_versions.len()].join(",");
        args.extend(spec_versions.iter().map(|v| Sql::Text(v.clone())));
        sql.push_str(&format!(
            " AND coalesce(o.spec_version, '2.1') IN ({marks})"
        ));
    }
    if let Some(cond) = version_condition(versions, &mut args) {
        sql.push_str(" AND ");
        sql.push_str(&cond);
    }
    // Select first, then delete by key: the version condition looks at the
    // collection's other entries, which must not change under it.
    let dates: Vec<i64> = {
        let mut stmt = tx.prepare(&sql)?;
        stmt.query_map(params_from_iter(args), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    {
        let mut del =
            tx.prepare_cached("DELETE FROM entries WHERE collection = ?1 AND date_added_us = ?2")?;
        for d in &dates {
            del.execute([coll, *d])?;
        }
    }
    tx.commit()?;
    Ok(dates.len())
}

/// Drops every stored version of `id` older than `version` (a withdrawal's
/// tombstone): its rows, collection entries and search entries. The
/// tombstone itself and newer versions stay.
pub(super) fn purge_before(conn: &mut Connection, id: &str, version_us: i64) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rows: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "SELECT row FROM objects WHERE id_key = ?1 AND id = ?2 AND version_us < ?3",
        )?;
        stmt.query_map(rusqlite::params![id_key(id), id, version_us], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    // The search index keeps the rows' postings: a search checks every
    // candidate against the objects table, where these rows are gone.
    for row in &rows {
        tx.execute("DELETE FROM entries WHERE object = ?1", [row])?;
        tx.execute("DELETE FROM objects WHERE row = ?1", [row])?;
    }
    tx.commit()?;
    Ok(rows.len())
}
