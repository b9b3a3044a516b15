//! Every table of a store as portable rows: what backups, restores and
//! migrations read and write, the same for both backends.
//!
//! A dump is one consistent snapshot (SQLite: one read transaction on a
//! WAL database; PostgreSQL: one `REPEATABLE READ READ ONLY` transaction),
//! taken while the node keeps serving and writing. Rows carry what cannot
//! be derived, in backend-neutral terms: an object is its id, version and
//! JSON (the indexed columns are derived again on load), an entry names its
//! collection and object by id, never by row number; every `date_added`,
//! cursor, status, user, token hash and record keeps its value, so peers
//! paging through the restored node and tokens made before still work.
//! Search indexes are rebuilt, not copied.
//!
//! [`digests`] gives each table's row count and an order-independent
//! SHA-256 digest of its rows (the SHA-256 of the sum, modulo 2^256, of
//! each row's SHA-256): a copy is verified by comparing the digests of both
//! sides, whatever order each backend reads its rows in.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::{AnyStore, Result, StoreError};

/// A table of the portable dump, in the order a dump writes them (what a
/// row refers to comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// TAXII collections: id, title, description, public, last_added_us.
    Collections,
    /// Object versions: id, version, json.
    Objects,
    /// Collection entries: collection id, date_added_us, object id, version.
    Entries,
    /// Users: name, password_hash, admin.
    Users,
    /// Rights: user, collection, read, write.
    Grants,
    /// API tokens: hash, user, created_us.
    Tokens,
    /// POST statuses: id, collection, owner, created_us, json.
    Statuses,
    /// Sync cursors: source, value, updated_us.
    SyncCursors,
    /// Records of every kind (peers, quarantine, alerts, feeds, ...): kind,
    /// key, value, updated_us.
    Records,
    /// The node's transparency log, its tiles: level (-1 for entry
    /// bundles), index, data (hex). A restored node goes on with the same
    /// log: starting it again would sign a second history, which every
    /// witness keeps as evidence against this member.
    LogTiles,
    /// The keys of the log's governance entries: leaf, key.
    LogEntries,
    /// Each logged object version's place in its log: object id, version,
    /// leaf index, nonce (hex).
    LogMarks,
    /// The log's size: one row.
    LogSize,
}

impl Table {
    /// Every table, in dump order.
    pub const ALL: [Table; 13] = [
        Table::Collections,
        Table::Objects,
        Table::Entries,
        Table::Users,
        Table::Grants,
        Table::Tokens,
        Table::Statuses,
        Table::SyncCursors,
        Table::Records,
        Table::LogTiles,
        Table::LogEntries,
        Table::LogMarks,
        Table::LogSize,
    ];

    /// The table's name in dumps and reports.
    pub fn name(self) -> &'static str {
        match self {
            Table::Collections => "collections",
            Table::Objects => "objects",
            Table::Entries => "entries",
            Table::Users => "users",
            Table::Grants => "grants",
            Table::Tokens => "tokens",
            Table::Statuses => "statuses",
            Table::SyncCursors => "sync_cursors",
            Table::Records => "records",
            Table::LogTiles => "log_tiles",
            Table::LogEntries => "log_entries",
            Table::LogMarks => "log_marks",
            Table::LogSize => "log_size",
        }
    }

    /// The table called `name`.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// How many values a row of the table has.
    pub fn width(self) -> usize {
        match self {
            Table::Collections | Table::Statuses => 5,
            Table::Objects
            | Table::Users
            | Table::Tokens
            | Table::SyncCursors
            | Table::LogTiles => 3,
            Table::Entries | Table::Grants | Table::Records | Table::LogMarks => 4,
            Table::LogEntries => 2,
            Table::LogSize => 1,
        }
    }
}

/// One row of a dump: JSON strings, integers, booleans and nulls, in the
/// column order [`Table`] documents.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpRow {
    /// Its table.
    pub table: Table,
    /// Its values.
    pub values: Vec<Value>,
}

impl DumpRow {
    /// The SHA-256 of the row's values as compact JSON.
    pub fn digest(&self) -> [u8; 32] {
        let text = serde_json::to_string(&self.values).unwrap_or_default();
        Sha256::digest(text.as_bytes()).into()
    }

    /// Value `i` as text (a loader's view; wrong shapes are corrupt rows).
    pub(crate) fn text(&self, i: usize) -> Result<&str> {
        self.values
            .get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| self.bad(i, "text"))
    }

    /// Value `i` as text or null.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        match self.values.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            _ => Err(self.bad(i, "text or null")),
        }
    }

    /// Value `i` as an integer.
    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        self.values
            .get(i)
            .and_then(Value::as_i64)
            .ok_or_else(|| self.bad(i, "an integer"))
    }

    /// Value `i` as bytes written in hex (either case).
    pub(crate) fn hex(&self, i: usize) -> Result<Vec<u8>> {
        let t = self.text(i)?;
        let b = t.as_bytes();
        if b.len() % 2 != 0 {
            return Err(self.bad(i, "hex"));
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        b.chunks(2)
            .map(|p| match (digit(p[0]), digit(p[1])) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err(self.bad(i, "hex")),
            })
            .collect()
    }

    /// Value `i` as a boolean.
    pub(crate) fn flag(&self, i: usize) -> Result<bool> {
        self.values
            .get(i)
            .and_then(Value::as_bool)
            .ok_or_else(|| self.bad(i, "a boolean"))
    }

    fn bad(&self, i: usize, what: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "a {} row's value {i} is not {what}: {}",
            self.table.name(),
            serde_json::to_string(&self.values).unwrap_or_default()
        ))
    }
}

/// A table's row count and digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableDigest {
    /// Rows.
    pub rows: u64,
    /// SHA-256 (hex) of the sum of the rows' SHA-256 values.
    pub sha256: String,
}

/// Adds up row digests (order-independent) table by table.
#[derive(Debug, Clone, Default)]
pub struct DigestSum {
    sums: BTreeMap<Table, ([u8; 32], u64)>,
}

impl DigestSum {
    /// Counts one row.
    pub fn add(&mut self, row: &DumpRow) {
        let d = row.digest();
        let (sum, n) = self.sums.entry(row.table).or_insert(([0; 32], 0));
        // 256-bit little-endian addition, carry dropped at the top.
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let s = u16::from(sum[i]) + u16::from(d[i]) + carry;
            sum[i] = (s & 0xff) as u8;
            carry = s >> 8;
        }
        *n += 1;
    }

    /// Every table's count and digest (tables with no rows included).
    pub fn finish(&self) -> BTreeMap<String, TableDigest> {
        Table::ALL
            .iter()
            .map(|t| {
                let (sum, rows) = self.sums.get(t).copied().unwrap_or(([0; 32], 0));
                let sha = Sha256::digest(sum);
                (
                    t.name().to_string(),
                    TableDigest {
                        rows,
                        sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
                    },
                )
            })
            .collect()
    }
}

/// How many rows a load wrote, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Rows written, by table name.
    pub rows: BTreeMap<String, u64>,
}

impl AnyStore {
    /// Sends every row of every table, from one consistent snapshot, in
    /// [`Table::ALL`] order. Ends when every row is sent or the receiver is
    /// gone.
    pub async fn dump(&self, out: mpsc::Sender<DumpRow>) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.dump(out).await,
            AnyStore::Postgres(s) => s.dump(out).await,
        }
    }

    /// Writes dumped rows into this store, which must hold no objects,
    /// users, tokens, statuses, cursors or records (collections are taken
    /// over when their id exists, as `init` makes one). Rows must come in
    /// [`Table::ALL`] order, as [`AnyStore::dump`] sends them. A failed load
    /// leaves a partial copy: load into a fresh store, and start again.
    pub async fn load(&self, rows: mpsc::Receiver<DumpRow>) -> Result<LoadReport> {
        match self {
            AnyStore::Sqlite(s) => s.load(rows).await,
            AnyStore::Postgres(s) => s.load(rows).await,
        }
    }

    /// Each table's row count and digest, from one snapshot.
    pub async fn digests(&self) -> Result<BTreeMap<String, TableDigest>> {
        let (tx, mut rx) = mpsc::channel(1024);
        let sum = async {
            let mut sum = DigestSum::default();
            while let Some(row) = rx.recv().await {
                sum.add(&row);
            }
            sum
        };
        let (dumped, sum) = tokio::join!(self.dump(tx), sum);
        dumped?;
        Ok(sum.finish())
    }
}

/// Refuses to load into a store that holds data of its own.
pub(crate) fn ensure_empty(counts: &[(&str, i64)]) -> Result<()> {
    let held: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    if held.is_empty() {
        Ok(())
    } else {
        Err(StoreError::InvalidQuery(format!(
            "the target store is not empty (it holds {}): load into a fresh one",
            held.join(", ")
        )))
    }
}

/// The prepared object of a dumped `objects` row.
pub(crate) fn prepared(row: &DumpRow) -> Result<crate::PreparedObject> {
    let json = row.text(2)?;
    let map = concord_stix::json::parse_object(json.as_bytes()).map_err(|e| {
        StoreError::Corrupt(format!(
            "dumped object {} {} does not parse: {e}",
            row.text(0).unwrap_or("?"),
            row.text(1).unwrap_or("?")
        ))
    })?;
    let p = crate::PreparedObject::new(&concord_stix::StixObject::from_map(map), json.to_string());
    if p.id != row.text(0)? || p.version != row.text(1)? {
        return Err(StoreError::Corrupt(format!(
            "dumped object {} {} holds {} {}",
            row.text(0)?,
            row.text(1)?,
            p.id,
            p.version
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_digest_does_not_depend_on_row_order() {
        let rows: Vec<DumpRow> = (0..5)
            .map(|i| DumpRow {
                table: Table::Records,
                values: vec![json!("peer"), json!(format!("k{i}")), json!("{}"), json!(i)],
            })
            .collect();
        let mut a = DigestSum::default();
        let mut b = DigestSum::default();
        for r in &rows {
            a.add(r);
        }
        for r in rows.iter().rev() {
            b.add(r);
        }
        assert_eq!(a.finish(), b.finish());
        assert_eq!(a.finish()["records"].rows, 5);
        let mut c = DigestSum::default();
        for r in rows.iter().skip(1) {
            c.add(r);
        }
        assert_ne!(a.finish()["records"], c.finish()["records"]);
        assert_eq!(a.finish()["users"].rows, 0);
    }
}
