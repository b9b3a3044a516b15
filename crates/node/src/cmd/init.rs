//! `concord init`: the data directory, its config, the node key and the
//! member's STIX identity.

use anyhow::{Context, Result, bail};
use concord_stix::Timestamp;
use concord_store::{AnyStore, NewCollection, Store};
use concord_trust::Keypair;

use crate::Outcome;
use crate::config::{self, Config, Global, KEY_FILE, NodeSection};

#[derive(clap::Args)]
pub struct Args {
    /// The member organisation's name.
    #[arg(long, default_value = "concord member")]
    org: String,
    /// Where to store objects: "embedded" (default, a database file in the
    /// data directory) or a postgres:// URL (written into config.toml).
    #[arg(long)]
    storage: Option<String>,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let dir = &global.data_dir;
    if dir.join(config::CONFIG_FILE).exists() {
        bail!(
            "{} is already initialised (config.toml exists); use another --data-dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let storage = args.storage.clone().filter(|s| s != "embedded");
    let store = super::open_store(storage.as_deref(), dir)?;
    let rt = super::runtime()?;
    if let AnyStore::Postgres(pg) = &store {
        // Connect and migrate before anything is written, so a wrong URL
        // fails here and leaves nothing half made.
        rt.block_on(pg.ensure_ready())?;
    }
    // A new Ed25519 node key, as PKCS#8 PEM readable by the owner only.
    let key = Keypair::generate();
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| anyhow::anyhow!("encoding the node key: {e}"))?;
    config::write_private(&dir.join(KEY_FILE), pem.as_bytes(), true)?;
    let governance = concord_community::governance_key::create(dir)?;
    // The member's identity is its first authored object: the first
    // entry of its log.
    let (identity_id, identity) =
        concord_federation::identity::member(&args.org, &key, Timestamp::now())?;
    let collection_id = uuid::Uuid::new_v4().to_string();
    let config = Config::new(
        NodeSection {
            org: args.org.clone(),
            identity: identity_id.clone(),
            collection: collection_id.clone(),
            key_file: KEY_FILE.to_string(),
        },
        storage.clone(),
    );
    rt.block_on(async {
        store
            .create_collection(NewCollection {
                id: Some(collection_id.clone()),
                title: "Local intel".into(),
                description: format!("Intelligence held by {}", args.org),
                public: false,
            })
            .await?;
        store.put_batch(&collection_id, vec![identity]).await?;
        anyhow::Ok(())
    })?;
    config::save(&config, dir)?;
    let public_key = key.public().to_hex();
    if global.json {
        println!(
            "{}",
            serde_json::json!({
                "data_dir": dir,
                "member": identity_id,
                "public_key": public_key,
                "governance_key": governance.public().to_hex(),
                "collection": collection_id,
            })
        );
    } else {
        println!("initialised {}", dir.display());
        println!("  member identity  {identity_id}");
        println!("  node public key  {public_key}");
        println!("  governance key   {}", governance.public().to_hex());
        println!("  local collection {collection_id}");
    }
    Ok(Outcome::Ok)
}
