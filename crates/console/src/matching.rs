//! The match page: paste observables (one a line) or log lines (Zeek or
//! Suricata JSON, JSON lines), or upload a log file, and see which active
//! indicators they hit,
//! with the same matcher and the same rule as `POST /api/v1/match`: the
//! index spans every collection, so only an admin or a user who may read
//! every collection may use it.
//!
//! The index of active indicators is built on first use and rebuilt when
//! a new indicator version is stored (a one-row keyset probe per request)
//! or after `MAX_AGE` (validity windows move with time).

use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_matcher::{Format, Index, Scratch, read_line};
use concord_store::AnyStore;
use tokio::sync::Mutex;

use crate::ConsoleError;
use crate::i18n::{Arg, Lang};
use crate::shell::{Shared, Viewer, bad_form, failure, no_access_because, render};

const MAX_AGE: Duration = Duration::from_secs(600);
/// Lines read from one paste at most.
pub(crate) const MAX_LINES: usize = 100_000;
/// Hits listed at most.
const MAX_HITS: usize = 2_000;

struct Built {
    index: Arc<Index>,
    /// The newest indicator row the index has seen.
    last_row: i64,
    at: Instant,
}

/// The indicator index of the console.
#[derive(Default)]
pub(crate) struct MatchIndex {
    built: Mutex<Option<Built>>,
}

impl MatchIndex {
    /// The current index, rebuilt first if indicators changed.
    pub(crate) async fn current(&self, store: &AnyStore) -> Result<Arc<Index>, ConsoleError> {
        let mut built = self.built.lock().await;
        if let Some(b) = built.as_ref()
            && b.at.elapsed() < MAX_AGE
            && concord_indicators::newer_than(store, b.last_row)
                .await?
                .is_none()
        {
            return Ok(b.index.clone());
        }
        let now = concord_stix::Timestamp::now().0;
        // An indicator the matcher cannot take is skipped, as `concord
        // match` does (it names them).
        let loaded = concord_indicators::load_active(store, now).await?;
        // Revoked versions are newer rows too: remember the newest of all.
        let mut probe = loaded.last_row;
        while let Some(r) = concord_indicators::newer_than(store, probe).await? {
            probe = r;
        }
        let index = loaded.index;
        let index = Arc::new(index);
        *built = Some(Built {
            index: index.clone(),
            last_row: probe,
            at: Instant::now(),
        });
        Ok(index)
    }
}

struct HitRow {
    line: u64,
    observable: String,
    href: String,
    indicator: String,
    name: String,
    tlp: String,
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage<'a> {
    l: Lang,
    csrf: &'a str,
    input: &'a str,
    result: Option<String>,
    hits: Vec<HitRow>,
    malformed: Vec<(u64, String)>,
}

fn page(
    st: &Shared,
    v: &Viewer,
    input: &str,
    result: Option<String>,
    hits: Vec<HitRow>,
    malformed: Vec<(u64, String)>,
) -> Result<Response, ConsoleError> {
    let l = v.lang();
    let body = MatchPage {
        l,
        csrf: &v.session.csrf,
        input,
        result,
        hits,
        malformed,
    }
    .render()?;
    Ok(render(
        st,
        v,
        "match",
        StatusCode::OK,
        &l.t("match-title"),
        &body,
    ))
}

pub(crate) async fn get(State(st): State<Shared>, v: Viewer) -> Response {
    if !v.rights.reads_everything() {
        return no_access_because(&st, &v, "match", "no-access-match-text");
    }
    page(&st, &v, "", None, Vec::new(), Vec::new()).unwrap_or_else(|e| failure(&v.ctx, &e))
}

/// The match form: a CSRF token, pasted lines, and an optional log file.
#[derive(Default)]
struct MatchForm {
    csrf: String,
    input: String,
    log: Option<String>,
}

async fn read_form(
    mut form: Multipart,
) -> Result<MatchForm, axum::extract::multipart::MultipartError> {
    let mut f = MatchForm::default();
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => f.csrf = text,
            "input" => f.input = text,
            "log" if !bytes.is_empty() => f.log = Some(text),
            _ => {}
        }
    }
    Ok(f)
}

pub(crate) async fn post(State(st): State<Shared>, v: Viewer, form: Multipart) -> Response {
    let f = match read_form(form).await {
        Ok(f) => f,
        Err(e) => {
            tracing::info!(error = %e.body_text(), "console match upload refused");
            return bad_form(&st, &v, "match");
        }
    };
    if !v.csrf_ok(&f.csrf) {
        return bad_form(&st, &v, "match");
    }
    if !v.rights.reads_everything() {
        return no_access_because(&st, &v, "match", "no-access-match-text");
    }
    let index = match st.matcher.current(&st.store).await {
        Ok(i) => i,
        Err(e) => return failure(&v.ctx, &e),
    };
    // Pasted lines first, then the uploaded file's.
    let input = match &f.log {
        Some(log) if f.input.trim().is_empty() => log.clone(),
        Some(log) => format!("{}\n{log}", f.input),
        None => f.input.clone(),
    };
    let answer = tokio::task::spawn_blocking(move || run(&index, &input)).await;
    let (events, hits, malformed) = match answer {
        Ok(a) => a,
        Err(e) => return failure(&v.ctx, &ConsoleError::Matcher(e.to_string())),
    };
    let l = v.lang();
    let result = l.t_args(
        "match-result",
        &[
            ("events", Arg::Text(&l.num(events))),
            ("count", Arg::Count(hits.len() as u64)),
            ("hits", Arg::Text(&l.num(hits.len() as u64))),
        ],
    );
    page(&st, &v, &f.input, Some(result), hits, malformed).unwrap_or_else(|e| failure(&v.ctx, &e))
}

/// Matches every line; returns (events read, hits, malformed lines).
fn run(index: &Index, input: &str) -> (u64, Vec<HitRow>, Vec<(u64, String)>) {
    let mut scratch = Scratch::default();
    let mut found = Vec::new();
    let mut out = Vec::new();
    let mut malformed = Vec::new();
    let mut events = 0u64;
    for (n, line) in input.lines().take(MAX_LINES).enumerate() {
        let line_no = n as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let format = if line.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Text
        };
        let observables = match read_line(format, &[], line.trim(), "console", line_no) {
            Ok(o) => o,
            Err(e) => {
                malformed.push((line_no, e.to_string()));
                continue;
            }
        };
        events += 1;
        found.clear();
        index.match_event(&observables, &mut scratch, &mut found);
        for h in &found {
            let Some(info) = index.info(h.slot) else {
                continue;
            };
            if out.len() >= MAX_HITS {
                break;
            }
            out.push(HitRow {
                line: line_no,
                observable: observables
                    .get(h.observable)
                    .map(|o| o.text())
                    .unwrap_or_default(),
                href: format!("/intel/{}", crate::pages::dashboard::urlencode(&info.id)),
                indicator: info.id.clone(),
                name: info.name.unwrap_or("").to_string(),
                tlp: info.tlp.unwrap_or("").to_string(),
            });
        }
    }
    (events, out, malformed)
}
