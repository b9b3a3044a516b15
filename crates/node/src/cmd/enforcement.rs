//! `concord export --format rpz|suricata|zeek|hosts|text|csv` (and
//! `--format stix --collection C`): the node's indicators in the formats
//! resolvers, IDS and firewalls load, through concord-publish.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, anyhow};
use concord_publish::output::Written;
use concord_publish::{OutputFormat, Published, Query, Scope};
use concord_stix::Timestamp;
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

/// The options of the enforcement formats.
#[derive(clap::Args)]
pub struct Options {
    /// Only indicators with at least this confidence (0-100); indicators
    /// without a confidence are then left out.
    #[arg(long, value_name = "N")]
    confidence: Option<u8>,
    /// Also revoked, withdrawn, expired and not yet valid indicators
    /// (enforcement formats; by default only active ones).
    #[arg(long)]
    include_inactive: bool,
    /// Decide which indicators are active at this STIX timestamp instead of
    /// now (reproducible exports).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// RPZ: the zone's name [default: rpz.concord.].
    #[arg(long, value_name = "NAME")]
    zone: Option<String>,
    /// RPZ: the policy of every listed name and address: nxdomain
    /// (default), nodata, passthru or cname:NAME (a walled garden, e.g.
    /// cname:walled.garden.example).
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// RPZ: also list *.NAME for every name, so subdomains are caught.
    #[arg(long)]
    wildcard: bool,
    /// RPZ: URL indicators list their host names (blocks the whole site).
    #[arg(long)]
    url_hosts: bool,
    /// Suricata: the sids new rules take, FIRST-LAST [default:
    /// 1000000-1999999]. Sids already handed out stay with their indicator.
    #[arg(long, value_name = "FIRST-LAST")]
    sid_range: Option<String>,
    /// List every indicator or value left out, with the reason (on
    /// standard error); without it, the counts per reason.
    #[arg(long)]
    report: bool,
}

/// What `concord export` hands over besides the options.
pub struct Common<'a> {
    pub format: OutputFormat,
    pub types: &'a [String],
    pub since: Option<&'a str>,
    pub tlp: Option<&'a str>,
    pub include_revoked: bool,
    pub collections: &'a [String],
    pub recipient: Option<&'a str>,
    pub out: Option<&'a Path>,
}

/// The query the command line asks for.
fn query(c: &Common<'_>, o: &Options) -> Result<Query> {
    let mut q = Query::new(c.format);
    let mut set = |name: &str, value: &str| q.set(name, value).map_err(|e| anyhow!("--{e}"));
    for t in c.types {
        set("type", t)?;
    }
    let given = [
        ("since", c.since.map(str::to_string)),
        ("tlp", c.tlp.map(str::to_string)),
        ("confidence", o.confidence.map(|n| n.to_string())),
        ("zone", o.zone.clone()),
        ("action", o.action.clone()),
        ("sid-range", o.sid_range.clone()),
    ];
    for (name, value) in given {
        if let Some(v) = value {
            set(name, &v)?;
        }
    }
    for (name, on) in [
        ("include-inactive", o.include_inactive || c.include_revoked),
        ("wildcard", o.wildcard),
        ("url-hosts", o.url_hosts),
    ] {
        if on {
            set(name, "true")?;
        }
    }
    q.check().map_err(|e| anyhow!("--{e}"))?;
    Ok(q)
}

pub fn run(global: &Global, c: &Common<'_>, o: &Options) -> Result<Outcome> {
    let query = query(c, o)?;
    let now = match &o.at {
        None => Timestamp::now(),
        Some(s) => Timestamp::parse(s).map_err(|e| anyhow!("--at {s:?}: {e}"))?,
    };
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let published = rt.block_on(async {
        let scope = scope(global, &node, c).await?;
        concord_publish::publish(&node.store, &scope, &query, now)
            .await
            .map_err(anyhow::Error::from)
    })?;
    let written = match c.out {
        Some(out) => concord_publish::output::write(out, &published)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&published.body)?;
            stdout.flush()?;
            Written::to_stdout(&published)
        }
    };
    summary(global, o, &published, &written);
    Ok(Outcome::Ok)
}

/// Whose view: the node's, a recipient's, or collections.
async fn scope(global: &Global, node: &Node, c: &Common<'_>) -> Result<Scope> {
    let recipient = match c.recipient {
        None => None,
        Some(name) => Some(super::export::recipient(global, node, name).await?),
    };
    if c.collections.is_empty() {
        return Ok(match recipient {
            None => Scope::Node,
            Some((federation, recipient)) => Scope::NodeFor {
                federation: std::sync::Arc::new(federation),
                recipient,
                collection: node.config.node.collection.clone(),
            },
        });
    }
    let all = concord_store::Store::collections(&node.store).await?;
    let (federation, to) = match recipient {
        Some((f, r)) => (f, Some(r)),
        None => (node.federation()?, None),
    };
    let collections = c
        .collections
        .iter()
        .map(|k| Ok((concord_taxii::admin::find_collection(&all, k)?, to.clone())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Scope::Collections {
        federation: std::sync::Arc::new(federation),
        collections,
    })
}

/// Says on standard error what was exported and what was left out.
fn summary(global: &Global, o: &Options, p: &Published, w: &Written) {
    let Some(report) = &p.report else {
        // STIX: the count, as the bundle export says it.
        if global.json {
            eprintln!("{}", json!({"exported": p.exported}));
        } else if w.output.is_some() {
            eprintln!("exported {} objects", p.exported);
        }
        return;
    };
    let by_reason = report.skipped_by_reason();
    if global.json {
        let mut v = json!({
            "format": report.format,
            "exported": report.indicators,
            "values": report.exported,
            "records": report.records,
            "skipped": report.skipped.len(),
            "skipped_by_reason": by_reason,
            "serial": p.serial,
            "output": w.output,
            "files": w.files,
            "files_not_written": w.unwritten,
        });
        if o.report {
            v["left_out"] = json!(report.skipped);
        }
        eprintln!("{v}");
        return;
    }
    if o.report {
        for s in &report.skipped {
            let value = s
                .value
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            let id = if s.id.is_empty() { "(no id)" } else { &s.id };
            eprintln!("left out {id}{value}: {}", s.reason);
        }
    }
    let mut line = format!(
        "exported {} indicators as {} ({} {})",
        report.indicators,
        report.format,
        report.records,
        match report.format {
            concord_exports::Format::Rpz => "triggers",
            concord_exports::Format::Suricata => "rules",
            _ => "lines",
        }
    );
    if let Some(serial) = p.serial {
        line.push_str(&format!(", serial {serial}"));
    }
    if let Some(path) = &w.output {
        line.push_str(&format!(" to {}", path.display()));
    }
    if !report.skipped.is_empty() {
        let reasons: Vec<String> = by_reason.iter().map(|(r, n)| format!("{r} {n}")).collect();
        line.push_str(&format!(
            "; left out {}: {}{}",
            report.skipped.len(),
            reasons.join(", "),
            if o.report {
                ""
            } else {
                " (--report lists them)"
            }
        ));
    }
    eprintln!("{line}");
    for f in &w.files {
        eprintln!("wrote {}", f.display());
    }
    if !w.unwritten.is_empty() {
        eprintln!(
            "the rules name hash lists that were not written ({}): give --out DIR or --out FILE to write them beside the rules",
            w.unwritten.join(", ")
        );
    }
}
