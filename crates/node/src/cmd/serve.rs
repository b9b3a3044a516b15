//! `concord serve`: the node's TAXII 2.1 server.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use concord_taxii::server::{self, listen};

use concord_api::ApiOptions;
use concord_console::sections::{self, NodePages};
use concord_federation::membership;
use concord_taxii::gate::{Gate, GateOptions, public_hosts};
use tokio::sync::Notify;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on: IP:PORT or HOST:PORT (default: `listen` in config.toml).
    #[arg(long)]
    listen: Option<String>,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS proxy).
    #[arg(long)]
    plain_http: bool,
    /// A URL peers reach this node at (repeatable; adds to `public_urls` in
    /// [server]); node-signed requests must be signed for one of them.
    /// Default: the listen address.
    #[arg(long = "public-url")]
    public_urls: Vec<String>,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = Arc::new(node.keypair(global)?);
    let section = node.config.server.clone();
    let listen = args.listen.unwrap_or_else(|| section.listen.clone());
    let (addr, named) = listen::address(&listen)?;
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
        let local = Arc::new(node.local());
        let federation = Arc::new(node.federation()?);
        let to_pull = membership::serve(&local, &key.public(), &federation).await?;
        let gate = Gate::new(
            node.store.clone(),
            Some(federation.clone()),
            GateOptions {
                public_hosts: public_hosts(
                    &section.public_urls,
                    &args.public_urls,
                    bound,
                    named.as_deref(),
                    scheme,
                )?,
            },
        );
        let api = concord_api::router(
            (*local).clone(),
            key.clone(),
            gate.clone(),
            ApiOptions {
                max_match_body: section.max_body_bytes,
                match_refresh: Duration::from_secs(30),
                events_poll: Duration::from_secs(1),
                org: node.config.node.org.clone(),
            },
        );
        // The analysts' console at `/` with the node's pages (community,
        // incidents, peers, alerts): its cookies are `Secure` unless this
        // is plain HTTP on loopback (a browser drops them there).
        let console = sections::attach(
            concord_console::Console::new(
                node.store.clone(),
                concord_console::ConsoleOptions {
                    node_title: section.title.clone(),
                    secure_cookies: tls.is_some() || !addr.ip().is_loopback(),
                    max_upload_bytes: section.max_body_bytes,
                    ..Default::default()
                },
            )
            .gate(gate.clone()),
            NodePages {
                node: (*local).clone(),
                key: key.clone(),
                sharing: node.config.sharing.clone(),
            },
        );
        let metrics = Arc::new(concord_telemetry::Metrics::new());
        let probes = concord_telemetry::probes::Probes::new(
            metrics.clone(),
            concord_telemetry::Readiness {
                store: node.store.clone(),
                key_loaded: true,
            },
            node.config.metrics.access,
            node.config
                .metrics_token(&node.data_dir, &crate::config::env)?,
        );
        let counted = metrics.clone();
        let observer = concord_api::matching::MatchObserver(Arc::new(move |events, hits| {
            counted.matcher.events.inc_by(events);
            counted.matcher.hits.inc_by(hits);
        }));
        // Every route is in the app before the request counter is layered
        // over it (a layer covers the routes it is applied to).
        let app = server::router_with(node.store.clone(), section.options(), gate)
            .merge(api)
            .merge(console.into_router())
            .merge(concord_telemetry::probes::routes(probes))
            .layer(axum::Extension(observer))
            .layer(axum::middleware::from_fn_with_state(
                metrics.clone(),
                concord_telemetry::http::track,
            ))
            // One request log line for TAXII, the API and the console alike.
            .layer(axum::middleware::from_fn(server::request_log::log_requests));
        tokio::spawn(concord_telemetry::sync::watch(
            metrics.clone(),
            node.store.clone(),
            Duration::from_secs(1),
        ));
        tokio::spawn(server::upkeep(node.store.clone()));
        let peers_changed = Arc::new(Notify::new());
        tokio::spawn(membership::keep_serving(
            local.clone(),
            key.public(),
            federation.clone(),
            to_pull,
            peers_changed.clone(),
        ));
        // A checkpoint of the node's log each interval when it grew.
        tokio::spawn(concord_federation::logs::keep_checkpointing(
            local.clone(),
            key.clone(),
        ));
        // Alerts: a scan on an interval and after each sync round,
        // delivery of due jobs every second.
        let rounds = Arc::new(Notify::new());
        tokio::spawn(concord_alert::keep_running_observed(
            local.clone(),
            node.config
                .alerts_with_secrets(&node.data_dir, &crate::config::env)?,
            node.config.constituency.clone(),
            rounds.clone(),
            move |r| {
                metrics.alerts.sent.inc_by(r.delivered as u64);
                metrics.alerts.failed.inc_by(r.dead as u64);
                metrics.alerts.retrying.set(r.retrying as i64);
            },
        ));
        if node.config.sync.interval_secs > 0 {
            tokio::spawn(concord_federation::round::keep_syncing(
                local.clone(),
                key.clone(),
                Duration::from_secs(node.config.sync.interval_secs),
                node.config.sync.page,
                peers_changed,
                rounds,
            ));
        }
        // The indicator index snapshot `concord match` loads.
        tokio::spawn(concord_indicators::snapshot::keep_current(
            node.store.clone(),
            node.data_dir.join(concord_indicators::snapshot::FILE_NAME),
            Duration::from_secs(30),
        ));
        // Feeds: each pulled on its interval (`concord feed add`).
        tokio::spawn(concord_bridge::feed::schedule::keep_pulling(
            local.clone(),
            key.clone(),
            node.config.node.org.clone(),
            Duration::from_secs(5),
        ));
        // Ctrl-C, or SIGTERM from a service manager: stop accepting, end.
        listen::serve(listener, tls, app, super::stopped()).await;
        anyhow::Ok(())
    })?;
    Ok(Outcome::Ok)
}
