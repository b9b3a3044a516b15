//! What exports remember between runs, as store records: the Suricata sid
//! table and the serial of each published zone.

use concord_exports::SidTable;
use concord_exports::serial::{serial_after, serial_from_time};
use concord_stix::Timestamp;
use concord_store::{Record, Store};
use serde::{Deserialize, Serialize};

use crate::PublishError;

/// The record kind of the Suricata sid table (one record, key
/// [`SID_KEY`]): every export of every view allocates from it, so a sid is
/// never handed to two indicators.
pub const SID_RECORDS: &str = "export-sids";
const SID_KEY: &str = "suricata";

/// The record kind of the RPZ serials: one record per view and query.
pub const SERIAL_RECORDS: &str = "export-rpz-serial";

/// The sid table and the `updated_us` of its record (`None`: none yet).
pub(crate) async fn sid_table<S: Store>(
    store: &S,
) -> Result<(SidTable, Option<i64>), PublishError> {
    match store.record(SID_RECORDS, SID_KEY).await? {
        None => Ok((SidTable::new(), None)),
        Some(r) => {
            let table = serde_json::from_str(&r.value).map_err(|e| PublishError::Record {
                kind: SID_RECORDS,
                key: SID_KEY.into(),
                reason: e.to_string(),
            })?;
            Ok((table, Some(r.updated_us)))
        }
    }
}

/// Stores `table` if the record is still the one read at `read_at`; false
/// when another export wrote it meanwhile (the caller exports again from
/// the newer table, so no sid is handed out twice).
pub(crate) async fn save_sid_table<S: Store>(
    store: &S,
    table: &SidTable,
    read_at: Option<i64>,
) -> Result<bool, PublishError> {
    let now = store
        .record(SID_RECORDS, SID_KEY)
        .await?
        .map(|r| r.updated_us);
    if now != read_at {
        return Ok(false);
    }
    let value = serde_json::to_string(table).map_err(|e| PublishError::Record {
        kind: SID_RECORDS,
        key: SID_KEY.into(),
        reason: e.to_string(),
    })?;
    store
        .put_records(vec![Record::new(SID_RECORDS, SID_KEY, value)])
        .await?;
    Ok(true)
}

/// The last published zone of one view.
#[derive(Debug, Serialize, Deserialize)]
struct Published {
    /// Its serial.
    serial: u32,
    /// The SHA-256 of the zone written with serial 0.
    digest: String,
    /// For people reading the records: the zone, view and query.
    zone: String,
    scope: String,
    query: String,
}

/// The serial of the zone whose content (written with serial 0) has
/// `digest`, for the view `key`: the last one published when the content
/// is the same, else a greater one (the time in seconds when that is
/// greater, RFC 1982), which is then recorded.
pub(crate) async fn zone_serial<S: Store>(
    store: &S,
    key: &str,
    digest: &str,
    names: (&str, &str, &str),
    now: Timestamp,
) -> Result<u32, PublishError> {
    let last: Option<Published> = match store.record(SERIAL_RECORDS, key).await? {
        None => None,
        Some(r) => Some(
            serde_json::from_str(&r.value).map_err(|e| PublishError::Record {
                kind: SERIAL_RECORDS,
                key: key.into(),
                reason: e.to_string(),
            })?,
        ),
    };
    let candidate = serial_from_time(now);
    let serial = match &last {
        Some(p) if p.digest == digest => return Ok(p.serial),
        Some(p) => serial_after(p.serial, candidate),
        None => candidate,
    };
    let (zone, scope, query) = names;
    let record = Published {
        serial,
        digest: digest.to_string(),
        zone: zone.to_string(),
        scope: scope.to_string(),
        query: query.to_string(),
    };
    let value = serde_json::to_string(&record).map_err(|e| PublishError::Record {
        kind: SERIAL_RECORDS,
        key: key.into(),
        reason: e.to_string(),
    })?;
    store
        .put_records(vec![Record::new(SERIAL_RECORDS, key, value)])
        .await?;
    Ok(serial)
}
