//! `concord log status|verify|evidence`: this node's transparency log,
//! what it holds of every member's, and evidence of split views
//! (`concord-log` does the work).

use std::sync::Arc;

use anyhow::{Result, anyhow};
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// This node's log: its size, last checkpoint, the witnesses that cosigned it, objects held.
    Status,
    /// Check everything held of a member's log (a peer name, identity id, or `self`).
    Verify {
        /// `self` (this node's log), or a member's identity id or peer name.
        member: String,
    },
    /// Evidence of split views held, each verifiable offline with the member's key.
    Evidence,
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = Arc::new(node.keypair(global)?);
    let local = node.local();
    let rt = super::runtime()?;
    rt.block_on(async {
        let directory = concord_federation::logs::current(&local, &key.public()).await?;
        match command {
            Command::Status => {
                let s = concord_log::own::status(&node.store, &directory.own.origin).await?;
                let held = concord_log::receipt::held_objects(&node.store).await?;
                let witnessed = concord_log::witness::all_held(&node.store).await?;
                if global.json {
                    let mut v = serde_json::to_value(&s)?;
                    v["held_objects"] = held.len().into();
                    v["witnessed"] = witnessed
                        .iter()
                        .map(|(o, c)| json!({"origin": o, "size": c.checkpoint().size}))
                        .collect();
                    println!("{v}");
                } else {
                    println!("log {}: {} entries", s.origin, s.size);
                    match &s.checkpoint {
                        Some(c) => println!(
                            "last checkpoint: size {} root {} signed {}",
                            c["size"], c["root"], c["signed"]
                        ),
                        None => {
                            println!("no checkpoint yet (`concord serve` signs one each interval)")
                        }
                    }
                    println!(
                        "cosigned by: {}",
                        if s.cosigned_by.is_empty() {
                            "nobody yet".to_string()
                        } else {
                            s.cosigned_by.join(", ")
                        }
                    );
                    for (o, c) in &witnessed {
                        println!("witnessed {o} at size {}", c.checkpoint().size);
                    }
                    println!(
                        "{} received objects held until their author's log shows them",
                        held.len()
                    );
                }
                Ok(Outcome::Ok)
            }
            Command::Verify { member } => {
                let audit = if member == "self" || member == node.config.node.identity {
                    concord_log::audit::own(&node.store, &directory).await?
                } else {
                    let m = directory.by_member(&member).cloned().ok_or_else(|| {
                        anyhow!(
                            "{member:?} is no member or peer (see `concord peer list`), nor `self`"
                        )
                    })?;
                    let client = concord_federation::logs::client(key.clone())?;
                    concord_log::audit::member(&node.store, &directory, &key, &client, &m).await?
                };
                super::print(global, &audit, || audit.to_string())?;
                Ok(if audit.ok() {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                })
            }
            Command::Evidence => {
                let all = concord_log::evidence::list(&node.store).await?;
                super::print_list(global, &all, "no evidence of a split view")?;
                Ok(Outcome::Ok)
            }
        }
    })
}
