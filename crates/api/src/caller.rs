//! Who is calling an `/api/v1` route: one extractor for every handler,
//! deciding through the node's [`Gate`](concord_taxii::gate::Gate) (the
//! same users, tokens and peer keys as TAXII), and the rights a route
//! needs, each refused with 401 (no or bad credentials) or 403 (known,
//! not allowed) and a text that says what the route is for.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use concord_store::{Store, User};
use concord_taxii::access::Principal;

use crate::{ApiError, ApiState};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<ApiState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<concord_taxii::server::Peer>()
            .map(|p| p.addr.ip());
        let p = state
            .gate
            .caller(&parts.method, &parts.uri, &parts.headers, client)
            .await?;
        Ok(Caller(p))
    }
}

impl Caller {
    /// A user of this node (by password or token): anonymous callers get
    /// 401, peers 403 (they get intel through TAXII, never this API).
    /// `what` names the route in the refusal.
    pub fn user(&self, what: &str) -> Result<&User, ApiError> {
        match &self.0 {
            Principal::User(u) => Ok(u),
            Principal::Anonymous => Err(ApiError::unauthorized(format!(
                "{what} needs a user or a token"
            ))),
            Principal::Peer(_) => Err(ApiError::forbidden(format!(
                "{what} is for this node's users"
            ))),
        }
    }

    /// An admin of this node.
    pub fn admin(&self, what: &str, why: &str) -> Result<&User, ApiError> {
        let u = self.user(what)?;
        if u.admin {
            Ok(u)
        } else {
            Err(ApiError::forbidden(why))
        }
    }

    /// A user with read (`write` false) or write rights on `collection`,
    /// or an admin.
    pub fn on_collection(
        &self,
        collection: &str,
        write: bool,
        what: &str,
        why: &str,
    ) -> Result<&User, ApiError> {
        let u = self.user(what)?;
        let granted = u.admin
            || u.grants
                .iter()
                .any(|g| g.collection == collection && if write { g.write } else { g.read });
        if granted {
            Ok(u)
        } else {
            Err(ApiError::forbidden(why))
        }
    }

    /// For routes that speak of everything the node holds (the match
    /// index, the alerts): admins, and users who may read every
    /// collection. Anonymous callers and peers get 401.
    pub async fn reads_everything(&self, state: &ApiState, what: &str) -> Result<(), ApiError> {
        let user = match &self.0 {
            Principal::User(u) => u,
            Principal::Anonymous | Principal::Peer(_) => {
                return Err(ApiError::unauthorized(format!(
                    "{what} needs a user or a token"
                )));
            }
        };
        if user.admin {
            return Ok(());
        }
        let all = state.node.store.collections().await?;
        if all.iter().all(|c| self.0.can_read(c)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "{what} is for admins and users who may read every collection"
            )))
        }
    }
}
