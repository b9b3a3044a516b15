//! `concord serve`: the node's TAXII 2.1 server.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use concord_taxii::server::{self, ServerOptions, listen};

use super::Node;
use crate::Outcome;
use crate::config::{Global, ServerSection};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (default: `listen` in config.toml).
    #[arg(long)]
    listen: Option<String>,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS proxy).
    #[arg(long)]
    plain_http: bool,
}

fn options(s: &ServerSection) -> ServerOptions {
    ServerOptions {
        title: s.title.clone(),
        description: "TAXII 2.1 server of a concord node".into(),
        default_page: s.default_page.max(1),
        max_page: s.max_page.max(1),
        max_body_bytes: s.max_body_bytes,
        request_timeout: Duration::from_secs(s.request_timeout_secs.max(1)),
        rate_per_second: s.rate_per_second,
        rate_burst: s.rate_burst,
        background_post_over: s.background_post_over,
    }
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let section = node.config.server.clone();
    let listen = args.listen.unwrap_or_else(|| section.listen.clone());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address such as 127.0.0.1:8733"))?;
    let tls = match (&section.tls_cert, &section.tls_key) {
        (Some(cert), Some(key)) => Some(listen::tls_config(
            &global.data_dir.join(cert),
            &global.data_dir.join(key),
        )?),
        (None, None) => None,
        _ => bail!("[server] needs both tls_cert and tls_key, or neither"),
    };
    if tls.is_none() && !addr.ip().is_loopback() && !args.plain_http {
        bail!(
            "refusing plain HTTP on {addr}: set tls_cert and tls_key in [server], listen on a loopback address, or pass --plain-http"
        );
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONCORD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let rt = super::runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let bound = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The first line says where the server is (tests and scripts read it).
        println!("listening on {scheme}://{bound}/taxii2/");
        std::io::stdout().flush()?;
        let api = crate::api::matching::router(
            node.store.clone(),
            section.max_body_bytes,
            Duration::from_secs(30),
        );
        let app = server::router(node.store.clone(), options(&section)).merge(api);
        tokio::spawn(server::upkeep(node.store.clone()));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        listen::serve(listener, tls, app, shutdown).await;
        anyhow::Ok(())
    })?;
    Ok(Outcome::Ok)
}
