//! One pull of one feed: fetch (conditionally), read, publish what is new
//! or changed as this member's (marked with the feed's TLP and audience,
//! signed), store it, and only then commit the feed's state.
//!
//! - CSV, text and STIX feeds are one conditional GET of the feed's URL.
//! - A MISP feed is a directory (`URL/manifest.json`, then `URL/<uuid>.json`
//!   for each event it names; the manifest's ETag and Last-Modified make
//!   the pull conditional) or, when the URL ends in `.json`, one document
//!   (an event, a list, a `restSearch` answer). Each object keeps the
//!   sharing its event gives it, held to the feed's TLP and audience.
//! - A TAXII feed's URL is a collection's objects resource
//!   (`…/collections/<id>/objects/`); every page is read with concord's
//!   TAXII client. Its objects are republished as this member's like any
//!   other feed's: a feed is intel the member vouches for. A concord
//!   member's own node is a peer (`concord peer add`), never a feed: its
//!   objects' ids stay its own, and those are refused here.
//!
//! A failed fetch or an unreadable body changes nothing but the state's
//! last error: the objects of the last good pull stay, and the next fetch
//! asks again from the last good validators. Re-fetching never duplicates:
//! unchanged objects are not offered again, and a version the store holds
//! is not written twice.

use std::sync::Mutex;

use concord_federation::LocalNode;
use concord_feeds::{FeedFormat, FeedSpec, FeedState, FetchLimits, Fetched, ForeignReader};
use concord_misp::Importer;
use concord_stix::Timestamp;
use concord_store::{PreparedObject, Store};
use concord_taxii::client::{Client, ClientOptions, ObjectsQuery};
use concord_trust::Keypair;
use serde_json::{Map, Value};

use crate::addressing::{Floor, Signer, address};
use crate::directory::Directory;
use crate::feed::record::{self, PullReport};
use crate::intake::{Intake, Publishing, publish_parsed};
use crate::{BridgeError, Result};

/// Reads MISP and TAXII bodies for concord_feeds: MISP events are
/// converted and addressed from their own sharing held to the feed's
/// floor; TAXII envelopes give their objects as they are.
pub struct Foreign<'a> {
    misp: Option<(&'a Directory, &'a Floor, &'a str)>,
    unmapped: Mutex<usize>,
}

impl<'a> Foreign<'a> {
    /// A reader that reads no MISP (lists and STIX bodies need none).
    pub fn none() -> Foreign<'static> {
        Foreign {
            misp: None,
            unmapped: Mutex::new(0),
        }
    }

    /// A reader of MISP events for `member`.
    pub fn misp(directory: &'a Directory, floor: &'a Floor, member: &'a str) -> Foreign<'a> {
        Foreign {
            misp: Some((directory, floor, member)),
            unmapped: Mutex::new(0),
        }
    }

    fn unmapped(&self) -> usize {
        self.unmapped.lock().map_or(0, |n| *n)
    }
}

impl ForeignReader for Foreign<'_> {
    fn misp(&self, _feed: &FeedSpec, body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        let Some((directory, floor, member)) = self.misp else {
            return Err("MISP is not read here".into());
        };
        let conversion = Importer::new(directory.resolver())
            .with_unspecified(floor.unspecified())
            .convert_bytes(body)
            .map_err(|e| e.to_string())?;
        if let Ok(mut n) = self.unmapped.lock() {
            *n += conversion.report.unmapped.len();
        }
        conversion
            .objects
            .into_iter()
            .map(|c| address(c.object, &floor.apply(&c.sharing), member).map_err(|e| e.to_string()))
            .collect()
    }

    fn taxii(&self, _feed: &FeedSpec, body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let objects = match value.get("objects") {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err("\"objects\" is not a list".into()),
        };
        objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                o.as_object()
                    .cloned()
                    .ok_or_else(|| format!("objects[{i}] is not an object"))
            })
            .collect()
    }
}

/// Pulls feeds for one node.
pub struct Puller<'a> {
    /// The node: its store, member and default collection.
    pub node: &'a LocalNode,
    /// The node key (what a feed brings is signed with it).
    pub key: &'a Keypair,
    /// The member organisation's name (MISP sharing groups may name it).
    pub org: &'a str,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// Bounds on each fetch.
    pub limits: FetchLimits,
}

const LISTED_PROBLEMS: usize = 100;

impl Puller<'_> {
    /// Pulls one feed now. A fetch that fails or a body that cannot be
    /// read is a report with an error (and the feed's last error), not an
    /// `Err`: that is kept for the store failing.
    pub async fn pull(&self, spec: &FeedSpec) -> Result<PullReport> {
        let store = &self.node.store;
        let now = Timestamp::now();
        let mut state = record::state(store, &spec.name).await?;
        let mut report = PullReport {
            feed: spec.name.clone(),
            at: now.to_stix(),
            ..PullReport::default()
        };
        let (bytes, validators) = match self.fetch(spec, &mut state, now).await {
            Ok(Fetched::NotModified) => {
                report.outcome = "not-modified".into();
                record::save(store, &spec.name, &state, &report).await?;
                return Ok(report);
            }
            Ok(Fetched::Body { bytes, validators }) => (bytes, validators),
            Err(e) => return self.failed(spec, state, report, now, e).await,
        };
        let directory = Directory::of_node(self.node, &self.key.public(), self.org).await?;
        let floor = Floor {
            tlp: spec.tlp,
            audience: spec.audience.clone(),
        };
        let reader = Foreign::misp(&directory, &floor, &self.node.member);
        let parsed = match concord_feeds::parse(spec, &bytes, now, &state, &reader) {
            Ok(p) => p,
            Err(e) => return self.failed(spec, state, report, now, e.into()).await,
        };
        let with = Publishing {
            signer: Signer {
                member: &self.node.member,
                key: self.key,
            },
            directory: &directory,
            floor: floor.clone(),
        };
        let mut intake = Intake::default();
        if spec.format == FeedFormat::Misp {
            // Addressed from their events' sharing by the reader already.
            for r in with.signer.sign_all(parsed.to_store().cloned().collect()) {
                match r {
                    Ok(p) => intake.objects.push(p),
                    Err(u) => report.problems.push(format!("{}: {}", u.id, u.reason)),
                }
            }
        } else {
            publish_parsed(&parsed, &with, &mut intake);
        }
        report.objects = parsed.objects.len();
        report.unchanged = parsed.objects.len() - parsed.to_store().count();
        report.removed = parsed.removed.len();
        report.unmapped = reader.unmapped();
        let mut problems: Vec<String> = parsed.problems.iter().map(|p| p.to_string()).collect();
        problems.extend(
            intake
                .rejected
                .iter()
                .map(|r| format!("{}: {}", r.id.as_deref().unwrap_or("-"), r.reason)),
        );
        let objects = self.refuse_others(intake.objects, &mut problems).await?;
        let collection = spec
            .collection
            .clone()
            .unwrap_or_else(|| self.node.collection.clone());
        for batch in chunks(objects, 8192) {
            let out = store.put_batch(&collection, batch).await?;
            report.stored += out.inserted;
            report.already_held += out.duplicates;
        }
        report.problems_total = problems.len();
        problems.truncate(LISTED_PROBLEMS);
        report.problems = problems;
        report.outcome = "stored".into();
        state.commit(&parsed, validators, &now.to_stix());
        record::save(store, &spec.name, &state, &report).await?;
        Ok(report)
    }

    async fn failed(
        &self,
        spec: &FeedSpec,
        mut state: FeedState,
        mut report: PullReport,
        now: Timestamp,
        e: BridgeError,
    ) -> Result<PullReport> {
        if let BridgeError::Store(_) = e {
            return Err(e);
        }
        let message = e.to_string();
        state.record_failure(&now.to_stix(), message.clone());
        report.outcome = "failed".into();
        report.error = Some(message);
        record::save(&self.node.store, &spec.name, &state, &report).await?;
        Ok(report)
    }

    /// Objects whose ids another member published first are not this
    /// member's to publish: they are dropped with the reason.
    async fn refuse_others(
        &self,
        objects: Vec<PreparedObject>,
        problems: &mut Vec<String>,
    ) -> Result<Vec<PreparedObject>> {
        if objects.is_empty() {
            return Ok(objects);
        }
        let membership =
            concord_federation::membership::current(self.node, &self.key.public()).await?;
        let names = membership.names(&self.node.member);
        let ids = objects.iter().map(|o| o.id.clone()).collect();
        let theirs: std::collections::HashMap<String, String> =
            concord_federation::authoring::bound_to_others(
                &self.node.store,
                &self.node.member,
                &names,
                ids,
            )
            .await?
            .into_iter()
            .collect();
        Ok(objects
            .into_iter()
            .filter(|o| match theirs.get(&o.id) {
                Some(owner) => {
                    problems.push(concord_federation::authoring::refusal(&o.id, owner));
                    false
                }
                None => true,
            })
            .collect())
    }

    async fn fetch(
        &self,
        spec: &FeedSpec,
        state: &mut FeedState,
        now: Timestamp,
    ) -> Result<Fetched> {
        match spec.format {
            FeedFormat::Misp if !spec.url.ends_with(".json") => {
                self.fetch_misp_feed(spec, state, now).await
            }
            FeedFormat::Taxii => {
                state.last_fetch = Some(now.to_stix());
                Ok(Fetched::Body {
                    bytes: self.fetch_taxii(spec).await?,
                    validators: Default::default(),
                })
            }
            _ => Ok(concord_feeds::fetch(&self.client, spec, state, &self.limits, now).await?),
        }
    }

    /// A MISP feed directory: its manifest (conditionally), then each event
    /// it names, as one JSON list.
    async fn fetch_misp_feed(
        &self,
        spec: &FeedSpec,
        state: &mut FeedState,
        now: Timestamp,
    ) -> Result<Fetched> {
        let base = spec.url.trim_end_matches('/');
        let at = |file: String| FeedSpec {
            url: format!("{base}/{file}"),
            ..spec.clone()
        };
        let manifest = at("manifest.json".into());
        let (bytes, validators) =
            match concord_feeds::fetch(&self.client, &manifest, state, &self.limits, now).await? {
                Fetched::NotModified => return Ok(Fetched::NotModified),
                Fetched::Body { bytes, validators } => (bytes, validators),
            };
        let bad = |reason: String| BridgeError::Spec {
            feed: spec.name.clone(),
            reason: format!("{}: {reason}", manifest.url),
        };
        let manifest: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not a MISP feed manifest: {e}")))?;
        let mut body = b"[".to_vec();
        for (i, key) in manifest.keys().enumerate() {
            // The key becomes part of a URL: only a UUID is taken.
            let uuid = uuid::Uuid::parse_str(key)
                .map_err(|_| bad(format!("{key:?} is not an event UUID")))?;
            let event = at(format!("{uuid}.json"));
            let mut scratch = FeedState::default();
            match concord_feeds::fetch(&self.client, &event, &mut scratch, &self.limits, now)
                .await?
            {
                Fetched::Body { bytes, .. } => {
                    if i > 0 {
                        body.push(b',');
                    }
                    body.extend_from_slice(&bytes);
                }
                Fetched::NotModified => {
                    return Err(bad(format!(
                        "{} answered 304 to an unconditional GET",
                        event.url
                    )));
                }
            }
            if body.len() > self.limits.max_bytes {
                return Err(concord_feeds::FeedError::TooLarge {
                    feed: spec.name.clone(),
                    url: spec.url.clone(),
                    limit: self.limits.max_bytes,
                }
                .into());
            }
        }
        body.push(b']');
        Ok(Fetched::Body {
            bytes: body,
            validators,
        })
    }

    /// Every page of a TAXII collection, as one envelope.
    async fn fetch_taxii(&self, spec: &FeedSpec) -> Result<Vec<u8>> {
        let bad = |reason: &str| BridgeError::Spec {
            feed: spec.name.clone(),
            reason: format!("{}: {reason}", spec.url),
        };
        let (root, rest) = spec
            .url
            .split_once("/collections/")
            .ok_or_else(|| bad("a TAXII feed's URL is a collection's objects resource: …/collections/<id>/objects/"))?;
        let collection = rest.split('/').next().unwrap_or("");
        if collection.is_empty() {
            return Err(bad("the URL names no collection"));
        }
        let client = Client::new(ClientOptions {
            timeout: self.limits.timeout,
            ..ClientOptions::default()
        })?;
        let api_root = format!("{root}/");
        let mut body = br#"{"objects":["#.to_vec();
        let mut first = true;
        let mut query = ObjectsQuery {
            limit: Some(1000),
            ..ObjectsQuery::default()
        };
        loop {
            let page = client.get_objects(&api_root, collection, &query).await?;
            for o in &page.objects {
                if !first {
                    body.push(b',');
                }
                first = false;
                body.extend_from_slice(o.get().as_bytes());
            }
            if body.len() > self.limits.max_bytes {
                return Err(concord_feeds::FeedError::TooLarge {
                    feed: spec.name.clone(),
                    url: spec.url.clone(),
                    limit: self.limits.max_bytes,
                }
                .into());
            }
            match (page.more, page.next) {
                (true, Some(next)) => query.next = Some(next),
                _ => break,
            }
        }
        body.extend_from_slice(b"]}");
        Ok(body)
    }
}

fn chunks<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut rest = items.into_iter().peekable();
    while rest.peek().is_some() {
        out.push(rest.by_ref().take(size).collect());
    }
    out
}
