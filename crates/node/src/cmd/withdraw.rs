//! `concord withdraw ID [--reason TEXT]`: the author takes an object back
//! (FEDERATION.md section 7). A new version with `revoked: true`, a newer
//! `modified`, the reason, and its optional descriptive fields emptied is
//! signed and stored; ordinary sync carries it to every peer that received
//! the object, and they stop matching it at once.

use anyhow::Result;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// The id of an object this member authored.
    id: String,
    /// Why (travels with the withdrawal).
    #[arg(long, default_value = "withdrawn by its author")]
    reason: String,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = node.keypair(global)?;
    let rt = super::runtime()?;
    let modified = rt.block_on(concord_federation::withdrawal::withdraw(
        &node.local(),
        &key,
        &args.id,
        &args.reason,
    ))?;
    let v = serde_json::json!({"id": args.id, "modified": modified, "revoked": true});
    super::print(global, &v, || {
        format!("{} withdrawn (version {modified})", args.id)
    })?;
    Ok(Outcome::Ok)
}
