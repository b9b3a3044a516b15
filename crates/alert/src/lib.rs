//! Alerts: what the member should look at now. A scanner over
//! what arrived ([`scan`]) raises them; they are stored as records beside
//! the objects, listed and acknowledged, and delivered by the event stream
//! (`/api/v1/events`), webhooks and e-mail ([`deliver`]).
//!
//! Nothing is lost across a restart: an alert, the fact that its cause was
//! seen, its delivery jobs and the scanner's cursor are written in one
//! transaction; a delivery job is removed only when the channel took the
//! alert, or moved to the dead-letter list after its last attempt.
//!
//! Records (kind, key): `alert` (id, in time order), `alert-cause`
//! (digest of the cause: raised once), `alert-outbox` (alert id and
//! channel), `alert-dead` (the same, given up), `alert-cursor`.

pub mod constituency;
pub mod deliver;
mod error;
pub mod scan;

pub use error::{AlertError, Result};

use std::path::Path;

use concord_stix::Timestamp;
use concord_store::{AnyStore, Record, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;
use tokio::sync::Notify;

/// `[constituency]`: the networks and names this member is responsible
/// for. Intel arriving from a peer that touches them raises an alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConstituencySection {
    /// CIDR ranges, IPv4 or IPv6 (a bare address is a /32 or /128).
    pub ip_ranges: Vec<String>,
    /// Autonomous system numbers.
    pub asns: Vec<u32>,
    /// Domains (their subdomains are included).
    pub domains: Vec<String>,
    /// Organisation names, matched case-insensitively in names and
    /// descriptions.
    pub organisations: Vec<String>,
}

impl ConstituencySection {
    /// Whether it names nothing (config.toml leaves it out).
    pub fn is_empty(&self) -> bool {
        *self == ConstituencySection::default()
    }
}

/// `[alerts]`: how often `serve` scans for alerts and how they are
/// delivered besides the event stream (`/api/v1/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSection {
    /// Seconds between scans in `serve` (a sync round also scans).
    pub scan_interval_secs: u64,
    /// Delivery attempts per alert and channel before it goes to the
    /// dead-letter list.
    pub max_attempts: u32,
    /// Seconds before the first retry; doubles each time (at most an hour).
    pub retry_secs: u64,
    /// Alert kinds delivered by webhook and e-mail (empty: all).
    pub kinds: Vec<String>,
    /// Webhooks, each a channel of its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSection>,
    /// E-mail, one channel (`None`: no e-mail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSection>,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection {
            scan_interval_secs: 30,
            max_attempts: 8,
            retry_secs: 5,
            kinds: Vec::new(),
            webhooks: Vec::new(),
            email: None,
        }
    }
}

impl AlertsSection {
    /// Whether nothing differs from the defaults (config.toml leaves it out).
    pub fn is_default(&self) -> bool {
        *self == AlertsSection::default()
    }
}

/// `[[alerts.webhooks]]`: a JSON POST per alert, signed with HMAC-SHA256
/// over the body (`X-Concord-Signature: sha256=HEX`). The key is given in
/// exactly one of `secret`, `secret_file` (a file, relative to the data
/// directory) or `secret_env` (an environment variable); the binary reads
/// the last two into `secret` when it loads the config.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// Where alerts are posted.
    pub url: String,
    /// The shared HMAC key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// A file holding the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<std::path::PathBuf>,
    /// An environment variable holding the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
}

/// Secrets never reach a log line, even through `{:?}`.
impl std::fmt::Debug for WebhookSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSection")
            .field("url", &self.url)
            .field("secret", &"(redacted)")
            .field("secret_file", &self.secret_file)
            .field("secret_env", &self.secret_env)
            .finish()
    }
}

/// `[alerts.email]`: one message per alert over SMTP. The password, if
/// any, is given in at most one of `password`, `password_file` or
/// `password_env` (read by the binary into `password`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// The SMTP server's host name.
    pub host: String,
    /// The SMTP server's port (default 587).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// "starttls" (default), "tls", or "none" (loopback hosts only).
    #[serde(default = "default_smtp_security")]
    pub security: String,
    /// The sender's address (`Name <address>` or a bare address).
    pub from: String,
    /// The recipients' addresses.
    pub to: Vec<String>,
    /// The SMTP login, if the server asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The SMTP password, with `username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A file holding the password (relative to the data directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<std::path::PathBuf>,
    /// An environment variable holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
}

/// Secrets never reach a log line, even through `{:?}`.
impl std::fmt::Debug for EmailSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(redacted)"))
            .field("password_file", &self.password_file)
            .field("password_env", &self.password_env)
            .finish()
    }
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> String {
    "starttls".into()
}

/// The record kind of alerts (key: the alert id, in time order).
pub const KIND: &str = "alert";
/// The record kind of causes seen (key: the cause's digest).
pub const CAUSE: &str = "alert-cause";
/// The record kind of pending delivery jobs (key: alert id and channel).
pub const OUTBOX: &str = "alert-outbox";
/// The record kind of jobs given up (same key as in the outbox).
pub const DEAD: &str = "alert-dead";
/// The record kind of the scanner's cursor.
pub const CURSOR: &str = "alert-cursor";

/// The kinds of alert.
pub mod kind {
    /// Intel from a peer touches the constituency.
    pub const CONSTITUENCY: &str = "constituency";
    /// Another member sighted one of our indicators.
    pub const SIGHTING: &str = "sighting";
    /// Another member called one of our objects a false positive.
    pub const FALSE_POSITIVE: &str = "false-positive";
    /// A request for assistance names us.
    pub const REQUEST: &str = "assistance-request";
    /// An incident we take part in changed or was answered.
    pub const INCIDENT: &str = "incident-update";
    /// A governance proposal waits for our vote.
    pub const VOTE: &str = "vote-needed";
    /// An object from a peer failed verification (quarantined).
    pub const VERIFICATION: &str = "verification-failed";
    /// The adopted charter expired.
    pub const CHARTER: &str = "charter-expired";
    /// A member's transparency log showed two histories (evidence held).
    pub const SPLIT_VIEW: &str = "split-view";
}

/// One alert as stored, listed, streamed and delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    /// `alert-<µs since the epoch, 16 digits>-<12 hex digits of the cause's
    /// digest>`: ids sort in time order.
    pub id: String,
    /// One of the [`kind`] constants.
    pub kind: String,
    /// When it was raised (a TAXII timestamp).
    pub created: String,
    /// Whether the member acknowledged it.
    pub acknowledged: bool,
    /// When it was acknowledged (a TAXII timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    /// What happened, in one line for people (English: webhooks, e-mail,
    /// logs).
    pub title: String,
    /// The same as a message key and its arguments, for the console and
    /// the CLI to say in the reader's language (absent in alerts raised
    /// before messages existed: show the title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// The STIX object (or proposal, quarantine entry) it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The member (identity id) or peer it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Kind-specific details (JSON; `null` when there are none).
    #[serde(default)]
    pub detail: Value,
}

/// An alert's text as a message of the console's catalogs
/// (`alert-msg-…` in `crates/console/locales/*/sections.ftl`) and its
/// arguments, all text, so any reader's language can say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The message key.
    pub key: String,
    /// Its arguments, by name.
    pub args: std::collections::BTreeMap<String, String>,
}

impl Message {
    /// A message with its arguments.
    pub fn new(key: &str, args: &[(&str, String)]) -> Message {
        Message {
            key: key.to_string(),
            args: args
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        }
    }
}

/// An alert the scanner wants raised. `cause` names what caused it,
/// uniquely: the same cause never raises a second alert.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// What caused it, as text unique to the cause (only its digest is kept).
    pub cause: String,
    /// One of the [`kind`] constants.
    pub kind: &'static str,
    /// [`Alert::title`].
    pub title: String,
    /// [`Alert::message`].
    pub message: Option<Message>,
    /// [`Alert::object`].
    pub object: Option<String>,
    /// [`Alert::source`].
    pub source: Option<String>,
    /// [`Alert::detail`].
    pub detail: Value,
}

fn digest(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A delivery job: an alert for one channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The alert's id.
    pub alert: String,
    /// `webhook <url>` or `email` (see [`channels`]).
    pub channel: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time (µs since the epoch; 0: now).
    pub next_at_us: i64,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The delivery channels an alert of `kind` goes to.
pub fn channels(section: &AlertsSection, kind: &str) -> Vec<String> {
    if !section.kinds.is_empty() && !section.kinds.iter().any(|k| k == kind) {
        return Vec::new();
    }
    let mut out: Vec<String> = section
        .webhooks
        .iter()
        .map(|w| format!("webhook {}", w.url))
        .collect();
    if section.email.is_some() {
        out.push("email".into());
    }
    out
}

/// Raises the alerts whose causes were not seen before, with their
/// delivery jobs, in one transaction together with `extra` records (the
/// scanner's cursor). Returns the alerts raised.
pub async fn raise(
    store: &AnyStore,
    section: &AlertsSection,
    alerts: Vec<NewAlert>,
    extra: Vec<Record>,
) -> Result<Vec<Alert>> {
    let mut records = Vec::new();
    let mut raised = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let now = Timestamp::now();
    for a in alerts {
        let cause = digest(&a.cause);
        if !seen.insert(cause.clone()) || store.record(CAUSE, &cause).await?.is_some() {
            continue;
        }
        // Keys in time order (the event stream follows them), unique by
        // the cause's digest.
        let id = format!("alert-{:016}-{}", now.0.max(0), &cause[..12]);
        let alert = Alert {
            id: id.clone(),
            kind: a.kind.to_string(),
            created: now.to_taxii(),
            acknowledged: false,
            acknowledged_at: None,
            title: a.title,
            message: a.message,
            object: a.object,
            source: a.source,
            detail: a.detail,
        };
        records.push(Record::new(
            KIND,
            id.clone(),
            serde_json::to_string(&alert)?,
        ));
        records.push(Record::new(CAUSE, cause, id.clone()));
        for channel in channels(section, a.kind) {
            let job = Job {
                alert: id.clone(),
                channel: channel.clone(),
                attempts: 0,
                next_at_us: 0,
                last_error: None,
            };
            records.push(Record::new(
                OUTBOX,
                format!("{id} {channel}"),
                serde_json::to_string(&job)?,
            ));
        }
        raised.push(alert);
    }
    records.extend(extra);
    if !records.is_empty() {
        store.put_records(records).await?;
    }
    Ok(raised)
}

/// Every alert, oldest first.
pub async fn list(store: &AnyStore) -> Result<Vec<Alert>> {
    all_records(store, KIND).await
}

/// One page of alerts, newest first, before the alert `before`
/// (exclusive): at most `limit` alerts (only the unacknowledged ones when
/// `open_only`), and where the next page starts when there may be more.
/// Reads the store a page at a time, and at most `limit * 20` alerts when
/// looking for open ones, so a page never costs the whole list.
pub async fn newest(
    store: &AnyStore,
    before: Option<&str>,
    limit: usize,
    open_only: bool,
) -> Result<(Vec<Alert>, Option<String>)> {
    let step = limit.clamp(1, 500);
    let budget = limit.saturating_mul(20).max(step);
    let mut out = Vec::new();
    let mut cursor = before.map(str::to_string);
    let mut read = 0usize;
    loop {
        let page = store.records_before(KIND, cursor.as_deref(), step).await?;
        let full = page.len() == step;
        for r in &page {
            read += 1;
            cursor = Some(r.key.clone());
            let Ok(a) = serde_json::from_str::<Alert>(&r.value) else {
                continue;
            };
            if open_only && a.acknowledged {
                continue;
            }
            out.push(a);
            if out.len() == limit {
                return Ok((out, cursor));
            }
        }
        if !full {
            return Ok((out, None));
        }
        if read >= budget {
            return Ok((out, cursor));
        }
    }
}

/// Every record of one kind that reads as `T`, in key order.
pub(crate) async fn all_records<T: serde::de::DeserializeOwned>(
    store: &AnyStore,
    kind: &str,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(kind, after.as_deref(), 1_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        out.extend(
            page.iter()
                .filter_map(|r| serde_json::from_str(&r.value).ok()),
        );
    }
    Ok(out)
}

/// Alerts after `after` (exclusive) in time order, at most `limit`.
pub async fn after(store: &AnyStore, after: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
    Ok(store
        .records(KIND, after, limit)
        .await?
        .iter()
        .filter_map(|r| serde_json::from_str(&r.value).ok())
        .collect())
}

/// Marks an alert acknowledged; returns it.
pub async fn acknowledge(store: &AnyStore, id: &str) -> Result<Alert> {
    let Some(r) = store.record(KIND, id).await? else {
        return Err(AlertError::NotFound(format!(
            "there is no alert {id} (see `concord alerts`)"
        )));
    };
    let mut a: Alert = serde_json::from_str(&r.value)?;
    if !a.acknowledged {
        a.acknowledged = true;
        a.acknowledged_at = Some(Timestamp::now().to_taxii());
        store
            .put_records(vec![Record::new(KIND, id, serde_json::to_string(&a)?)])
            .await?;
    }
    Ok(a)
}

/// Holds an exclusive lock on a file in the data directory while alive:
/// the scanner of `serve` and the one of a `concord sync` take turns, so
/// an alert is never raised twice.
pub struct Lock(std::fs::File);

impl Lock {
    /// Waits for the lock (in a blocking thread).
    pub async fn take(data_dir: &Path, name: &str) -> Result<Lock> {
        let path = data_dir.join(name);
        tokio::task::spawn_blocking(move || {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| AlertError::Io {
                    doing: "opening the lock file",
                    path: path.clone(),
                    source: e,
                })?;
            f.lock().map_err(|e| AlertError::Io {
                doing: "locking",
                path: path.clone(),
                source: e,
            })?;
            Ok(Lock(f))
        })
        .await
        .map_err(|e| AlertError::Delivery(format!("the lock task failed: {e}")))?
    }

    /// The lock if nobody holds it now.
    pub fn try_take(data_dir: &Path, name: &str) -> Result<Option<Lock>> {
        let path = data_dir.join(name);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| AlertError::Io {
                doing: "opening the lock file",
                path: path.clone(),
                source: e,
            })?;
        match f.try_lock() {
            Ok(()) => Ok(Some(Lock(f))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(AlertError::Io {
                doing: "locking",
                path,
                source: e,
            }),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// What `serve` runs: a scan every `scan_interval_secs` and after each
/// sync round (`rounds` is notified), and delivery of due jobs every
/// second.
pub async fn keep_running(
    node: std::sync::Arc<concord_federation::LocalNode>,
    alerts: AlertsSection,
    constituency: ConstituencySection,
    rounds: std::sync::Arc<Notify>,
) {
    keep_running_observed(node, alerts, constituency, rounds, |_| {}).await;
}

/// [`keep_running`], telling `observe` what each delivery pass did (the
/// binary counts deliveries sent and given up for its metrics).
pub async fn keep_running_observed(
    node: std::sync::Arc<concord_federation::LocalNode>,
    alerts: AlertsSection,
    constituency: ConstituencySection,
    rounds: std::sync::Arc<Notify>,
    observe: impl Fn(&deliver::DeliveryReport) + Send,
) {
    let every = std::time::Duration::from_secs(alerts.scan_interval_secs.max(1));
    let mut last_scan: Option<std::time::Instant> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let synced = tokio::select! {
            _ = tick.tick() => false,
            _ = rounds.notified() => true,
        };
        if synced || last_scan.is_none_or(|t| t.elapsed() >= every) {
            last_scan = Some(std::time::Instant::now());
            if let Err(e) = scan::run(&node, &alerts, &constituency).await {
                tracing::warn!(error = %e, "scanning for alerts failed");
            }
        }
        match deliver::run(&node.store, &node.data_dir, &alerts).await {
            Ok(report) => observe(&report),
            Err(e) => tracing::warn!(error = %e, "delivering alerts failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::SqliteStore;

    fn stored(i: u32, acknowledged: bool) -> Record {
        let a = Alert {
            id: format!("alert-{i:016}-000000000000"),
            kind: kind::VOTE.into(),
            created: "2026-12-01T00:00:00.000Z".into(),
            acknowledged,
            acknowledged_at: None,
            title: format!("alert {i}"),
            message: Some(Message::new(
                "alert-msg-vote",
                &[("proposal", i.to_string())],
            )),
            object: None,
            source: None,
            detail: Value::Null,
        };
        Record::new(KIND, a.id.clone(), serde_json::to_string(&a).unwrap())
    }

    #[tokio::test]
    async fn pages_of_alerts_come_newest_first_and_read_only_what_they_show() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
        store
            .put_records((1..=7).map(|i| stored(i, i % 2 == 0)).collect())
            .await
            .unwrap();
        let (page, next) = newest(&store, None, 3, false).await.unwrap();
        let titles: Vec<&str> = page.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["alert 7", "alert 6", "alert 5"]);
        let (rest, end) = newest(&store, next.as_deref(), 10, false).await.unwrap();
        assert_eq!(rest.len(), 4);
        assert_eq!(end, None);
        let (open, _) = newest(&store, None, 10, true).await.unwrap();
        let titles: Vec<&str> = open.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["alert 7", "alert 5", "alert 3", "alert 1"]);
        assert_eq!(open[0].message.as_ref().unwrap().args["proposal"], "7");
    }
}
