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
    pub node: NodeSection,
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
