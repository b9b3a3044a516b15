//! What the signed-in user may see and change, from the same records and
//! rules as the TAXII server (`concord_taxii::access::Principal`): an admin
//! reads and writes everything, a user what its grants say, anyone reads a
//! public collection.
//!
//! Every page and every count goes through here. An object exists for a
//! user only through a collection it may read, and only the versions filed
//! there; an admin also sees versions that are in no collection. A user who
//! may read nothing gets no page that shows intel and no number about it.

use std::collections::HashMap;

use concord_store::{AnyStore, Collection, ListQuery, Store, StoredObject, User, VersionSel};
use concord_taxii::access::Principal;

use crate::ConsoleError;

/// The signed-in user's rights, worked out once per request.
#[derive(Debug, Clone)]
pub struct Rights {
    pub user: User,
    pub admin: bool,
    /// Collections the user may read, in the store's order.
    pub readable: Vec<Collection>,
    /// Collections the user may write.
    pub writable: Vec<Collection>,
    /// Every collection of the node (admins see all).
    all: Vec<Collection>,
}

/// How many ids one membership query carries.
const IDS_PER_QUERY: usize = 200;

impl Rights {
    pub async fn of(store: &AnyStore, user: User) -> Result<Rights, ConsoleError> {
        let all = store.collections().await?;
        let principal = Principal::User(user.clone());
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
        })
    }

    /// Whether any intel is visible at all.
    pub fn reads_anything(&self) -> bool {
        self.admin || !self.readable.is_empty()
    }

    /// Whether the user may read every collection of the node (the rule of
    /// the match API: the indicator index spans every collection).
    pub fn reads_everything(&self) -> bool {
        self.admin || self.readable.len() == self.all.len()
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
            for o in page.objects {
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
                for o in page.objects {
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
