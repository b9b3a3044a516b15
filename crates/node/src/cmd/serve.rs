//! `concord serve`: the node's TAXII 2.1 server.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use concord_taxii::server::egress::Federation;
use concord_taxii::server::{self, ServerOptions, listen};

use super::Node;
use crate::Outcome;
use crate::config::{Global, ServerSection};
use crate::federation::membership;

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

/// Loads the peers into the server's table: what a peer may pull is the
/// node's local collection, under the sharing policy.
async fn refresh_peers(
    node: &Node,
    own: &concord_trust::PublicKey,
    federation: &Federation,
) -> Result<()> {
    let m = membership::current(node, own).await?;
    let table = m.table(std::slice::from_ref(&node.config.node.collection));
    federation.peers.store(Arc::new(table));
    Ok(())
}

/// `concord peer add` writes to the store; a running server picks the
/// change up within a few seconds.
async fn keep_peers_current(
    node: Arc<Node>,
    own: concord_trust::PublicKey,
    federation: Arc<Federation>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        if let Err(e) = refresh_peers(&node, &own, &federation).await {
            tracing::warn!(error = %e, "reading the peers failed");
        }
    }
}

/// Pulls from every peer on an interval; a failing peer backs off
/// (doubling, up to ten intervals) without holding the others.
async fn sync_every(node: Arc<Node>, key: Arc<concord_trust::Keypair>, every: Duration) {
    let mut failures: std::collections::HashMap<String, (u32, std::time::Instant)> =
        std::collections::HashMap::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let list = match membership::current(&node, &key.public()).await {
            Ok(m) => m.to_pull(None).into_iter().cloned().collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the peers failed");
                continue;
            }
        };
        for p in &list {
            if let Some((n, since)) = failures.get(&p.name) {
                let wait = every * 2u32.saturating_pow(*n).min(10);
                if since.elapsed() < wait {
                    continue;
                }
            }
            match super::sync::round(&node, key.clone(), Some(&p.name)).await {
                Ok(rounds) if rounds.iter().all(|r| r.error.is_none()) => {
                    failures.remove(&p.name);
                }
                Ok(rounds) => {
                    for r in rounds {
                        tracing::warn!(peer = %r.peer, error = ?r.error, "sync failed");
                    }
                    let e = failures
                        .entry(p.name.clone())
                        .or_insert((0, std::time::Instant::now()));
                    e.0 = e.0.saturating_add(1);
                    e.1 = std::time::Instant::now();
                }
                Err(e) => tracing::warn!(peer = %p.name, error = %e, "sync failed"),
            }
        }
    }
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = Arc::new(node.keypair(global)?);
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
        let node = Arc::new(node);
        let api = crate::api::matching::router(
            node.store.clone(),
            section.max_body_bytes,
            Duration::from_secs(30),
        );
        let policy = crate::federation::policy(&node.config.sharing)?;
        let federation = Arc::new(Federation::new(node.config.node.identity.clone(), policy));
        refresh_peers(&node, &key.public(), &federation).await?;
        let app = server::router_with(
            node.store.clone(),
            options(&section),
            Some(federation.clone()),
        )
        .merge(api)
        .merge(crate::api::events::router(
            node.store.clone(),
            Duration::from_secs(1),
        ))
        .merge(crate::api::incidents::router(node.clone(), key.clone()))
        .merge(crate::api::community::router(
            node.store.clone(),
            global.data_dir.clone(),
            node.config.node.identity.clone(),
            Some(federation.clone()),
        ))
        // The analysts' console at `/` with the node's pages (community,
        // incidents, peers, alerts): its cookies are `Secure` unless this
        // is plain HTTP on loopback (a browser drops them there).
        .merge(
            crate::console::attach(
                concord_console::Console::new(
                    node.store.clone(),
                    concord_console::ConsoleOptions {
                        node_title: section.title.clone(),
                        secure_cookies: tls.is_some() || !addr.ip().is_loopback(),
                        max_upload_bytes: section.max_body_bytes,
                        ..Default::default()
                    },
                ),
                node.clone(),
                key.clone(),
            )
            .into_router(),
        );
        tokio::spawn(server::upkeep(node.store.clone()));
        tokio::spawn(keep_peers_current(
            node.clone(),
            key.public(),
            federation.clone(),
        ));
        // Alerts: a scan on an interval, delivery of due jobs every second.
        tokio::spawn(crate::alert::keep_running(node.clone()));
        if node.config.sync.interval_secs > 0 {
            tokio::spawn(sync_every(
                node.clone(),
                key.clone(),
                Duration::from_secs(node.config.sync.interval_secs),
            ));
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        listen::serve(listener, tls, app, shutdown).await;
        anyhow::Ok(())
    })?;
    Ok(Outcome::Ok)
}
