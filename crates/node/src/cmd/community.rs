//! `concord community …`: found a community, sign and adopt charters,
//! propose changes, vote, and see the chain (issue 6). Glue over
//! `crate::community`; the command names, flags and JSON outputs are a
//! contract that scripts and tests rely on.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use concord_stix::Timestamp;
use concord_trust::{DocHash, Envelope, MAX_CHARTER_BYTES};
use serde_json::{Value, json};

use super::print;
use crate::Outcome;
use crate::config::{self, Global};
use concord_community::text::{self, Competing};
use concord_community::{KindSpec, Session, chain, durable, founding, governance_key};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write the unsigned genesis charter from a founders file.
    Init {
        /// JSON list of {"member","name","country","governance_key","node_key","url"}.
        #[arg(long)]
        founders: PathBuf,
        /// Where to write the genesis.
        #[arg(long)]
        out: PathBuf,
        /// Expiry of the genesis (STIX timestamp; default: in 365 days).
        #[arg(long)]
        expires: Option<String>,
        /// Community id (32 hex digits; default: random).
        #[arg(long)]
        community: Option<String>,
    },
    /// Add this member's signature to a charter file, in place.
    Sign {
        /// The charter file (JSON) to sign.
        charter: PathBuf,
    },
    /// Verify and adopt a charter (the genesis, or the next version).
    Adopt {
        /// The charter file (JSON): the genesis, or the next version.
        charter: PathBuf,
        /// The genesis hash given out of band (default: the genesis's own).
        #[arg(long)]
        genesis_hash: Option<String>,
    },
    /// Propose the next charter version.
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// The open proposals with their votes.
    Proposals,
    /// Sign a proposal (at most one per base version, ever).
    Vote {
        /// The proposal's id (from `concord community proposals`).
        id: String,
    },
    /// The adopted version, members, quorum and alarms.
    Status,
    /// The chain: who signed what and when.
    Log,
    /// Write this node's governance documents (chain, proposals, votes,
    /// evidence) for another node.
    Export {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify and take in governance documents from another node.
    Ingest {
        /// The documents file another node exported.
        file: PathBuf,
        /// The genesis hash given out of band, for a node holding nothing yet.
        #[arg(long)]
        genesis_hash: Option<String>,
    },
}

#[derive(clap::Subcommand)]
pub enum ProposeCommand {
    /// Admit a member.
    AddMember {
        /// The member's STIX identity id (also its member id).
        #[arg(long)]
        member: String,
        /// The member's name (e.g. its organisation).
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2.
        #[arg(long)]
        country: String,
        /// Its governance public key (64 hex digits, from `concord key show`).
        #[arg(long)]
        governance_key: String,
        /// Its node public key (64 hex digits), trusted for its intel.
        #[arg(long)]
        node_key: Option<String>,
        /// Its node's TAXII URL, pulled from once adopted.
        #[arg(long)]
        url: Option<String>,
    },
    /// Remove a member.
    RemoveMember {
        /// The member's STIX identity id.
        #[arg(long)]
        member: String,
    },
    /// Replace a member's governance key. Without --governance-key, this
    /// node makes its own member's next key (kept in governance.key.next
    /// until the rotation is adopted) and proposes it.
    RotateKey {
        /// The member (default: this node's member).
        #[arg(long)]
        member: Option<String>,
        /// Another member's new key (64 hex digits).
        #[arg(long)]
        governance_key: Option<String>,
    },
    /// Set the quorum (never below floor(2n/3)+1).
    SetQuorum {
        /// How many members' signatures adopt a version.
        #[arg(long)]
        threshold: u64,
    },
    /// Move the expiry.
    Renew {
        /// The new expiry (STIX timestamp, e.g. 2028-01-01T00:00:00Z).
        #[arg(long)]
        expires: String,
    },
    /// Set a named group's members (audiences may name the group); no
    /// --members removes it.
    SetGroup {
        /// The group's name (e.g. health-isac).
        #[arg(long)]
        group: String,
        /// Its members' identity ids (comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        members: Vec<String>,
    },
    /// The community's sharing default: deny, clear or green.
    SetSharingDefault {
        /// deny, clear or green.
        #[arg(long)]
        default_egress: String,
    },
}

impl ProposeCommand {
    fn spec(self, me: &str) -> KindSpec {
        match self {
            ProposeCommand::AddMember {
                member,
                name,
                country,
                governance_key,
                node_key,
                url,
            } => KindSpec::AddMember {
                member,
                name,
                country,
                governance_key,
                node_key,
                url,
            },
            ProposeCommand::RemoveMember { member } => KindSpec::RemoveMember { member },
            ProposeCommand::RotateKey {
                member,
                governance_key,
            } => KindSpec::RotateKey {
                member: member.unwrap_or_else(|| me.to_string()),
                governance_key,
            },
            ProposeCommand::SetQuorum { threshold } => KindSpec::SetQuorum { threshold },
            ProposeCommand::Renew { expires } => KindSpec::Renew { expires },
            ProposeCommand::SetGroup { group, members } => KindSpec::SetGroup { group, members },
            ProposeCommand::SetSharingDefault { default_egress } => {
                KindSpec::SetSharingDefault { default_egress }
            }
        }
    }
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let dir = &global.data_dir;
    match command {
        Command::Init {
            founders,
            out,
            expires,
            community,
        } => init(global, &founders, &out, expires, community),
        Command::Sign { charter } => sign(global, &charter),
        Command::Adopt {
            charter,
            genesis_hash,
        } => adopt(global, &charter, genesis_hash.as_deref()),
        Command::Propose(p) => {
            let me = config::load(dir)?.node.identity;
            let tally = Session::open(dir)?.propose(&p.spec(&me))?;
            let v = json!({"id": tally.id, "proposal": tally});
            print(global, &v, || format!("proposal {}\n{tally}", tally.id))?;
            Ok(Outcome::Ok)
        }
        Command::Proposals => {
            let list = Session::open(dir)?.proposals()?;
            super::print_list(global, &list, "no open proposals")?;
            Ok(Outcome::Ok)
        }
        Command::Vote { id } => vote(global, &id),
        Command::Status => {
            let status = Session::open(dir)?.status(Timestamp::now())?;
            print(global, &status, || text::Status(&status).to_string())?;
            Ok(Outcome::Ok)
        }
        Command::Log => {
            let log = Session::open(dir)?.log()?;
            if global.json {
                println!("{}", Value::Array(log));
            } else if !log.is_empty() {
                println!("{}", text::Log(&log));
            }
            Ok(Outcome::Ok)
        }
        Command::Export { out } => {
            let doc = concord_community::export_documents(dir)?;
            let bytes = serde_json::to_vec_pretty(&doc)?;
            match out {
                Some(path) => durable::write_atomic(&path, &bytes)?,
                None => println!("{}", String::from_utf8_lossy(&bytes)),
            }
            Ok(Outcome::Ok)
        }
        Command::Ingest { file, genesis_hash } => {
            let pin = parse_pin(genesis_hash.as_deref())?;
            let bytes =
                durable::read_limited(&file, concord_community::exchange::MAX_DOCUMENTS_BYTES)?;
            let doc: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let report = Session::open(dir)?
                .ingest(&doc, pin)
                .with_context(|| format!("{}", file.display()))?;
            super::print(global, &report, || report.to_string())?;
            Ok(Outcome::Ok)
        }
    }
}

fn parse_pin(hash: Option<&str>) -> Result<Option<DocHash>> {
    hash.map(|h| DocHash::from_hex(h).map_err(|e| anyhow::anyhow!("--genesis-hash: {e}")))
        .transpose()
}

fn init(
    global: &Global,
    founders: &Path,
    out: &Path,
    expires: Option<String>,
    community: Option<String>,
) -> Result<Outcome> {
    let list = founding::read_founders(founders)?;
    let expires = expires.unwrap_or_else(|| {
        Timestamp(Timestamp::now().micros() + 365 * 86_400 * 1_000_000).to_stix()
    });
    let charter = founding::genesis_of(&list, community.as_deref(), &expires)
        .with_context(|| format!("{}", founders.display()))?;
    let hash = charter.hash()?;
    let envelope = Envelope::of_charter(&charter)?;
    durable::write_atomic(out, &serde_json::to_vec_pretty(&envelope)?)?;
    let v = json!({"out": out, "hash": hash.to_hex(), "community": charter.community,
                   "version": 1, "members": charter.members.keys().collect::<Vec<_>>()});
    print(global, &v, || {
        let (c, n) = (&charter.community, charter.members.len());
        format!(
            "wrote the unsigned genesis to {}\n  community     {c}\n  genesis hash  {hash} (give it to every founder out of band)\n  members       {n}",
            out.display()
        )
    })?;
    Ok(Outcome::Ok)
}

/// This node's member id and governance key.
fn signer(global: &Global) -> Result<(String, concord_trust::Keypair)> {
    let config = config::load(&global.data_dir)?;
    let key = governance_key::load_or_create(&global.data_dir)?;
    Ok((config.node.identity, key))
}

fn sign(global: &Global, path: &Path) -> Result<Outcome> {
    let (member, key) = signer(global)?;
    let bytes = durable::read_limited(path, MAX_CHARTER_BYTES)?;
    let signed = Session::open(&global.data_dir)?
        .sign_charter(&bytes, &member, &key)
        .with_context(|| format!("{}", path.display()))?;
    if let Some((base, competing)) = &signed.competing
        && !global.json
    {
        println!(
            "{}",
            Competing {
                base: *base,
                proposals: competing
            }
        );
    }
    durable::write_atomic(path, &signed.envelope)?;
    let v = json!({"charter": path, "member": member, "version": signed.version,
                   "signatures": signed.signatures, "adopted": signed.adopted});
    print(global, &v, || {
        let (version, n) = (signed.version, signed.signatures);
        format!(
            "signed {} (version {version}) as {member}; {n} signature(s)",
            path.display()
        )
    })?;
    Ok(Outcome::Ok)
}

fn adopt(global: &Global, path: &Path, genesis_hash: Option<&str>) -> Result<Outcome> {
    let pin = parse_pin(genesis_hash)?;
    let bytes = durable::read_limited(path, MAX_CHARTER_BYTES)?;
    let mut session = Session::open(&global.data_dir)?;
    let outcome = session
        .adopt(&bytes, pin)
        .with_context(|| format!("{}: not adopted", path.display()))?;
    let chain = session.chain()?;
    let head = chain.head();
    let (new, version) = match outcome {
        chain::Adoption::Adopted(v) => (true, v),
        chain::Adoption::AlreadyHeld(v) => (false, v),
    };
    let v = json!({"adopted": new, "version": version, "hash": head.hash().to_hex(),
                   "held_version": head.version()});
    print(global, &v, || match new {
        true => format!("adopted version {version} (hash {})", head.hash()),
        false => format!("version {version} is already held"),
    })?;
    Ok(Outcome::Ok)
}

fn vote(global: &Global, id: &str) -> Result<Outcome> {
    let (member, key) = signer(global)?;
    let mut session = Session::open(&global.data_dir)?;
    let (p, competing) = session.ballot(id)?;
    // The discussion stage: competing proposals on the same base, with
    // their current signatures, are shown before anything is signed.
    if !global.json {
        let base = p.base_version();
        println!(
            "{}",
            Competing {
                base,
                proposals: &competing
            }
        );
    }
    let cast = session.vote(&p, &member, &key)?;
    let version = session.chain()?.head().version();
    let v = json!({"id": cast.id, "member": cast.member, "base_version": cast.base_version,
                   "new": cast.new, "competing": competing, "adopted": cast.adopted,
                   "rejected": cast.rejected, "version": version});
    print(global, &v, || cast.to_string())?;
    Ok(Outcome::Ok)
}
