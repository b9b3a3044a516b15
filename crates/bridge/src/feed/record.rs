//! Feeds as store records: the specification (kind `feed`), the state
//! between two fetches (kind `feed-state`: validators, known versions,
//! last error) and the report of the last pull (kind `feed-pull`), each
//! keyed by the feed's name. `concord feed add` writes them; a running
//! `serve` reads them on every tick, so a new feed is pulled without a
//! restart.

use concord_feeds::{FeedSpec, FeedState};
use concord_store::{AnyStore, Record, Store};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{BridgeError, Result};

/// The record kind of feed specifications.
pub const SPEC_KIND: &str = "feed";
/// The record kind of feed states.
pub const STATE_KIND: &str = "feed-state";
/// The record kind of the last pull's report.
pub const PULL_KIND: &str = "feed-pull";

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReport {
    /// The feed's name.
    pub feed: String,
    /// When (STIX timestamp).
    pub at: String,
    /// `stored`, `not-modified` or `failed`.
    pub outcome: String,
    /// Objects the body gave.
    pub objects: usize,
    /// New versions stored.
    pub stored: usize,
    /// Versions offered again that the node already held.
    pub already_held: usize,
    /// Objects unchanged since the last good fetch (not offered again).
    pub unchanged: usize,
    /// Objects the feed gave before and no longer gives (kept, not revoked).
    pub removed: usize,
    /// MISP records that gave no object.
    pub unmapped: usize,
    /// Lines, rows and objects that gave nothing, with the reason (the
    /// first hundred).
    pub problems: Vec<String>,
    /// How many there were in all.
    pub problems_total: usize,
    /// Why the pull failed (the data of the last good pull stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl std::fmt::Display for PullReport {
    /// What the pull stored and skipped, or why it failed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(e) => write!(f, "{}: failed, the last good data stays: {e}", self.feed),
            None if self.outcome == "not-modified" => write!(f, "{}: not modified", self.feed),
            None => write!(
                f,
                "{}: {} objects, {} stored, {} already held, {} unchanged, {} gone from the feed, {} problems",
                self.feed,
                self.objects,
                self.stored,
                self.already_held,
                self.unchanged,
                self.removed,
                self.problems_total
            ),
        }
    }
}

/// A feed as `concord feed list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedView {
    /// What it is.
    pub spec: FeedSpec,
    /// When it was last fetched, and its last error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_fetch: Option<String>,
    /// When a fetch last succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_good_fetch: Option<String>,
    /// The last fetch's error, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Objects the feed gives now (as of its last good fetch).
    pub objects: usize,
    /// The last pull's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_pull: Option<PullReport>,
}

impl std::fmt::Display for FeedView {
    /// The feed and its schedule, then its last fetches and error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.spec;
        let (word, every) = (s.format.word(), s.interval_secs);
        write!(f, "{}  {} ({word}, every {every} s)", s.name, s.url)?;
        write!(
            f,
            "\n  last fetch {}, last good {}, {} objects",
            self.last_fetch.as_deref().unwrap_or("never"),
            self.last_good_fetch.as_deref().unwrap_or("never"),
            self.objects,
        )?;
        if let Some(e) = &self.last_error {
            write!(f, "\n  last error: {e}")?;
        }
        Ok(())
    }
}

/// Reads a record's JSON.
pub(crate) fn read_json<T: DeserializeOwned>(kind: &'static str, r: &Record) -> Result<T> {
    serde_json::from_str(&r.value).map_err(|e| BridgeError::Record {
        kind,
        key: r.key.clone(),
        reason: e.to_string(),
    })
}

fn record<T: Serialize>(kind: &'static str, key: &str, value: &T) -> Result<Record> {
    Ok(Record {
        kind: kind.into(),
        key: key.to_string(),
        value: serde_json::to_string(value).map_err(|e| BridgeError::Record {
            kind,
            key: key.to_string(),
            reason: e.to_string(),
        })?,
        updated_us: 0,
    })
}

/// Checks a feed before it is kept: a name of letters, digits, `.`, `_`
/// and `-` (it names the feed's records and derives its indicator ids),
/// an http or https URL, an interval of at least a second, and no CSV
/// mapping for a format that has no columns.
pub fn check(spec: &FeedSpec) -> Result<()> {
    let bad = |reason: String| BridgeError::Spec {
        feed: spec.name.clone(),
        reason,
    };
    if spec.name.is_empty()
        || spec.name.len() > 100
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(bad(
            "a feed's name is 1 to 100 letters, digits, '.', '_' or '-'".into(),
        ));
    }
    let url = reqwest::Url::parse(&spec.url)
        .map_err(|e| bad(format!("{:?} is not a URL: {e}", spec.url)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(format!(
            "{:?}: a feed is fetched over http or https",
            spec.url
        )));
    }
    if spec.interval_secs == 0 {
        return Err(bad("the interval must be at least one second".into()));
    }
    if !spec.csv.columns.is_empty() && spec.format != concord_feeds::FeedFormat::Csv {
        return Err(bad(format!(
            "--column maps CSV columns; a {} feed has none",
            spec.format.word()
        )));
    }
    Ok(())
}

/// Reads an interval: seconds, or a number with `s`, `m`, `h` or `d`
/// (`90s`, `15m`, `1h`, `1d`).
pub fn parse_interval(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 's'),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an interval such as 90s, 15m, 1h or 1d"))?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    match n.checked_mul(scale) {
        Some(0) => Err(format!(
            "{text:?}: the interval must be at least one second"
        )),
        Some(secs) => Ok(secs),
        None => Err(format!("{text:?} is too long an interval")),
    }
}

/// Keeps a new feed.
pub async fn add(store: &AnyStore, spec: &FeedSpec) -> Result<()> {
    check(spec)?;
    if store.record(SPEC_KIND, &spec.name).await?.is_some() {
        return Err(BridgeError::FeedExists(spec.name.clone()));
    }
    store
        .put_records(vec![record(SPEC_KIND, &spec.name, spec)?])
        .await?;
    Ok(())
}

/// Forgets a feed: its specification, state and last report. What it
/// brought stays stored.
pub async fn remove(store: &AnyStore, name: &str) -> Result<()> {
    let n = store
        .delete_records(SPEC_KIND, vec![name.to_string()])
        .await?;
    if n == 0 {
        return Err(BridgeError::UnknownFeed(name.to_string()));
    }
    store
        .delete_records(STATE_KIND, vec![name.to_string()])
        .await?;
    store
        .delete_records(PULL_KIND, vec![name.to_string()])
        .await?;
    Ok(())
}

/// Every feed's specification, by name.
pub async fn specs(store: &AnyStore) -> Result<Vec<FeedSpec>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(SPEC_KIND, after.as_deref(), 500).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in &page {
            out.push(read_json(SPEC_KIND, r)?);
        }
        after = Some(last);
    }
    Ok(out)
}

/// One feed's specification.
pub async fn spec(store: &AnyStore, name: &str) -> Result<FeedSpec> {
    match store.record(SPEC_KIND, name).await? {
        Some(r) => read_json(SPEC_KIND, &r),
        None => Err(BridgeError::UnknownFeed(name.to_string())),
    }
}

/// One feed's state (empty before its first fetch).
pub async fn state(store: &AnyStore, name: &str) -> Result<FeedState> {
    match store.record(STATE_KIND, name).await? {
        Some(r) => read_json(STATE_KIND, &r),
        None => Ok(FeedState::default()),
    }
}

/// Saves a feed's state and the report of the pull that made it, in one
/// transaction.
pub(crate) async fn save(
    store: &AnyStore,
    name: &str,
    state: &FeedState,
    report: &PullReport,
) -> Result<()> {
    store
        .put_records(vec![
            record(STATE_KIND, name, state)?,
            record(PULL_KIND, name, report)?,
        ])
        .await?;
    Ok(())
}

/// Every feed as `concord feed list` shows it.
pub async fn list(store: &AnyStore) -> Result<Vec<FeedView>> {
    let mut out = Vec::new();
    for spec in specs(store).await? {
        let state = state(store, &spec.name).await?;
        let last_pull = match store.record(PULL_KIND, &spec.name).await? {
            Some(r) => Some(read_json(PULL_KIND, &r)?),
            None => None,
        };
        out.push(FeedView {
            last_fetch: state.last_fetch.clone(),
            last_good_fetch: state.last_good_fetch.clone(),
            last_error: state.last_error.as_ref().map(|e| e.message.clone()),
            objects: state
                .objects
                .values()
                .filter(|v| v.removed.is_none())
                .count(),
            last_pull,
            spec,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_feeds::{CsvOptions, FeedFormat};

    fn spec(name: &str, url: &str, format: FeedFormat) -> FeedSpec {
        FeedSpec {
            name: name.into(),
            url: url.into(),
            format,
            interval_secs: 3600,
            tlp: None,
            audience: Vec::new(),
            collection: None,
            csv: CsvOptions::default(),
        }
    }

    #[test]
    fn pulls_and_feeds_read_as_lines() {
        let mut r = PullReport {
            feed: "f".into(),
            outcome: "stored".into(),
            objects: 3,
            stored: 2,
            already_held: 1,
            ..PullReport::default()
        };
        assert_eq!(
            r.to_string(),
            "f: 3 objects, 2 stored, 1 already held, 0 unchanged, 0 gone from the feed, 0 problems"
        );
        r.outcome = "not-modified".into();
        assert_eq!(r.to_string(), "f: not modified");
        r.error = Some("404".into());
        assert_eq!(r.to_string(), "f: failed, the last good data stays: 404");
        let v = FeedView {
            spec: spec("f", "https://x/l.txt", FeedFormat::Text),
            last_fetch: Some("t".into()),
            last_good_fetch: None,
            last_error: Some("404".into()),
            objects: 0,
            last_pull: None,
        };
        assert_eq!(
            v.to_string(),
            "f  https://x/l.txt (text, every 3600 s)\n  last fetch t, last good never, 0 objects\n  last error: 404"
        );
    }

    #[test]
    fn specs_are_checked() {
        assert!(
            check(&spec(
                "abuse.ch-urls",
                "https://x.example/a.csv",
                FeedFormat::Csv
            ))
            .is_ok()
        );
        for (name, url) in [
            ("", "https://x.example/"),
            ("a b", "https://x.example/"),
            ("a/b", "https://x.example/"),
            ("ok", "ftp://x.example/"),
            ("ok", "not a url"),
            ("ok", "file:///etc/passwd"),
        ] {
            assert!(
                check(&spec(name, url, FeedFormat::Text)).is_err(),
                "{name} {url}"
            );
        }
        let mut s = spec("t", "https://x.example/", FeedFormat::Text);
        s.csv.columns = vec![concord_feeds::ColumnMapping::parse("1=ipv4-addr:value").unwrap()];
        assert!(check(&s).is_err());
    }

    #[test]
    fn intervals_read_with_their_units() {
        assert_eq!(parse_interval("1h"), Ok(3600));
        assert_eq!(parse_interval("15m"), Ok(900));
        assert_eq!(parse_interval("90s"), Ok(90));
        assert_eq!(parse_interval("2D"), Ok(172_800));
        assert_eq!(parse_interval("600"), Ok(600));
        for bad in ["", "h", "0s", "1w", "-1h", "1.5h", "99999999999999999999d"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn feeds_are_kept_listed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::Sqlite(concord_store::SqliteStore::open_dir(dir.path()).unwrap());
        let s = spec("list", "http://127.0.0.1:9/l.txt", FeedFormat::Text);
        add(&store, &s).await.unwrap();
        assert!(matches!(
            add(&store, &s).await,
            Err(BridgeError::FeedExists(_))
        ));
        let all = list(&store).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].spec, s);
        assert!(all[0].last_fetch.is_none());
        remove(&store, "list").await.unwrap();
        assert!(list(&store).await.unwrap().is_empty());
        assert!(matches!(
            remove(&store, "list").await,
            Err(BridgeError::UnknownFeed(_))
        ));
    }
}
