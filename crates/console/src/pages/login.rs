//! Log-in and log-out, with the TAXII server's users and password check.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use concord_taxii::gate::Refusal;
use serde::Deserialize;

use crate::i18n::Lang;
use crate::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE, random_token, same_secret};
use crate::shell::{Ctx, MaybeViewer, Shared, Viewer, render_public};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    l: Lang,
    csrf: &'a str,
    next: &'a str,
    notice: Notice,
}

/// What the log-in page says above its form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// Nothing: a first visit.
    None,
    /// The user name or the password was wrong.
    Failed,
    /// The form's CSRF token was missing, stale or from another site: no
    /// password was checked, so saying it was wrong would mislead.
    Expired,
    /// Too many failures: locked for a while.
    Throttled,
}

/// Only a path on this site may follow a log-in.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// The log-in page; it sets the double-submit CSRF cookie the form echoes.
pub(crate) fn login_page(st: &Shared, ctx: &Ctx, next: &str, notice: Notice) -> Response {
    let token = ctx
        .cookie(LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .map(str::to_string)
        .unwrap_or_else(random_token);
    let body = LoginPage {
        l: ctx.lang,
        csrf: &token,
        next: safe_next(next),
        notice,
    }
    .render()
    .unwrap_or_default();
    let status = match notice {
        Notice::None => StatusCode::OK,
        Notice::Failed => StatusCode::UNAUTHORIZED,
        Notice::Expired => StatusCode::FORBIDDEN,
        Notice::Throttled => StatusCode::TOO_MANY_REQUESTS,
    };
    let mut resp = render_public(st, ctx, status, &ctx.lang.t("login-title"), &body);
    let c = session::set_cookie(LOGIN_CSRF_COOKIE, &token, ctx.secure, None);
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

pub(crate) async fn get_login(
    State(st): State<Shared>,
    MaybeViewer(ctx, viewer): MaybeViewer,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let next = q.next.unwrap_or_else(|| "/".into());
    if viewer.is_some() {
        return Redirect::to(safe_next(&next)).into_response();
    }
    login_page(&st, &ctx, &next, Notice::None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn post_login(
    State(st): State<Shared>,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Response {
    let cookie_token = ctx.cookie(LOGIN_CSRF_COOKIE).unwrap_or("");
    if !ctx.same_origin() || !same_secret(&f.csrf, cookie_token) {
        return login_page(&st, &ctx, &f.next, Notice::Expired);
    }
    // The node's one gate: the same counters of failed log-ins as TAXII
    // and the API (an account or address locked there is locked here).
    let user = match st.gate.password(&f.username, &f.password, ctx.peer).await {
        Ok(concord_taxii::access::Principal::User(u)) => u,
        Ok(_) | Err(Refusal::Unauthorized(_)) => {
            tracing::info!(user = %f.username, "console log-in refused");
            return login_page(&st, &ctx, &f.next, Notice::Failed);
        }
        Err(Refusal::Throttled(_)) => return login_page(&st, &ctx, &f.next, Notice::Throttled),
        Err(Refusal::Internal) => {
            return crate::shell::failure(
                &ctx,
                &crate::ConsoleError::Section("checking the password failed".into()),
            );
        }
    };
    let id = st.sessions.open(&user.name);
    let mut resp = Redirect::to(safe_next(&f.next)).into_response();
    for c in [
        session::set_cookie(SESSION_COOKIE, &id, ctx.secure, None),
        session::clear_cookie(LOGIN_CSRF_COOKIE, ctx.secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn post_logout(
    State(st): State<Shared>,
    v: Viewer,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !v.csrf_ok(&f.csrf) {
        return crate::shell::bad_form(&st, &v, "settings");
    }
    if let Some(id) = v.ctx.cookie(SESSION_COOKIE) {
        st.sessions.close(id);
    }
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(val) = HeaderValue::from_str(&session::clear_cookie(SESSION_COOKIE, v.ctx.secure)) {
        resp.headers_mut().append(header::SET_COOKIE, val);
    }
    resp
}
