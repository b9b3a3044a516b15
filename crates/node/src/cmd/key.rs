//! `concord key show [--json]`: the node's public key and the member's
//! identity, for peers to add this node (`concord peer add … --key`).

use anyhow::Result;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the node's public key and member identity id.
    Show,
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    match command {
        Command::Show => show(global),
    }
}

fn show(global: &Global) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = node.keypair(global)?;
    let public_key = key.public().to_hex();
    let member = &node.config.node.identity;
    // Created here for a node initialised before governance keys existed.
    let governance = concord_community::governance_key::load_or_create(&global.data_dir)?
        .public()
        .to_hex();
    let v = serde_json::json!({"public_key": public_key, "member": member, "key_id": key.key_id().to_string(), "governance_key": governance});
    super::print(global, &v, || {
        format!(
            "public key      {public_key}\nmember          {member}\ngovernance key  {governance}"
        )
    })?;
    Ok(Outcome::Ok)
}
