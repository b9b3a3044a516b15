//! Pull and push over TAXII 2.1 (FEDERATION.md section 5).
//!
//! Pull: the cursor is only ever the server's `X-TAXII-Date-Added-Last`,
//! stored in the same transaction as the objects of its page, so a pull
//! killed at any point resumes without loss or duplicates. A round starts
//! from the cursor minus a small overlap (foreign servers do not promise
//! unique `date_added` values; re-received versions are deduplicated on
//! (id, modified)); inside a round it follows `next`, or the header when
//! there is no `next`. Every received object goes through `read_object`.
//!
//! Push: local entries in `date_added` order, in envelopes, each waited on
//! until its status is complete; the push cursor (local `date_added`) moves
//! only after the peer acknowledged.

use std::time::Duration;

use concord_stix::Timestamp;
use concord_stix::ingest::{read_object, storable_json};
use concord_store::{ListQuery, PreparedObject, Store, SyncCursor, VersionSel};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::TaxiiError;
use crate::client::{Client, ObjectsQuery};
use crate::envelope;

#[derive(Debug, Clone)]
pub struct PullOptions {
    pub page: usize,
    /// How far before the stored cursor a new round starts.
    pub overlap: Duration,
    /// Pages per round at most (a bound against a server that loops).
    pub max_pages: usize,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            page: 1000,
            overlap: Duration::from_secs(1),
            max_pages: 1_000_000,
        }
    }
}

/// An object a peer sent that was not stored, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub id: String,
    pub version: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PullReport {
    pub pages: usize,
    pub received: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    /// The cursor after this round (the server's value).
    pub cursor: Option<String>,
}

/// The key under which a sync cursor is kept.
pub fn source_key(direction: &str, api_root: &str, collection: &str) -> String {
    format!("{direction} {api_root} {collection}")
}

fn check_page(objects: Vec<Box<RawValue>>) -> (Vec<PreparedObject>, Vec<Rejected>) {
    let mut ok = Vec::with_capacity(objects.len());
    let mut bad = Vec::new();
    for raw in objects {
        let bytes = raw.get().as_bytes();
        match read_object(bytes) {
            Ok(c) => {
                let text = storable_json(bytes, &c.object);
                ok.push(PreparedObject::new(&c.object, text));
            }
            Err(issues) => {
                let (id, version) = envelope::key_of(&raw);
                let reason = issues
                    .iter()
                    .map(|i| format!("{}: {} ({})", i.path, i.message, i.rule))
                    .collect::<Vec<_>>()
                    .join("; ");
                bad.push(Rejected {
                    id,
                    version,
                    reason,
                });
            }
        }
    }
    (ok, bad)
}

/// The later of two server timestamps (a cursor never moves back).
fn later(a: Option<String>, b: String) -> String {
    match a {
        Some(a) => match (Timestamp::parse(&a), Timestamp::parse(&b)) {
            (Ok(x), Ok(y)) if x > y => a,
            _ => b,
        },
        None => b,
    }
}

/// Pulls every version added to the remote collection since the stored
/// cursor into `local_collection`.
pub async fn pull<S: Store>(
    client: &Client,
    store: &S,
    api_root: &str,
    collection: &str,
    local_collection: &str,
    opts: &PullOptions,
) -> Result<PullReport, TaxiiError> {
    let source = source_key("pull", api_root, collection);
    let mut cursor = store.sync_cursor(&source).await?;
    let start = cursor.as_deref().map(|c| match Timestamp::parse(c) {
        Ok(t) => {
            let back = i64::try_from(opts.overlap.as_micros()).unwrap_or(0);
            Timestamp(t.0.saturating_sub(back)).to_taxii()
        }
        // Not a timestamp we can step back from: use it as it is.
        Err(_) => c.to_string(),
    });
    let mut q = ObjectsQuery {
        added_after: start,
        limit: Some(opts.page.max(1)),
        version: Some("all".into()),
        ..Default::default()
    };
    let mut report = PullReport::default();
    let mut previous: Option<(Option<String>, Option<String>)> = None;
    for _ in 0..opts.max_pages.max(1) {
        // Some servers (medallion) keep one `next` token for a whole
        // query, so only a repeated `added_after` without `next` means no
        // progress; `next` paging is bounded by `max_pages`.
        let position = (q.added_after.clone(), q.next.clone());
        if q.next.is_none() && previous.as_ref() == Some(&position) {
            return Err(TaxiiError::Stuck {
                url: api_root.to_string(),
                what: format!("the same page was asked for twice ({position:?})"),
            });
        }
        previous = Some(position);
        let page = client.get_objects(api_root, collection, &q).await?;
        report.pages += 1;
        report.received += page.objects.len();
        let last = match (&page.date_added_last, page.objects.is_empty()) {
            (Some(l), _) => Some(l.clone()),
            (None, true) => None,
            (None, false) => {
                return Err(TaxiiError::NoCursor {
                    url: api_root.to_string(),
                });
            }
        };
        if let Some(last) = &last {
            let objects = page.objects;
            let (ok, bad) = tokio::task::spawn_blocking(move || check_page(objects))
                .await
                .map_err(|e| TaxiiError::Io(std::io::Error::other(e.to_string())))?;
            report.rejected.extend(bad);
            let value = later(cursor.clone(), last.clone());
            let out = store
                .put_pulled(
                    local_collection,
                    ok,
                    SyncCursor {
                        source: source.clone(),
                        value: value.clone(),
                    },
                )
                .await?;
            report.stored += out.inserted;
            report.duplicates += out.duplicates;
            cursor = Some(value);
        }
        if !page.more {
            break;
        }
        match (page.next, last) {
            (Some(n), _) => q.next = Some(n),
            (None, Some(l)) => {
                q.next = None;
                q.added_after = Some(l);
            }
            (None, None) => {
                return Err(TaxiiError::Stuck {
                    url: api_root.to_string(),
                    what: "an empty page said there was more, without next".into(),
                });
            }
        }
    }
    report.cursor = cursor;
    Ok(report)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    pub envelopes: usize,
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub failures: Vec<Rejected>,
}

/// Pushes the local collection's entries added since the last push.
pub async fn push<S: Store>(
    client: &Client,
    store: &S,
    api_root: &str,
    collection: &str,
    local_collection: &str,
    envelope_size: usize,
) -> Result<PushReport, TaxiiError> {
    let source = source_key("push", api_root, collection);
    let mut after: Option<i64> = store
        .sync_cursor(&source)
        .await?
        .and_then(|c| c.parse().ok());
    let mut report = PushReport::default();
    loop {
        let page = store
            .list(ListQuery {
                collection: local_collection.to_string(),
                added_after_us: after,
                limit: envelope_size.max(1),
                ids: vec![],
                types: vec![],
                spec_versions: vec![],
                versions: VersionSel::All,
            })
            .await?;
        let Some(last) = page.objects.last().and_then(|o| o.date_added_us) else {
            break;
        };
        let body = envelope::write(false, None, page.objects.iter().map(|o| o.json.as_str()));
        let status = client
            .post_envelope(api_root, collection, body.as_bytes())
            .await?;
        let status = client.wait_complete(api_root, status, 600).await?;
        if status.status != "complete" {
            return Err(TaxiiError::Stuck {
                url: api_root.to_string(),
                what: format!("status {} is still {}", status.id, status.status),
            });
        }
        report.envelopes += 1;
        report.sent += page.objects.len() as u64;
        report.succeeded += status.success_count;
        report.failed += status.failure_count;
        report
            .failures
            .extend(status.failures.into_iter().map(|d| Rejected {
                id: d.id,
                version: d.version,
                reason: d.message.unwrap_or_default(),
            }));
        store
            .set_sync_cursor(SyncCursor {
                source: source.clone(),
                value: last.to_string(),
            })
            .await?;
        after = Some(last);
        if !page.more {
            break;
        }
    }
    Ok(report)
}
