//! `concord user list|remove|passwd`, `token list|revoke`,
//! `collection list|show|remove`: what an operator inspects and takes away.

use anyhow::{Result, bail};
use concord_store::Store;
use concord_taxii::access::hash_password;
use serde_json::json;

use super::Node;
use super::access::{CollectionCommand, TokenCommand, UserCommand, find, secret_from_stdin};
use crate::Outcome;
use crate::config::Global;

/// How many hex digits of a token's hash a listing shows.
const PREFIX: usize = 12;

fn print(global: &Global, value: serde_json::Value, text: impl FnOnce() -> String) {
    if global.json {
        println!("{value}");
    } else {
        let t = text();
        if !t.is_empty() {
            println!("{t}");
        }
    }
}

pub fn user(global: &Global, cmd: UserCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        match cmd {
            UserCommand::Add(_) => unreachable!("handled by access::user"),
            UserCommand::List => {
                let users = node.store.users().await?;
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| {
                        let grants: Vec<_> = u.grants.iter().map(|g| json!({"collection": g.collection, "read": g.read, "write": g.write})).collect();
                        json!({"name": u.name, "admin": u.admin, "grants": grants})
                    })
                    .collect();
                print(global, json!(rows), || {
                    users
                        .iter()
                        .map(|u| {
                            let rights: Vec<String> = u.grants.iter().map(|g| format!("{}{}{}", g.collection, if g.read { " r" } else { "" }, if g.write { "w" } else { "" })).collect();
                            format!("{}{}  {}", u.name, if u.admin { " (admin)" } else { "" }, rights.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
            UserCommand::Remove { name } => {
                if !node.store.remove_user(&name).await? {
                    bail!("there is no user {name:?} (see `concord user list`)");
                }
                print(global, json!({"removed": name}), || format!("user {name} removed, with its tokens"));
            }
            UserCommand::Passwd { name, .. } => {
                let Some(mut user) = node.store.user(&name).await? else {
                    bail!("there is no user {name:?} (see `concord user list`)");
                };
                user.password_hash = hash_password(&secret_from_stdin()?)?;
                node.store.put_user(user).await?;
                print(global, json!({"user": name, "password": "changed"}), || format!("password of {name} changed"));
            }
        }
        Ok(Outcome::Ok)
    })
}

pub fn token(global: &Global, cmd: TokenCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        let tokens = node.store.tokens().await?;
        match cmd {
            TokenCommand::Add { .. } => unreachable!("handled by access::token"),
            TokenCommand::List => {
                let at = |us: i64| concord_stix::Timestamp(us).to_taxii();
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|t| json!({"user": t.user, "created": at(t.created_us), "hash_prefix": &t.hash[..PREFIX.min(t.hash.len())]}))
                    .collect();
                print(global, json!(rows), || {
                    tokens
                        .iter()
                        .map(|t| format!("{}  {}  {}", &t.hash[..PREFIX.min(t.hash.len())], t.user, at(t.created_us)))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
            TokenCommand::Revoke { hash_prefix } => {
                if hash_prefix.len() < 6 {
                    bail!("give at least 6 hex digits of the hash (see `concord token list`)");
                }
                let hits: Vec<_> = tokens.iter().filter(|t| t.hash.starts_with(&hash_prefix)).collect();
                let t = match hits.as_slice() {
                    [t] => t,
                    [] => bail!("no token's hash starts with {hash_prefix:?} (see `concord token list`)"),
                    _ => bail!("several tokens' hashes start with {hash_prefix:?}: give more digits"),
                };
                node.store.revoke_token(&t.hash).await?;
                print(global, json!({"revoked": &t.hash[..PREFIX], "user": t.user}), || {
                    format!("token {} of {} revoked", &t.hash[..PREFIX], t.user)
                });
            }
        }
        Ok(Outcome::Ok)
    })
}

pub fn collection(global: &Global, cmd: CollectionCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        let all = node.store.collections().await?;
        let stats = node.store.stats().await?;
        let entries = |title: &str| stats.collections.iter().find(|(t, _)| t == title).map_or(0, |(_, n)| *n);
        match cmd {
            CollectionCommand::Add(_) => unreachable!("handled by access::collection"),
            CollectionCommand::List => {
                let rows: Vec<_> = all.iter().map(|c| json!({"id": c.id, "title": c.title, "public": c.public, "entries": entries(&c.title), "local": c.id == node.config.node.collection})).collect();
                print(global, json!(rows), || {
                    all.iter()
                        .map(|c| format!("{}  {}{}  {} entries", c.id, c.title, if c.public { " (public)" } else { "" }, entries(&c.title)))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
            CollectionCommand::Show { collection } => {
                let id = find(&all, &collection)?;
                let c = all.iter().find(|c| c.id == id).expect("found above");
                let users = node.store.users().await?;
                let rights: Vec<_> = users
                    .iter()
                    .filter_map(|u| {
                        let g = u.grants.iter().find(|g| g.collection == id);
                        (u.admin || g.is_some()).then(|| json!({"user": u.name, "read": u.admin || g.is_some_and(|g| g.read), "write": u.admin || g.is_some_and(|g| g.write)}))
                    })
                    .collect();
                let v = json!({"id": c.id, "title": c.title, "description": c.description, "public": c.public,
                    "entries": entries(&c.title), "last_added": node.store.last_added(&id).await?.map(|us| concord_stix::Timestamp(us).to_taxii()), "rights": rights});
                print(global, v.clone(), || serde_json::to_string_pretty(&v).unwrap_or_default());
            }
            CollectionCommand::Remove { collection } => {
                let id = find(&all, &collection)?;
                if id == node.config.node.collection {
                    bail!("{id} is this node's local collection (config.toml [node] collection): it cannot be removed");
                }
                let r = node.store.remove_collection(&id).await?;
                print(global, json!({"removed": id, "entries": r.entries, "grants": r.grants}), || {
                    format!("collection {id} removed: {} entries, {} users' rights (the objects stay stored)", r.entries, r.grants)
                });
            }
        }
        Ok(Outcome::Ok)
    })
}
