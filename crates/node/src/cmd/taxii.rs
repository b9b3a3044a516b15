//! `concord taxii pull` and `concord taxii push`: sync one collection with
//! a TAXII 2.1 server (another node, or any TAXII server).

use anyhow::{Context, Result};
use concord_store::{NewCollection, Store};
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_taxii::sync::{self, PullOptions};

use super::Node;
use super::access::secret_from_stdin;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Pull a remote collection into the local store (resumable).
    Pull(SyncArgs),
    /// Push the node's local collection to a remote collection.
    Push(SyncArgs),
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// The server's discovery URL or API root URL (or its base URL:
    /// `taxii2/` below it is tried).
    url: String,
    /// The remote collection's id or title.
    #[arg(long)]
    collection: String,
    /// The user to sign in to the server as (HTTP Basic; with --password-stdin).
    #[arg(long, requires = "password_stdin")]
    user: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long, requires = "user")]
    password_stdin: bool,
    /// Objects per page or envelope.
    #[arg(long, default_value_t = 1000)]
    page: usize,
}

fn client(a: &SyncArgs) -> Result<Client> {
    let auth = match &a.user {
        Some(user) => Auth::Basic {
            user: user.clone(),
            password: secret_from_stdin()?,
        },
        None => Auth::None,
    };
    Ok(Client::new(ClientOptions {
        auth,
        ..ClientOptions::default()
    })?)
}

/// The remote collection `key` names (by id, or by the title of exactly
/// one collection the server lists) and its title. A server that does not
/// list it is asked for `key` as it is.
async fn remote_collection(client: &Client, root: &str, key: &str) -> Result<(String, String)> {
    let Ok(listed) = client.collections(root).await else {
        return Ok((key.to_string(), key.to_string()));
    };
    if let Some(c) = listed.iter().find(|c| c.id == key) {
        return Ok((c.id.clone(), c.title.clone()));
    }
    let titled: Vec<_> = listed.iter().filter(|c| c.title == key).collect();
    match titled.as_slice() {
        [c] => Ok((c.id.clone(), c.title.clone())),
        [] => Ok((key.to_string(), key.to_string())),
        _ => anyhow::bail!("the server lists several collections titled {key:?}: give the id"),
    }
}

pub fn run(global: &Global, cmd: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    match cmd {
        Command::Pull(a) => {
            let client = client(&a)?;
            let report = rt.block_on(async {
                let root = client
                    .locate(&a.url)
                    .await
                    .with_context(|| format!("finding the API root at {}", a.url))?
                    .api_root;
                // Pulled objects go to a local collection with the remote's id.
                let (remote, title) = remote_collection(&client, &root, &a.collection).await?;
                if !node
                    .store
                    .collections()
                    .await?
                    .iter()
                    .any(|c| c.id == remote)
                {
                    node.store
                        .create_collection(NewCollection {
                            id: Some(remote.clone()),
                            title: format!("{title} (from {root})"),
                            description: String::new(),
                            public: false,
                        })
                        .await?;
                }
                let opts = PullOptions {
                    page: a.page,
                    ..PullOptions::default()
                };
                let r = sync::pull(&client, &node.store, &root, &remote, &remote, &opts).await?;
                anyhow::Ok(r)
            })?;
            super::print(global, &report, || report.to_string())?;
            Ok(if report.rejected.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Failed
            })
        }
        Command::Push(a) => {
            let client = client(&a)?;
            let local = node.config.node.collection.clone();
            let report = rt.block_on(async {
                let root = client
                    .locate(&a.url)
                    .await
                    .with_context(|| format!("finding the API root at {}", a.url))?
                    .api_root;
                let (remote, _) = remote_collection(&client, &root, &a.collection).await?;
                anyhow::Ok(sync::push(&client, &node.store, &root, &remote, &local, a.page).await?)
            })?;
            super::print(global, &report, || report.to_string())?;
            Ok(if report.failed == 0 {
                Outcome::Ok
            } else {
                Outcome::Failed
            })
        }
    }
}
