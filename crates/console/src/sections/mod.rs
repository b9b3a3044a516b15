//! The console's pages that need the node itself: the community (members,
//! charter history, proposals and the button to sign them), incidents,
//! the peers with their sync status, the sharing rules and the quarantine
//! (a page of the settings), and dashboard cards for alerts, sync and
//! votes waiting. They plug in through the console's section API
//! ([`attach`]), and every action calls the same domain crate as the CLI
//! and the JSON API (community, federation, incident, alert).
//!
//! Rights are the API's: the community is for users who may read some
//! intel, signing for admins (the vote is this node's, made with its
//! governance key); incidents for users with read (write) rights on the
//! node's local collection, or admins; peers, sharing and quarantine for
//! admins; alerts for admins and users who may read every collection.
//! Every message comes from the console's catalogs
//! (`crates/console/locales/*/sections.ftl`).

pub mod alerts;
pub mod community;
pub mod incidents;
pub mod panels;
pub mod peers;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::response::Response;
use concord_federation::{LocalNode, SharingSection};
use concord_trust::Keypair;

use crate::{Console, ConsoleError, Rights, Section, Shared, Viewer, failure};

/// What the pages need of the node: the node, its key (incidents are
/// authored and signed here) and its sharing rules (shown read-only).
pub struct NodePages {
    /// The node: store, data directory, member, local collection.
    pub node: LocalNode,
    /// The node key.
    pub key: Arc<Keypair>,
    /// `[sharing]` as configured.
    pub sharing: SharingSection,
}

pub(crate) type Pages = Extension<Arc<NodePages>>;

impl NodePages {
    fn local(&self) -> &str {
        &self.node.collection
    }

    fn me(&self) -> &str {
        &self.node.member
    }
}

/// Whether the user has read (`write` false) or write rights on the
/// collection `local`, as the incident API decides: admins, or a grant.
pub fn on_local(r: &Rights, local: &str, write: bool) -> bool {
    r.admin
        || r.user
            .grants
            .iter()
            .any(|g| g.collection == local && if write { g.write } else { g.read })
}

/// Who sees the community: anyone who may read some intel.
pub fn sees_community(r: &Rights) -> bool {
    r.reads_anything()
}

/// Who sees alerts: as the event stream, admins and users who may read
/// every collection (alerts speak of all of them).
pub fn sees_alerts(r: &Rights) -> bool {
    r.reads_everything()
}

/// The console with the node's sections, settings page and cards.
pub fn attach(console: Console, pages: NodePages) -> Console {
    let pages = Arc::new(pages);
    let local = pages.local().to_string();
    let layer = |r: Router<Shared>| r.layer(Extension(pages.clone()));
    console
        .section(
            Section::new("community", "/community", "nav-community", sees_community),
            layer(community::routes()),
        )
        .section(
            Section::new(
                "incidents",
                "/incidents",
                "nav-incidents",
                move |r: &Rights| on_local(r, &local, false),
            ),
            layer(incidents::routes()),
        )
        .settings_page(
            Section::new("peers", "/settings/peers", "nav-peers", |r: &Rights| {
                r.admin
            }),
            layer(peers::routes()),
        )
        .section(
            Section::new("alerts", "/alerts", "nav-alerts", sees_alerts),
            layer(alerts::routes()),
        )
        .panel(Arc::new(panels::AlertsPanel(pages.clone())))
        .panel(Arc::new(panels::VotesPanel(pages.clone())))
        .panel(Arc::new(panels::SyncPanel(pages)))
}

/// A server-side failure of one of these pages: logged with what it was
/// doing, shown as the console's short message.
pub fn fail(v: &Viewer, doing: &str, e: &dyn std::fmt::Display) -> Response {
    failure(&v.ctx, &ConsoleError::Section(format!("{doing}: {e:#}")))
}

/// Runs blocking work (the community's files are locked and fsynced) off
/// the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ConsoleError::Task(e.to_string()))?
}

/// A short, printable excerpt of text that came from elsewhere.
pub fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use crate::{Arg, LANGS};

    /// Every message key these pages ask for exists in the catalogs (the
    /// console's own test checks that all seven have the same keys): any
    /// string literal shaped like one of this module's keys.
    #[test]
    fn keys_used_exist() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("community.rs"),
            include_str!("incidents.rs"),
            include_str!("peers.rs"),
            include_str!("alerts.rs"),
            include_str!("panels.rs"),
        ];
        // Templates ask with `l.t("key")` on one line.
        let templates = [
            include_str!("../../templates/sections/community.html"),
            include_str!("../../templates/sections/incidents.html"),
            include_str!("../../templates/sections/incident.html"),
            include_str!("../../templates/sections/peers.html"),
            include_str!("../../templates/sections/alerts.html"),
            include_str!("../../templates/sections/panels.html"),
        ];
        let prefixes = [
            "nav-",
            "community-",
            "incident-",
            "incidents-",
            "alert-",
            "alerts-",
            "panel-",
            "peers-",
            "sharing-",
            "quarantine-",
        ];
        let mut missing = Vec::new();
        let mut seen = 0;
        let mut literals: Vec<&str> = Vec::new();
        for src in sources {
            literals.extend(src.split('"').skip(1).step_by(2));
        }
        for src in templates {
            for (i, _) in src.match_indices(".t(\"") {
                let rest = &src[i + 4..];
                literals.extend(rest.split('"').next());
            }
        }
        for lit in literals {
            let keyish = prefixes.iter().any(|p| lit.starts_with(p))
                && !lit.ends_with('-')
                && !lit.contains("--")
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !keyish {
                continue;
            }
            seen += 1;
            // A value for every variable the messages use.
            let args: Vec<(&'static str, Arg<'_>)> = [
                "member", "name", "country", "from", "to", "count", "quorum", "version", "reason",
                "n",
            ]
            .into_iter()
            .map(|k| (k, Arg::Text("x")))
            .collect();
            for l in LANGS {
                if l.t_args(lit, &args) == lit {
                    missing.push(format!("{}: {lit}", l.code()));
                }
            }
        }
        assert!(seen > 100, "only {seen} keys found: is the scan broken?");
        assert!(
            missing.is_empty(),
            "keys missing from catalogs: {missing:?}"
        );
    }
}
