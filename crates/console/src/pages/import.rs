//! Import: upload a STIX bundle (or a JSON array, or JSON lines) into a
//! collection the user may write. Objects are read and validated one by one
//! exactly as `concord import` does (`concord_stix::ingest::read_object`),
//! the valid ones stored with `Store::put_batch`, and every rejected object
//! listed with its reasons (JSON path, rule, message).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_stix::bundle::{BundleReader, ReadError};
use concord_stix::ingest::{read_object, storable_json};
use concord_stix::{Issue, Severity};
use concord_store::{PreparedObject, Store};

use crate::ConsoleError;
use crate::i18n::{Arg, Lang};
use crate::shell::{Shared, Viewer, bad_form, failure, no_access, render};

/// Objects per write transaction.
const WRITE_BATCH: usize = 5_000;
/// Rejections listed on the page at most.
pub(crate) const MAX_LISTED: usize = 1_000;

struct Choice {
    value: String,
    label: String,
}

pub(crate) struct Rejected {
    pub line: usize,
    pub path: String,
    pub id: String,
    pub reasons: Vec<String>,
}

struct Outcome {
    summary: String,
    rejected: Vec<Rejected>,
    truncated: bool,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    l: Lang,
    csrf: &'a str,
    collections: Vec<Choice>,
    outcome: Option<Outcome>,
    error: Option<String>,
}

fn collections(v: &Viewer) -> Vec<Choice> {
    v.rights
        .writable
        .iter()
        .map(|c| Choice {
            value: c.id.clone(),
            label: c.title.clone(),
        })
        .collect()
}

fn page(
    st: &Shared,
    v: &Viewer,
    status: StatusCode,
    outcome: Option<Outcome>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let l = v.lang();
    let body = ImportPage {
        l,
        csrf: &v.session.csrf,
        collections: collections(v),
        outcome,
        error,
    }
    .render()?;
    Ok(render(st, v, "import", status, &l.t("import-title"), &body))
}

pub(crate) async fn get(State(st): State<Shared>, v: Viewer) -> Response {
    if v.rights.writable.is_empty() {
        return no_access(&st, &v, "import");
    }
    page(&st, &v, StatusCode::OK, None, None).unwrap_or_else(|e| failure(&v.ctx, &e))
}

/// The result of reading one upload: objects ready to store, rejections.
pub(crate) struct Checked {
    pub ready: Vec<PreparedObject>,
    pub rejected: Vec<Rejected>,
    pub rejected_count: usize,
}

fn reasons(issues: &[Issue]) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {} [{}]", i.path, i.message, i.rule))
        .collect()
}

/// Reads and validates every object of an upload (CPU work: run it off
/// the async workers).
pub(crate) fn check(bytes: &[u8]) -> Checked {
    let mut out = Checked {
        ready: Vec::new(),
        rejected: Vec::new(),
        rejected_count: 0,
    };
    let mut reject = |r: Rejected| {
        out.rejected_count += 1;
        if out.rejected.len() < MAX_LISTED {
            out.rejected.push(r);
        }
    };
    let mut ready = Vec::new();
    for item in BundleReader::new(bytes) {
        match item {
            Ok(raw) => match read_object(&raw.bytes, &concord_pattern::Grammar) {
                Ok(c) => {
                    let text = storable_json(&raw.bytes, &c.object);
                    ready.push(PreparedObject::new(&c.object, text));
                }
                Err(issues) => reject(Rejected {
                    line: raw.location.line,
                    path: raw.location.path.clone(),
                    id: concord_stix::json::parse_value(&raw.bytes)
                        .ok()
                        .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                        .unwrap_or_default(),
                    reasons: reasons(&issues),
                }),
            },
            Err(e) => {
                let line = match &e {
                    ReadError::Syntax { line, .. } | ReadError::Envelope { line, .. } => *line,
                    ReadError::Oversize { location, .. } => location.line,
                    ReadError::Io(_) => 0,
                };
                reject(Rejected {
                    line,
                    path: "$".into(),
                    id: String::new(),
                    reasons: vec![e.to_string()],
                });
            }
        }
    }
    out.ready = ready;
    out
}

pub(crate) async fn post(State(st): State<Shared>, v: Viewer, mut form: Multipart) -> Response {
    let mut csrf = String::new();
    let mut collection = String::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) => match name.as_str() {
                        "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                        "collection" => collection = String::from_utf8_lossy(&b).into_owned(),
                        "bundle" => file = Some(b.to_vec()),
                        _ => {}
                    },
                    Err(e) => return too_big_or_bad(&st, &v, &e.body_text()),
                }
            }
            Ok(None) => break,
            Err(e) => return too_big_or_bad(&st, &v, &e.body_text()),
        }
    }
    if !v.csrf_ok(&csrf) {
        return bad_form(&st, &v, "import");
    }
    let l = v.lang();
    let Some(target) = v.rights.writable_collection(&collection).cloned() else {
        return no_access(&st, &v, "import");
    };
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return page(
            &st,
            &v,
            StatusCode::BAD_REQUEST,
            None,
            Some(l.t("import-no-file")),
        )
        .unwrap_or_else(|e| failure(&v.ctx, &e));
    };
    let checked = match tokio::task::spawn_blocking(move || check(&bytes)).await {
        Ok(c) => c,
        Err(e) => return failure(&v.ctx, &ConsoleError::Task(e.to_string())),
    };
    let read = checked.ready.len() + checked.rejected_count;
    let mut stored = 0usize;
    let mut duplicates = 0usize;
    let mut ready = checked.ready;
    while !ready.is_empty() {
        let rest = ready.split_off(ready.len().min(WRITE_BATCH));
        let batch = std::mem::replace(&mut ready, rest);
        match st.store.put_batch(&target.id, batch).await {
            Ok(o) => {
                stored += o.inserted;
                duplicates += o.duplicates;
            }
            Err(e) => return failure(&v.ctx, &e.into()),
        }
    }
    tracing::info!(user = %v.rights.user.name, collection = %target.id, read, stored, rejected = checked.rejected_count, "console import");
    let summary = l.t_args(
        "import-result",
        &[
            ("read", Arg::Text(&l.num(read as u64))),
            ("stored", Arg::Text(&l.num(stored as u64))),
            ("duplicates", Arg::Text(&l.num(duplicates as u64))),
            ("rejected", Arg::Text(&l.num(checked.rejected_count as u64))),
            ("collection", Arg::Text(&target.title)),
        ],
    );
    let outcome = Outcome {
        summary,
        truncated: checked.rejected_count > checked.rejected.len(),
        rejected: checked.rejected,
    };
    page(&st, &v, StatusCode::OK, Some(outcome), None).unwrap_or_else(|e| failure(&v.ctx, &e))
}

fn too_big_or_bad(st: &Shared, v: &Viewer, detail: &str) -> Response {
    tracing::info!(detail, "console import upload refused");
    page(
        st,
        v,
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
        Some(v.lang().t("import-too-big")),
    )
    .unwrap_or_else(|e| failure(&v.ctx, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_a_bundle_and_names_rejections() {
        let bundle = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--not-a-uuid","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"}
]}"#;
        let c = check(bundle);
        assert_eq!(c.ready.len(), 1);
        assert_eq!(c.rejected_count, 1);
        assert_eq!(c.rejected[0].id, "indicator--not-a-uuid");
        assert!(!c.rejected[0].reasons.is_empty());
        let junk = check(b"{not json");
        assert_eq!(junk.ready.len(), 0);
        assert_eq!(junk.rejected_count, 1);
    }
}
