//! `concord verify FILE --key HEX`: checks a signed bundle (`concord export
//! --signed`) or a piece of split-view evidence offline, with nothing but
//! the member's node key: no data directory, no network.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};

use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// The bundle (or evidence) to check.
    file: PathBuf,
    /// The member's node key (64 hex digits, as `concord key show` prints it).
    #[arg(long)]
    key: String,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let key = concord_trust::PublicKey::from_hex(&args.key)
        .map_err(|e| anyhow!("--key {:?}: {e}", args.key))?;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    match concord_log::bundle::verify_offline(&bytes, &key) {
        Ok(v) => {
            super::print(global, &v.to_json(), || v.to_string())?;
            Ok(Outcome::Ok)
        }
        Err(e) => {
            eprintln!("FAILED {}: {e}", args.file.display());
            Ok(Outcome::Failed)
        }
    }
}
