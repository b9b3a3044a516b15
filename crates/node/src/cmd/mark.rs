//! `concord mark ID --tlp LEVEL [--audience ...]`: a new signed version of
//! an object this node holds, marked and addressed, so sync shares it
//! (`concord_federation::marking`).

use anyhow::{Context, Result};

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// The id of an object this member authored or imported unmarked.
    id: String,
    /// The TLP 2.0 level to mark it with: clear, green, amber, amber+strict or red.
    #[arg(long)]
    tlp: String,
    /// The members (identity ids) or groups that may receive it (replaces any earlier audience).
    #[arg(long, value_delimiter = ',')]
    audience: Vec<String>,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let tlp = concord_stix::tlp::Tlp::parse(&args.tlp).with_context(|| {
        format!(
            "--tlp {:?} is not a TLP 2.0 level: clear, green, amber, amber+strict or red",
            args.tlp
        )
    })?;
    let node = Node::open(global)?;
    let key = node.keypair(global)?;
    let rt = super::runtime()?;
    let audience = (!args.audience.is_empty()).then_some(args.audience);
    let marked = rt.block_on(concord_federation::marking::mark(
        &node.local(),
        &key,
        &args.id,
        tlp,
        audience,
    ))?;
    super::print(global, &marked, || marked.to_string())?;
    Ok(Outcome::Ok)
}
