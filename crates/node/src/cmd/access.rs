//! `concord user|token|collection …`: who may use the TAXII server, and
//! what it serves. Tokens are stored as hashes: a listing names a token by
//! a short prefix of its hash, never the token.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use concord_store::{Collection, Grant, NewCollection, Store, User};
use concord_taxii::access::{check_new_password, hash_password, new_token};

use super::Node;
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

/// A collection named by id, or by a title only one collection has.
pub fn find(all: &[Collection], key: &str) -> Result<String> {
    if let Some(c) = all.iter().find(|c| c.id == key) {
        return Ok(c.id.clone());
    }
    let by_title: Vec<_> = all.iter().filter(|c| c.title == key).collect();
    match by_title.as_slice() {
        [c] => Ok(c.id.clone()),
        [] => bail!("no collection with id or title {key:?} (see `concord collection list`)"),
        _ => bail!("several collections are titled {key:?}; use the id"),
    }
}

pub fn user(global: &Global, cmd: UserCommand) -> Result<Outcome> {
    let a = match cmd {
        UserCommand::Add(a) => a,
        other => return super::admin::user(global, other),
    };
    let node = Node::open(global)?;
    let password = secret_from_stdin()?;
    check_new_password(&password)?;
    let password_hash = hash_password(&password)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        if node.store.user(&a.name).await?.is_some() {
            bail!("user {:?} exists already", a.name);
        }
        let all = node.store.collections().await?;
        let mut grants: Vec<Grant> = Vec::new();
        for (keys, read, write) in [(&a.read, true, false), (&a.write, false, true)] {
            for k in keys {
                grants.push(Grant {
                    collection: find(&all, k)?,
                    read,
                    write,
                });
            }
        }
        node.store
            .put_user(User {
                name: a.name.clone(),
                password_hash,
                admin: a.admin,
                grants,
            })
            .await?;
        anyhow::Ok(())
    })?;
    if global.json {
        println!(
            "{}",
            serde_json::json!({ "user": a.name, "admin": a.admin })
        );
    } else {
        println!("added user {}", a.name);
    }
    Ok(Outcome::Ok)
}

pub fn token(global: &Global, cmd: TokenCommand) -> Result<Outcome> {
    let user = match cmd {
        TokenCommand::Add { user } => user,
        other => return super::admin::token(global, other),
    };
    let node = Node::open(global)?;
    let (token, hash) = new_token();
    let rt = super::runtime()?;
    if !rt.block_on(node.store.add_token(&user, &hash))? {
        bail!("no user {user:?}");
    }
    if global.json {
        println!("{}", serde_json::json!({ "user": user, "token": token }));
    } else {
        println!("{token}");
    }
    Ok(Outcome::Ok)
}

pub fn collection(global: &Global, cmd: CollectionCommand) -> Result<Outcome> {
    let a = match cmd {
        CollectionCommand::Add(a) => a,
        other => return super::admin::collection(global, other),
    };
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let all = rt.block_on(node.store.collections())?;
    // Titles name collections on the command line: two alike could not.
    if let Some(c) = all.iter().find(|c| c.title == a.title) {
        bail!(
            "a collection is already titled {:?} ({}): choose another title",
            a.title,
            c.id
        );
    }
    let c = rt.block_on(node.store.create_collection(NewCollection {
        id: None,
        title: a.title,
        description: a.description,
        public: a.public,
    }))?;
    if global.json {
        println!(
            "{}",
            serde_json::json!({ "id": c.id, "title": c.title, "public": c.public })
        );
    } else {
        println!("{}", c.id);
    }
    Ok(Outcome::Ok)
}
