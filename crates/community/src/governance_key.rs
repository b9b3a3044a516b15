//! The member's governance key (`governance.key` beside the node key):
//! Ed25519, PKCS#8 PEM, mode 0600. It signs charters, votes and node-key
//! delegations, never objects (FEDERATION.md section 1, two key tiers).
//! `concord init` creates it; a node initialised before governance existed
//! gets one the first time a command needs it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{CommunityError, Result};
use concord_trust::Keypair;

/// The governance key's file name in the data directory.
pub const GOVERNANCE_KEY_FILE: &str = "governance.key";

/// Where the governance key of the node at `data_dir` is kept.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(GOVERNANCE_KEY_FILE)
}

/// Creates a fresh governance key; refuses to overwrite an existing one.
pub fn create(data_dir: &Path) -> Result<Keypair> {
    let path = path(data_dir);
    let key = Keypair::generate();
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| CommunityError::Invalid(format!("encoding the governance key: {e}")))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .map_err(|e| CommunityError::io("creating", &path, e))?;
    f.write_all(pem.as_bytes())
        .map_err(|e| CommunityError::io("writing", &path, e))?;
    f.sync_all()
        .map_err(|e| CommunityError::io("fsync of", &path, e))?;
    super::durable::sync_dir(data_dir)?;
    Ok(key)
}

/// Loads the governance key, creating it if this node has none yet.
pub fn load_or_create(data_dir: &Path) -> Result<Keypair> {
    let path = path(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(pem) => Keypair::from_pkcs8_pem(&pem).map_err(|e| {
            CommunityError::Invalid(format!("{} is not a governance key: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match create(data_dir) {
            Ok(k) => Ok(k),
            // Another process created it meanwhile: use theirs.
            Err(_) if path.exists() => load_or_create(data_dir),
            Err(e) => Err(e),
        },
        Err(e) => Err(CommunityError::io("reading", &path, e)),
    }
}
