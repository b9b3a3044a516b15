//! What the signed-in user may see and change, from the same records and
//! rules as the TAXII server (`concord_taxii::access::Principal`): an admin
//! reads and writes everything, a user what its grants say, anyone reads a
//! public collection.
//!
//! Every page and every count goes through here. An object exists for a
//! user only through a collection it may read, and only the versions filed
//! there; an admin also sees versions that are in no collection. A user who
//! may read nothing gets no page that shows intel and no number about it.
//!
//! One policy for every way out: a user who reads a collection only
//! because it is public (no grant on it) sees exactly what TAXII serves
//! that user there, the public's share under the member's sharing policy
//! (`concord_taxii::server::egress::filter`, the same function), never the
//! collection whole.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use concord_share::Recipient;
use concord_taxii::server::egress::{self, Federation};

use concord_store::{AnyStore, Collection, ListQuery, Store, StoredObject, User, VersionSel};
use concord_taxii::access::Principal;

use crate::ConsoleError;

/// The signed-in user's rights, worked out once per request.
#[derive(Clone)]
pub struct Rights {
    pub user: User,
    pub admin: bool,
    /// Collections the user may read, in the store's order.
    pub readable: Vec<Collection>,
    /// Collections the user may write.
    pub writable: Vec<Collection>,
    /// Every collection of the node (admins see all).
    all: Vec<Collection>,
    /// Readable collections the user has no grant on (public ones): what
    /// it sees there is the public's share.
    public_only: HashSet<String>,
    /// The member and its sharing policy, for the public's share.
    federation: Arc<Federation>,
}

/// How many ids one membership query carries.
const IDS_PER_QUERY: usize = 200;

impl Rights {
    pub async fn of(
        store: &AnyStore,
        user: User,
        federation: Arc<Federation>,
    ) -> Result<Rights, ConsoleError> {
        let all = store.collections().await?;
        let principal = Principal::User(user.clone());
        let public_only = all
            .iter()
            .filter(|c| principal.can_read(c) && egress::recipient_of(&principal, c).is_some())
            .map(|c| c.id.clone())
            .collect();
        let readable = all
            .iter()
            .filter(|c| principal.can_read(c))
            .cloned()
            .collect();
        let writable = all
            .iter()
            .filter(|c| principal.can_write(c))
            .cloned()
            .collect();
        Ok(Rights {
            admin: user.admin,
            user,
            readable,
            writable,
            all,
            public_only,
            federation,
        })
    }

    /// Whether the user sees `collection` only as the public does.
    pub fn is_public_only(&self, collection: &str) -> bool {
        self.public_only.contains(collection)
    }

    /// Of objects listed from `collection`, those this user may see there:
    /// all of them with a grant (or as admin), else the public's share,
    /// decided as TAXII decides it.
    pub async fn shown(
        &self,
        store: &AnyStore,
        collection: &str,
        objects: Vec<StoredObject>,
    ) -> Result<Vec<StoredObject>, ConsoleError> {
        if !self.public_only.contains(collection) {
            return Ok(objects);
        }
        Ok(egress::filter(
            store,
            &self.federation,
            &Recipient::Public,
            collection,
            objects,
        )
        .await?)
    }

    /// Whether any intel is visible at all.
    pub fn reads_anything(&self) -> bool {
        self.admin || !self.readable.is_empty()
    }

    /// Whether the user may read every collection of the node (the rule of
    /// the match API: the indicator index spans every collection).
    pub fn reads_everything(&self) -> bool {
        self.admin || (self.readable.len() == self.all.len() && self.public_only.is_empty())
    }

    pub fn readable_collection(&self, id: &str) -> Option<&Collection> {
        self.readable.iter().find(|c| c.id == id)
    }

    pub fn writable_collection(&self, id: &str) -> Option<&Collection> {
        self.writable.iter().find(|c| c.id == id)
    }

    pub fn all_collections(&self) -> &[Collection] {
        &self.all
    }

    /// The versions of `id` this user may see, oldest first (empty: the
    /// object does not exist for this user).
    pub async fn versions(
        &self,
        store: &AnyStore,
        id: &str,
    ) -> Result<Vec<StoredObject>, ConsoleError> {
        if self.admin {
            return Ok(store.versions(id, VersionSel::All).await?);
        }
        let mut seen: Vec<StoredObject> = Vec::new();
        for c in &self.readable {
            let page = store
                .list(ListQuery {
                    collection: c.id.clone(),
                    added_after_us: None,
                    limit: 10_000,
                    ids: vec![id.to_string()],
                    types: Vec::new(),
                    spec_versions: Vec::new(),
                    versions: VersionSel::All,
                })
                .await?;
            for o in self.shown(store, &c.id, page.objects).await? {
                if !seen.iter().any(|s| s.version == o.version) {
                    seen.push(o);
                }
            }
        }
        seen.sort_by(|a, b| {
            version_us(a)
                .cmp(&version_us(b))
                .then_with(|| a.version.cmp(&b.version))
        });
        Ok(seen)
    }

    /// Of these ids, the ones the user may see, each with the newest
    /// version the user may see.
    pub async fn visible(
        &self,
        store: &AnyStore,
        ids: &[String],
    ) -> Result<HashMap<String, StoredObject>, ConsoleError> {
        let mut out: HashMap<String, StoredObject> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        if self.admin {
            // Admins see every stored object.
            for id in ids {
                if let Some(o) = store.versions(id, VersionSel::Last).await?.pop() {
                    out.insert(id.clone(), o);
                }
            }
            return Ok(out);
        }
        for c in &self.readable {
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let wanted: Vec<String> = chunk.to_vec();
                let page = store
                    .list(ListQuery {
                        collection: c.id.clone(),
                        added_after_us: None,
                        limit: wanted.len() * 4,
                        ids: wanted,
                        types: Vec::new(),
                        spec_versions: Vec::new(),
                        versions: VersionSel::Last,
                    })
                    .await?;
                for o in self.shown(store, &c.id, page.objects).await? {
                    let newer = out
                        .get(&o.id)
                        .is_none_or(|have| version_us(&o) > version_us(have));
                    if newer {
                        out.insert(o.id.clone(), o);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Keeps the objects the user may see, in their order, each replaced by
    /// the newest version the user may see (a user who may read an older
    /// version only never sees the newer one's content).
    pub async fn filter_visible(
        &self,
        store: &AnyStore,
        objects: Vec<StoredObject>,
    ) -> Result<Vec<StoredObject>, ConsoleError> {
        if self.admin {
            return Ok(objects);
        }
        let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).collect();
        let mut ok = self.visible(store, &ids).await?;
        Ok(objects
            .into_iter()
            .filter_map(|o| ok.remove(&o.id))
            .collect())
    }
}

fn version_us(o: &StoredObject) -> i64 {
    concord_stix::Timestamp::parse(&o.version)
        .map(|t| t.0)
        .unwrap_or(i64::MIN)
}
