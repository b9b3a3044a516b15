//! Reads from PostgreSQL. Each query is one statement (one snapshot).

use concord_stix::tlp::Tlp;
use deadpool_postgres::Client;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{
    Collection, ListQuery, Page, Result, ScanQuery, Stats, StoreError, StoredObject, VersionSel,
};

pub(super) fn stored(r: &Row, with_date: bool) -> StoredObject {
    StoredObject {
        row: r.get(0),
        id: r.get(1),
        version: r.get(2),
        object_type: r.get(3),
        json: r.get(4),
        date_added_us: if with_date { r.get(5) } else { None },
        log: None,
    }
}

/// Positional parameters built up with the SQL text.
#[derive(Default)]
pub(super) struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    pub(super) fn push(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }
    pub(super) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

pub(super) async fn versions(
    c: &Client,
    id: &str,
    which: &VersionSel,
) -> Result<Vec<StoredObject>> {
    let rows = c
        .query(
            "SELECT row, id, version, type, json FROM objects WHERE id = $1 ORDER BY version_us, version",
            &[&id],
        )
        .await?;
    let all: Vec<StoredObject> = rows.iter().map(|r| stored(r, false)).collect();
    Ok(which.select(all))
}

/// The oldest version of each of `ids` that is held.
pub(crate) async fn first_versions(c: &Client, ids: &[String]) -> Result<Vec<StoredObject>> {
    let rows = c
        .query(
            "SELECT DISTINCT ON (id) row, id, version, type, json FROM objects WHERE id = ANY($1) ORDER BY id, version_us, version",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|r| stored(r, false)).collect())
}

/// The SQL condition for a version selection over `o` filed as entry `e`.
pub(super) fn version_condition(sel: &VersionSel, p: &mut Params) -> String {
    match sel {
        VersionSel::All => "true".to_string(),
        VersionSel::Last => extreme_in_collection(true),
        VersionSel::First => extreme_in_collection(false),
        VersionSel::At(list) => format!("o.version = ANY({})", p.push(list.clone())),
        VersionSel::Union(parts) => {
            let each: Vec<String> = parts.iter().map(|s| version_condition(s, p)).collect();
            format!("({})", each.join(" OR "))
        }
    }
}

fn extreme_in_collection(newest: bool) -> String {
    let cmp = if newest { ">" } else { "<" };
    // The id's other versions first (a few rows, by the (id, version)
    // index), then whether each is filed here (by the (object, collection)
    // index). `OFFSET 0` keeps the planner from turning this around into a
    // walk over the collection's entries for every row.
    format!(
        "NOT EXISTS (SELECT 1 FROM (SELECT o2.row FROM objects o2
            WHERE o2.id = o.id AND (o2.version_us, o2.version) {cmp} (o.version_us, o.version) OFFSET 0) v
            WHERE EXISTS (SELECT 1 FROM entries e2 WHERE e2.object = v.row AND e2.collection = e.collection))"
    )
}

/// Paging reads walk indexes in key order and stop at the page's end. The
/// planner picks that only when its statistics are current; right after a
/// bulk load they are not, and it would scan and sort whole tables (one
/// page took 90 s at 100k objects). Within the reading transaction, full
/// scans, hash and merge joins and sorts are priced out.
/// JIT is off too: those prices would make it compile every page.
const INDEX_WALK: &str = "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; \
     SET LOCAL enable_mergejoin = off; SET LOCAL enable_sort = off; SET LOCAL jit = off";

pub(super) async fn list(c: &mut Client, q: &ListQuery) -> Result<Page> {
    if q.limit == 0 {
        return Err(StoreError::InvalidQuery("limit must be at least 1".into()));
    }
    let coll: i64 = c
        .query_opt(
            "SELECT row FROM collections WHERE id = $1",
            &[&q.collection],
        )
        .await?
        .ok_or_else(|| StoreError::UnknownCollection(q.collection.clone()))?
        .get(0);
    // Entries are read in date_added order through the primary key, and
    // the version selection is computed per row as a column, not a filter:
    // as a filter it makes the planner hash-join and sort the whole
    // collection for every page. Rows it drops are made up for by reading on.
    let tx = c.transaction().await?;
    tx.batch_execute(INDEX_WALK).await?;
    let want = q.limit + 1;
    let mut objects: Vec<StoredObject> = Vec::with_capacity(want.min(10_000));
    let mut after = q.added_after_us.unwrap_or(i64::MIN);
    loop {
        let mut p = Params::default();
        let coll_p = p.push(coll);
        let after_p = p.push(after);
        let keep = if q.versions == VersionSel::All {
            "true".to_string()
        } else {
            version_condition(&q.versions, &mut p)
        };
        let mut sql = format!(
            "SELECT o.row, o.id, o.version, o.type, o.json, e.date_added_us, {keep},
                    o.log_leaf, o.log_nonce
             FROM entries e JOIN objects o ON o.row = e.object
             WHERE e.collection = {coll_p} AND e.date_added_us > {after_p}"
        );
        if !q.ids.is_empty() {
            sql.push_str(&format!(" AND o.id = ANY({})", p.push(q.ids.clone())));
        }
        if !q.types.is_empty() {
            sql.push_str(&format!(" AND o.type = ANY({})", p.push(q.types.clone())));
        }
        if !q.spec_versions.is_empty() {
            sql.push_str(&format!(
                " AND coalesce(o.spec_version, '2.1') = ANY({})",
                p.push(q.spec_versions.clone())
            ));
        }
        let chunk = (want - objects.len()).max(256);
        let chunk_p = p.push(i64::try_from(chunk).unwrap_or(i64::MAX));
        sql.push_str(&format!(" ORDER BY e.date_added_us LIMIT {chunk_p}"));
        let rows = tx.query(&sql, &p.refs()).await?;
        let read = rows.len();
        for r in &rows {
            after = r.get(5);
            if r.get::<_, bool>(6) {
                let mut o = stored(r, true);
                let leaf: Option<i64> = r.get(7);
                let nonce: Option<&[u8]> = r.get(8);
                if let (Some(leaf), Some(nonce)) = (leaf, nonce)
                    && let (Ok(leaf), Ok(nonce)) =
                        (u64::try_from(leaf), <[u8; 32]>::try_from(nonce))
                {
                    o.log = Some((leaf, nonce));
                }
                objects.push(o);
                if objects.len() == want {
                    break;
                }
            }
        }
        if objects.len() == want || read < chunk {
            break;
        }
    }
    tx.commit().await?;
    let more = objects.len() > q.limit;
    objects.truncate(q.limit);
    Ok(Page { objects, more })
}

pub(super) async fn scan_latest(c: &mut Client, q: &ScanQuery) -> Result<Vec<StoredObject>> {
    let mut p = Params::default();
    let after = p.push(q.after_row);
    // Walk objects in row order and keep the heads: one pass over the
    // table across all pages, and no second index on heads to maintain.
    let mut sql = format!(
        "SELECT o.row, o.id, o.version, o.type, o.json FROM objects o JOIN heads h ON h.id = o.id AND h.row = o.row
         WHERE o.row > {after}"
    );
    if !q.types.is_empty() {
        sql.push_str(&format!(" AND h.type = ANY({})", p.push(q.types.clone())));
    }
    if let Some(since) = q.since_us {
        sql.push_str(&format!(" AND h.version_us >= {}", p.push(since)));
    }
    if let Some(max) = q.max_tlp {
        sql.push_str(&format!(
            " AND h.tlp IS NOT NULL AND h.tlp <= {}",
            p.push(max as i16)
        ));
    }
    if !q.include_revoked {
        sql.push_str(" AND NOT h.revoked");
    }
    let limit = i64::try_from(q.limit.max(1)).unwrap_or(i64::MAX);
    sql.push_str(&format!(" ORDER BY o.row LIMIT {}", p.push(limit)));
    let tx = c.transaction().await?;
    tx.batch_execute(INDEX_WALK).await?;
    let rows = tx.query(&sql, &p.refs()).await?;
    tx.commit().await?;
    Ok(rows.iter().map(|r| stored(r, false)).collect())
}

async fn pairs(c: &Client, sql: &str) -> Result<Vec<(String, u64)>> {
    let rows = c.query(sql, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect())
}

pub(super) async fn stats(c: &Client) -> Result<Stats> {
    let one = |sql: &'static str| async move {
        Ok::<u64, StoreError>(c.query_one(sql, &[]).await?.get::<_, i64>(0) as u64)
    };
    let by_tlp = c
        .query(
            "SELECT tlp, count(*) FROM heads GROUP BY tlp ORDER BY tlp NULLS FIRST",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let t: Option<i16> = r.get(0);
            let name = t
                .and_then(|t| Tlp::ALL.get(usize::try_from(t).ok()?).copied())
                .map_or("none", |t| t.word());
            (name.to_string(), r.get::<_, i64>(1) as u64)
        })
        .collect();
    Ok(Stats {
        objects: one("SELECT count(*) FROM heads").await?,
        versions: one("SELECT count(*) FROM objects").await?,
        by_type: pairs(
            c,
            "SELECT type, count(*) FROM heads GROUP BY type ORDER BY count(*) DESC, type",
        )
        .await?,
        by_tlp,
        collections: pairs(
            c,
            "SELECT c.title, (SELECT count(*) FROM entries e WHERE e.collection = c.row) FROM collections c ORDER BY c.row",
        )
        .await?,
    })
}

pub(super) async fn last_added(c: &Client, collection: &str) -> Result<Option<i64>> {
    let row = c
        .query_opt(
            "SELECT last_added_us FROM collections WHERE id = $1",
            &[&collection],
        )
        .await?
        .ok_or_else(|| StoreError::UnknownCollection(collection.to_string()))?;
    let us: i64 = row.get(0);
    Ok((us != 0).then_some(us))
}

pub(super) async fn collections(c: &Client) -> Result<Vec<Collection>> {
    let rows = c
        .query(
            "SELECT id, title, description, public FROM collections ORDER BY row",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Collection {
            id: r.get(0),
            title: r.get(1),
            description: r.get(2),
            public: r.get(3),
        })
        .collect())
}
