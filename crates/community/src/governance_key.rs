//! The member's governance key (`governance.key` beside the node key):
//! Ed25519, PKCS#8 PEM, mode 0600. It signs charters, votes and node-key
//! delegations, never objects (FEDERATION.md section 1, two key tiers).
//! `concord init` creates it; a node initialised before governance existed
//! gets one the first time a command needs it.
//!
//! Rotation: `concord community propose rotate-key` makes the next key
//! (`governance.key.next`, also 0600) and proposes it; the current key
//! keeps signing until a charter that lists the next key is adopted, and
//! from then on the next key is the key (the old one is kept as
//! `governance.key.old`, never used again).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{CommunityError, Result};
use concord_trust::Keypair;

/// The governance key's file name in the data directory.
pub const GOVERNANCE_KEY_FILE: &str = "governance.key";

/// The file of the next key while a rotation waits for adoption.
pub const NEXT_KEY_FILE: &str = "governance.key.next";

/// The governance key's file in a data directory.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(GOVERNANCE_KEY_FILE)
}

/// Creates a fresh governance key; refuses to overwrite an existing one.
pub fn create(data_dir: &Path) -> Result<Keypair> {
    write_new(&path(data_dir), data_dir)
}

/// The next governance key of a rotation: the one waiting for adoption if
/// there is one (so proposing twice proposes the same key), else a new one.
pub fn next(data_dir: &Path) -> Result<Keypair> {
    let p = data_dir.join(NEXT_KEY_FILE);
    match std::fs::read_to_string(&p) {
        Ok(pem) => Keypair::from_pkcs8_pem(&pem).map_err(|e| {
            CommunityError::Invalid(format!("{} is not a governance key: {e}", p.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new(&p, data_dir),
        Err(e) => Err(CommunityError::io("reading", &p, e)),
    }
}

/// The next key of a rotation waiting for adoption, if any.
pub fn pending(data_dir: &Path) -> Result<Option<Keypair>> {
    let p = data_dir.join(NEXT_KEY_FILE);
    match std::fs::read_to_string(&p) {
        Ok(pem) => Keypair::from_pkcs8_pem(&pem).map(Some).map_err(|e| {
            CommunityError::Invalid(format!("{} is not a governance key: {e}", p.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CommunityError::io("reading", &p, e)),
    }
}

/// Makes the next key the key once the adopted charter lists it.
fn promote_if_adopted(data_dir: &Path) -> Result<()> {
    let p = data_dir.join(NEXT_KEY_FILE);
    let Ok(pem) = std::fs::read_to_string(&p) else {
        return Ok(());
    };
    let Ok(next) = Keypair::from_pkcs8_pem(&pem) else {
        return Ok(());
    };
    let ledger = crate::ledger::Ledger::new(data_dir);
    let Some(chain) = crate::chain::load(&ledger)? else {
        return Ok(());
    };
    let id = next.key_id().to_hex();
    let listed = chain
        .head()
        .charter()
        .members
        .values()
        .any(|m| m.keys.contains_key(&id));
    if !listed {
        return Ok(());
    }
    let current = path(data_dir);
    let old = data_dir.join(format!("{GOVERNANCE_KEY_FILE}.old"));
    std::fs::rename(&current, &old)
        .map_err(|e| CommunityError::io("keeping the old key as", &old, e))?;
    std::fs::rename(&p, &current).map_err(|e| CommunityError::io("promoting", &p, e))?;
    super::durable::sync_dir(data_dir)
}

fn write_new(path: &Path, data_dir: &Path) -> Result<Keypair> {
    let path = path.to_path_buf();
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

/// Loads the governance key, creating it if this node has none yet (and
/// switching to the next key of a rotation the community adopted).
pub fn load_or_create(data_dir: &Path) -> Result<Keypair> {
    promote_if_adopted(data_dir)?;
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
