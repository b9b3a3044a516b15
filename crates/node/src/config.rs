//! The node's configuration file (`config.toml` in the data directory) and
//! where the data directory is. Precedence: command line > environment
//! (clap's `env`) > file > defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use concord_alert::{AlertsSection, ConstituencySection};
pub use concord_federation::{SharingSection, SyncSection};
pub use concord_incident::SightingsSection;
pub use concord_log::LogSection;
pub use concord_telemetry::MetricsSection;

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
    /// TLS certificate chain and private key (PEM), relative to the data
    /// directory. Without them, only a loopback address (or --plain-http)
    /// is served, in plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
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
    pub default_page: usize,
    pub max_page: usize,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Requests per second per client address (0: unlimited), and burst.
    pub rate_per_second: f64,
    pub rate_burst: f64,
    /// The same for anonymous requests (no credentials), counted apart so
    /// that they cannot starve members' syncs.
    pub anonymous_rate_per_second: f64,
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(crate::failure::NotInitialized {
                    config: path,
                    data_dir: data_dir.to_path_buf(),
                }
                .into());
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        toml::from_str(&text).with_context(|| format!("{} is not a valid config", path.display()))
    }

    /// Writes config.toml, readable by its owner only (it may hold
    /// secrets).
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        use std::io::Write;
        let path = data_dir.join(CONFIG_FILE);
        let text = toml::to_string_pretty(self)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} private", path.display()))?;
        }
        f.write_all(text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))
    }

    /// `[alerts]` with its secrets read from where the config says they
    /// are (`secret_file`/`secret_env`, `password_file`/`password_env`).
    /// Only this copy holds them: config.toml is never rewritten with them.
    pub fn alerts_with_secrets(&self, data_dir: &Path) -> Result<AlertsSection> {
        let mut a = self.alerts.clone();
        for (i, w) in a.webhooks.iter_mut().enumerate() {
            let place = format!("[[alerts.webhooks]] #{} ({})", i + 1, w.url);
            let given = !w.secret.is_empty();
            w.secret = secret(
                data_dir,
                &place,
                "secret",
                given.then(|| w.secret.clone()),
                &w.secret_file,
                &w.secret_env,
            )?
            .with_context(|| {
                format!("{place}: give the HMAC key in secret, secret_file or secret_env")
            })?;
        }
        if let Some(e) = a.email.as_mut() {
            e.password = secret(
                data_dir,
                "[alerts.email]",
                "password",
                e.password.clone(),
                &e.password_file,
                &e.password_env,
            )?;
        }
        Ok(a)
    }

    /// The `/metrics` token, from `[metrics]` `token_file` or `token_env`.
    pub fn metrics_token(&self, data_dir: &Path) -> Result<Option<String>> {
        let m = &self.metrics;
        let token = secret(
            data_dir,
            "[metrics]",
            "token",
            None,
            &m.token_file,
            &m.token_env,
        )?;
        if m.access == concord_telemetry::MetricsAccess::Token && token.is_none() {
            bail!("[metrics] access = \"token\" needs token_file or token_env");
        }
        Ok(token)
    }
}

/// A secret from exactly one of: the value itself, a file (relative to the
/// data directory; one trailing newline dropped) or an environment
/// variable. `None` when none is given; an error when several are.
fn secret(
    data_dir: &Path,
    place: &str,
    name: &str,
    inline: Option<String>,
    file: &Option<PathBuf>,
    env: &Option<String>,
) -> Result<Option<String>> {
    let given = [inline.is_some(), file.is_some(), env.is_some()]
        .iter()
        .filter(|g| **g)
        .count();
    if given > 1 {
        bail!("{place}: give {name} in one of {name}, {name}_file or {name}_env, not several");
    }
    if let Some(f) = file {
        let path = data_dir.join(f);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{place}: reading {name}_file {}", path.display()))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            bail!("{place}: {name}_file {} is empty", path.display());
        }
        return Ok(Some(text.to_string()));
    }
    if let Some(var) = env {
        let v = std::env::var(var).map_err(|_| {
            anyhow::anyhow!("{place}: {name}_env names {var}, which is not set in the environment")
        })?;
        if v.is_empty() {
            bail!("{place}: the environment variable {var} ({name}_env) is empty");
        }
        return Ok(Some(v));
    }
    Ok(inline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hook(secret: &str, extra: &str) -> Config {
        let text = format!(
            "[node]\norg = \"X\"\nidentity = \"identity--00000000-0000-4000-8000-000000000001\"\ncollection = \"c\"\n\n[[alerts.webhooks]]\nurl = \"https://hooks.example/x\"\n{secret}{extra}"
        );
        toml::from_str(&text).expect("config")
    }

    #[test]
    fn secrets_come_from_one_place_and_are_never_written_back() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("hook.secret"), "s3cr3t-from-file\n").expect("secret");
        let c = with_hook("secret_file = \"hook.secret\"\n", "");
        let resolved = c.alerts_with_secrets(dir.path()).expect("resolved");
        assert_eq!(resolved.webhooks[0].secret, "s3cr3t-from-file");
        // The config as saved keeps the file's name, never its content, and
        // is readable by its owner only.
        c.save(dir.path()).expect("save");
        let saved = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("saved");
        assert!(saved.contains("hook.secret") && !saved.contains("s3cr3t-from-file"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CONFIG_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            !format!("{resolved:?}").contains("s3cr3t"),
            "no secret in Debug"
        );
        // From the environment; several sources or none are refused.
        let c = with_hook("secret_env = \"CONCORD_TEST_HOOK_SECRET_UNSET\"\n", "");
        let e = c.alerts_with_secrets(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("CONCORD_TEST_HOOK_SECRET_UNSET") && e.contains("not set"),
            "{e}"
        );
        let c = with_hook("secret = \"a\"\n", "secret_file = \"hook.secret\"\n");
        let e = c.alerts_with_secrets(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not several"), "{e}");
        let c = with_hook("", "");
        let e = c.alerts_with_secrets(dir.path()).unwrap_err().to_string();
        assert!(e.contains("secret_file or secret_env"), "{e}");
    }
}
