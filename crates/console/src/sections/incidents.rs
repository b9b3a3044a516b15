//! `/incidents`: the incidents this node holds (newest change first), each
//! with its timeline and who of the members asked has answered; forms to
//! open one (asking members for assistance), add a note, acknowledge or
//! decline, and (the owner) move it along its workflow. Every action is
//! `concord_incident::actions`, as for `concord incident` and the API.

use std::collections::HashMap;

use crate::ConsoleError;
use crate::{Arg, Lang, Shared, Viewer, bad_form, no_access, not_found, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::{NodePages, Pages, fail, on_local};
use concord_federation::peers;
use concord_incident::{STATUSES, Status, actions, timeline};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/incidents", get(list).post(open))
        .route("/incidents/{id}", get(detail))
        .route("/incidents/{id}/note", post(note))
        .route("/incidents/{id}/ack", post(ack))
        .route("/incidents/{id}/status", post(status))
}

/// Longest note or description taken from the form.
const MAX_TEXT: usize = 20_000;

fn status_word(l: Lang, s: &str) -> String {
    match s {
        "new" => l.t("incident-status-new"),
        "triaged" => l.t("incident-status-triaged"),
        "investigating" => l.t("incident-status-investigating"),
        "contained" => l.t("incident-status-contained"),
        "resolved" => l.t("incident-status-resolved"),
        "closed" => l.t("incident-status-closed"),
        other => other.to_string(),
    }
}

fn severity_word(l: Lang, s: &str) -> String {
    match s {
        "low" => l.t("incident-severity-low"),
        "medium" => l.t("incident-severity-medium"),
        "high" => l.t("incident-severity-high"),
        "critical" => l.t("incident-severity-critical"),
        other => other.to_string(),
    }
}

fn answer_word(l: Lang, s: &str) -> String {
    match s {
        "acknowledged" => l.t("incident-answer-acknowledged"),
        "declined" => l.t("incident-answer-declined"),
        "noted" => l.t("incident-answer-noted"),
        other => other.to_string(),
    }
}

/// Member names by identity id: the configured peers, and this node.
async fn names(pages: &NodePages, l: Lang) -> Result<HashMap<String, String>, ConsoleError> {
    let mut out: HashMap<String, String> = peers::list(&pages.node.store)
        .await?
        .into_iter()
        .map(|p| (p.member, p.name))
        .collect();
    out.insert(pages.me().to_string(), l.t("incident-this-node"));
    Ok(out)
}

fn who(names: &HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_string())
}

struct Row {
    id: String,
    href: String,
    title: String,
    status: String,
    severity: String,
    tlp: String,
    owner: String,
    modified: String,
    requested: usize,
}

struct PeerChoice {
    name: String,
    member: String,
}

#[derive(Template)]
#[template(path = "sections/incidents.html")]
struct ListPage<'a> {
    l: Lang,
    csrf: &'a str,
    rows: Vec<Row>,
    count: String,
    can_write: bool,
    peers: Vec<PeerChoice>,
    error: Option<String>,
}

async fn list_page(
    st: &Shared,
    v: &Viewer,
    pages: &NodePages,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let l = v.lang();
    let result = async {
        let names = names(pages, l).await?;
        let incidents = timeline::list(&pages.node.store).await?;
        let choices = peers::list(&pages.node.store)
            .await?
            .into_iter()
            .map(|p| PeerChoice {
                name: p.name,
                member: p.member,
            })
            .collect();
        Ok::<_, ConsoleError>((names, incidents, choices))
    }
    .await;
    let (names, incidents, choices) = match result {
        Ok(r) => r,
        Err(e) => return fail(v, "listing incidents", &e),
    };
    let body = ListPage {
        l,
        csrf: &v.session.csrf,
        count: l.num(incidents.len() as u64),
        rows: incidents
            .iter()
            .map(|i| Row {
                href: format!("/incidents/{}", crate::pages::dashboard::urlencode(&i.id)),
                id: i.id.clone(),
                title: super::excerpt(&i.title, 200),
                status: status_word(l, i.status.word()),
                severity: severity_word(l, i.severity.word()),
                tlp: i.tlp.clone().unwrap_or_default().to_uppercase(),
                owner: who(&names, &i.owner),
                modified: l.stix_time(&i.modified),
                requested: i.requested.len(),
            })
            .collect(),
        can_write: on_local(&v.rights, pages.local(), true),
        peers: choices,
        error,
    }
    .render();
    match body {
        Ok(b) => render(st, v, "incidents", status, &l.t("incidents-title"), &b),
        Err(e) => fail(v, "rendering incidents", &e),
    }
}

async fn list(State(st): State<Shared>, Extension(pages): Pages, v: Viewer) -> Response {
    if !on_local(&v.rights, pages.local(), false) {
        return no_access(&st, &v, "incidents");
    }
    list_page(&st, &v, &pages, StatusCode::OK, None).await
}

type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn too_long(l: Lang, s: &str) -> Option<String> {
    (s.chars().count() > MAX_TEXT).then(|| {
        l.t_args(
            "incident-too-long",
            &[("n", Arg::Text(&l.num(MAX_TEXT as u64)))],
        )
    })
}

/// `POST /incidents`: `concord incident new`, with `request` as many
/// times as members are asked (and `request_other`, comma-separated).
async fn open(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Form(f): Form<Fields>,
) -> Response {
    if !v.csrf_ok(field(&f, "csrf")) {
        return bad_form(&st, &v, "incidents");
    }
    if !on_local(&v.rights, pages.local(), true) {
        return no_access(&st, &v, "incidents");
    }
    let l = v.lang();
    let description = field(&f, "description").trim().to_string();
    if let Some(e) = too_long(l, &description) {
        return list_page(&st, &v, &pages, StatusCode::BAD_REQUEST, Some(e)).await;
    }
    let mut request: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "request")
        .map(|(_, v)| v.clone())
        .collect();
    request.extend(
        field(&f, "request_other")
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    let a = actions::Open {
        title: super::excerpt(field(&f, "title").trim(), 300),
        description: (!description.is_empty()).then_some(description),
        tlp: field(&f, "tlp").to_string(),
        severity: field(&f, "severity").to_string(),
        request,
        sectors: Vec::new(),
        countries: Vec::new(),
    };
    match actions::open(&pages.node, &pages.key, a).await {
        Ok(out) => {
            let id = out.get("id").and_then(|i| i.as_str()).unwrap_or_default();
            tracing::info!(user = %v.rights.user.name, incident = %id, "console opened an incident");
            Redirect::to(&format!(
                "/incidents/{}?done=opened",
                crate::pages::dashboard::urlencode(id)
            ))
            .into_response()
        }
        Err(e) => {
            let msg = l.t_args(
                "incident-refused",
                &[("reason", Arg::Text(&format!("{e:#}")))],
            );
            list_page(&st, &v, &pages, StatusCode::BAD_REQUEST, Some(msg)).await
        }
    }
}

struct Step {
    at: String,
    author: String,
    kind: String,
    kind_key: String,
    text: String,
}

struct Answer {
    member: String,
    answer: String,
    at: String,
}

#[derive(Template)]
#[template(path = "sections/incident.html")]
struct DetailPage<'a> {
    l: Lang,
    csrf: &'a str,
    id: String,
    href: String,
    description: Option<String>,
    status: String,
    severity: String,
    tlp: String,
    owner: String,
    created: String,
    modified: String,
    steps: Vec<Step>,
    answers: Vec<Answer>,
    pending: Vec<String>,
    related: Vec<(String, String)>,
    can_write: bool,
    mine: bool,
    statuses: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// The text of a timeline entry in the user's language: status and
/// severity changes are rewritten from the words `timeline` uses.
fn step_text(l: Lang, kind: &str, text: Option<&str>) -> String {
    let text = text.unwrap_or_default();
    if kind == "changed" {
        for (prefix, key, word) in [
            (
                "status ",
                "incident-change-status",
                status_word as fn(Lang, &str) -> String,
            ),
            ("severity ", "incident-change-severity", severity_word),
        ] {
            if let Some((from, to)) = text.strip_prefix(prefix).and_then(|r| r.split_once(" -> ")) {
                return l.t_args(
                    key,
                    &[
                        ("from", Arg::Text(&word(l, from))),
                        ("to", Arg::Text(&word(l, to))),
                    ],
                );
            }
        }
        if text == "updated" {
            return l.t("incident-change-updated");
        }
    }
    super::excerpt(text, MAX_TEXT)
}

async fn detail_page(
    st: &Shared,
    v: &Viewer,
    pages: &NodePages,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let l = v.lang();
    let result = async {
        let names = names(pages, l).await?;
        let view = timeline::view(&pages.node.store, id).await?;
        Ok::<_, ConsoleError>((names, view))
    }
    .await;
    let (names, view) = match result {
        Ok((n, Some(view))) => (n, view),
        Ok((_, None)) => return not_found(st, v, "incidents"),
        Err(e) => return fail(v, "reading an incident", &e),
    };
    let i = &view.incident;
    let mine = i.owner == pages.me();
    let body = DetailPage {
        l,
        csrf: &v.session.csrf,
        id: i.id.clone(),
        href: format!("/incidents/{}", crate::pages::dashboard::urlencode(&i.id)),
        description: i.description.clone(),
        status: status_word(l, i.status.word()),
        severity: severity_word(l, i.severity.word()),
        tlp: i.tlp.clone().unwrap_or_default().to_uppercase(),
        owner: who(&names, &i.owner),
        created: l.stix_time(&i.created),
        modified: l.stix_time(&i.modified),
        steps: view
            .timeline
            .iter()
            .map(|e| Step {
                at: l.stix_time(&e.at),
                author: who(&names, &e.author),
                kind: match e.kind.as_str() {
                    "opened" => l.t("incident-kind-opened"),
                    "changed" => l.t("incident-kind-changed"),
                    "acknowledge" => l.t("incident-kind-acknowledge"),
                    "decline" => l.t("incident-kind-decline"),
                    "linked" => l.t("incident-kind-linked"),
                    _ => l.t("incident-kind-note"),
                },
                kind_key: e.kind.clone(),
                text: step_text(l, &e.kind, e.text.as_deref()),
            })
            .collect(),
        answers: view
            .responses
            .iter()
            .map(|r| Answer {
                member: who(&names, &r.member),
                answer: answer_word(l, &r.answer),
                at: l.stix_time(&r.at),
            })
            .collect(),
        pending: view.pending.iter().map(|m| who(&names, m)).collect(),
        related: view
            .related
            .iter()
            .map(|r| {
                (
                    format!("/intel/{}", crate::pages::dashboard::urlencode(r)),
                    r.clone(),
                )
            })
            .collect(),
        can_write: on_local(&v.rights, pages.local(), true),
        mine,
        statuses: STATUSES
            .iter()
            .filter(|s| i.status.may_become(**s))
            .map(|s| (s.word(), status_word(l, s.word())))
            .collect(),
        notice,
        error,
    }
    .render();
    match body {
        Ok(b) => render(st, v, "incidents", status, &i.title, &b),
        Err(e) => fail(v, "rendering an incident", &e),
    }
}

fn valid_id(id: &str) -> bool {
    id.starts_with("incident--") && id.len() <= 100
}

#[derive(serde::Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn detail(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    if !on_local(&v.rights, pages.local(), false) {
        return no_access(&st, &v, "incidents");
    }
    if !valid_id(&id) {
        return not_found(&st, &v, "incidents");
    }
    let l = v.lang();
    let notice = q.done.as_deref().map(|d| match d {
        "note" => l.t("incident-noted"),
        "acknowledge" => l.t("incident-acknowledged"),
        "decline" => l.t("incident-declined"),
        "opened" => l.t("incident-opened"),
        _ => l.t("incident-updated"),
    });
    detail_page(&st, &v, &pages, &id, StatusCode::OK, notice, None).await
}

/// Checks a write on incident `id`; `Err` is the page to answer with.
fn may_write(
    st: &Shared,
    v: &Viewer,
    pages: &NodePages,
    id: &str,
    f: &Fields,
) -> Result<(), Box<Response>> {
    if !v.csrf_ok(field(f, "csrf")) {
        return Err(Box::new(bad_form(st, v, "incidents")));
    }
    if !on_local(&v.rights, pages.local(), true) {
        return Err(Box::new(no_access(st, v, "incidents")));
    }
    if !valid_id(id) {
        return Err(Box::new(not_found(st, v, "incidents")));
    }
    Ok(())
}

/// Answers a write: back to the incident with a notice, or the refusal.
async fn after_write(
    st: &Shared,
    v: &Viewer,
    pages: &NodePages,
    id: &str,
    what: &str,
    done: Result<serde_json::Value, concord_incident::IncidentError>,
) -> Response {
    let l = v.lang();
    match done {
        Ok(_) => {
            tracing::info!(user = %v.rights.user.name, incident = %id, action = what, "console wrote to an incident");
            // Back to the incident (a reload does not send the form again).
            Redirect::to(&format!(
                "/incidents/{}?done={what}",
                crate::pages::dashboard::urlencode(id)
            ))
            .into_response()
        }
        Err(e) => {
            let msg = l.t_args(
                "incident-refused",
                &[("reason", Arg::Text(&format!("{e:#}")))],
            );
            detail_page(st, v, pages, id, StatusCode::BAD_REQUEST, None, Some(msg)).await
        }
    }
}

async fn note(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = may_write(&st, &v, &pages, &id, &f) {
        return *r;
    }
    let l = v.lang();
    let text = field(&f, "text").trim();
    let refused = if text.is_empty() {
        Some(l.t("incident-note-empty"))
    } else {
        too_long(l, text)
    };
    if let Some(e) = refused {
        return detail_page(&st, &v, &pages, &id, StatusCode::BAD_REQUEST, None, Some(e)).await;
    }
    let done = actions::respond(&pages.node, &pages.key, &id, "note", text).await;
    after_write(&st, &v, &pages, &id, "note", done).await
}

async fn ack(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = may_write(&st, &v, &pages, &id, &f) {
        return *r;
    }
    let l = v.lang();
    let (kind, default) = if field(&f, "decline") == "1" {
        ("decline", "declined")
    } else {
        ("acknowledge", "acknowledged")
    };
    let text = field(&f, "text").trim();
    if let Some(e) = too_long(l, text) {
        return detail_page(&st, &v, &pages, &id, StatusCode::BAD_REQUEST, None, Some(e)).await;
    }
    let text = if text.is_empty() { default } else { text };
    let done = actions::respond(&pages.node, &pages.key, &id, kind, text).await;
    after_write(&st, &v, &pages, &id, kind, done).await
}

async fn status(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = may_write(&st, &v, &pages, &id, &f) {
        return *r;
    }
    let wanted = field(&f, "status");
    if Status::parse(wanted).is_none() {
        let l = v.lang();
        let msg = l.t_args("incident-refused", &[("reason", Arg::Text(wanted))]);
        return detail_page(
            &st,
            &v,
            &pages,
            &id,
            StatusCode::BAD_REQUEST,
            None,
            Some(msg),
        )
        .await;
    }
    let done = actions::set_status(&pages.node, &pages.key, &id, wanted, None).await;
    after_write(&st, &v, &pages, &id, "status", done).await
}
