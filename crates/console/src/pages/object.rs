//! One object: every property of the chosen version, all its versions with
//! a diff between two, its markings, its provenance signature, and its
//! relationships as a graph. Only versions the user may see exist here; an
//! object the user may not see is "not found", like any unknown id.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_store::StoredObject;
use concord_trust::TrustError;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::dashboard::urlencode;
use crate::ConsoleError;
use crate::diff::{Change, diff};
use crate::graph::{Neighbour, svg};
use crate::i18n::{Arg, Lang};
use crate::shell::{Shared, Viewer, failure, no_access, not_found, render};
use crate::summary::{Summary, tlp_class};

/// Neighbours drawn at most.
pub(crate) const GRAPH_MAX: usize = 40;
/// Rows of the reference index read per page view at most.
const REFS_BUDGET: usize = 200_000;

#[derive(Deserialize, Default)]
pub(crate) struct ObjectQuery {
    #[serde(default)]
    v: Option<String>,
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: Option<String>,
}

struct Prop {
    key: String,
    /// Plain text, or a link to another object.
    text: String,
    link: Option<String>,
    /// Pretty JSON for arrays and objects.
    block: Option<String>,
    /// The localized form of a timestamp.
    local: Option<String>,
}

struct VersionRow {
    version: String,
    local: String,
    href: String,
    current: bool,
}

struct DiffRow {
    key: String,
    kind: String,
    before: String,
    after: String,
}

struct EdgeRow {
    kind: String,
    href: String,
    title: String,
    object_type: String,
    outgoing: bool,
}

#[derive(Template)]
#[template(path = "object.html")]
struct ObjectPage {
    l: Lang,
    id: String,
    object_type: String,
    tlp_class: &'static str,
    tlp_name: String,
    revoked: bool,
    props: Vec<Prop>,
    versions: Vec<VersionRow>,
    version_count: String,
    a: String,
    b: String,
    diff: Option<Vec<DiffRow>>,
    markings: Vec<Prop>,
    provenance_class: &'static str,
    provenance: String,
    graph: String,
    edges: Vec<EdgeRow>,
    edges_note: Option<String>,
}

pub(crate) async fn get(
    State(st): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ObjectQuery>,
) -> Response {
    match object(&st, &v, &id, q).await {
        Ok(r) => r,
        Err(e) => failure(&v.ctx, &e),
    }
}

fn is_ref(key: &str, s: &str) -> bool {
    (key.ends_with("_ref") || key.ends_with("_refs"))
        && s.split_once("--")
            .is_some_and(|(t, u)| !t.is_empty() && u.len() == 36)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => crate::summary::truncate(&other.to_string(), 2_000),
    }
}

fn prop(l: Lang, key: &str, v: &Value) -> Prop {
    match v {
        Value::String(s) => Prop {
            key: key.to_string(),
            link: is_ref(key, s).then(|| format!("/intel/{}", urlencode(s))),
            local: concord_stix::Timestamp::parse(s).ok().map(|t| l.when(t.0)),
            text: s.clone(),
            block: None,
        },
        Value::Array(_) | Value::Object(_) => Prop {
            key: key.to_string(),
            text: String::new(),
            link: None,
            block: Some(pretty(v)),
            local: None,
        },
        other => Prop {
            key: key.to_string(),
            text: other.to_string(),
            link: None,
            block: None,
            local: None,
        },
    }
}

fn parse(o: &StoredObject) -> Map<String, Value> {
    serde_json::from_str(&o.json).unwrap_or_default()
}

/// What the provenance extension says, checked: (CSS class, sentence).
/// `signer_name` is the signer identity's name, when the user may see it.
fn provenance(
    l: Lang,
    checked: &Result<concord_trust::ProvenanceClaim, TrustError>,
    signer_name: Option<&str>,
) -> (&'static str, String) {
    match checked {
        Ok(claim) => {
            let who = match signer_name {
                Some(n) => format!("{n} ({})", claim.signer),
                None => claim.signer.clone(),
            };
            (
                "prov-ok",
                l.t_args(
                    "provenance-valid",
                    &[
                        ("signer", Arg::Text(&who)),
                        ("key", Arg::Text(&claim.key.key_id().to_string())),
                    ],
                ),
            )
        }
        Err(TrustError::Unsigned) => ("prov-none", l.t("provenance-unsigned")),
        Err(e) => (
            "prov-bad",
            l.t_args(
                "provenance-invalid",
                &[("reason", Arg::Text(&e.to_string()))],
            ),
        ),
    }
}

/// The direct references of an object (its `*_ref` and `*_refs`).
fn direct_refs(map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map {
        if k == "object_marking_refs" || !(k.ends_with("_ref") || k.ends_with("_refs")) {
            continue;
        }
        match v {
            Value::String(s) if is_ref(k, s) => out.push((k.clone(), s.clone())),
            Value::Array(a) => out.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|s| is_ref(k, s))
                    .map(|s| (k.clone(), s.to_string())),
            ),
            _ => {}
        }
    }
    out
}

async fn object(
    st: &Shared,
    v: &Viewer,
    id: &str,
    q: ObjectQuery,
) -> Result<Response, ConsoleError> {
    if !v.rights.reads_anything() {
        return Ok(no_access(st, v, "intel"));
    }
    let l = v.lang();
    let versions = v.rights.versions(&st.store, id).await?;
    let Some(latest) = versions.last() else {
        return Ok(not_found(st, v, "intel"));
    };
    let shown =
        q.v.as_deref()
            .and_then(|want| versions.iter().find(|o| o.version == want))
            .unwrap_or(latest);
    let map = parse(shown);
    let summary = Summary::from_map(shown, &map);
    let props = map.iter().map(|(k, val)| prop(l, k, val)).collect();
    let mut markings = Vec::new();
    for k in ["object_marking_refs", "granular_markings"] {
        if let Some(val) = map.get(k) {
            markings.push(prop(l, k, val));
        }
    }
    let checked = concord_trust::verify_integrity(&map);
    let signer_name = match &checked {
        Ok(claim) => v
            .rights
            .visible(&st.store, std::slice::from_ref(&claim.signer))
            .await?
            .get(&claim.signer)
            .map(|o| Summary::of(o).title)
            .filter(|t| t != &claim.signer),
        Err(_) => None,
    };
    let (provenance_class, provenance) = provenance(l, &checked, signer_name.as_deref());
    // Versions and the diff.
    let n = versions.len();
    let default_a = versions
        .get(n.saturating_sub(2))
        .map(|o| o.version.clone())
        .unwrap_or_default();
    let a = q.a.clone().unwrap_or(default_a);
    let b = q.b.clone().unwrap_or_else(|| latest.version.clone());
    let diff_rows = match (q.a.as_deref(), q.b.as_deref()) {
        (Some(x), Some(y)) => {
            let va = versions.iter().find(|o| o.version == x);
            let vb = versions.iter().find(|o| o.version == y);
            match (va, vb) {
                (Some(va), Some(vb)) => Some(
                    diff(&parse(va), &parse(vb))
                        .into_iter()
                        .map(|(key, c)| match c {
                            Change::Added(x) => DiffRow {
                                key,
                                kind: l.t("diff-added"),
                                before: String::new(),
                                after: compact(&x),
                            },
                            Change::Removed(x) => DiffRow {
                                key,
                                kind: l.t("diff-removed"),
                                before: compact(&x),
                                after: String::new(),
                            },
                            Change::Changed(x, y) => DiffRow {
                                key,
                                kind: l.t("diff-changed"),
                                before: compact(&x),
                                after: compact(&y),
                            },
                        })
                        .collect(),
                ),
                _ => None,
            }
        }
        _ => None,
    };
    let version_rows = versions
        .iter()
        .rev()
        .map(|o| VersionRow {
            local: l.stix_time(&o.version),
            href: format!("/intel/{}?v={}", urlencode(id), urlencode(&o.version)),
            current: o.version == shown.version,
            version: o.version.clone(),
        })
        .collect();
    // Relationships: direct references, then edges from the index.
    let complete = st.refs.catch_up(&st.store, REFS_BUDGET).await?;
    let (edges, total_edges) = st.refs.edges_of(id, GRAPH_MAX * 2).await;
    let mut wanted: Vec<(String, String, bool, Option<String>)> = Vec::new();
    for (k, target) in direct_refs(&map) {
        wanted.push((k, target, true, None));
    }
    for e in edges {
        let (other, outgoing) = if e.source == id {
            (e.target.clone(), true)
        } else {
            (e.source.clone(), false)
        };
        if other == id {
            continue;
        }
        wanted.push((e.kind, other, outgoing, Some(e.via)));
    }
    wanted.truncate(GRAPH_MAX);
    let mut ask: Vec<String> = wanted.iter().map(|w| w.1.clone()).collect();
    ask.extend(wanted.iter().filter_map(|w| w.3.clone()));
    ask.sort();
    ask.dedup();
    let visible = v.rights.visible(&st.store, &ask).await?;
    let mut around = Vec::new();
    let mut edge_rows = Vec::new();
    for (kind, other, outgoing, via) in wanted {
        // The far end and the relationship itself must both be visible.
        let Some(o) = visible.get(&other) else {
            continue;
        };
        if via.as_ref().is_some_and(|r| !visible.contains_key(r)) {
            continue;
        }
        let s = Summary::of(o);
        edge_rows.push(EdgeRow {
            kind: kind.clone(),
            href: format!("/intel/{}", urlencode(&other)),
            title: s.title.clone(),
            object_type: s.object_type.clone(),
            outgoing,
        });
        around.push(Neighbour {
            id: other,
            title: s.title,
            object_type: s.object_type,
            label: kind,
            outgoing,
        });
    }
    let edges_note = if !complete {
        Some(l.t("graph-indexing"))
    } else if total_edges > GRAPH_MAX {
        Some(l.t_args("graph-more", &[("n", Arg::Text(&l.num(GRAPH_MAX as u64)))]))
    } else {
        None
    };
    let graph = svg(
        &l.t("object-graph"),
        id,
        &summary.title,
        &summary.object_type,
        &around,
    );
    let page = ObjectPage {
        l,
        id: id.to_string(),
        object_type: summary.object_type.clone(),
        tlp_class: tlp_class(summary.tlp),
        tlp_name: summary
            .tlp
            .map_or_else(|| l.t("tlp-none"), |t| t.name().to_string()),
        revoked: summary.revoked,
        props,
        version_count: l.t_args(
            "object-version-count",
            &[
                ("count", Arg::Count(n as u64)),
                ("n", Arg::Text(&l.num(n as u64))),
            ],
        ),
        versions: version_rows,
        a,
        b,
        diff: diff_rows,
        markings,
        provenance_class,
        provenance,
        graph,
        edges: edge_rows,
        edges_note,
    };
    Ok(render(
        st,
        v,
        "intel",
        StatusCode::OK,
        &summary.title,
        &page.render()?,
    ))
}
