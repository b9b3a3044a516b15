//! `concord sightings`: per indicator this member authored, how many
//! members sighted it and when; `concord sightings false-positive ID`
//! tells the author of an indicator or sighting it is wrong (a STIX
//! `opinion`, addressed like a sighting).

use anyhow::{Result, anyhow, bail};
use concord_stix::Timestamp;
use concord_stix::ingest::read_object;
use concord_store::{PreparedObject, Store};
use serde_json::{Value, json};

use super::Node;
use crate::Outcome;
use crate::config::Global;
use crate::sighting;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Mark an indicator or a sighting a false positive; its author receives it.
    FalsePositive {
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
                if global.json {
                    println!("{}", serde_json::to_string(&list)?);
                } else if list.is_empty() {
                    println!("no sightings of this member's indicators");
                } else {
                    for i in &list {
                        println!(
                            "{} {}: {} members, {} sightings, count {}, first {} last {}{}",
                            i.indicator,
                            i.name.as_deref().unwrap_or(""),
                            i.members,
                            i.sightings,
                            i.count,
                            i.first_seen.as_deref().unwrap_or("-"),
                            i.last_seen.as_deref().unwrap_or("-"),
                            if i.false_positives > 0 {
                                format!(", {} false-positive reports", i.false_positives)
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                Ok(Outcome::Ok)
            }
            Some(Command::FalsePositive { id, reason }) => {
                let Some(target) = sighting::latest(&node.store, &id).await? else {
                    bail!("this node holds no object {id}");
                };
                let kind = target.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind != "indicator" && kind != "sighting" {
                    bail!("{id} is a {kind}: only indicators and sightings can be marked false positives");
                }
                // The target's author, and for a sighting the author of
                // the indicator it sighted.
                let mut authors: Vec<String> = sighting::author_of(&target).into_iter().collect();
                if let Some(ind) = target.get("sighting_of_ref").and_then(Value::as_str)
                    && let Some(i) = sighting::latest(&node.store, ind).await?
                {
                    authors.extend(sighting::author_of(&i));
                }
                let to = sighting::address(
                    &node.config.sightings,
                    &me,
                    sighting::tlp_of(&target),
                    &authors,
                )?;
                let now = Timestamp::now();
                let mut opinion = json!({
                    "type": "opinion", "spec_version": "2.1",
                    "id": concord_stix::id::new_id("opinion"),
                    "created": now.to_stix(), "modified": now.to_stix(),
                    "created_by_ref": me,
                    "opinion": "strongly-disagree",
                    "object_refs": [id],
                    "labels": ["false-positive"],
                });
                if let Some(r) = &reason {
                    opinion["explanation"] = Value::from(r.clone());
                }
                let Value::Object(map) = opinion else {
                    bail!("building the opinion failed");
                };
                let signed = to.apply(&map, &me, &node.keypair(global)?)?;
                let text = Value::Object(signed.clone()).to_string();
                let checked = read_object(text.as_bytes()).map_err(|issues| {
                    anyhow!(
                        "the opinion is not valid STIX: {}",
                        issues.first().map(|i| i.to_string()).unwrap_or_default()
                    )
                })?;
                node.store
                    .put_batch(
                        &node.config.node.collection,
                        vec![PreparedObject::new(&checked.object, text)],
                    )
                    .await?;
                let oid = signed.get("id").cloned().unwrap_or(Value::Null);
                if global.json {
                    println!(
                        "{}",
                        json!({"id": oid, "object": id, "to": to.audience, "tlp": to.tlp.word()})
                    );
                } else {
                    match &to.audience {
                        Some(a) => println!("{id} marked a false positive; sent to {}", a.join(", ")),
                        None => println!("{id} marked a false positive (kept on this node)"),
                    }
                }
                Ok(Outcome::Ok)
            }
        }
    })
}
