//! `concord peer add|list|remove`: the nodes this node syncs with and
//! serves under its sharing policy.

use anyhow::{Result, bail};
use concord_federation::{peers, pull};

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Add (or replace) a peer: its URL, its node key and its member identity.
    Add {
        /// A short name for the peer (used by `sync NAME`, `export --for NAME`, logs).
        name: String,
        /// Its TAXII URL (https://…/taxii2/, or its base URL: `/taxii2/`
        /// below it is tried; plain http only on 127.0.0.1). The URL that
        /// answers TAXII is stored; nothing is stored when none does.
        #[arg(long)]
        url: String,
        /// Its node public key (64 hex digits, from `concord key show` on that node).
        #[arg(long)]
        key: String,
        /// Its member's STIX identity id (from `concord key show`).
        #[arg(long)]
        member: Option<String>,
        /// Groups an audience may name it by (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        group: Vec<String>,
        /// Serve it and trust its key, but never pull from it.
        #[arg(long)]
        no_pull: bool,
    },
    /// List the peers and how their last sync went.
    List,
    /// Stop syncing with a peer and serving it.
    Remove {
        /// The peer's name (from `concord peer list`).
        name: String,
    },
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        match command {
            Command::Add {
                name,
                url,
                key,
                member,
                group,
                no_pull,
            } => {
                let own = node.keypair(global)?.public();
                let new = peers::NewPeer {
                    name: name.clone(),
                    url,
                    key,
                    member,
                    groups: group,
                    no_pull,
                };
                let record = peers::add(&node.local(), &own, new).await?;
                super::print(global, &record, || format!("peer {name} added"))?;
                Ok(Outcome::Ok)
            }
            Command::List => {
                let list = peers::list(&node.store).await?;
                let statuses = pull::statuses(&node.store).await?;
                if global.json {
                    let out: Vec<_> = list
                        .iter()
                        .map(|p| {
                            let mut v = serde_json::to_value(p).unwrap_or_default();
                            if let Some(s) = statuses.iter().find(|s| s.peer == p.name) {
                                v["last_sync"] = serde_json::to_value(s).unwrap_or_default();
                            }
                            v
                        })
                        .collect();
                    println!("{}", serde_json::to_string(&out)?);
                } else if list.is_empty() {
                    println!("no peers: add one with `concord peer add NAME --url URL --key KEY --member ID`");
                } else {
                    for p in &list {
                        let last = statuses.iter().find(|s| s.peer == p.name);
                        let state = match last {
                            None => "never synced".to_string(),
                            Some(s) => match &s.error {
                                Some(e) => format!("last sync {} failed: {e}", s.at),
                                None => format!(
                                    "last sync {}: {} stored, {} quarantined",
                                    s.at, s.stored, s.quarantined
                                ),
                            },
                        };
                        println!("{}  {}  {}  {}", p.name, p.url, p.member, state);
                    }
                    if !concord_community::in_community(&node.data_dir)? {
                        println!(
                            "(this node is in no community: it syncs with the peers added here; see `concord community --help`)"
                        );
                    }
                }
                Ok(Outcome::Ok)
            }
            Command::Remove { name } => {
                if !peers::remove(&node.store, &name).await? {
                    bail!("there is no peer {name:?} (see `concord peer list`)");
                }
                let v = serde_json::json!({ "removed": name });
                super::print(global, &v, || format!("peer {name} removed"))?;
                Ok(Outcome::Ok)
            }
        }
    })
}
