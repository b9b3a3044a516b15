//! `/alerts`: the member's alerts (`concord_alert`), newest first, with a
//! button to acknowledge each (`POST /alerts/{id}/ack`, what `concord
//! alerts ack` does). For admins and users who may read every collection,
//! as the event stream.

use crate::{Lang, Shared, Viewer, bad_form, no_access, not_found, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::{Pages, excerpt, fail, sees_alerts};
use concord_alert::{self as alert, Alert, kind};

/// The alerts page (`/alerts`) and acknowledging one
/// (`POST /alerts/{id}/ack`).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/alerts", get(page))
        .route("/alerts/{id}/ack", post(ack))
}

/// Alerts listed on one page.
const SHOWN: usize = 100;

/// One alert as a row.
pub struct AlertRow {
    /// The alert's id.
    pub id: String,
    /// Its kind, in the user's language.
    pub kind: String,
    /// When it was raised, formatted for the user.
    pub created: String,
    /// Its title, cut to 300 characters.
    pub title: String,
    /// The title is in the reader's language (else it is the English one
    /// the alert was raised with).
    pub translated: bool,
    /// The console page of its object and the object id to show (cut to
    /// 80 characters), if it has one the console can show.
    pub object: Option<(String, String)>,
    /// When it was acknowledged, formatted for the user (empty if that
    /// time is unknown); `None` while open.
    pub acknowledged: Option<String>,
    /// The URL its acknowledge form posts to.
    pub ack_action: String,
}

/// An alert kind in the user's language; an unknown kind as it is.
pub fn kind_label(l: Lang, k: &str) -> String {
    match k {
        kind::CONSTITUENCY => l.t("alert-kind-constituency"),
        kind::SIGHTING => l.t("alert-kind-sighting"),
        kind::FALSE_POSITIVE => l.t("alert-kind-false-positive"),
        kind::REQUEST => l.t("alert-kind-request"),
        kind::INCIDENT => l.t("alert-kind-incident"),
        kind::VOTE => l.t("alert-kind-vote"),
        kind::VERIFICATION => l.t("alert-kind-verification"),
        kind::CHARTER => l.t("alert-kind-charter"),
        other => other.to_string(),
    }
}

/// Where an alert's object is shown in the console.
fn object_link(a: &Alert) -> Option<(String, String)> {
    let o = a.object.as_deref()?;
    let href = if o.starts_with("incident--") {
        format!("/incidents/{}", crate::pages::dashboard::urlencode(o))
    } else if a.kind == kind::VOTE || a.kind == kind::CHARTER {
        "/community".to_string()
    } else if a.kind == kind::VERIFICATION {
        "/settings/peers".to_string()
    } else if o.contains("--") {
        format!("/intel/{}", crate::pages::dashboard::urlencode(o))
    } else {
        return None;
    };
    Some((href, excerpt(o, 80)))
}

/// An alert as the page lists it, in the user's language.
pub fn row(l: Lang, a: &Alert) -> AlertRow {
    let said = a.message.as_ref().and_then(|m| l.message(&m.key, &m.args));
    AlertRow {
        id: a.id.clone(),
        kind: kind_label(l, &a.kind),
        created: l.stix_time(&a.created),
        translated: said.is_some(),
        title: excerpt(said.as_deref().unwrap_or(&a.title), 300),
        object: object_link(a),
        acknowledged: a
            .acknowledged
            .then(|| a.acknowledged_at.as_deref().map(|t| l.stix_time(t)))
            .map(Option::unwrap_or_default),
        ack_action: format!("/alerts/{}/ack", crate::pages::dashboard::urlencode(&a.id)),
    }
}

#[derive(Template)]
#[template(path = "sections/alerts.html")]
struct AlertsPage<'a> {
    l: Lang,
    csrf: &'a str,
    rows: Vec<AlertRow>,
    open_only: bool,
    /// The link to the next (older) page.
    older: Option<String>,
}

/// The alerts page's URL parameters: `open` lists only open alerts.
#[derive(Deserialize, Default)]
pub struct AlertsQuery {
    #[serde(default)]
    open: Option<String>,
    /// Show alerts older than this one.
    #[serde(default)]
    before: Option<String>,
}

async fn page(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Query(q): Query<AlertsQuery>,
) -> Response {
    if !sees_alerts(&v.rights) {
        return no_access(&st, &v, "alerts");
    }
    let l = v.lang();
    let open_only = q.open.is_some();
    // One page, newest first: the store is read for what is shown.
    let (shown, next) = match alert::newest(
        &pages.node.store,
        q.before.as_deref().filter(|b| b.starts_with("alert-")),
        SHOWN,
        open_only,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return fail(&v, "listing alerts", &e),
    };
    let older = next.map(|n| {
        format!(
            "/alerts?{}before={}",
            if open_only { "open=1&" } else { "" },
            crate::pages::dashboard::urlencode(&n)
        )
    });
    let body = AlertsPage {
        l,
        csrf: &v.session.csrf,
        rows: shown.iter().map(|a| row(l, a)).collect(),
        open_only,
        older,
    }
    .render();
    match body {
        Ok(b) => render(&st, &v, "alerts", StatusCode::OK, &l.t("alerts-title"), &b),
        Err(e) => fail(&v, "rendering alerts", &e),
    }
}

/// The acknowledge form: its CSRF token and the page to go back to.
#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn ack(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<AckForm>,
) -> Response {
    if !v.csrf_ok(&f.csrf) {
        return bad_form(&st, &v, "alerts");
    }
    if !sees_alerts(&v.rights) {
        return no_access(&st, &v, "alerts");
    }
    if !id.starts_with("alert-") || id.len() > 100 {
        return not_found(&st, &v, "alerts");
    }
    match alert::acknowledge(&pages.node.store, &id).await {
        Ok(_) => {
            tracing::info!(user = %v.rights.user.name, alert = %id, "console acknowledged an alert");
            // Back where the button was: the dashboard or this list.
            let next = if f.next == "/" { "/" } else { "/alerts" };
            Redirect::to(next).into_response()
        }
        Err(e) if e.to_string().starts_with("there is no alert") => not_found(&st, &v, "alerts"),
        Err(e) => fail(&v, "acknowledging an alert", &e),
    }
}
