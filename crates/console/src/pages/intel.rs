//! The intel list: browse one collection (or, for admins, everything) with
//! filters by type, TLP, date, label and author, or search the full text.
//!
//! Paging is by key, never by offset: a page of a collection continues
//! after the last `date_added` shown (the TAXII paging query), a page of
//! everything after the last storage row (`Store::scan_latest`). Filters
//! the store cannot apply (exact TLP, label, author) are applied to what it
//! returns, reading at most `SCAN_BUDGET` entries per page; a page may then
//! be short, and its "next" link goes on from where the reading stopped.
//! So each page costs a few index range reads whatever the store's size.
//!
//! Search is `Store::search` (best first, no paging: the top
//! `SEARCH_LIMIT` hits), then the user's rights and the filters.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_stix::tlp::Tlp;
use concord_store::{ListQuery, ScanQuery, Store, StoreError, StoredObject, VersionSel};
use serde::Deserialize;

use super::dashboard::urlencode;
use crate::ConsoleError;
use crate::i18n::{Arg, Lang};
use crate::shell::{Shared, Viewer, failure, no_access, render};
use crate::summary::Summary;

/// Rows on a page.
pub(crate) const PAGE_SIZE: usize = 50;
/// Entries read at most to fill one page.
pub(crate) const SCAN_BUDGET: usize = 2_000;
/// Entries read per store call.
const BATCH: usize = 250;
/// Search hits considered.
pub(crate) const SEARCH_LIMIT: usize = 500;

/// Types offered in the type filter (any other can be typed in the URL).
pub(crate) const TYPES: [&str; 19] = [
    "indicator",
    "malware",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "attack-pattern",
    "tool",
    "vulnerability",
    "report",
    "relationship",
    "sighting",
    "identity",
    "observed-data",
    "incident",
    "note",
    "ipv4-addr",
    "domain-name",
    "url",
    "file",
];

#[derive(Deserialize, Default, Clone)]
pub(crate) struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    object_type: String,
    #[serde(default)]
    tlp: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    label: String,
    /// The author's identity id (`created_by_ref`).
    #[serde(default)]
    author: String,
    #[serde(default)]
    collection: String,
    #[serde(default)]
    after: Option<i64>,
}

/// TLP filter: a level, or "none" for unmarked objects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TlpFilter {
    Any,
    None,
    Is(Tlp),
}

impl Filters {
    fn tlp(&self) -> TlpFilter {
        match self.tlp.trim() {
            "" => TlpFilter::Any,
            "none" => TlpFilter::None,
            t => Tlp::parse(t).map_or(TlpFilter::Any, TlpFilter::Is),
        }
    }

    fn since_us(&self) -> Option<i64> {
        crate::format::parse_date(&self.since)
    }

    fn keeps(&self, s: &Summary) -> bool {
        let tlp_ok = match self.tlp() {
            TlpFilter::Any => true,
            TlpFilter::None => s.tlp.is_none(),
            TlpFilter::Is(t) => s.tlp == Some(t),
        };
        let label = self.label.trim();
        let label_ok = label.is_empty() || s.labels.iter().any(|l| l.eq_ignore_ascii_case(label));
        let type_ok = self.object_type.is_empty() || s.object_type == self.object_type;
        let author = self.author.trim();
        let author_ok = author.is_empty() || s.author.as_deref() == Some(author);
        tlp_ok && label_ok && type_ok && author_ok
    }

    /// The query string of these filters with another cursor.
    fn href(&self, after: Option<i64>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("type", &self.object_type),
            ("tlp", &self.tlp),
            ("since", &self.since),
            ("label", &self.label),
            ("author", &self.author),
            ("collection", &self.collection),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if let Some(a) = after {
            q.append_pair("after", &a.to_string());
        }
        format!("/intel?{}", q.finish())
    }
}

pub(crate) struct ListRow {
    pub id: String,
    pub href: String,
    pub object_type: String,
    pub title: String,
    pub tlp_class: &'static str,
    pub tlp_name: &'static str,
    pub labels: String,
    pub modified: String,
    pub revoked: bool,
}

fn row(l: Lang, s: Summary) -> ListRow {
    ListRow {
        href: format!("/intel/{}", urlencode(&s.id)),
        tlp_class: s.tlp_class(),
        tlp_name: s.tlp_name(),
        labels: s.labels.join(", "),
        modified: l.stix_time(&s.version),
        revoked: s.revoked,
        object_type: s.object_type,
        title: s.title,
        id: s.id,
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "intel.html")]
struct IntelPage {
    l: Lang,
    f: Filters,
    collections: Vec<Choice>,
    types: Vec<Choice>,
    tlps: Vec<Choice>,
    rows: Vec<ListRow>,
    summary: String,
    notice: Option<String>,
    next: Option<String>,
    first: Option<String>,
    searching: bool,
}

pub(crate) async fn get(State(st): State<Shared>, v: Viewer, Query(f): Query<Filters>) -> Response {
    match list(&st, &v, f).await {
        Ok(r) => r,
        Err(e) => failure(&v.ctx, &e),
    }
}

/// Where the rows of a browse page come from.
enum Source {
    Everything,
    Collection(String),
}

async fn list(st: &Shared, v: &Viewer, mut f: Filters) -> Result<Response, ConsoleError> {
    if !v.rights.reads_anything() {
        return Ok(no_access(st, v, "intel"));
    }
    let l = v.lang();
    let source = if f.collection.is_empty() || f.collection == "all" {
        if v.rights.admin {
            f.collection = "all".into();
            Source::Everything
        } else {
            match v.rights.readable.first() {
                Some(c) => {
                    f.collection = c.id.clone();
                    Source::Collection(c.id.clone())
                }
                None => return Ok(no_access(st, v, "intel")),
            }
        }
    } else if v.rights.readable_collection(&f.collection).is_some() {
        Source::Collection(f.collection.clone())
    } else {
        return Ok(no_access(st, v, "intel"));
    };
    let mut notice = None;
    let mut rows = Vec::new();
    let mut next = None;
    let searching = !f.q.trim().is_empty();
    if searching {
        // Search spans every collection the user may read; the collection
        // choice is for browsing.
        match st.store.search(f.q.trim(), SEARCH_LIMIT).await {
            Ok(hits) => {
                let hits = v.rights.filter_visible(&st.store, hits).await?;
                let since = f.since_us();
                for o in hits {
                    let s = Summary::of(&o);
                    if !f.keeps(&s) || since.is_some_and(|t| version_us(&o) < t) {
                        continue;
                    }
                    rows.push(row(l, s));
                    if rows.len() == PAGE_SIZE * 2 {
                        break;
                    }
                }
            }
            Err(StoreError::InvalidQuery(_)) => notice = Some(l.t("search-too-short")),
            Err(e) => return Err(e.into()),
        }
    } else {
        let (found, cursor) = browse(st, &v.rights, &f, &source).await?;
        rows = found.into_iter().map(|s| row(l, s)).collect();
        next = cursor.map(|c| f.href(Some(c)));
    }
    let summary = l.t_args(
        "intel-shown",
        &[
            ("count", Arg::Count(rows.len() as u64)),
            ("n", Arg::Text(&l.num(rows.len() as u64))),
        ],
    );
    let mut collections = Vec::new();
    if v.rights.admin {
        collections.push(Choice {
            value: "all".into(),
            label: l.t("intel-all-collections"),
            selected: f.collection == "all",
        });
    }
    for c in &v.rights.readable {
        collections.push(Choice {
            value: c.id.clone(),
            label: c.title.clone(),
            selected: f.collection == c.id,
        });
    }
    let mut types = vec![Choice {
        value: String::new(),
        label: l.t("filter-any"),
        selected: f.object_type.is_empty(),
    }];
    let mut known = false;
    for t in TYPES {
        known |= t == f.object_type;
        types.push(Choice {
            value: t.into(),
            label: t.into(),
            selected: t == f.object_type,
        });
    }
    if !known && !f.object_type.is_empty() {
        types.push(Choice {
            value: f.object_type.clone(),
            label: f.object_type.clone(),
            selected: true,
        });
    }
    let mut tlps = vec![
        Choice {
            value: String::new(),
            label: l.t("filter-any"),
            selected: f.tlp().eq(&TlpFilter::Any),
        },
        Choice {
            value: "none".into(),
            label: l.t("tlp-none"),
            selected: f.tlp() == TlpFilter::None,
        },
    ];
    for t in Tlp::ALL {
        tlps.push(Choice {
            value: t.word().into(),
            label: t.name().into(),
            selected: f.tlp() == TlpFilter::Is(t),
        });
    }
    let first = f.after.map(|_| f.href(None));
    let page = IntelPage {
        l,
        f,
        collections,
        types,
        tlps,
        rows,
        summary,
        notice,
        next,
        first,
        searching,
    };
    Ok(render(
        st,
        v,
        "intel",
        StatusCode::OK,
        &l.t("intel-title"),
        &page.render()?,
    ))
}

fn version_us(o: &StoredObject) -> i64 {
    concord_stix::Timestamp::parse(&o.version)
        .map(|t| t.0)
        .unwrap_or(0)
}

/// One page of a browse: the rows and the cursor to continue from (if the
/// store may hold more).
async fn browse(
    st: &Shared,
    rights: &crate::Rights,
    f: &Filters,
    source: &Source,
) -> Result<(Vec<Summary>, Option<i64>), ConsoleError> {
    let types: Vec<String> = if f.object_type.is_empty() {
        Vec::new()
    } else {
        vec![f.object_type.clone()]
    };
    let since = f.since_us();
    let mut out = Vec::new();
    let mut cursor = f.after;
    let mut read = 0usize;
    loop {
        let (batch, more, last_read, listed) = match source {
            Source::Everything => {
                let max_tlp = match f.tlp() {
                    TlpFilter::Is(t) => Some(t),
                    _ => None,
                };
                let b = st
                    .store
                    .scan_latest(ScanQuery {
                        after_row: cursor.unwrap_or(0),
                        limit: BATCH,
                        types: types.clone(),
                        since_us: since,
                        max_tlp,
                        include_revoked: true,
                    })
                    .await?;
                let more = b.len() == BATCH;
                let last = b.last().map(|o| o.row);
                let listed = b.len();
                let keyed: Vec<(i64, StoredObject)> = b.into_iter().map(|o| (o.row, o)).collect();
                (keyed, more, last, listed)
            }
            Source::Collection(c) => {
                let after = match (cursor, since) {
                    (Some(a), Some(s)) => Some(a.max(s - 1)),
                    (a, s) => a.or(s.map(|s| s - 1)),
                };
                let page = st
                    .store
                    .list(ListQuery {
                        collection: c.clone(),
                        added_after_us: after,
                        limit: BATCH,
                        ids: Vec::new(),
                        types: types.clone(),
                        spec_versions: Vec::new(),
                        versions: VersionSel::Last,
                    })
                    .await?;
                // The last entry read moves the cursor even when the public's
                // share leaves it out.
                let last = page.objects.last().and_then(|o| o.date_added_us);
                let listed = page.objects.len();
                let shown = rights.shown(&st.store, c, page.objects).await?;
                let keyed: Vec<(i64, StoredObject)> = shown
                    .into_iter()
                    .map(|o| (o.date_added_us.unwrap_or(0), o))
                    .collect();
                (keyed, page.more, last, listed)
            }
        };
        read += listed;
        for (key, o) in batch {
            cursor = Some(key);
            let s = Summary::of(&o);
            if f.keeps(&s) {
                out.push(s);
                if out.len() == PAGE_SIZE {
                    return Ok((out, Some(key)));
                }
            }
        }
        if last_read.is_some() {
            cursor = last_read;
        }
        if !more {
            return Ok((out, None));
        }
        if read >= SCAN_BUDGET {
            return Ok((out, cursor));
        }
    }
}
