//! `concord search`, `concord show` and `concord stats`.

use anyhow::{Result, bail};
use concord_store::{Store, StoredObject, VersionSel};
use serde_json::Value;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct SearchArgs {
    /// Words to look for (each of 3+ characters must occur, in any script).
    #[arg(required = true)]
    text: Vec<String>,
    /// At most this many results.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// The object's STIX id.
    id: String,
    /// Every stored version, oldest first.
    #[arg(long)]
    versions: bool,
}

fn parsed(o: &StoredObject) -> Value {
    serde_json::from_str(&o.json).unwrap_or(Value::Null)
}

pub fn search(global: &Global, args: SearchArgs) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let hits = rt.block_on(node.store.search(&args.text.join(" "), args.limit))?;
    if global.json {
        let list: Vec<Value> = hits.iter().map(parsed).collect();
        println!("{}", serde_json::to_string(&list)?);
    } else {
        for h in &hits {
            let v = parsed(h);
            let label = v
                .get("name")
                .or_else(|| v.get("value"))
                .or_else(|| v.get("pattern"))
                .and_then(Value::as_str)
                .unwrap_or("");
            println!("{:<24} {} {}", h.object_type, h.id, label);
        }
        eprintln!("{} found", hits.len());
    }
    Ok(Outcome::Ok)
}

pub fn show(global: &Global, args: ShowArgs) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let which = if args.versions {
        VersionSel::All
    } else {
        VersionSel::Last
    };
    let found = rt.block_on(node.store.versions(&args.id, which))?;
    if found.is_empty() {
        bail!("no object {} in this node", args.id);
    }
    let list: Vec<Value> = found.iter().map(parsed).collect();
    let out = if args.versions {
        Value::Array(list)
    } else {
        list.into_iter().next().unwrap_or(Value::Null)
    };
    super::print(global, &out, || {
        serde_json::to_string_pretty(&out).unwrap_or_default()
    })?;
    Ok(Outcome::Ok)
}

pub fn stats(global: &Global) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let s = rt.block_on(node.store.stats())?;
    if global.json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "objects": s.objects,
                "versions": s.versions,
                "by_type": s.by_type.iter().map(|(k, n)| (k.clone(), Value::from(*n))).collect::<serde_json::Map<String, Value>>(),
                "by_tlp": s.by_tlp.iter().map(|(k, n)| (k.clone(), Value::from(*n))).collect::<serde_json::Map<String, Value>>(),
                "collections": s.collections.iter().map(|(t, n)| serde_json::json!({"title": t, "entries": n})).collect::<Vec<_>>(),
            }))?
        );
    } else {
        println!("{} objects, {} versions", s.objects, s.versions);
        println!("by type:");
        for (t, n) in &s.by_type {
            println!("  {t:<24} {n}");
        }
        println!("by TLP:");
        for (t, n) in &s.by_tlp {
            println!("  {t:<24} {n}");
        }
        println!("collections:");
        for (t, n) in &s.collections {
            println!("  {t:<24} {n}");
        }
    }
    Ok(Outcome::Ok)
}
