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
    let evidence = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|v| v.get("type").and_then(|t| t.as_str()) == Some(concord_tlog::EVIDENCE_TYPE));
    let result = match evidence {
        Some(_) => concord_tlog::Evidence::from_json(&bytes)
            .and_then(|e| e.verify(&key))
            .map(|r| {
                serde_json::json!({"evidence": true, "origin": r.origin, "sizes": [r.sizes.0, r.sizes.1],
                    "roots": [r.roots.0.to_base64(), r.roots.1.to_base64()]})
            }),
        None => concord_log::bundle::verify(&bytes, &key)
            .map_err(|e| match e {
                concord_log::LogError::Tlog(t) => t,
                other => concord_tlog::TlogError::Bundle(other.to_string()),
            })
            .map(|r| {
                serde_json::json!({"origin": r.origin, "size": r.size, "root": r.root.to_base64(),
                    "objects": r.objects.len(), "cosignatures": r.other_signatures})
            }),
    };
    match result {
        Ok(v) => {
            if global.json {
                println!("{v}");
            } else if v.get("evidence").is_some() {
                println!(
                    "valid evidence: {} signed two views ({} and {})",
                    v["origin"], v["sizes"][0], v["sizes"][1]
                );
            } else {
                println!(
                    "verified: {} objects signed by the key, included in {} under the checkpoint of size {}",
                    v["objects"], v["origin"], v["size"]
                );
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            eprintln!("FAILED {}: {e}", args.file.display());
            Ok(Outcome::Failed)
        }
    }
}
