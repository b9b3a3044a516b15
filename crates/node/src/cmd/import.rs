//! `concord import`: the command line of `concord_ingest` (arguments,
//! progress bar, messages, report): STIX bundles, arrays and JSON lines,
//! MISP events and feeds, CSV and text lists, signed bundles.

use anyhow::{Context, Result};
use concord_ingest::{
    Binding, Foreign, Format, Observer, Options, Pass, Rejection, Report, Source,
};
use concord_stix::Issue;
use concord_store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Node;
use crate::Outcome;
use crate::config::Global;
use concord_federation::authoring::Authoring;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (*.json, *.jsonl, *.ndjson inside) to read; `-` is standard input.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Store nothing if any object is rejected.
    #[arg(long)]
    strict: bool,
    /// The collection (id or title) to file objects in (default: the node's local collection).
    #[arg(long)]
    collection: Option<String>,
    /// Also list warnings (open-vocabulary values and SHOULD rules).
    #[arg(long)]
    warnings: bool,
    /// Leave the search index behind (the server or the next search catches it up).
    #[arg(long)]
    no_index: bool,
    /// Author what the file holds: mark every object with this TLP 2.0
    /// level (clear, green, amber, amber+strict, red) and sign it with the
    /// node key, so peers can receive it under the sharing policy.
    #[arg(long)]
    tlp: Option<String>,
    /// With --tlp: the members (identity ids) or groups that may receive it.
    #[arg(long, value_delimiter = ',', requires = "tlp")]
    audience: Vec<String>,
    /// The inputs' format: stix, misp (events, lists, {"response": [...]},
    /// feed directories), csv or text. Default: detected (a directory with
    /// manifest.json or JSON starting with "Event"/"response" is MISP,
    /// *.csv is CSV, *.txt text, anything else STIX). MISP, CSV and text are
    /// always signed by this node; MISP keeps each event's sharing, held to
    /// --tlp and --audience.
    #[arg(long)]
    format: Option<String>,
    /// CSV: which column holds what, COLUMN=TARGET (`value=ipv4-addr:value`,
    /// `3=file:hashes.sha256`, `note=description`); repeatable. Default: the
    /// header row names STIX object paths.
    #[arg(long = "column", value_name = "COLUMN=TARGET")]
    columns: Vec<String>,
}

/// The process's peak resident memory (Linux `VmHWM`), for the report.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A progress bar on a terminal (hidden otherwise), and the messages.
struct Terminal {
    bar: Option<ProgressBar>,
    warnings: bool,
    started: std::time::Instant,
}

impl Terminal {
    fn bar(&mut self) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        })
    }
}

impl Observer for Terminal {
    fn source(&mut self, _name: &str, pass: Pass) {
        let bar = self.bar();
        bar.reset();
        if pass == Pass::Checking {
            bar.set_message("checking");
        }
    }
    fn size(&mut self, bytes: u64) {
        self.bar().set_length(bytes);
    }
    fn progress(&mut self, bytes: u64, objects: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let bar = self.bar();
        bar.set_position(bytes);
        bar.set_message(format!(
            "{objects} objects, {:.0} objects/s",
            objects as f64 / secs
        ));
    }
    fn source_done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
    fn rejected(&mut self, r: &Rejection) {
        let what: Vec<String> = r
            .issues
            .iter()
            .filter(|i| i.severity == concord_stix::Severity::Error)
            .map(|i| format!("{}: {} [{}]", i.path, i.message, i.rule))
            .collect();
        self.bar().suspend(|| {
            eprintln!(
                "rejected {}:{} {}{}: {}",
                r.file,
                r.line,
                r.path,
                r.id.as_deref().map(|i| format!(" {i}")).unwrap_or_default(),
                what.join("; ")
            )
        });
    }
    fn warnings(&mut self, file: &str, line: usize, id: &str, warnings: &[Issue]) {
        if self.warnings {
            self.bar().suspend(|| {
                for w in warnings {
                    eprintln!("warning {file}:{line} {id} {w}");
                }
            });
        }
    }
    fn unmapped(&mut self, u: &serde_json::Value) {
        let s = |k: &str| u[k].as_str().unwrap_or("").to_string();
        self.bar().suspend(|| {
            eprintln!(
                "not mapped {}: event {} {} {} ({}): {}",
                s("file"),
                s("event"),
                s("record"),
                s("uuid"),
                s("misp_type"),
                s("reason")
            )
        });
    }
    fn indexing(&mut self, backlog: u64) {
        if backlog == 0 {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(backlog), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} indexing for search {wide_bar} {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar = Some(bar);
    }
    fn indexed(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let collection = match &args.collection {
        None => node.config.node.collection.clone(),
        Some(key) => {
            let all = super::runtime()?.block_on(node.store.collections())?;
            concord_taxii::admin::find_collection(&all, key)?
        }
    };
    let mut sources = concord_ingest::foreign::sources(&args.inputs, args.format.as_deref())?;
    let mut spooled = None;
    if args.strict && sources.iter().any(|(s, _)| matches!(s, Source::Stdin)) {
        // --strict reads twice (check, then write): keep stdin for the second pass.
        let path = concord_ingest::spool_stdin(&global.data_dir)?;
        for (s, _) in sources.iter_mut() {
            if matches!(s, Source::Stdin) {
                *s = Source::File(path.clone());
            }
        }
        spooled = Some(path);
    }
    let result = import(global, &node, collection, &sources, &args);
    if let Some(p) = spooled {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// Signed bundles from other members, each taken in whole or not at all.
fn import_signed(
    global: &Global,
    rt: &tokio::runtime::Runtime,
    node: &Node,
    collection: &str,
    signed: &[(String, Vec<u8>)],
) -> Result<Outcome> {
    let own = node.keypair(global)?.public();
    let directory = rt.block_on(concord_federation::logs::current(&node.local(), &own))?;
    let mut outcome = Outcome::Ok;
    for (name, bytes) in signed {
        match concord_ingest::signed::take_in_signed(
            rt.handle(),
            &node.store,
            &directory,
            collection,
            bytes,
        ) {
            Ok(r) if global.json => {
                let mut v = serde_json::to_value(&r)?;
                v["file"] = name.clone().into();
                println!("{v}");
            }
            Ok(r) => println!(
                "{name}: {} objects verified against {} (size {}): {} stored, {} already held",
                r.verified, r.origin, r.checkpoint_size, r.stored, r.duplicates
            ),
            Err(e @ concord_ingest::IngestError::Refused(_)) => {
                eprintln!("rejected {name}: {e}");
                outcome = Outcome::Failed;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(outcome)
}

fn import(
    global: &Global,
    node: &Node,
    collection: String,
    sources: &[(Source, Format)],
    args: &Args,
) -> Result<Outcome> {
    let rt = super::runtime()?;
    let signed: Vec<(String, Vec<u8>)> = sources
        .iter()
        .filter_map(|(s, _)| concord_ingest::signed::signed_bundle(s).map(|b| (s.name(), b)))
        .collect();
    if !signed.is_empty() {
        if signed.len() != sources.len() || args.tlp.is_some() {
            anyhow::bail!(
                "import a signed bundle on its own, without --tlp: it is another member's, checked against its log"
            );
        }
        return import_signed(global, &rt, node, &collection, &signed);
    }
    let key = node.keypair(global)?;
    let member = node.config.node.identity.clone();
    let foreign = match sources.iter().any(|(_, f)| *f != Format::Stix) {
        false => None,
        true => {
            let directory = rt.block_on(concord_bridge::Directory::of_node(
                &node.local(),
                &key.public(),
                &node.config.node.org,
            ))?;
            let floor = concord_bridge::Floor {
                tlp: args.tlp.as_deref().and_then(concord_stix::tlp::Tlp::parse),
                audience: args.audience.clone(),
            };
            Some(Foreign::new(
                member.clone(),
                node.keypair(global)?,
                directory,
                floor,
                &args.columns,
            )?)
        }
    };
    let authoring = match &args.tlp {
        None => None,
        Some(word) => {
            let tlp = concord_stix::tlp::Tlp::parse(word).with_context(|| {
                format!("--tlp {word:?} is not a TLP 2.0 level: clear, green, amber, amber+strict or red")
            })?;
            if matches!(
                tlp,
                concord_stix::tlp::Tlp::Amber
                    | concord_stix::tlp::Tlp::AmberStrict
                    | concord_stix::tlp::Tlp::Red
            ) && args.audience.is_empty()
            {
                eprintln!(
                    "note: --tlp {word} without --audience: no peer is named, so these objects stay on this node"
                );
            }
            Some(Authoring {
                member: member.clone(),
                key: node.keypair(global)?,
                tlp: Some(tlp),
                audience: (!args.audience.is_empty()).then(|| args.audience.clone()),
            })
        }
    };
    // Authoring: the ids of other members' objects are theirs alone.
    let binding = match authoring.is_some() || foreign.is_some() {
        true => {
            let m = rt.block_on(concord_federation::membership::current(
                &node.local(),
                &key.public(),
            ))?;
            Some(Binding {
                members: m.names(&member),
                member: member.clone(),
            })
        }
        false => None,
    };
    let options = Options {
        collection,
        strict: args.strict,
        index: !args.no_index,
        authoring: authoring.as_ref(),
        binding,
        own: Some((member, key.public().to_hex())),
        foreign: foreign.as_ref(),
    };
    let mut terminal = Terminal {
        bar: None,
        warnings: args.warnings,
        started: std::time::Instant::now(),
    };
    let report = concord_ingest::import(rt.handle(), &node.store, sources, &options, &mut terminal);
    if let Some(bar) = terminal.bar.take() {
        bar.finish_and_clear();
    }
    let mut report = report?;
    if report.strict_refused {
        eprintln!(
            "--strict: {} of {} objects rejected; nothing was stored",
            report.rejected, report.read
        );
    }
    report.peak_rss_bytes = peak_rss_bytes();
    print_report(global, &report)?;
    Ok(if report.rejected > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

fn print_report(global: &Global, report: &Report) -> Result<()> {
    if global.json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!(
            "read {} objects in {:.2}s ({:.0}/s, search index {:.2}s): {} stored, {} already held, {} rejected, {} warnings",
            report.read,
            report.seconds,
            report.objects_per_second,
            report.index_seconds,
            report.stored,
            report.duplicates,
            report.rejected,
            report.warnings
        );
        if !report.unmapped.is_empty() {
            eprintln!(
                "{} MISP records were not mapped (listed above)",
                report.unmapped.len()
            );
        }
        if let Some(note) = &report.note {
            eprintln!("note: {note}");
        }
    }
    Ok(())
}
