//! `concord demo`: a community of three member nodes on 127.0.0.1, each
//! with its own data directory, founded by a charter all three sign, with
//! sample intel under mixed TLP levels and audiences. It syncs, prints what
//! each member received and why (the sharing decision of the author's
//! node), and keeps the nodes running until Ctrl-C.
//!
//! It drives this very binary through concord_demo (`init`, `community`,
//! `import`, `serve`, `sync`), so what it shows is what an operator gets.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Where to put the three nodes' data directories (default: a new temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the outcome and stop the nodes instead of running until Ctrl-C.
    #[arg(long)]
    no_wait: bool,
}

pub fn run(_global: &Global, args: Args) -> Result<Outcome> {
    let root = match args.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(&d)?.next().is_some() {
                bail!(
                    "{} is not empty: give an empty or new directory",
                    d.display()
                );
            }
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            let d = std::env::temp_dir().join(format!("concord-demo-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&d)?;
            d
        }
    };
    println!(
        "concord demo: a community of three members on 127.0.0.1 (data under {})\n",
        root.display()
    );
    let exe = std::env::current_exe().context("finding the concord binary")?;
    let community = concord_demo::start(&exe, &root, &mut |line| println!("{line}"))?;
    if args.no_wait {
        return Ok(Outcome::Ok);
    }
    println!("\nCtrl-C stops the community.");
    let rt = super::runtime()?;
    rt.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    drop(community);
    Ok(Outcome::Ok)
}
