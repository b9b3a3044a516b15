//! The dashboard: intel added recently, by type and by TLP, counted only
//! over the collections the user may read. A user who may read nothing
//! gets no numbers at all. No store-wide totals: counting every object by
//! TLP reads the whole table (0.6 s at 1.2M objects); `concord stats` has
//! them.
//!
//! "Recently" is the last 7 days of `date_added`, read with the same
//! keyset query as TAXII paging and capped per collection, so the page
//! costs the same at 1M objects as at 1,000; when the cap is reached the
//! counts say "at least".

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use concord_store::{ListQuery, Store, VersionSel};

use crate::ConsoleError;
use crate::i18n::{Arg, Lang};
use crate::shell::{MaybeViewer, Shared, Viewer, failure, no_access, render};
use crate::summary::{Summary, tlp_class};

/// Days the dashboard looks back.
pub(crate) const WINDOW_DAYS: i64 = 7;
/// Entries read per collection at most.
pub(crate) const CAP_PER_COLLECTION: usize = 5_000;

struct Row {
    key: String,
    label: String,
    count: String,
    href: String,
    class: &'static str,
}

struct CollRow {
    title: String,
    count: String,
    href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    l: Lang,
    intro: String,
    by_type: Vec<Row>,
    by_tlp: Vec<Row>,
    by_collection: Vec<CollRow>,
    total_recent: String,
    capped: bool,
    /// Cards that modules added (see `crate::panel`), already HTML.
    panels: Vec<String>,
}

pub(crate) async fn get(State(st): State<Shared>, MaybeViewer(ctx, v): MaybeViewer) -> Response {
    let Some(v) = v else {
        return super::login::login_page(&st, &ctx, "/", super::login::Notice::None);
    };
    match dashboard(&st, &v).await {
        Ok(r) => r,
        Err(e) => failure(&v.ctx, &e),
    }
}

async fn dashboard(st: &Shared, v: &Viewer) -> Result<Response, ConsoleError> {
    if !v.rights.reads_anything() {
        return Ok(no_access(st, v, "dashboard"));
    }
    let l = v.lang();
    let now = concord_stix::Timestamp::now().0;
    let since = now - WINDOW_DAYS * 86_400 * 1_000_000;
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_tlp: BTreeMap<Option<concord_stix::tlp::Tlp>, u64> = BTreeMap::new();
    let mut by_collection = Vec::new();
    let mut capped = false;
    let mut total = 0u64;
    let collections = if v.rights.admin {
        v.rights.all_collections().to_vec()
    } else {
        v.rights.readable.clone()
    };
    for c in &collections {
        let page = st
            .store
            .list(ListQuery {
                collection: c.id.clone(),
                added_after_us: Some(since),
                limit: CAP_PER_COLLECTION,
                ids: Vec::new(),
                types: Vec::new(),
                spec_versions: Vec::new(),
                versions: VersionSel::Last,
            })
            .await?;
        capped |= page.more;
        let objects = v.rights.shown(&st.store, &c.id, page.objects).await?;
        let n = objects.len() as u64;
        total += n;
        for o in &objects {
            let s = Summary::of(o);
            *by_type.entry(s.object_type).or_default() += 1;
            *by_tlp.entry(s.tlp).or_default() += 1;
        }
        by_collection.push(CollRow {
            title: c.title.clone(),
            count: l.num(n),
            href: format!("/intel?collection={}", urlencode(&c.id)),
        });
    }
    let mut types: Vec<(String, u64)> = by_type.into_iter().collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut panels = Vec::new();
    for p in &st.panels {
        if let Some(html) = p.render(st, v).await? {
            panels.push(html);
        }
    }
    let page = Dashboard {
        l,
        intro: l.t_args(
            "dashboard-intro",
            &[
                ("days", Arg::Count(WINDOW_DAYS as u64)),
                ("n", Arg::Text(&l.num(WINDOW_DAYS as u64))),
            ],
        ),
        by_type: types
            .into_iter()
            .map(|(t, n)| Row {
                href: format!("/intel?type={}", urlencode(&t)),
                label: t.clone(),
                key: t,
                count: l.num(n),
                class: "",
            })
            .collect(),
        by_tlp: by_tlp
            .into_iter()
            .map(|(t, n)| Row {
                key: t.map_or("none", |t| t.word()).to_string(),
                label: t.map_or_else(|| l.t("tlp-none"), |t| t.name().to_string()),
                count: l.num(n),
                href: format!("/intel?tlp={}", urlencode(t.map_or("none", |t| t.word()))),
                class: tlp_class(t),
            })
            .collect(),
        by_collection,
        total_recent: l.num(total),
        capped,
        panels,
    };
    Ok(render(
        st,
        v,
        "dashboard",
        StatusCode::OK,
        &l.t("dashboard-title"),
        &page.render()?,
    ))
}

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
