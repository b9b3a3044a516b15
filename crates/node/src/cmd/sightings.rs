//! `concord sightings`: per indicator this member authored, how many
//! members sighted it and when; `concord sightings false-positive ID`
//! tells the author of an indicator or sighting it is wrong (a STIX
//! `opinion`, addressed like a sighting).

use anyhow::Result;
use concord_incident::sighting;
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Mark an indicator or a sighting a false positive; its author receives it.
    FalsePositive {
        /// The id of another member's indicator that fired wrongly.
        id: String,
        /// Why (the opinion's explanation).
        #[arg(long)]
        reason: Option<String>,
    },
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let me = node.config.node.identity.clone();
    let rt = super::runtime()?;
    rt.block_on(async {
        match args.command {
            None => {
                let list = sighting::summary(&node.store, &me).await?;
                let none = "no sightings of this member's indicators";
                super::print_list(global, &list, none)?;
                Ok(Outcome::Ok)
            }
            Some(Command::FalsePositive { id, reason }) => {
                let key = node.keypair(global)?;
                let fp = sighting::false_positive(
                    &node.local(),
                    &key,
                    &node.config.sightings,
                    &id,
                    reason.as_deref(),
                )
                .await?;
                let v = json!({"id": fp.id, "object": id, "to": fp.to.audience, "tlp": fp.to.tlp.word()});
                super::print(global, &v, || match &fp.to.audience {
                    Some(a) => format!("{id} marked a false positive; sent to {}", a.join(", ")),
                    None => format!("{id} marked a false positive (kept on this node)"),
                })?;
                Ok(Outcome::Ok)
            }
        }
    })
}
