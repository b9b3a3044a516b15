//! `concord`: one member's node of a threat-intelligence community.
//!
//! The binary is thin glue: it reads the command line and the config, opens
//! the store and calls the library crates. Only the binary prints and exits.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is the one place that prints"
)]
#![expect(
    unreachable_pub,
    reason = "a binary exports nothing: `pub` marks what its modules offer each other"
)]

mod cmd;
mod config;
mod failure;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: parsing, checking and serving STIX JSON allocates and frees
/// many small strings and maps; with glibc's allocator that was 20-40% of
/// the time of a sync on both ends (perf, bench/replication.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "concord",
    version,
    about = "A sovereign node of a threat-intelligence community (STIX 2.1 / TAXII 2.1)",
    after_help = "Environment:\n  CONCORD_DATA_DIR  the data directory (as --data-dir)\n  CONCORD_STORAGE   a postgres:// URL that overrides `storage` in config.toml\n  CONCORD_LOG       what is logged to stderr (default warn; RUST_LOG if unset): e.g. CONCORD_LOG=info logs every request `serve` answers and every refused log-in, CONCORD_LOG=concord_taxii=debug one crate\n\nExit codes: 0 done, 1 done with problems (e.g. rejected objects), 2 failed."
)]
struct Cli {
    /// The node's data directory (config, key, database).
    #[arg(long, global = true, env = "CONCORD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Machine-readable JSON output (a failure: one {"error", "kind", "hint"} object on stderr).
    #[arg(long, global = true)]
    json: bool,
    /// How log lines (stderr) are written: text, or json (one object a line).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "CONCORD_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Start a community of three nodes on 127.0.0.1 with sample intel, sync, and show who got what and why.
    Demo(cmd::demo::Args),
    /// Create the data directory, its config file and the node key.
    Init(cmd::init::Args),
    /// Import STIX bundles or JSON lines, MISP events and feeds, CSV and text IOC lists (files, directories, or - for stdin).
    Import(cmd::import::Args),
    /// Export objects as one STIX bundle, MISP events (--format misp), or the active indicators for resolvers, IDS and firewalls (--format rpz, suricata, zeek, hosts, text, csv).
    Export(cmd::export::Args),
    /// Feeds fetched on a schedule (MISP, STIX, TAXII, CSV, text): add, list, pull, remove.
    #[command(subcommand)]
    Feed(cmd::feed::Command),
    /// Full-text search over names, descriptions, labels and patterns.
    Search(cmd::query::SearchArgs),
    /// Show one object (latest version, or all versions).
    Show(cmd::query::ShowArgs),
    /// Counts of what the node holds.
    Stats,
    /// Check or evaluate STIX patterns.
    #[command(subcommand)]
    Pattern(cmd::pattern::Command),
    /// Check log lines (Zeek, Suricata EVE, JSON lines, text) against the active indicators.
    Match(cmd::matching::Args),
    /// Serve TAXII 2.1 (TLS from the config; plain HTTP only on loopback or with --plain-http).
    Serve(cmd::serve::Args),
    /// Users of the TAXII server.
    #[command(subcommand)]
    User(cmd::access::UserCommand),
    /// API tokens of TAXII users.
    #[command(subcommand)]
    Token(cmd::access::TokenCommand),
    /// TAXII collections.
    #[command(subcommand)]
    Collection(cmd::access::CollectionCommand),
    /// Sync with a TAXII 2.1 server.
    #[command(subcommand)]
    Taxii(cmd::taxii::Command),
    /// Move everything the node's store holds between the embedded store and PostgreSQL, verified per table.
    Migrate(cmd::migrate::Args),
    /// Write a backup (config, keys, every table from one snapshot) while the node serves.
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup into an empty data directory.
    Restore(cmd::backup::RestoreArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), or write one per command into --out-dir.
    Man {
        /// Write `concord.1` and one page per command (`concord-import.1`, …) into this directory.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// The node's key.
    #[command(subcommand)]
    Key(cmd::key::Command),
    /// The community: charter, proposals, votes (quorum-signed governance).
    #[command(subcommand)]
    Community(cmd::community::Command),
    /// The peer nodes this node syncs with and serves.
    #[command(subcommand)]
    Peer(cmd::peer::Command),
    /// Pull from the peers now (all, or one).
    Sync(cmd::sync::Args),
    /// Objects from peers that failed verification.
    #[command(subcommand)]
    Quarantine(cmd::quarantine::Command),
    /// Mark an object this node holds with a TLP level and audience (a new signed version peers receive).
    Mark(cmd::mark::Args),
    /// Withdraw an object this member authored (a signed, revoked version).
    Withdraw(cmd::withdraw::Args),
    /// Incidents coordinated with other members: open, request assistance, answer, follow.
    #[command(subcommand)]
    Incident(cmd::incident::Command),
    /// Sightings of this member's indicators reported by others; false positives.
    Sightings(cmd::sightings::Args),
    /// The member's alerts: list, acknowledge, scan, deliver, dead letters.
    Alerts(cmd::alerts::Args),
    /// Transparency logs: this node's, every member's it witnesses, evidence of split views.
    #[command(subcommand)]
    Log(cmd::log::Command),
    /// Check a signed bundle (or split-view evidence) offline with a member's node key.
    Verify(cmd::verify::Args),
}

/// `concord man`: the top page on stdout, or every command's page in a directory.
fn man(out_dir: Option<PathBuf>) -> anyhow::Result<Outcome> {
    let c = <Cli as clap::CommandFactory>::command();
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            clap_mangen::generate_to(c, &dir)?;
        }
        None => clap_mangen::Man::new(c).render(&mut std::io::stdout())?,
    }
    Ok(Outcome::Ok)
}

/// What a command tells `main` about how it ended.
pub enum Outcome {
    /// It did all it was asked.
    Ok,
    /// The command ran but found problems (for example rejected objects).
    Failed,
}

fn main() -> ExitCode {
    // Exactly one rustls crypto provider (aws-lc-rs), chosen before any TLS
    // configuration is built; an error means one is installed already.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are not failures; clap prints them.
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
                failure::usage(&e);
                return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
            }
            e.exit();
        }
    };
    // Logs go to stderr, at `warn` unless CONCORD_LOG (or RUST_LOG) says
    // otherwise (e.g. CONCORD_LOG=info shows every request and every
    // refused authentication).
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONCORD_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: a log file stays greppable.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter);
    let _ = match cli.log_format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().try_init(),
    };
    let json = cli.json;
    let global = config::Global {
        data_dir: config::resolve_data_dir(cli.data_dir.clone()),
        json,
    };
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(&global, a),
        Command::Init(a) => cmd::init::run(&global, a),
        Command::Import(a) => cmd::import::run(&global, a),
        Command::Export(a) => cmd::export::run(&global, a),
        Command::Feed(c) => cmd::feed::run(&global, c),
        Command::Search(a) => cmd::query::search(&global, a),
        Command::Show(a) => cmd::query::show(&global, a),
        Command::Stats => cmd::query::stats(&global),
        Command::Pattern(c) => cmd::pattern::run(&global, c),
        Command::Match(a) => cmd::matching::run(&global, a),
        Command::Serve(a) => cmd::serve::run(&global, a),
        Command::User(c) => cmd::access::user(&global, c),
        Command::Token(c) => cmd::access::token(&global, c),
        Command::Collection(c) => cmd::access::collection(&global, c),
        Command::Taxii(c) => cmd::taxii::run(&global, c),
        Command::Migrate(a) => cmd::migrate::run(&global, a),
        Command::Backup(a) => cmd::backup::backup(&global, a),
        Command::Restore(a) => cmd::backup::restore(&global, a),
        Command::Completions { shell } => {
            let mut c = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut c, "concord", &mut std::io::stdout());
            Ok(Outcome::Ok)
        }
        Command::Man { out_dir } => man(out_dir),
        Command::Key(c) => cmd::key::run(&global, c),
        Command::Community(c) => cmd::community::run(&global, c),
        Command::Peer(c) => cmd::peer::run(&global, c),
        Command::Sync(a) => cmd::sync::run(&global, a),
        Command::Quarantine(c) => cmd::quarantine::run(&global, c),
        Command::Mark(a) => cmd::mark::run(&global, a),
        Command::Withdraw(a) => cmd::withdraw::run(&global, a),
        Command::Incident(c) => cmd::incident::run(&global, c),
        Command::Sightings(a) => cmd::sightings::run(&global, a),
        Command::Alerts(a) => cmd::alerts::run(&global, a),
        Command::Log(c) => cmd::log::run(&global, c),
        Command::Verify(a) => cmd::verify::run(&global, a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            failure::report(&e, json);
            ExitCode::from(2)
        }
    }
}
