//! A node's configuration file (`config.toml` in the data directory): the
//! `[node]` and `[server]` sections, the typed sections the domain crates
//! own (`[sharing]`, `[sync]`, `[sightings]`, `[constituency]`,
//! `[alerts]`, `[metrics]`, `[log]`), parsed from the text the binary read
//! and rendered back for it to write; the secrets those sections point at
//! ([`Config::alerts_with_secrets`], [`Config::metrics_token`]); which
//! store the `storage` setting names ([`Storage`]).
//!
//! What it must never do: read the config file or the environment itself
//! (the binary gives it the text, and a lookup for environment variables),
//! render a resolved secret into the config's text, print or exit.

mod error;
mod secrets;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use concord_alert::{AlertsSection, ConstituencySection};
pub use concord_federation::{SharingSection, SyncSection};
pub use concord_incident::SightingsSection;
pub use concord_log::LogSection;
pub use concord_telemetry::MetricsSection;
pub use error::ConfigError;

/// The config file's name in the data directory.
pub const CONFIG_FILE: &str = "config.toml";
/// The node key file's default name in the data directory.
pub const KEY_FILE: &str = "node.key";

/// The whole config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where objects are stored: absent for the embedded database in the data
    /// directory, or a `postgres://` URL. `CONCORD_STORAGE` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Who this node is.
    pub node: NodeSection,
    /// The TAXII server (`concord serve`); every key has a default.
    #[serde(default)]
    pub server: ServerSection,
    /// What this member shares with peers and the public.
    #[serde(default)]
    pub sharing: SharingSection,
    /// Pulling from peers.
    #[serde(default)]
    pub sync: SyncSection,
    /// Sightings shared back to the authors of the indicators they sight.
    #[serde(default, skip_serializing_if = "SightingsSection::is_default")]
    pub sightings: SightingsSection,
    /// What the member answers for: alerts fire when intel touches it.
    #[serde(default, skip_serializing_if = "ConstituencySection::is_empty")]
    pub constituency: ConstituencySection,
    /// Alert scanning and delivery (webhooks, e-mail).
    #[serde(default, skip_serializing_if = "AlertsSection::is_default")]
    pub alerts: AlertsSection,
    /// Who may read `/metrics`.
    #[serde(default, skip_serializing_if = "MetricsSection::is_default")]
    pub metrics: MetricsSection,
    /// The node's transparency log (checkpoint interval).
    #[serde(default, skip_serializing_if = "LogSection::is_default")]
    pub log: LogSection,
}

/// `[server]`: where and how `concord serve` listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on (`--listen` overrides).
    pub listen: String,
    /// TLS certificate chain (PEM), relative to the data directory.
    /// Without it and `tls_key`, only a loopback address (or
    /// --plain-http) is served, in plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), relative to the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// This node's public URLs as peers reach it (e.g. behind a reverse
    /// proxy: `https://cti.example.org/`). Node-signed requests must be
    /// signed for one of them; `--public-url` adds to them. Default: the
    /// listen address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_urls: Vec<String>,
    /// Title of the discovery and API root resources.
    pub title: String,
    /// Objects per page when a client asks for no limit.
    pub default_page: usize,
    /// The most objects a page holds.
    pub max_page: usize,
    /// The largest request body taken.
    pub max_body_bytes: usize,
    /// Seconds a request may take.
    pub request_timeout_secs: u64,
    /// Requests per second per client address (0: unlimited).
    pub rate_per_second: f64,
    /// The burst of requests a client address may make at once.
    pub rate_burst: f64,
    /// The same for anonymous requests (no credentials), counted apart so
    /// that they cannot starve members' syncs.
    pub anonymous_rate_per_second: f64,
    /// The burst of anonymous requests.
    pub anonymous_rate_burst: f64,
    /// Envelopes with more objects are stored in the background (pending
    /// status at once).
    pub background_post_over: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        let o = concord_taxii::server::ServerOptions::default();
        ServerSection {
            listen: "127.0.0.1:8733".into(),
            tls_cert: None,
            tls_key: None,
            public_urls: Vec::new(),
            title: o.title,
            default_page: o.default_page,
            max_page: o.max_page,
            max_body_bytes: o.max_body_bytes,
            request_timeout_secs: o.request_timeout.as_secs(),
            rate_per_second: o.rate_per_second,
            rate_burst: o.rate_burst,
            anonymous_rate_per_second: o.anonymous_rate_per_second,
            anonymous_rate_burst: o.anonymous_rate_burst,
            background_post_over: o.background_post_over,
        }
    }
}

impl ServerSection {
    /// The TAXII server's options this section sets (pages and timeouts
    /// of at least 1).
    pub fn options(&self) -> concord_taxii::server::ServerOptions {
        concord_taxii::server::ServerOptions {
            title: self.title.clone(),
            description: "TAXII 2.1 server of a concord node".into(),
            default_page: self.default_page.max(1),
            max_page: self.max_page.max(1),
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            rate_per_second: self.rate_per_second,
            rate_burst: self.rate_burst,
            anonymous_rate_per_second: self.anonymous_rate_per_second,
            anonymous_rate_burst: self.anonymous_rate_burst,
            background_post_over: self.background_post_over,
        }
    }
}

/// `[node]`: who this node is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// The member organisation's name.
    pub org: String,
    /// The member's STIX identity id.
    pub identity: String,
    /// The collection that local imports go to.
    pub collection: String,
    /// The node key file, relative to the data directory.
    #[serde(default = "default_key_file")]
    pub key_file: String,
}

fn default_key_file() -> String {
    KEY_FILE.to_string()
}

impl Config {
    /// A new node's config: its `[node]` section and `storage`, every
    /// other section at its defaults.
    pub fn new(node: NodeSection, storage: Option<String>) -> Config {
        Config {
            storage,
            node,
            server: Default::default(),
            sharing: Default::default(),
            sync: Default::default(),
            sightings: Default::default(),
            constituency: Default::default(),
            alerts: Default::default(),
            metrics: Default::default(),
            log: Default::default(),
        }
    }

    /// Parses the text of a config file (`file` names it in errors).
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Invalid {
            file: file.to_path_buf(),
            source,
        })
    }

    /// The config as the text of its file (secrets stay where the config
    /// points at them).
    pub fn to_text(&self) -> Result<String, ConfigError> {
        Ok(toml::to_string_pretty(self)?)
    }

    /// The storage setting in force: `overridden` (`CONCORD_STORAGE`, as
    /// the caller read it) unless empty, else `storage`.
    pub fn storage_setting(&self, overridden: Option<String>) -> Option<String> {
        overridden
            .filter(|s| !s.is_empty())
            .or_else(|| self.storage.clone())
    }
}

/// The store a storage setting names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// The SQLite file in the data directory (no setting, or "embedded").
    Embedded,
    /// A PostgreSQL database, by its `postgres://` URL.
    Postgres(String),
}

impl Storage {
    /// The store `setting` names; `None` when it is neither "embedded" nor
    /// a `postgres://` (or `postgresql://`) URL.
    pub fn of_setting(setting: Option<&str>) -> Option<Storage> {
        match setting {
            None | Some("embedded") => Some(Storage::Embedded),
            Some(url) if is_postgres_url(url) => Some(Storage::Postgres(url.to_string())),
            Some(_) => None,
        }
    }
}

/// Whether a storage setting names a PostgreSQL database.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_round_trips_and_names_its_file_when_wrong() {
        let c = Config::new(
            NodeSection {
                org: "X".into(),
                identity: "identity--00000000-0000-4000-8000-000000000001".into(),
                collection: "c".into(),
                key_file: KEY_FILE.into(),
            },
            None,
        );
        let text = c.to_text().expect("text");
        let back = Config::parse(&text, Path::new("d/config.toml")).expect("parsed");
        assert_eq!(back.node.identity, c.node.identity);
        assert_eq!(back.server.listen, "127.0.0.1:8733");
        let e = Config::parse("[node]\norg = 1\n", Path::new("d/config.toml")).unwrap_err();
        assert_eq!(e.to_string(), "d/config.toml is not a valid config");
        assert!(std::error::Error::source(&e).is_some());
        let e = Config::parse(&format!("{text}\nunknown = 1\n"), Path::new("c")).unwrap_err();
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn storage_settings_name_a_store_or_nothing() {
        assert_eq!(Storage::of_setting(None), Some(Storage::Embedded));
        assert_eq!(
            Storage::of_setting(Some("embedded")),
            Some(Storage::Embedded)
        );
        assert_eq!(
            Storage::of_setting(Some("postgresql://h/db")),
            Some(Storage::Postgres("postgresql://h/db".into()))
        );
        assert_eq!(Storage::of_setting(Some("mysql://h/db")), None);
        let mut c = Config::new(
            NodeSection {
                org: "X".into(),
                identity: "i".into(),
                collection: "c".into(),
                key_file: KEY_FILE.into(),
            },
            Some("postgres://a/b".into()),
        );
        assert_eq!(
            c.storage_setting(Some(String::new())).as_deref(),
            Some("postgres://a/b")
        );
        assert_eq!(
            c.storage_setting(Some("embedded".into())).as_deref(),
            Some("embedded")
        );
        c.storage = None;
        assert_eq!(c.storage_setting(None), None);
    }
}
