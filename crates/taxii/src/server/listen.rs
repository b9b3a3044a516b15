//! Our own accept loop (DEPENDENCIES.md, "TLS accept loop"): TCP, then TLS
//! if configured, then HTTP/1.1 or HTTP/2 through hyper-util, with a `Peer`
//! request extension so handlers can see who is calling (address, and the
//! client's certificate chain once member mTLS is switched on).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::Peer;
use crate::TaxiiError;

/// Time a client gets to finish its TLS handshake, and to send its request
/// headers: a slow or silent client loses its connection, not our memory.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_TIMEOUT: Duration = Duration::from_secs(20);

/// The address `listen` names: `IP:PORT`, or `HOST:PORT` with a host
/// name (an IPv4 address of it when it has one: `localhost` is then
/// 127.0.0.1), and the host name given, if any.
pub fn address(listen: &str) -> Result<(std::net::SocketAddr, Option<String>), TaxiiError> {
    use std::net::SocketAddr;
    if let Ok(addr) = listen.parse::<SocketAddr>() {
        return Ok((addr, None));
    }
    let wrong = || {
        TaxiiError::Address(format!(
            "--listen {listen:?} is not an address such as 127.0.0.1:8733 or localhost:8733"
        ))
    };
    let (host, _) = listen.rsplit_once(':').ok_or_else(wrong)?;
    let all: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(listen)
        .map_err(|source| TaxiiError::Resolve {
            listen: listen.to_string(),
            source,
        })?
        .collect();
    let addr = all
        .iter()
        .find(|a| a.is_ipv4())
        .or(all.first())
        .copied()
        .ok_or_else(|| {
            TaxiiError::Address(format!("--listen {listen:?}: {host} has no address"))
        })?;
    Ok((addr, Some(host.to_ascii_lowercase())))
}

/// A TLS server configuration from PEM files (certificate chain, private
/// key). Uses the process's default crypto provider (aws-lc-rs, installed
/// by the binary).
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TaxiiError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TaxiiError::Tls(format!("reading {}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| TaxiiError::Tls(format!("reading {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(TaxiiError::Tls(format!(
            "{} holds no certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TaxiiError::Tls(format!("reading {}: {e}", key.display())))?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TaxiiError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (app, acceptor, builder) = (app.clone(), acceptor.clone(), builder.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match acceptor {
                Some(acc) => {
                    let tls =
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acc.accept(stream)).await {
                            Ok(Ok(t)) => t,
                            Ok(Err(e)) => {
                                tracing::debug!(%addr, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        };
                    let certificates = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .map(|c| c.iter().map(|c| c.clone().into_owned()).collect());
                    let peer = Peer {
                        addr,
                        tls: true,
                        certificates,
                    };
                    connection(&builder, TokioIo::new(tls), app, peer).await;
                }
                None => {
                    let peer = Peer {
                        addr,
                        tls: false,
                        certificates: None,
                    };
                    connection(&builder, TokioIo::new(stream), app, peer).await;
                }
            }
        });
    }
}

async fn connection<I>(builder: &auto::Builder<TokioExecutor>, io: I, app: Router, peer: Peer)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(peer.clone());
        app.clone().oneshot(req.map(axum::body::Body::new))
    });
    if let Err(e) = builder.serve_connection(io, svc).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
