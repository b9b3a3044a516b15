//! What every page shares: the request's language and cookies (`Ctx`), the
//! signed-in user (`Viewer`), the navigation, and the layout a page's body
//! is put in (`render`). Later modules (community, incidents) add a
//! [`Section`]: a navigation entry and routes that use `Viewer` and
//! `render` like the built-in pages, so they plug in without touching them.

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use concord_store::{AnyStore, Store};

use crate::i18n::{LANGS, Lang, from_accept_language};
use crate::rights::Rights;
use crate::session::{self, LANG_COOKIE, SESSION_COOKIE, Session, Sessions};
use crate::{ConsoleError, ConsoleOptions};

/// Whether the signed-in user gets a link (a closure, so that a module can
/// decide with what it knows, such as the node's local collection).
pub type Visible = Arc<dyn Fn(&Rights) -> bool + Send + Sync>;

/// A page group in the navigation. Built-in sections are the dashboard,
/// intel, import, match and settings; a module adds its own with
/// [`crate::Console::section`], or a page of the settings with
/// [`crate::Console::settings_page`].
#[derive(Clone)]
pub struct Section {
    /// Stable id: the navigation link's `data-testid` is `nav-{id}`.
    pub id: &'static str,
    /// Where the link points (the module's routes live under it).
    pub path: &'static str,
    /// The Fluent message id of the label (in the console's catalogs).
    pub label_key: &'static str,
    /// Whether the signed-in user gets the link at all.
    pub visible: Visible,
}

impl Section {
    /// A section whose link `visible` shows or hides for each user.
    pub fn new(
        id: &'static str,
        path: &'static str,
        label_key: &'static str,
        visible: impl Fn(&Rights) -> bool + Send + Sync + 'static,
    ) -> Section {
        Section {
            id,
            path,
            label_key,
            visible: Arc::new(visible),
        }
    }
}

/// The built-in sections, in navigation order; added sections go before
/// settings.
pub(crate) fn builtin_sections() -> (Vec<Section>, Section) {
    (
        vec![
            Section::new("dashboard", "/", "nav-dashboard", Rights::reads_anything),
            Section::new("intel", "/intel", "nav-intel", Rights::reads_anything),
            Section::new("import", "/import", "nav-import", |r: &Rights| {
                r.admin || !r.writable.is_empty()
            }),
            Section::new("match", "/match", "nav-match", Rights::reads_everything),
        ],
        Section::new("settings", "/settings", "nav-settings", |_: &Rights| true),
    )
}

/// What every console handler shares.
pub struct ConsoleState {
    pub(crate) store: AnyStore,
    pub(crate) opts: ConsoleOptions,
    pub(crate) sessions: Sessions,
    pub(crate) refs: crate::refs::RefIndex,
    pub(crate) matcher: crate::matching::MatchIndex,
    /// Who is calling: log-ins go through it.
    pub(crate) gate: std::sync::Arc<concord_taxii::gate::Gate>,
    /// The member and its sharing policy (the public's share of public
    /// collections), as the TAXII server has them.
    pub(crate) federation: Arc<concord_taxii::server::egress::Federation>,
    pub(crate) sections: Vec<Section>,
    /// Pages of the settings that modules add (linked from `/settings`).
    pub(crate) settings_pages: Vec<Section>,
    /// Cards that modules add to the dashboard.
    pub(crate) panels: Vec<Arc<dyn crate::panel::Panel>>,
}

/// The state as handlers receive it.
pub type Shared = Arc<ConsoleState>;

impl ConsoleState {
    /// The node's store.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// The federation decisions are made under.
    pub(crate) fn federation(&self) -> Arc<concord_taxii::server::egress::Federation> {
        self.federation.clone()
    }
}

/// The request's language, cookie security and location.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The language pages are shown in: `?lang=`, else the language
    /// cookie, else `Accept-Language`, else English.
    pub lang: Lang,
    /// Whether cookies set now get `Secure`.
    pub secure: bool,
    /// `?lang=` chose the language: remember it in a cookie.
    pub(crate) remember_lang: bool,
    /// Path and query of the request (for language links and `next`).
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) cookies: String,
    pub(crate) headers: HeaderMap,
    /// The client's address, when the accept loop says.
    pub(crate) peer: Option<std::net::IpAddr>,
}

impl Ctx {
    fn from_parts(parts: &Parts, opts: &ConsoleOptions) -> Ctx {
        let cookies = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let query = parts.uri.query().map(str::to_string);
        let from_query = query.as_deref().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::from_tag(&v))
        });
        let from_cookie = session::cookie(&cookies, LANG_COOKIE).and_then(Lang::from_tag);
        let from_header = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language);
        let peer = parts.extensions.get::<concord_taxii::server::Peer>();
        let tls = peer.is_some_and(|p| p.tls);
        Ctx {
            lang: from_query
                .or(from_cookie)
                .or(from_header)
                .unwrap_or(Lang::En),
            secure: opts.secure_cookies || tls,
            remember_lang: from_query.is_some(),
            path: parts.uri.path().to_string(),
            query,
            cookies,
            headers: parts.headers.clone(),
            peer: peer.map(|p| p.addr.ip()),
        }
    }

    /// The value of the request's cookie `name`, if it sent one.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        session::cookie(&self.cookies, name)
    }

    /// The current page with `lang=code` (other query parameters kept).
    fn lang_href(&self, code: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(query) = &self.query {
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                if k != "lang" {
                    q.append_pair(&k, &v);
                }
            }
        }
        q.append_pair("lang", code);
        format!("{}?{}", self.path, q.finish())
    }

    /// Path and query, for a `next=` after log-in.
    pub(crate) fn here(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether a POST comes from this origin (or says nothing): a second
    /// line of defence behind the CSRF token and `SameSite=Strict`.
    pub(crate) fn same_origin(&self) -> bool {
        let Some(origin) = self
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        else {
            return true;
        };
        let host = self
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
    }
}

impl FromRequestParts<Shared> for Ctx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx::from_parts(parts, &st.opts))
    }
}

/// The signed-in user of a request, with their rights. Extracting it
/// redirects to the log-in page when there is no live session.
pub struct Viewer {
    /// The request's language and context.
    pub ctx: Ctx,
    /// The live session it came with.
    pub session: Session,
    /// What the user may read and write.
    pub rights: Rights,
}

impl Viewer {
    /// The language of the request.
    pub fn lang(&self) -> Lang {
        self.ctx.lang
    }

    /// Whether a submitted CSRF token is this session's.
    pub fn csrf_ok(&self, token: &str) -> bool {
        self.ctx.same_origin() && session::same_secret(token, &self.session.csrf)
    }
}

/// `Some` when signed in; for pages that show something else otherwise.
pub(crate) struct MaybeViewer(pub Ctx, pub Option<Viewer>);

async fn signed_in(parts: &Parts, st: &Shared) -> Result<(Ctx, Option<Viewer>), Response> {
    let ctx = Ctx::from_parts(parts, &st.opts);
    let Some(id) = ctx.cookie(SESSION_COOKIE) else {
        return Ok((ctx, None));
    };
    let Some(session) = st.sessions.get(id) else {
        return Ok((ctx, None));
    };
    let user = match st.store.user(&session.user).await {
        Ok(Some(u)) => {
            concord_taxii::server::request_log::note_caller(format!("user {} (console)", u.name));
            u
        }
        Ok(None) => {
            st.sessions.close(id);
            return Ok((ctx, None));
        }
        Err(e) => return Err(failure(&ctx, &ConsoleError::Store(e))),
    };
    let rights = match Rights::of(&st.store, user, st.federation()).await {
        Ok(r) => r,
        Err(e) => return Err(failure(&ctx, &e)),
    };
    Ok((
        ctx.clone(),
        Some(Viewer {
            ctx,
            session,
            rights,
        }),
    ))
}

impl FromRequestParts<Shared> for Viewer {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Viewer, Response> {
        match signed_in(parts, st).await? {
            (_, Some(v)) => Ok(v),
            (ctx, None) => {
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.append_pair("next", &ctx.here());
                Err(Redirect::to(&format!("/login?{}", q.finish())).into_response())
            }
        }
    }
}

impl FromRequestParts<Shared> for MaybeViewer {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<MaybeViewer, Response> {
        let (ctx, v) = signed_in(parts, st).await?;
        Ok(MaybeViewer(ctx, v))
    }
}

struct NavLink {
    id: &'static str,
    href: &'static str,
    label: String,
    current: bool,
}

struct LangLink {
    code: &'static str,
    name: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "layout.html")]
struct Layout<'a> {
    l: Lang,
    title: &'a str,
    node_title: &'a str,
    nav: Vec<NavLink>,
    langs: Vec<LangLink>,
    user: Option<&'a str>,
    csrf: &'a str,
    body: &'a str,
    asset_version: &'static str,
}

fn lang_links(ctx: &Ctx) -> Vec<LangLink> {
    LANGS
        .iter()
        .map(|l| LangLink {
            code: l.code(),
            name: l.native_name(),
            href: ctx.lang_href(l.code()),
            current: *l == ctx.lang,
        })
        .collect()
}

/// Headers every console page carries.
fn page_headers(ctx: &Ctx, resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if ctx.remember_lang {
        let c = session::set_cookie(LANG_COOKIE, ctx.lang.code(), ctx.secure, Some(31_536_000));
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
}

/// Puts a page body in the layout for a signed-in user; `current` is the
/// id of the section the page belongs to.
pub fn render(
    st: &ConsoleState,
    v: &Viewer,
    current: &str,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let nav = st
        .sections
        .iter()
        .filter(|s| (s.visible)(&v.rights))
        .map(|s| NavLink {
            id: s.id,
            href: s.path,
            label: v.lang().t(s.label_key),
            current: s.id == current,
        })
        .collect();
    let page = Layout {
        l: v.lang(),
        title,
        node_title: &st.opts.node_title,
        nav,
        langs: lang_links(&v.ctx),
        user: Some(&v.rights.user.name),
        csrf: &v.session.csrf,
        body,
        asset_version: crate::assets::VERSION,
    };
    finish(&v.ctx, status, page.render())
}

/// A page for someone not signed in (the log-in form).
pub(crate) fn render_public(
    st: &ConsoleState,
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let page = Layout {
        l: ctx.lang,
        title,
        node_title: &st.opts.node_title,
        nav: Vec::new(),
        langs: lang_links(ctx),
        user: None,
        csrf: "",
        body,
        asset_version: crate::assets::VERSION,
    };
    finish(ctx, status, page.render())
}

fn finish(ctx: &Ctx, status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => {
            let mut resp = (status, html).into_response();
            page_headers(ctx, &mut resp);
            resp
        }
        Err(e) => failure(ctx, &ConsoleError::Template(e)),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    testid: &'a str,
    text: &'a str,
}

/// A short message as a page body (no access, not found, bad request).
pub(crate) fn message_body(testid: &str, text: &str) -> String {
    Message { testid, text }
        .render()
        .unwrap_or_else(|_| String::new())
}

/// The page for a user who may not see what they asked for: it says so and
/// shows nothing else (no counts, no ids).
pub fn no_access(st: &ConsoleState, v: &Viewer, current: &str) -> Response {
    no_access_because(st, v, current, "no-access-text")
}

/// The same, saying what is missing in the words of the message `text`
/// (for a page that needs more than rights on some collection).
pub(crate) fn no_access_because(
    st: &ConsoleState,
    v: &Viewer,
    current: &str,
    text: &str,
) -> Response {
    let l = v.lang();
    render(
        st,
        v,
        current,
        StatusCode::FORBIDDEN,
        &l.t("no-access-title"),
        &message_body("no-access", &l.t(text)),
    )
}

/// The 404 page: what was asked for does not exist or is not visible to
/// this user.
pub fn not_found(st: &ConsoleState, v: &Viewer, current: &str) -> Response {
    let l = v.lang();
    render(
        st,
        v,
        current,
        StatusCode::NOT_FOUND,
        &l.t("not-found-title"),
        &message_body("not-found", &l.t("not-found-text")),
    )
}

/// The 403 page for a form whose CSRF token or origin is wrong.
pub fn bad_form(st: &ConsoleState, v: &Viewer, current: &str) -> Response {
    let l = v.lang();
    render(
        st,
        v,
        current,
        StatusCode::FORBIDDEN,
        &l.t("csrf-title"),
        &message_body("csrf-failed", &l.t("csrf-text")),
    )
}

/// A server-side failure: logged in full, shown as a short message.
pub fn failure(ctx: &Ctx, e: &ConsoleError) -> Response {
    tracing::error!(error = %e, "console page failed");
    let text = ctx.lang.t("error-text");
    let mut resp = (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            "<!doctype html><html lang=\"{}\" dir=\"{}\"><meta charset=\"utf-8\"><title>concord</title><p data-testid=\"error\">{}</p></html>",
            ctx.lang.code(),
            ctx.lang.dir(),
            escape(&text)
        ),
    )
        .into_response();
    page_headers(ctx, &mut resp);
    resp
}

/// HTML-escapes text for the few places that write HTML by hand.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
