//! The one place where a request's caller is decided, for every route a
//! node serves (TAXII, the JSON API, the governance documents, the
//! console's log-in): a user by password or token, a peer node by a
//! request signed with its node key, or the public.
//!
//! What it must never do: serve a caller whose credentials it could not
//! read as anonymous (a typo must not downgrade to the public silently);
//! keep a password; accept a node-signed request that was signed for a
//! host other than this node's own public addresses (never the `Host`
//! header the caller chose: a peer could replay our request to a third
//! node), or the same (key, nonce) twice; spend argon2 work on an account
//! or an address that is locked after repeated failures.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri, header};
use concord_store::{AnyStore, Store};

use crate::access::{
    CredentialCache, Credentials, Principal, authenticate, credentials, token_hash,
};
use crate::replay::{NonceCache, Seen};
use crate::server::egress::SharedFederation;
use crate::throttle::LoginThrottle;

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unreadable, unknown or wrong credentials, or a node signature that
    /// does not verify (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Too many failed attempts for this account or from this address
    /// (429): retry after this many seconds.
    #[error("too many failed attempts: retry in {0} s")]
    Throttled(u64),
    /// Checking the credentials failed on the server's side (500; the
    /// cause is logged, never shown).
    #[error("checking the credentials failed")]
    Internal,
}

/// What the binary tells the gate.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// This node's own public addresses as peers address it (`host` or
    /// `host:port`, from `--public-url`/`public_urls` or the listen
    /// address): node-signed requests must be signed for one of them.
    /// Empty: no node-signed request is accepted.
    pub public_hosts: Vec<String>,
}

/// The `host[:port]` of a URL as a client addresses it (the default port
/// of the scheme left out, lower case), or `None` if it is no URL.
pub fn host_of_url(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// The hosts node-signed requests must be signed for: every configured
/// public URL (`configured`, then `given`), else the `bound` address (with
/// `named`, the host name it was given by, and `localhost` beside a
/// loopback one).
pub fn public_hosts(
    configured: &[String],
    given: &[String],
    bound: std::net::SocketAddr,
    named: Option<&str>,
    scheme: &str,
) -> Result<Vec<String>, crate::TaxiiError> {
    let mut out = Vec::new();
    for u in configured.iter().chain(given) {
        let host = host_of_url(u).ok_or_else(|| {
            crate::TaxiiError::Address(format!(
                "public URL {u:?} is not a URL such as https://cti.example.org/"
            ))
        })?;
        if !out.contains(&host) {
            out.push(host);
        }
    }
    if out.is_empty() {
        if bound.ip().is_unspecified() {
            tracing::warn!(
                "listening on {bound} with no public URL: peers' signed requests will be refused until `public_urls` in [server] (or --public-url) says how they reach this node"
            );
        }
        let base = format!("{scheme}://{bound}/");
        out.extend(host_of_url(&base));
        if let Some(name) = named {
            out.push(format!("{name}:{}", bound.port()));
        }
        if bound.ip().is_loopback() && named != Some("localhost") {
            out.push(format!("localhost:{}", bound.port()));
        }
    }
    Ok(out)
}

/// Notes the caller (or the refusal) for the request's log line.
fn note(decided: &Result<Principal, Refusal>) {
    crate::server::request_log::note_caller(match decided {
        Ok(p) => crate::server::request_log::describe(p),
        Err(Refusal::Throttled(_)) => "throttled".into(),
        Err(_) => "refused".into(),
    });
}

/// A refusal while an account or an address is locked, logged like every
/// refused authentication.
fn throttled(account: Option<&str>, client: Option<IpAddr>, wait: u64) -> Refusal {
    tracing::info!(
        account = account.unwrap_or("(token)"),
        client = ?client,
        retry_in_secs = wait,
        "authentication refused: too many failed attempts"
    );
    Refusal::Throttled(wait)
}

/// Decides who is calling. One per served node, shared by every router.
pub struct Gate {
    store: AnyStore,
    credentials: CredentialCache,
    federation: Option<SharedFederation>,
    public_hosts: Vec<String>,
    nonces: NonceCache,
    throttle: LoginThrottle,
}

impl Gate {
    /// A gate over the node's users and tokens (`store`) and, for a
    /// federated node, its peers (`federation`).
    pub fn new(
        store: AnyStore,
        federation: Option<SharedFederation>,
        opts: GateOptions,
    ) -> Arc<Gate> {
        Arc::new(Gate {
            store,
            credentials: CredentialCache::default(),
            federation,
            public_hosts: opts
                .public_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            nonces: NonceCache::default(),
            throttle: LoginThrottle::default(),
        })
    }

    /// The peers and the sharing policy this gate knows, if federated.
    pub fn federation(&self) -> Option<&SharedFederation> {
        self.federation.as_ref()
    }

    /// The failed-log-in counters (the console's log-in form uses them).
    pub fn throttle(&self) -> &LoginThrottle {
        &self.throttle
    }

    /// Checks a user's password, counting a failure (and refusing without
    /// any argon2 work while the account or the address is locked).
    pub async fn password(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Principal, Refusal> {
        let decided = self.check_password(user, password, client).await;
        note(&decided);
        decided
    }

    async fn check_password(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Principal, Refusal> {
        self.throttle
            .check(Some(user), client)
            .map_err(|wait| throttled(Some(user), client, wait))?;
        let creds = Credentials::Basic {
            user: user.to_string(),
            password: password.to_string(),
        };
        self.settle(
            Some(user),
            client,
            authenticate(&self.store, &self.credentials, creds).await,
        )
    }

    fn settle(
        &self,
        account: Option<&str>,
        client: Option<IpAddr>,
        outcome: Result<Option<Principal>, crate::TaxiiError>,
    ) -> Result<Principal, Refusal> {
        match outcome {
            Ok(Some(p)) => {
                if let Some(a) = account {
                    self.throttle.succeeded(a, client);
                }
                Ok(p)
            }
            Ok(None) => {
                self.throttle.failed(account, client);
                tracing::info!(
                    account = account.unwrap_or("(token)"),
                    client = ?client,
                    "authentication refused"
                );
                Err(Refusal::Unauthorized(
                    "unknown user, wrong password or unknown token",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "authentication failed on the server side");
                Err(Refusal::Internal)
            }
        }
    }

    /// The caller of a request, from its `Authorization` header (and, for
    /// a node-signed request, its method and path); `client` is the
    /// connection's address.
    pub async fn caller(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Principal, Refusal> {
        let decided = self.decide(method, uri, headers, client).await;
        note(&decided);
        decided
    }

    async fn decide(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Principal, Refusal> {
        let raw = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        let creds = match credentials(raw) {
            Ok(c) => c,
            Err(_) => {
                self.throttle.failed(None, client);
                // Never the header itself: it may be a credential mistyped.
                tracing::info!(client = ?client, "authentication refused: an unreadable Authorization header");
                return Err(Refusal::Unauthorized("bad Authorization header"));
            }
        };
        match creds {
            Credentials::None => Ok(Principal::Anonymous),
            Credentials::Node(signed) => self.node_principal(method, uri, headers, &signed),
            Credentials::Basic { user, password } => {
                self.check_password(&user, &password, client).await
            }
            Credentials::Token(t) => {
                self.throttle
                    .check(None, client)
                    .map_err(|wait| throttled(None, client, wait))?;
                let found = self.store.token_user(&token_hash(&t)).await;
                let outcome = found
                    .map(|u| u.map(Principal::User))
                    .map_err(crate::TaxiiError::from);
                self.settle(None, client, outcome)
            }
        }
    }

    /// A node-signed request: a configured peer becomes `Principal::Peer`;
    /// a valid signature by a key that is not a peer gets what the public
    /// gets; a bad signature, a request signed for another host, or a
    /// replayed nonce gets nothing (and a log line that says which).
    fn node_principal(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        signed: &str,
    ) -> Result<Principal, Refusal> {
        let unauthorized = Refusal::Unauthorized("the node signature does not verify");
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str())
            .ok_or(unauthorized.clone())?;
        let now = concord_stix::Timestamp::now().0;
        let verified = match concord_trust::request::verify_request_for(
            signed,
            method.as_str(),
            path_and_query,
            &self.public_hosts,
            now,
        ) {
            Ok(v) => v,
            Err(e) => {
                // Say why, for the operator: a request signed for another
                // node's address is a replay (or a peer configured with a
                // URL that is not one of ours).
                let claimed = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                let line = concord_trust::request::RequestLine {
                    method: method.as_str(),
                    path_and_query,
                    host: claimed,
                };
                if !claimed.is_empty()
                    && concord_trust::request::verify_request(signed, &line, now).is_ok()
                {
                    tracing::warn!(
                        signed_for = %claimed,
                        public_hosts = ?self.public_hosts,
                        "a node-signed request was signed for host {claimed}, which is not this node's public address: refused (a replay from another node, or set --public-url)"
                    );
                } else {
                    tracing::info!(error = %e, "a node-signed request was refused");
                }
                return Err(unauthorized);
            }
        };
        let key_id = verified.key.key_id();
        let peer = self.federation.as_ref().and_then(|f| f.peer(&key_id));
        let Some(peer) = peer else {
            return Ok(Principal::Anonymous);
        };
        match self
            .nonces
            .admit(key_id, &verified.nonce, verified.date_us, now)
        {
            Ok(()) => Ok(Principal::Peer(peer)),
            Err(Seen::Replay) => {
                tracing::warn!(
                    peer = %peer.name,
                    member = %peer.member,
                    nonce = %verified.nonce,
                    "a node-signed request was replayed (its nonce was used before): refused"
                );
                Err(Refusal::Unauthorized(
                    "this signed request was already used",
                ))
            }
            Err(Seen::Flood) => {
                tracing::warn!(
                    peer = %peer.name,
                    "a peer sent more signed requests than the nonce cache holds: refused until they expire"
                );
                Err(Refusal::Throttled(5))
            }
        }
    }
}
