//! The node's configuration file (`config.toml` in the data directory) and
//! where the data directory is. Precedence: command line > environment
//! (clap's `env`) > file > defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const CONFIG_FILE: &str = "config.toml";
pub const KEY_FILE: &str = "node.key";

/// Options every command gets.
pub struct Global {
    pub data_dir: PathBuf,
    pub json: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where objects are stored: absent for the embedded database in the data
    /// directory, or a `postgres://` URL. `CONCORD_STORAGE` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
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
}

/// `[sightings]`: by default a sighting goes back to the indicator's
/// author only (its audience), under the indicator's TLP or `min_tlp`,
/// whichever is stricter. `share = "off"` keeps sightings at home;
/// `also_to` widens the audience (members or groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SightingsSection {
    /// "author" (default) or "off".
    pub share: String,
    /// Members (identity ids) or groups that receive every sighting too.
    pub also_to: Vec<String>,
    /// The least strict TLP a sighting gets (default amber: a sighting
    /// says where the member was hit).
    pub min_tlp: String,
}

impl Default for SightingsSection {
    fn default() -> Self {
        SightingsSection {
            share: "author".into(),
            also_to: Vec::new(),
            min_tlp: "amber".into(),
        }
    }
}

impl SightingsSection {
    fn is_default(&self) -> bool {
        *self == SightingsSection::default()
    }
}

/// `[constituency]`: the networks and names this member is responsible
/// for. Intel arriving from a peer that touches them raises an alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConstituencySection {
    /// CIDR ranges, IPv4 or IPv6 (a bare address is a /32 or /128).
    pub ip_ranges: Vec<String>,
    /// Autonomous system numbers.
    pub asns: Vec<u32>,
    /// Domains (their subdomains are included).
    pub domains: Vec<String>,
    /// Organisation names, matched case-insensitively in names and
    /// descriptions.
    pub organisations: Vec<String>,
}

impl ConstituencySection {
    fn is_empty(&self) -> bool {
        *self == ConstituencySection::default()
    }
}

/// `[alerts]`: how often `serve` scans for alerts and how they are
/// delivered besides the event stream (`/api/v1/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSection {
    /// Seconds between scans in `serve` (a sync round also scans).
    pub scan_interval_secs: u64,
    /// Delivery attempts per alert and channel before it goes to the
    /// dead-letter list.
    pub max_attempts: u32,
    /// Seconds before the first retry; doubles each time (at most an hour).
    pub retry_secs: u64,
    /// Alert kinds delivered by webhook and e-mail (empty: all).
    pub kinds: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSection>,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            scan_interval_secs: 30,
            max_attempts: 8,
            retry_secs: 5,
            kinds: Vec::new(),
            webhooks: Vec::new(),
            email: None,
        }
    }
}

impl AlertsSection {
    fn is_default(&self) -> bool {
        *self == AlertsSection::default()
    }
}

/// `[[alerts.webhooks]]`: a JSON POST per alert, signed with HMAC-SHA256
/// over the body (`X-Concord-Signature: sha256=HEX`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    pub url: String,
    /// The shared HMAC key.
    pub secret: String,
}

/// `[alerts.email]`: one message per alert over SMTP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// "starttls" (default), "tls", or "none" (loopback hosts only).
    #[serde(default = "default_smtp_security")]
    pub security: String,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> String {
    "starttls".into()
}

/// `[sharing]`: the member's egress policy (FEDERATION.md sections 6, 7).
/// Whatever it says, unmarked objects never leave the node, GREEN and above
/// never reach a public collection, AMBER and AMBER+STRICT go only to the
/// members an object's audience names, and a relay forwards only CLEAR and
/// GREEN.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SharingSection {
    /// TLP levels shared at all (below RED).
    pub allow_tlp: Vec<String>,
    /// Members (identity ids) that may receive RED objects naming them.
    pub red_to: Vec<String>,
    /// Whether TLP:CLEAR objects may be served in public collections.
    pub clear_to_public: bool,
    /// Object types and labels not shared (policy; can be changed).
    pub deny_types: Vec<String>,
    pub deny_labels: Vec<String>,
    /// Object types and labels that never leave the node, whatever an
    /// object says.
    pub never_export_types: Vec<String>,
    pub never_export_labels: Vec<String>,
}

impl Default for SharingSection {
    fn default() -> Self {
        SharingSection {
            allow_tlp: ["clear", "green", "amber", "amber+strict"]
                .map(String::from)
                .to_vec(),
            red_to: Vec::new(),
            clear_to_public: true,
            deny_types: Vec::new(),
            deny_labels: Vec::new(),
            never_export_types: Vec::new(),
            never_export_labels: Vec::new(),
        }
    }
}

/// `[sync]`: how `serve` pulls from its peers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncSection {
    /// Seconds between rounds (0: only on demand with `concord sync`).
    pub interval_secs: u64,
    /// Objects per page asked of a peer.
    pub page: usize,
}

impl Default for SyncSection {
    fn default() -> Self {
        SyncSection {
            interval_secs: 60,
            page: 2000,
        }
    }
}

/// `[server]`: where and how `concord serve` listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on (`--listen` overrides).
    pub listen: String,
    /// TLS certificate chain and private key (PEM), relative to the data
    /// directory. Without them, only a loopback address (or --plain-http)
    /// is served, in plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Title of the discovery and API root resources.
    pub title: String,
    pub default_page: usize,
    pub max_page: usize,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Requests per second per client address (0: unlimited), and burst.
    pub rate_per_second: f64,
    pub rate_burst: f64,
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
            title: o.title,
            default_page: o.default_page,
            max_page: o.max_page,
            max_body_bytes: o.max_body_bytes,
            request_timeout_secs: o.request_timeout.as_secs(),
            rate_per_second: o.rate_per_second,
            rate_burst: o.rate_burst,
            background_post_over: o.background_post_over,
        }
    }
}

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

/// The data directory: the flag or CONCORD_DATA_DIR, else the platform's
/// data directory ($XDG_DATA_HOME/concord or ~/.local/share/concord).
pub fn resolve_data_dir(given: Option<PathBuf>) -> PathBuf {
    if let Some(d) = given {
        return d;
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("concord");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/share/concord");
    }
    PathBuf::from("concord-data")
}

impl Config {
    pub fn load(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{} does not exist: run `concord init --data-dir {}` first",
                path.display(),
                data_dir.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        toml::from_str(&text).with_context(|| format!("{} is not a valid config", path.display()))
    }

    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let path = data_dir.join(CONFIG_FILE);
        let text = toml::to_string_pretty(self)?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }
}
