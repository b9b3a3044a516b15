//! Reads. Every query is a single statement, so it sees one committed
//! snapshot (WAL): a page never shows half of a batch.

use concord_stix::tlp::Tlp;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};

use crate::{
    Collection, ListQuery, Page, Result, ScanQuery, Stats, StoreError, StoredObject, VersionSel,
};

pub(super) fn stored(r: &Row<'_>, with_date: bool) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        row: r.get(0)?,
        id: r.get(1)?,
        version: r.get(2)?,
        object_type: r.get(3)?,
        json: r.get(4)?,
        date_added_us: if with_date { r.get(5)? } else { None },
        log: None,
    })
}

/// [`stored`] with the log material of columns 6 and 7.
fn stored_with_log(r: &Row<'_>) -> rusqlite::Result<StoredObject> {
    let mut o = stored(r, true)?;
    let leaf: Option<i64> = r.get(6)?;
    let nonce: Option<Vec<u8>> = r.get(7)?;
    if let (Some(leaf), Some(nonce)) = (leaf, nonce)
        && let (Ok(leaf), Ok(nonce)) = (u64::try_from(leaf), <[u8; 32]>::try_from(nonce))
    {
        o.log = Some((leaf, nonce));
    }
    Ok(o)
}

fn in_list(column: &str, values: &[String], args: &mut Vec<Sql>) -> String {
    let marks = vec!["?"; values.len()].join(",");
    args.extend(values.iter().map(|v| Sql::Text(v.clone())));
    format!(" AND {column} IN ({marks})")
}

pub(super) fn versions(
    conn: &Connection,
    id: &str,
    which: &VersionSel,
) -> Result<Vec<StoredObject>> {
    // `id_key` first: it is the indexed column (an id alone walks the table).
    let mut args = vec![Sql::Integer(crate::id_key(id)), Sql::Text(id.to_string())];
    let mut sql = String::from(
        "SELECT row, id, version, type, body_text(json) FROM objects WHERE id_key = ? AND id = ?",
    );
    match which {
        VersionSel::All => {}
        VersionSel::Last => sql.push_str(" AND +latest = 1"),
        VersionSel::First => {
            sql.push_str(" ORDER BY version_us, version LIMIT 1");
        }
        VersionSel::At(list) => sql.push_str(&in_list("version", list, &mut args)),
        // Few versions per id: select in Rust over all of them.
        VersionSel::Union(_) => {}
    }
    if !matches!(which, VersionSel::First) {
        sql.push_str(" ORDER BY version_us, version");
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| stored(r, false))?;
    let all: Vec<StoredObject> = rows.collect::<rusqlite::Result<_>>()?;
    if !matches!(which, VersionSel::Union(_)) {
        return Ok(all);
    }
    Ok(which.select(all))
}

/// The oldest version of each of `ids` that is held (ids not held are
/// left out), in no particular order: one statement for the batch.
pub(crate) fn first_versions(conn: &Connection, ids: &[String]) -> Result<Vec<StoredObject>> {
    let mut out: std::collections::HashMap<String, (i64, String, StoredObject)> =
        std::collections::HashMap::new();
    // SQLite takes up to 32,766 parameters; two per id.
    for chunk in ids.chunks(8_000) {
        let keys: Vec<Sql> = chunk
            .iter()
            .map(|i| Sql::Integer(crate::id_key(i)))
            .collect();
        let marks = vec!["?"; keys.len()].join(",");
        let sql = format!(
            "SELECT row, id, version, type, body_text(json), version_us FROM objects WHERE id_key IN ({marks})"
        );
        let wanted: std::collections::HashSet<&str> = chunk.iter().map(String::as_str).collect();
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(keys))?;
        while let Some(r) = rows.next()? {
            let o = stored(r, false)?;
            if !wanted.contains(o.id.as_str()) {
                continue; // another id with the same key
            }
            let us: i64 = r.get(5)?;
            let older = out
                .get(&o.id)
                .is_none_or(|(u, v, _)| (us, &o.version) < (*u, v));
            if older {
                out.insert(o.id.clone(), (us, o.version.clone(), o));
            }
        }
    }
    Ok(out.into_values().map(|(_, _, o)| o).collect())
}

/// The condition that `o` is the newest (or oldest) version of its id among
/// those filed in the same collection as entry `e`. `CROSS JOIN` pins the
/// loop order (the id's few versions first, then their entries): left to
/// itself, SQLite walked every entry of the collection for each row, which
/// made a listing quadratic.
fn extreme_in_collection(newest: bool) -> String {
    let cmp = if newest { ">" } else { "<" };
    format!(
        "NOT EXISTS (SELECT 1 FROM objects o2 CROSS JOIN entries e2 ON e2.object = o2.row AND e2.collection = e.collection
            WHERE o2.id_key = o.id_key AND o2.id = o.id AND (o2.version_us {cmp} o.version_us OR (o2.version_us = o.version_us AND o2.version {cmp} o.version)))"
    )
}

/// The SQL condition (over object `o` filed by entry `e`) that keeps the
/// selected versions, or `None` when every version is kept.
pub(super) fn version_condition(sel: &VersionSel, args: &mut Vec<Sql>) -> Option<String> {
    match sel {
        VersionSel::All => None,
        VersionSel::Last => Some(extreme_in_collection(true)),
        VersionSel::First => Some(extreme_in_collection(false)),
        VersionSel::At(list) => {
            let marks = vec!["?"; list.len()].join(",");
            args.extend(list.iter().map(|v| Sql::Text(v.clone())));
            Some(format!("o.version IN ({marks})"))
        }
        VersionSel::Union(parts) => {
            // Arguments go in only if no member selects everything.
            let mut own = Vec::new();
            let mut conds = Vec::with_capacity(parts.len());
            for p in parts {
                conds.push(version_condition(p, &mut own)?);
            }
            args.extend(own);
            Some(format!("({})", conds.join(" OR ")))
        }
    }
}

pub(super) fn list(conn: &Connection, q: &ListQuery) -> Result<Page> {
    if q.limit == 0 {
        return Err(StoreError::InvalidQuery("limit must be at least 1".into()));
    }
    let (coll, _) = collection_row(conn, &q.collection)?;
    let mut args = vec![
        Sql::Integer(coll),
        Sql::Integer(q.added_after_us.unwrap_or(i64::MIN)),
    ];
    // Asked for ids: walk the id index, then each version's entries
    // (`entries_object`), so the cost does not grow with the collection.
    // Left to itself, SQLite walked every entry of the collection in
    // `date_added` order (12 ms at 100k entries). Otherwise walk the
    // collection's entries in order.
    let by_id = !q.ids.is_empty();
    let mut sql = String::from(if by_id {
        "SELECT o.row, o.id, o.version, o.type, body_text(o.json), e.date_added_us, o.log_leaf, o.log_nonce
         FROM objects o CROSS JOIN entries e ON e.object = o.row
         WHERE e.collection = ? AND e.date_added_us > ?"
    } else {
        "SELECT o.row, o.id, o.version, o.type, body_text(o.json), e.date_added_us, o.log_leaf, o.log_nonce
         FROM entries e JOIN objects o ON o.row = e.object
         WHERE e.collection = ? AND e.date_added_us > ?"
    });
    if by_id {
        let marks = vec!["?"; q.ids.len()].join(",");
        args.extend(q.ids.iter().map(|i| Sql::Integer(crate::id_key(i))));
        sql.push_str(&format!(" AND o.id_key IN ({marks})"));
        sql.push_str(&in_list("o.id", &q.ids, &mut args));
    }
    if !q.types.is_empty() {
        sql.push_str(&in_list("o.type", &q.types, &mut args));
    }
    if !q.spec_versions.is_empty() {
        sql.push_str(&in_list(
            "coalesce(o.spec_version, '2.1')",
            &q.spec_versions,
            &mut args,
        ));
    }
    if let Some(cond) = version_condition(&q.versions, &mut args) {
        sql.push_str(" AND ");
        sql.push_str(&cond);
    }
    sql.push_str(" ORDER BY e.date_added_us LIMIT ?");
    args.push(Sql::Integer(
        i64::try_from(q.limit).unwrap_or(i64::MAX - 1) + 1,
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut objects: Vec<StoredObject> = stmt
        .query_map(params_from_iter(args), stored_with_log)?
        .collect::<rusqlite::Result<_>>()?;
    let more = objects.len() > q.limit;
    objects.truncate(q.limit);
    Ok(Page { objects, more })
}

pub(super) fn scan_latest(conn: &Connection, q: &ScanQuery) -> Result<Vec<StoredObject>> {
    let mut args = vec![Sql::Integer(q.after_row)];
    let mut sql =
        String::from("SELECT row, id, version, type, body_text(json) FROM objects WHERE row > ?");
    if let [one] = q.types.as_slice() {
        // One type: the (latest, type, row) index yields its rows already in
        // row order, so a rare type (incidents, notes) costs its own rows,
        // not a pass over the whole table.
        sql.push_str(" AND latest = 1 AND type = ?");
        args.push(Sql::Text(one.clone()));
    } else {
        sql.push_str(" AND +latest = 1");
        if !q.types.is_empty() {
            // Several types: walk the table in row order (one pass over all
            // pages) rather than an index that would need a sort on every
            // page.
            sql.push_str(&in_list("+type", &q.types, &mut args));
        }
    }
    if let Some(since) = q.since_us {
        sql.push_str(" AND version_us >= ?");
        args.push(Sql::Integer(since));
    }
    if let Some(max) = q.max_tlp {
        sql.push_str(" AND tlp IS NOT NULL AND tlp <= ?");
        args.push(Sql::Integer(max as i64));
    }
    if !q.include_revoked {
        sql.push_str(" AND revoked = 0");
    }
    sql.push_str(" ORDER BY row LIMIT ?");
    args.push(Sql::Integer(
        i64::try_from(q.limit.max(1)).unwrap_or(i64::MAX),
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| stored(r, false))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn pairs(conn: &Connection, sql: &str) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn stats(conn: &Connection) -> Result<Stats> {
    let count =
        |sql: &str| -> Result<u64> { Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
    let by_tlp_raw: Vec<(Option<i64>, i64)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT tlp, count(*) FROM objects WHERE latest = 1 GROUP BY tlp ORDER BY tlp",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let by_tlp = by_tlp_raw
        .into_iter()
        .map(|(t, n)| {
            let name = t
                .and_then(|t| Tlp::ALL.get(usize::try_from(t).ok()?).copied())
                .map_or("none", |t| t.word());
            (name.to_string(), n as u64)
        })
        .collect();
    Ok(Stats {
        objects: count("SELECT count(*) FROM objects WHERE latest = 1")?,
        versions: count("SELECT count(*) FROM objects")?,
        by_type: pairs(
            conn,
            "SELECT type, count(*) FROM objects WHERE latest = 1 GROUP BY type ORDER BY count(*) DESC, type",
        )?,
        by_tlp,
        collections: pairs(
            conn,
            "SELECT c.title, (SELECT count(*) FROM entries e WHERE e.collection = c.row) FROM collections c ORDER BY c.row",
        )?,
    })
}

/// A collection's row and the latest `date_added` it handed out (0 before
/// its first entry).
pub(super) fn collection_row(conn: &Connection, collection: &str) -> Result<(i64, i64)> {
    conn.query_row(
        "SELECT row, last_added_us FROM collections WHERE id = ?1",
        [collection],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownCollection(collection.to_string()))
}

pub(super) fn last_added(conn: &Connection, collection: &str) -> Result<Option<i64>> {
    let (_, last) = collection_row(conn, collection)?;
    Ok((last != 0).then_some(last))
}

pub(super) fn collections(conn: &Connection) -> Result<Vec<Collection>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, title, description, public FROM collections ORDER BY row")?;
    let rows = stmt.query_map([], |r| {
        Ok(Collection {
            id: r.get(0)?,
            title: r.get(1)?,
            description: r.get(2)?,
            public: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
