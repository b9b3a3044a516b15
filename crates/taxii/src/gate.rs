//! The one place where a request's caller is decided, for every route a
//! node serves (TAXII, the JSON API, the governance documents): a user by
//! password or token, a peer node by a request signed with its node key,
//! or the public.
//!
//! What it must never do: serve a caller whose credentials it could not
//! read as anonymous (a typo must not downgrade to the public silently),
//! keep a password, or accept a node-signed request that does not verify
//! against the request line.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri, header};
use concord_store::AnyStore;

use crate::access::{CredentialCache, Credentials, Principal, authenticate, credentials};
use crate::server::egress::SharedFederation;

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unreadable, unknown or wrong credentials, or a node signature that
    /// does not verify (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Checking the credentials failed on the server's side (500; the
    /// cause is logged, never shown).
    #[error("checking the credentials failed")]
    Internal,
}

/// Decides who is calling. One per served node, shared by every router.
pub struct Gate {
    store: AnyStore,
    credentials: CredentialCache,
    federation: Option<SharedFederation>,
}

impl Gate {
    /// A gate over the node's users and tokens (`store`) and, for a
    /// federated node, its peers (`federation`).
    pub fn new(store: AnyStore, federation: Option<SharedFederation>) -> Arc<Gate> {
        Arc::new(Gate {
            store,
            credentials: CredentialCache::default(),
            federation,
        })
    }

    /// The peers and the sharing policy this gate knows, if federated.
    pub fn federation(&self) -> Option<&SharedFederation> {
        self.federation.as_ref()
    }

    /// The caller of a request, from its `Authorization` header (and, for
    /// a node-signed request, its method, path and host).
    pub async fn caller(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Principal, Refusal> {
        let raw = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        let creds =
            credentials(raw).map_err(|_| Refusal::Unauthorized("bad Authorization header"))?;
        if let Credentials::Node(signed) = &creds {
            return self
                .node_principal(method, uri, headers, signed)
                .ok_or(Refusal::Unauthorized("the node signature does not verify"));
        }
        match authenticate(&self.store, &self.credentials, creds).await {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(Refusal::Unauthorized(
                "unknown user, wrong password or unknown token",
            )),
            Err(e) => {
                tracing::error!(error = %e, "authentication failed on the server side");
                Err(Refusal::Internal)
            }
        }
    }

    /// A node-signed request: a configured peer becomes
    /// `Principal::Peer`; a valid signature by a key that is not a peer
    /// gets what the public gets; a bad signature gets nothing.
    fn node_principal(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        signed: &str,
    ) -> Option<Principal> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))?;
        let path_and_query = uri.path_and_query().map(|p| p.as_str())?;
        let line = concord_trust::request::RequestLine {
            method: method.as_str(),
            path_and_query,
            host,
        };
        let key =
            concord_trust::request::verify_request(signed, &line, concord_stix::Timestamp::now().0)
                .map_err(|e| tracing::info!(error = %e, "a node-signed request was refused"))
                .ok()?;
        let peer = self.federation.as_ref().and_then(|f| f.peer(&key.key_id()));
        Some(match peer {
            Some(p) => Principal::Peer(p),
            None => Principal::Anonymous,
        })
    }
}
