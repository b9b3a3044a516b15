//! `concord user|token|collection …`: who may use the TAXII server, and
//! what it serves (`concord_taxii::admin` does the work).

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use concord_taxii::admin::{self, NewUser};
use serde_json::json;

use super::{Node, print, print_list};
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add a user of the TAXII server.
    Add(UserAddArgs),
    /// List the users and their rights.
    List,
    /// Remove a user, its rights and its tokens.
    Remove {
        /// The user's log-in name.
        name: String,
    },
    /// Set a user's password (read from the first line of standard input).
    Passwd {
        /// The user's log-in name.
        name: String,
        /// Read the new password (at least 12 characters) from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(clap::Args)]
pub struct UserAddArgs {
    /// The user's name (log-in name for TAXII and the console).
    name: String,
    /// Read the password (at least 12 characters) from the first line of standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
    /// May read and write every collection.
    #[arg(long)]
    admin: bool,
    /// A collection (id or title) the user may read; repeatable.
    #[arg(long = "read", value_name = "C")]
    read: Vec<String>,
    /// A collection (id or title) the user may write; repeatable.
    #[arg(long = "write", value_name = "C")]
    write: Vec<String>,
}

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Make a new API token for a user (printed once, stored only as a hash).
    Add {
        /// The user the token signs in as.
        user: String,
    },
    /// List the tokens: user, when made, a short prefix of the hash.
    List,
    /// Revoke a token, named by a prefix of its hash (from `token list`).
    Revoke {
        /// A prefix of the token's hash, as `token list` shows it.
        hash_prefix: String,
    },
}

#[derive(clap::Subcommand)]
pub enum CollectionCommand {
    /// Create a collection; prints its id.
    Add(CollectionAddArgs),
    /// List the collections: id, title, whether public, entry counts.
    List,
    /// One collection: title, description, entries, who may read or write it.
    Show {
        /// The collection's id or title.
        collection: String,
    },
    /// Remove a collection, its entries and the rights on it (the objects stay stored).
    Remove {
        /// The collection's id or title.
        collection: String,
    },
}

#[derive(clap::Args)]
pub struct CollectionAddArgs {
    /// Its title (unique on this node: commands accept it in place of the id).
    title: String,
    /// Anyone may read it, without signing in.
    #[arg(long)]
    public: bool,
    /// A description TAXII clients see.
    #[arg(long, default_value = "")]
    description: String,
}

/// Reads one line from stdin (a password or token), without its newline.
pub fn secret_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading from standard input")?;
    let s = line.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        bail!("standard input held no password");
    }
    Ok(s)
}

pub fn user(global: &Global, cmd: UserCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    match cmd {
        UserCommand::Add(a) => {
            let password = secret_from_stdin()?;
            let new = NewUser {
                name: &a.name,
                password: &password,
                admin: a.admin,
                read: &a.read,
                write: &a.write,
            };
            rt.block_on(admin::add_user(&node.store, new))?;
            let v = json!({ "user": a.name, "admin": a.admin });
            print(global, &v, || format!("added user {}", a.name))?;
        }
        UserCommand::List => print_list(global, &rt.block_on(admin::users(&node.store))?, "")?,
        UserCommand::Remove { name } => {
            rt.block_on(admin::remove_user(&node.store, &name))?;
            let v = json!({"removed": name});
            print(global, &v, || {
                format!("user {name} removed, with its tokens")
            })?;
        }
        UserCommand::Passwd { name, .. } => {
            let user = rt.block_on(admin::user(&node.store, &name))?;
            let password = secret_from_stdin()?;
            rt.block_on(admin::set_password(&node.store, user, &password))?;
            let v = json!({"user": name, "password": "changed"});
            print(global, &v, || format!("password of {name} changed"))?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn token(global: &Global, cmd: TokenCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    match cmd {
        TokenCommand::Add { user } => {
            let token = rt.block_on(admin::add_token(&node.store, &user))?;
            print(global, &json!({ "user": user, "token": token }), || {
                token.clone()
            })?;
        }
        TokenCommand::List => print_list(global, &rt.block_on(admin::tokens(&node.store))?, "")?,
        TokenCommand::Revoke { hash_prefix } => {
            let (hash, user) = rt.block_on(admin::revoke_token(&node.store, &hash_prefix))?;
            let v = json!({"revoked": hash, "user": user});
            print(global, &v, || format!("token {hash} of {user} revoked"))?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn collection(global: &Global, cmd: CollectionCommand) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let local = &node.config.node.collection;
    match cmd {
        CollectionCommand::Add(a) => {
            let c = rt.block_on(admin::add_collection(
                &node.store,
                a.title,
                a.description,
                a.public,
            ))?;
            let v = json!({ "id": c.id, "title": c.title, "public": c.public });
            print(global, &v, || c.id.clone())?;
        }
        CollectionCommand::List => {
            let all = rt.block_on(admin::collections(&node.store, local))?;
            print_list(global, &all, "")?;
        }
        CollectionCommand::Show { collection } => {
            let v = rt.block_on(admin::show_collection(&node.store, &collection))?;
            print(global, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            })?;
        }
        CollectionCommand::Remove { collection } => {
            let (id, r) = rt.block_on(admin::remove_collection(&node.store, &collection, local))?;
            let v = json!({"removed": id, "entries": r.entries, "grants": r.grants});
            print(global, &v, || {
                format!(
                    "collection {id} removed: {} entries, {} users' rights (the objects stay stored)",
                    r.entries, r.grants
                )
            })?;
        }
    }
    Ok(Outcome::Ok)
}
