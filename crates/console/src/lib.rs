//! The analysts' web console of a concord node: server-rendered HTML pages
//! (dashboard, intel list and search, object with versions, diff,
//! provenance and relationship graph, import, match, settings) in seven
//! languages, served by `concord serve` at `/` beside TAXII (`/taxii2/`)
//! and the JSON API (`/api/v1/`).
//!
//! What it is for: turning an analyst's clicks into calls on the store,
//! the STIX, trust and matcher crates, under the same users and rights as
//! the TAXII server, and rendering the answers as HTML that works without
//! JavaScript (htmx only adds live search). Assets and message catalogs
//! are compiled into the binary.
//!
//! What it must never do: show a user an object, a version or a number
//! that comes from a collection they may not read (every page and every
//! count goes through `rights.rs`); accept a form without its CSRF token;
//! set a session cookie that scripts can read or that other sites send;
//! print, read the environment or configuration files, or exit (the
//! binary passes [`ConsoleOptions`]); keep anything on disk but through
//! the store.

mod assets;
mod diff;
mod error;
mod format;
mod graph;
mod i18n;
mod matching;
mod pages;
mod panel;
mod refs;
mod rights;
pub mod sections;
mod session;
mod shell;
mod summary;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use concord_store::AnyStore;
use concord_taxii::gate::Gate;

pub use assets::shipped_bytes;
pub use error::ConsoleError;
pub use i18n::{Arg, LANGS, Lang};
pub use panel::{Panel, PanelFuture};
pub use rights::Rights;
pub use shell::{
    ConsoleState, Ctx, Section, Shared, Viewer, Visible, bad_form, escape, failure, no_access,
    not_found, render,
};

/// What the binary tells the console.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The node's name in page titles.
    pub node_title: String,
    /// Mark cookies `Secure` even on plain-HTTP connections: set it unless
    /// the node serves plain HTTP on a loopback address (behind a TLS
    /// proxy, the browser sees HTTPS). Connections that arrive over TLS
    /// always get `Secure` cookies.
    pub secure_cookies: bool,
    /// Largest upload on the import page.
    pub max_upload_bytes: usize,
    /// A session ends after this long without a request...
    pub session_idle: Duration,
    /// ...and this long after log-in, whatever happens.
    pub session_max: Duration,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            node_title: "concord".into(),
            secure_cookies: true,
            max_upload_bytes: 64 * 1024 * 1024,
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
        }
    }
}

/// The console, with the sections that modules add before it is served.
pub struct Console {
    store: AnyStore,
    opts: ConsoleOptions,
    extra: Vec<(Section, Router<Shared>)>,
    settings_pages: Vec<(Section, Router<Shared>)>,
    panels: Vec<Arc<dyn Panel>>,
    gate: Option<Arc<Gate>>,
}

impl Console {
    pub fn new(store: AnyStore, opts: ConsoleOptions) -> Console {
        Console {
            store,
            opts,
            extra: Vec::new(),
            settings_pages: Vec::new(),
            panels: Vec::new(),
            gate: None,
        }
    }

    /// Decides log-ins through the node's gate, so that failed attempts
    /// count with TAXII's and the API's (without it, the console has a
    /// gate of its own).
    pub fn gate(mut self, gate: Arc<Gate>) -> Console {
        self.gate = Some(gate);
        self
    }

    /// Adds a section (community, incidents...): its navigation entry goes
    /// before settings, and its routes (which use [`Viewer`] and
    /// [`render`]) are merged in.
    pub fn section(mut self, section: Section, routes: Router<Shared>) -> Console {
        self.extra.push((section, routes));
        self
    }

    /// Adds a page of the settings (peers, sharing...): no navigation entry
    /// of its own; the settings page links to it for users it is for, and
    /// its pages render with `current` = `"settings"`.
    pub fn settings_page(mut self, page: Section, routes: Router<Shared>) -> Console {
        self.settings_pages.push((page, routes));
        self
    }

    /// Adds a card to the dashboard (see [`Panel`]), after the built-in ones.
    pub fn panel(mut self, panel: Arc<dyn Panel>) -> Console {
        self.panels.push(panel);
        self
    }

    /// The console's routes, ready to merge with TAXII's and the API's.
    /// It has no fallback route, so it merges with routers that do.
    pub fn into_router(self) -> Router {
        let (mut sections, settings) = shell::builtin_sections();
        let mut extra_routes = Vec::new();
        for (s, r) in self.extra {
            sections.push(s);
            extra_routes.push(r);
        }
        sections.push(settings);
        let mut settings_pages = Vec::new();
        for (s, r) in self.settings_pages {
            settings_pages.push(s);
            extra_routes.push(r);
        }
        let max_upload = self.opts.max_upload_bytes;
        let gate = self
            .gate
            .unwrap_or_else(|| Gate::new(self.store.clone(), None, Default::default()));
        // Without a federation, the public's share is decided under the
        // default policy (fail closed), as the TAXII server does.
        let federation = gate.federation().cloned().unwrap_or_else(|| {
            Arc::new(concord_taxii::server::egress::Federation::new(
                String::new(),
                Default::default(),
            ))
        });
        let state: Shared = Arc::new(ConsoleState {
            store: self.store,
            sessions: session::Sessions::new(self.opts.session_idle, self.opts.session_max),
            opts: self.opts,
            refs: refs::RefIndex::default(),
            matcher: matching::MatchIndex::default(),
            federation,
            gate,
            sections,
            settings_pages,
            panels: self.panels,
        });
        let mut r = Router::new()
            .route("/", get(pages::dashboard::get))
            .route(
                "/login",
                get(pages::login::get_login).post(pages::login::post_login),
            )
            .route("/logout", post(pages::login::post_logout))
            .route("/intel", get(pages::intel::get))
            .route("/intel/{id}", get(pages::object::get))
            .route(
                "/import",
                get(pages::import::get)
                    .post(pages::import::post)
                    .layer(DefaultBodyLimit::max(max_upload)),
            )
            .route(
                "/match",
                get(matching::get)
                    .post(matching::post)
                    .layer(DefaultBodyLimit::max(max_upload)),
            )
            .route("/settings", get(pages::settings::get))
            .route("/settings/token", post(pages::settings::post_token))
            .route("/settings/user", post(pages::settings::post_user))
            .route("/assets/{name}", get(assets::get));
        for extra in extra_routes {
            r = r.merge(extra);
        }
        r.with_state(state)
    }
}

/// The console with its built-in sections only.
pub fn router(store: AnyStore, opts: ConsoleOptions) -> Router {
    Console::new(store, opts).into_router()
}
