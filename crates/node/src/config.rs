//! Where the data directory is, and its config file as `concord_config`
//! reads it. Precedence: command line > environment (clap's `env`) > file
//! > defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use concord_config::{CONFIG_FILE, Config, KEY_FILE, NodeSection};

/// Options every command gets.
pub struct Global {
    pub data_dir: PathBuf,
    pub json: bool,
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

/// An environment variable, for the secrets the config points at.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The storage setting in force: `CONCORD_STORAGE`, else the config's.
pub fn storage(config: &Config) -> Option<String> {
    config.storage_setting(env("CONCORD_STORAGE"))
}

/// Reads `config.toml` of a data directory.
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
    Ok(Config::parse(&text, &path)?)
}

/// Writes config.toml, readable by its owner only (it may point at
/// secrets, or hold them inline).
pub fn save(config: &Config, data_dir: &Path) -> Result<()> {
    write_private(
        &data_dir.join(CONFIG_FILE),
        config.to_text()?.as_bytes(),
        false,
    )
}

/// Writes a file only its owner may read (a config, a key); `new`: refuse
/// to replace one that exists.
pub fn write_private(path: &Path, bytes: &[u8], new: bool) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let verb = if new { "creating" } else { "writing" };
    let what = || format!("{verb} {}", path.display());
    let mut f = opts.open(path).with_context(what)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", path.display()))?;
    }
    f.write_all(bytes).with_context(what)?;
    f.sync_all().with_context(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_config_is_private_and_loads_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let text = "[node]\norg = \"X\"\nidentity = \"identity--00000000-0000-4000-8000-000000000001\"\ncollection = \"c\"\n";
        let c = Config::parse(text, Path::new("config.toml")).expect("config");
        save(&c, dir.path()).expect("save");
        assert_eq!(load(dir.path()).expect("load").node.org, "X");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CONFIG_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let e = load(&dir.path().join("none")).unwrap_err();
        assert!(e.is::<crate::failure::NotInitialized>());
    }
}
