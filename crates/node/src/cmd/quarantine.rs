//! `concord quarantine list|show|drop`: objects peers sent that were not
//! stored (unsigned, signed by an unknown key, changed in transit, or not
//! valid STIX), each with the reason. They are never served or matched.

use anyhow::{Result, bail};
use concord_federation::quarantine;
use serde_json::Value;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List quarantined objects with the reason.
    List,
    /// Show one quarantined object as received (by its key from `list`, or its id).
    Show {
        /// Its key from `concord quarantine list`, or the object's id.
        key: String,
    },
    /// Forget quarantined objects (by key or id; `--all` for every one).
    Drop {
        /// Its key from `concord quarantine list`, or the object's id.
        key: Option<String>,
        /// Every quarantined object.
        #[arg(long)]
        all: bool,
    },
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        let all = quarantine::entries(&node.store).await?;
        match command {
            Command::List => {
                if global.json {
                    let list: Vec<Value> = all
                        .iter()
                        .map(|e| {
                            let mut v = e.value.clone();
                            if let Some(m) = v.as_object_mut() {
                                m.remove("object");
                                m.insert("key".into(), e.key.clone().into());
                            }
                            v
                        })
                        .collect();
                    println!("{}", serde_json::to_string(&list)?);
                } else if all.is_empty() {
                    println!("nothing in quarantine");
                } else {
                    for e in &all {
                        println!("{e}");
                    }
                }
                Ok(Outcome::Ok)
            }
            Command::Show { key } => {
                let found: Vec<&quarantine::Entry> = all.iter().filter(|e| e.is_named(&key)).collect();
                if found.is_empty() {
                    bail!("nothing in quarantine has key or id {key:?} (see `concord quarantine list`)");
                }
                for e in found {
                    if global.json {
                        println!("{}", e.value);
                    } else {
                        let f = |k: &str| e.value.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
                        println!("key       {}\nfrom      {}\nreceived  {}\nreason    {}\nobject    {}", e.key, f("source"), f("received"), f("reason"), f("object"));
                    }
                }
                Ok(Outcome::Ok)
            }
            Command::Drop { key, all: every } => {
                let keys: Vec<String> = match (key, every) {
                    (_, true) => all.iter().map(|e| e.key.clone()).collect(),
                    (Some(k), false) => all.iter().filter(|e| e.is_named(&k)).map(|e| e.key.clone()).collect(),
                    (None, false) => bail!("give a key or id from `concord quarantine list`, or --all"),
                };
                let n = quarantine::drop(&node.store, keys).await?;
                let v = serde_json::json!({"dropped": n});
                super::print(global, &v, || format!("{n} dropped from quarantine"))?;
                Ok(Outcome::Ok)
            }
        }
    })
}
