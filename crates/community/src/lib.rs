//! The community a concord node belongs to, as held on disk: the adopted
//! charter chain, proposals, votes, the signing guard and evidence
//! (FEDERATION.md sections 1 and 3).
//!
//! What it is for: verification is `concord-trust`'s (pure); this crate
//! adds what a node needs around it: durable files under
//! `<data-dir>/community/`, one lock so the CLI and a running server never
//! interleave, the governance key, and the documents nodes exchange. The
//! CLI, the HTTP API and the console are thin layers over [`Session`].
//! For the rest of the node: [`view()`] (who the members are, their keys,
//! endpoints and groups, who was removed, whether the charter is frozen),
//! [`export_documents`] and [`ingest_documents`] (sync), [`pull`] (a peer's
//! documents over the wire).
//!
//! What it must never do: adopt a charter, count a vote or release a
//! signature that `concord-trust` did not verify; sign two proposals on one
//! base version (the signing guard is persisted before a vote leaves);
//! leave a torn file after a crash; create a community directory where no
//! node was initialised; read configuration or the environment, print or
//! exit.

pub mod ballot;
pub mod chain;
pub mod durable;
pub mod exchange;
pub mod founding;
pub mod governance_key;
pub mod ledger;
pub mod pull;
pub mod text;
pub mod view;

use std::path::Path;

mod error;

pub use error::{CommunityError, Result};

use concord_stix::Timestamp;
use concord_trust::{DocHash, Keypair, Proposal, ProposalKind, PublicKey, min_quorum};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use exchange::IngestReport;
pub use view::{CommunityView, MemberView};

use chain::Chain;
use ledger::Ledger;

/// The adopted community, or `None` before this node adopted a genesis.
pub fn view(data_dir: &Path) -> Result<Option<CommunityView>> {
    let s = Session::open(data_dir)?;
    s.view(Timestamp::now())
}

/// Whether this node belongs to a community, or is joining one: it holds
/// an adopted charter or a pinned genesis. A node that does neither syncs
/// with the peers it was given (`peer add`) and has no governance
/// documents to take in.
pub fn in_community(data_dir: &Path) -> Result<bool> {
    let ledger = Ledger::new(data_dir);
    Ok(!ledger.charter_versions()?.is_empty() || ledger.pinned_genesis()?.is_some())
}

/// Everything this node offers its peers: adopted chain, open proposals
/// with their votes, evidence.
pub fn export_documents(data_dir: &Path) -> Result<Value> {
    let s = Session::open(data_dir)?;
    exchange::export(&s.ledger)
}

/// Verifies and takes in a peer's documents; adopts when a quorum is held.
pub fn ingest_documents(data_dir: &Path, doc: &Value) -> Result<IngestReport> {
    let s = Session::open(data_dir)?;
    exchange::ingest(&s.ledger, doc, None, Timestamp::now())
}

/// One proposal kind with its parameters, as the CLI and the HTTP API
/// take them (`{"kind": "add-member", "member": ..., ...}`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum KindSpec {
    /// Admit a member.
    AddMember {
        /// Its STIX identity id, which is also its member id.
        member: String,
        /// Its organisation's name.
        name: String,
        /// Its ISO 3166-1 alpha-2 country code.
        country: String,
        /// Its governance key, 64 hex digits.
        governance_key: String,
        /// Its node key, 64 hex digits, if it has one yet.
        #[serde(default)]
        node_key: Option<String>,
        /// Its node's TAXII API root, if known.
        #[serde(default)]
        url: Option<String>,
    },
    /// Remove a member.
    RemoveMember {
        /// The member id.
        member: String,
    },
    /// Replace a member's governance keys with one new key.
    RotateKey {
        /// The member id.
        member: String,
        /// The new key (64 hex digits). Absent: this node makes the next
        /// key of its own member (`governance.key.next`) and proposes it.
        #[serde(default)]
        governance_key: Option<String>,
    },
    /// Set the quorum (never below floor(2n/3)+1).
    SetQuorum {
        /// The new quorum.
        threshold: u64,
    },
    /// Move the charter's expiry.
    Renew {
        /// The new expiry, a STIX timestamp.
        expires: String,
    },
    /// Set one named group's members (an empty list removes the group);
    /// the other groups stay as they are.
    SetGroup {
        /// The group's name.
        group: String,
        /// Its member ids (each a member of the held charter).
        #[serde(default)]
        members: Vec<String>,
    },
    /// The community's sharing default: what a node shares when its own
    /// policy says nothing (deny, clear or green).
    SetSharingDefault {
        /// `deny`, `clear` or `green`.
        default_egress: String,
    },
}

impl KindSpec {
    /// The proposal kind this asks for on `base`; a malformed key, date,
    /// group or egress value is [`CommunityError::Invalid`].
    pub fn to_kind(&self, base: &concord_trust::Charter) -> Result<ProposalKind> {
        let community = base.community.as_str();
        Ok(match self {
            KindSpec::AddMember {
                member,
                name,
                country,
                governance_key,
                node_key,
                url,
            } => {
                let f = founding::founder(
                    member,
                    name,
                    country,
                    governance_key,
                    node_key.as_deref(),
                    url.as_deref(),
                )?;
                ProposalKind::AddMember {
                    id: member.clone(),
                    member: f.to_member(community),
                }
            }
            KindSpec::RemoveMember { member } => ProposalKind::RemoveMember { id: member.clone() },
            KindSpec::RotateKey {
                member,
                governance_key,
            } => ProposalKind::RotateKey {
                member: member.clone(),
                keys: vec![
                    PublicKey::from_hex(governance_key.as_deref().unwrap_or_default())
                        .map_err(|e| CommunityError::Invalid(format!("governance_key: {e}")))?,
                ],
                key_threshold: 1,
            },
            KindSpec::SetQuorum { threshold } => ProposalKind::SetQuorum {
                threshold: *threshold,
            },
            KindSpec::Renew { expires } => {
                concord_stix::Timestamp::parse(expires)
                    .map_err(|e| CommunityError::Invalid(format!("expires {expires:?}: {e}")))?;
                ProposalKind::Renew {
                    expires: expires.clone(),
                }
            }
            KindSpec::SetGroup { group, members } => {
                if group.is_empty() {
                    return Err(CommunityError::Invalid(
                        "the group name is empty".to_string(),
                    ));
                }
                if let Some(m) = members.iter().find(|m| !base.members.contains_key(*m)) {
                    return Err(CommunityError::Invalid(format!(
                        "group {group}: {m} is not a member of the current charter"
                    )));
                }
                let mut groups = base.groups.clone();
                if members.is_empty() {
                    if groups.remove(group).is_none() {
                        return Err(CommunityError::Invalid(format!(
                            "there is no group {group} to remove"
                        )));
                    }
                } else {
                    let mut list = members.clone();
                    list.sort();
                    list.dedup();
                    groups.insert(group.clone(), list);
                }
                ProposalKind::SetGroups { groups }
            }
            KindSpec::SetSharingDefault { default_egress } => {
                let value = serde_json::Value::String(default_egress.clone());
                let egress = serde_json::from_value(value).map_err(|_| {
                    CommunityError::Invalid(format!(
                        "default egress {default_egress:?}: expected deny, clear or green"
                    ))
                })?;
                let mut policy = base.policy.clone();
                policy.default_egress = egress;
                ProposalKind::SetPolicy { policy }
            }
        })
    }
}

/// The file every initialised node's data directory holds (`concord init`
/// writes it): the community directory is only ever made beside it.
pub const NODE_CONFIG_FILE: &str = "config.toml";

/// What [`Session::sign_charter`] did.
#[derive(Debug, Default)]
pub struct SignedCharter {
    /// The envelope with this member's signature, to write back.
    pub envelope: Vec<u8>,
    /// The charter's version.
    pub version: u64,
    /// Signatures the envelope holds now.
    pub signatures: usize,
    /// Versions adopted by this signature (N+1 reaching its quorum).
    pub adopted: Vec<u64>,
    /// For N+1: the base version and the proposals competing on it.
    pub competing: Option<(u64, Vec<ballot::Tally>)>,
}

/// The community directory, locked, with its chain loaded and verified.
pub struct Session {
    /// The community directory.
    pub ledger: Ledger,
    /// The adopted chain, verified on open; `None` before a genesis.
    pub chain: Option<Chain>,
    _lock: durable::Lock,
}

impl Session {
    /// Opens the community of the node at `data_dir`: refuses a directory
    /// that is no initialised node, takes the lock (waiting for another
    /// process to release it) and loads and re-verifies the chain.
    pub fn open(data_dir: &Path) -> Result<Session> {
        // Never create a community directory in a path that is no node.
        if !data_dir.join(NODE_CONFIG_FILE).exists() {
            return Err(CommunityError::Invalid(format!(
                "{} is not an initialised node: run `concord init --data-dir {}` first",
                data_dir.display(),
                data_dir.display()
            )));
        }
        let ledger = Ledger::new(data_dir);
        let lock = ledger.lock()?;
        let chain = chain::load(&ledger)?;
        Ok(Session {
            ledger,
            chain,
            _lock: lock,
        })
    }

    /// The chain, or the error an operator needs before anything else.
    pub fn chain(&mut self) -> Result<&mut Chain> {
        match self.chain.as_mut() {
            Some(c) => Ok(c),
            None => Err(CommunityError::Invalid(
                "this node holds no charter yet: `concord community adopt GENESIS` first"
                    .to_string(),
            )),
        }
    }

    /// The adopted community as of `now`, `None` before a genesis.
    pub fn view(&self, now: Timestamp) -> Result<Option<CommunityView>> {
        let Some(chain) = &self.chain else {
            return Ok(None);
        };
        let genesis = self
            .ledger
            .pinned_genesis()?
            .map(|h| h.to_hex())
            .unwrap_or_default();
        Ok(Some(view::of_chain(chain, genesis, now)))
    }

    /// `community status`: the adopted version, members, quorum, the
    /// freeze alarm, forks and equivocations.
    pub fn status(&self, now: Timestamp) -> Result<Value> {
        let Some(v) = self.view(now)? else {
            return Ok(json!({
                "version": 0, "members": [], "quorum": 0, "adopted": false,
                "alarms": ["no charter adopted yet"],
            }));
        };
        let evidence = self.ledger.evidence()?;
        let mut alarms = Vec::new();
        if v.frozen {
            alarms.push(format!(
                "freeze: version {} expired at {}; keeping it until a renewal is adopted",
                v.version, v.expires
            ));
        }
        let mut forks = Vec::new();
        let mut equivocations = Vec::new();
        for e in &evidence {
            match e["kind"].as_str() {
                Some("fork") => {
                    alarms.push(format!(
                        "fork: two valid charters for version {}",
                        e["version"]
                    ));
                    forks.push(json!({"version": e["version"], "charters": e["charters"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|c| chain::identify(&serde_json::to_vec(c).ok()?).ok()).map(|(_, h)| h.to_hex()).collect::<Vec<_>>())}));
                }
                Some("equivocation") => {
                    alarms.push(format!(
                        "equivocation: {} signed two proposals on base {}",
                        e["member"].as_str().unwrap_or("?"),
                        e["base_version"]
                    ));
                    equivocations.push(json!({
                        "member": e["member"], "base_version": e["base_version"],
                        "proposals": e["proposals"],
                    }));
                }
                _ => {}
            }
        }
        let open = match &self.chain {
            Some(c) => ballot::open(&self.ledger, c.head())?.len(),
            None => 0,
        };
        Ok(json!({
            "adopted": true,
            "community": v.community,
            "version": v.version,
            "hash": v.hash,
            "genesis": v.genesis,
            "members": v.members.iter().map(|m| &m.member).collect::<Vec<_>>(),
            "quorum": v.quorum,
            "minimum_quorum": min_quorum(v.members.len() as u64),
            "expires": v.expires,
            "frozen": v.frozen,
            "removed": v.removed,
            "open_proposals": open,
            "forks": forks,
            "equivocations": equivocations,
            "alarms": alarms,
            "details": v.members,
        }))
    }

    /// The open proposals with their tallies.
    pub fn proposals(&mut self) -> Result<Vec<ballot::Tally>> {
        let Some(chain) = &self.chain else {
            return Ok(Vec::new());
        };
        let head = chain.head();
        ballot::open(&self.ledger, head)?
            .iter()
            .map(|p| ballot::tally(&self.ledger, head, p))
            .collect()
    }

    /// Drafts and stores a proposal on the held version, with its tally
    /// (no vote yet: voting is [`Session::vote`]).
    pub fn propose(&mut self, spec: &KindSpec) -> Result<ballot::Tally> {
        let ledger = &self.ledger;
        let chain = match self.chain.as_ref() {
            Some(c) => c,
            None => {
                return Err(CommunityError::Invalid(
                    "this node holds no charter yet: `concord community adopt GENESIS` first"
                        .to_string(),
                ));
            }
        };
        let head = chain.head();
        // An expired charter changes only by a renewal: no admissions, no
        // other change, until the community has a valid charter again.
        let now = Timestamp::now();
        if head.check_expiry(now).is_err() && !matches!(spec, KindSpec::Renew { .. }) {
            return Err(CommunityError::Refused(format!(
                "the charter (version {}) expired on {}: only a renewal can be adopted now (`concord community propose renew --expires ...`), then this change",
                head.version(),
                head.charter().expires
            )));
        }
        let mut spec = spec.clone();
        if let KindSpec::RotateKey {
            member,
            governance_key: key @ None,
        } = &mut spec
        {
            // This node's own member rotates: make (or reuse) the next key.
            let data_dir = ledger.dir().parent().unwrap_or(ledger.dir());
            let next = governance_key::next(data_dir)?;
            let own = head
                .charter()
                .members
                .get(member.as_str())
                .is_some_and(|m| {
                    governance_key::load_or_create(data_dir)
                        .is_ok_and(|k| m.keys.contains_key(&k.key_id().to_hex()))
                });
            if !own {
                return Err(CommunityError::Invalid(format!(
                    "{member} is not this node's member (its governance key is not listed for it): give --governance-key for another member's rotation"
                )));
            }
            *key = Some(next.public().to_hex());
        }
        let kind = spec.to_kind(head.charter())?;
        let p = ballot::create(ledger, head, &kind)?;
        ballot::tally(ledger, head, &p)
    }

    /// The proposal to vote on and its competitors on the same base.
    pub fn ballot(&mut self, id: &str) -> Result<(Proposal, Vec<ballot::Tally>)> {
        let head = self.chain()?.head().clone();
        let p = ballot::find(&self.ledger, &head, id)?;
        let competing = ballot::competing(&self.ledger, &head, &p)?;
        Ok((p, competing))
    }

    /// Votes for `p` as `member` (see [`ballot::cast`]).
    pub fn vote(&mut self, p: &Proposal, member: &str, key: &Keypair) -> Result<ballot::Cast> {
        let Session { ledger, chain, .. } = self;
        let Some(chain) = chain.as_mut() else {
            return Err(CommunityError::Invalid(
                "this node holds no charter yet".to_string(),
            ));
        };
        let mut cast = ballot::cast(ledger, chain, p, member, key, Timestamp::now())?;
        // Rotating this member's own key: the next charter must be signed by
        // the new key too (a quorum of N+1 proves its keys are alive), so
        // the next key signs the same proposal.
        let data_dir = ledger.dir().parent().unwrap_or(ledger.dir()).to_path_buf();
        if let Some(next) = governance_key::pending(&data_dir)?
            && cast.adopted.is_empty()
            && p.charter()
                .members
                .get(member)
                .is_some_and(|m| m.keys.contains_key(&next.key_id().to_hex()))
        {
            let second = ballot::cast(ledger, chain, p, member, &next, Timestamp::now())?;
            cast.adopted.extend(second.adopted);
            cast.rejected.extend(second.rejected);
        }
        Ok(cast)
    }

    /// Signs the charter document `bytes` (an envelope) as `member` with its
    /// governance key. A genesis is signed by each founder listed with that
    /// key (no base to guard: a founder may re-sign a corrected draft);
    /// version N+1 is a vote on the held version N and goes through the
    /// signing guard ([`Session::vote`]), with the competing proposals on
    /// the same base returned for the operator to see.
    pub fn sign_charter(
        &mut self,
        bytes: &[u8],
        member: &str,
        key: &Keypair,
    ) -> Result<SignedCharter> {
        use concord_trust::{CHARTER_CONTEXT, Charter, Envelope, MAX_CHARTER_BYTES};
        let mut envelope = Envelope::from_bytes(bytes, MAX_CHARTER_BYTES)?;
        let charter = Charter::from_value(&envelope.signed)
            .map_err(|e| CommunityError::Invalid(format!("signed: {e}")))?;
        charter
            .check()
            .map_err(|e| CommunityError::Invalid(format!("signed: {e}")))?;
        let mut out = SignedCharter {
            version: charter.version,
            ..SignedCharter::default()
        };
        if charter.version == 1 {
            let listed = charter
                .members
                .get(member)
                .is_some_and(|m| m.keys.contains_key(&key.key_id().to_hex()));
            if !listed {
                return Err(CommunityError::Refused(format!(
                    "{member} with governance key {} is not a founder of this genesis",
                    key.key_id()
                )));
            }
            envelope.sign(CHARTER_CONTEXT, member, key)?;
        } else {
            let head = self.chain()?.head().clone();
            if charter.version != head.version() + 1 {
                return Err(CommunityError::Refused(format!(
                    "version {} does not succeed the held version {}",
                    charter.version,
                    head.version()
                )));
            }
            let p = Proposal::from_bytes(&head, bytes)?;
            if !self.ledger.has_proposal(&p.id().to_hex()) {
                self.ledger.write_proposal(&p.id(), &p.to_bytes()?)?;
            }
            out.competing = Some((head.version(), ballot::competing(&self.ledger, &head, &p)?));
            let cast = self.vote(&p, member, key)?;
            let sig = cast.vote.signature();
            if !envelope.signatures.contains(&sig) {
                envelope.signatures.push(sig);
            }
            out.adopted = cast.adopted;
        }
        out.signatures = envelope.signatures.len();
        out.envelope = serde_json::to_vec_pretty(&envelope)?;
        Ok(out)
    }

    /// Adopts a charter document (genesis or N+1).
    pub fn adopt(&mut self, bytes: &[u8], pin: Option<DocHash>) -> Result<chain::Adoption> {
        let now = Timestamp::now();
        match self.chain.as_mut() {
            None => {
                let c = chain::bootstrap(&self.ledger, bytes, pin, now, "adopt")?;
                self.chain = Some(c);
                Ok(chain::Adoption::Adopted(1))
            }
            Some(c) => {
                if let (Some(given), Some(held)) = (pin, self.ledger.pinned_genesis()?)
                    && given != held
                {
                    return Err(CommunityError::Invalid(format!(
                        "genesis hash mismatch: this node pinned {held}, given {given}"
                    )));
                }
                c.adopt(&self.ledger, bytes, now, "adopt")
            }
        }
    }

    /// Takes in a peer's documents (see [`exchange`]) and reloads the chain.
    pub fn ingest(&mut self, doc: &Value, pin: Option<DocHash>) -> Result<IngestReport> {
        let report = exchange::ingest(&self.ledger, doc, pin, Timestamp::now())?;
        self.chain = chain::load(&self.ledger)?;
        Ok(report)
    }

    /// `community log`: each adopted version, what it changed, who signed
    /// it and when this node recorded each vote and adopted the version.
    pub fn log(&self) -> Result<Vec<Value>> {
        let Some(chain) = &self.chain else {
            return Ok(Vec::new());
        };
        let adoptions = self.ledger.adoptions()?;
        let mut out = Vec::new();
        let mut previous: Option<&concord_trust::Charter> = None;
        for c in chain.versions() {
            let votes = self.ledger.votes(&c.hash().to_hex())?;
            let signatures: Vec<Value> = c
                .envelope()
                .signatures
                .iter()
                .map(|s| {
                    let recorded = votes
                        .iter()
                        .find(|v| v.vote.keyid == s.keyid && v.vote.member == s.member)
                        .map(|v| v.recorded.clone());
                    json!({"member": s.member, "keyid": s.keyid, "recorded": recorded})
                })
                .collect();
            let adoption = adoptions.get(&c.version());
            out.push(json!({
                "version": c.version(),
                "hash": c.hash().to_hex(),
                "previous": c.charter().previous,
                "expires": c.charter().expires,
                "members": c.charter().members.len(),
                "quorum": c.quorum(),
                "changes": previous.map(|p| view::changes(p, c.charter())).unwrap_or_else(|| vec!["genesis".to_string()]),
                "signatures": signatures,
                "adopted_at": adoption.map(|a| a.adopted_at.clone()),
                "via": adoption.map(|a| a.via.clone()),
            }));
            previous = Some(c.charter());
        }
        Ok(out)
    }
}
