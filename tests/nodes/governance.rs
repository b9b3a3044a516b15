//! Multilateral governance end to end (issue 6): real `concord` binaries,
//! real data directories, charters, proposals and votes moved between
//! nodes as files and over `concord serve` on 127.0.0.1. Rejections are
//! checked with the reason the operator sees; forged documents are made
//! here with the members' own governance keys (a colluding minority) or
//! with keys nobody in the community holds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::{Served, http, json_of, ok, refused, run, serve, user_token};
use concord_stix::Timestamp;
use concord_trust::{
    CHARTER_CONTEXT, Charter, CharterSignature, DocHash, Envelope, Keypair, MAX_CHARTER_BYTES,
    Proposal, Vote, verify_genesis,
};
use serde_json::{Value, json};

// --- members ------------------------------------------------------------------

struct Member {
    name: String,
    dir: PathBuf,
    member: String,
    node_key: String,
    governance_key: String,
}

impl Member {
    fn new(root: &Path, name: &str) -> Member {
        let dir = root.join(name);
        let init = json_of(&dir, &["init", "--org", &format!("CERT-{name}")]);
        // Only the test decides when nodes sync.
        let cfg = dir.join("config.toml");
        let text = std::fs::read_to_string(&cfg).expect("config");
        std::fs::write(
            &cfg,
            text.replace("interval_secs = 60", "interval_secs = 0"),
        )
        .expect("config");
        let k = json_of(&dir, &["key", "show"]);
        assert_eq!(k["governance_key"], init["governance_key"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("governance.key"))
                .expect("governance.key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "governance.key must be private");
        }
        Member {
            name: name.to_string(),
            dir,
            member: k["member"].as_str().expect("member").to_string(),
            node_key: k["public_key"].as_str().expect("key").to_string(),
            governance_key: k["governance_key"].as_str().expect("gk").to_string(),
        }
    }

    fn founder(&self, port: u16) -> Value {
        json!({
            "member": self.member, "name": format!("CERT-{}", self.name), "country": "DE",
            "governance_key": self.governance_key, "node_key": self.node_key,
            "url": format!("http://127.0.0.1:{port}/taxii2/"),
        })
    }

    fn status(&self) -> Value {
        json_of(&self.dir, &["community", "status"])
    }

    fn version(&self) -> u64 {
        self.status()["version"].as_u64().expect("version")
    }

    fn key(&self) -> Keypair {
        let pem = std::fs::read_to_string(self.dir.join("governance.key")).expect("key");
        Keypair::from_pkcs8_pem(&pem).expect("a governance key")
    }

    fn charter(&self, version: u64) -> PathBuf {
        self.dir
            .join("community")
            .join(format!("charter-{version}.json"))
    }

    fn propose(&self, args: &[&str]) -> String {
        let mut all = vec!["community", "propose"];
        all.extend_from_slice(args);
        let v = json_of(&self.dir, &all);
        v["id"].as_str().expect("id").to_string()
    }

    fn vote(&self, id: &str) -> Value {
        json_of(&self.dir, &["community", "vote", id])
    }
}

/// Founds a community: the founders file from each `key show --json`,
/// the genesis written by the first, signed by all, adopted by all.
fn found(root: &Path, members: &[&Member], expires: Option<&str>) -> PathBuf {
    let founders: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, m)| m.founder(9100 + i as u16))
        .collect();
    let file = root.join("founders.json");
    std::fs::write(&file, serde_json::to_vec(&founders).unwrap()).unwrap();
    let genesis = root.join("genesis.json");
    let (f, g) = (file.to_str().unwrap(), genesis.to_str().unwrap());
    let mut args = vec!["community", "init", "--founders", f, "--out", g];
    if let Some(e) = expires {
        args.extend(["--expires", e]);
    }
    let init = json_of(&members[0].dir, &args);
    // Unsigned, the genesis is refused by everyone.
    refused(
        &members[1].dir,
        &["community", "adopt", g],
        "must be signed by every founding member",
    );
    for (i, m) in members.iter().enumerate() {
        let s = json_of(&m.dir, &["community", "sign", g]);
        assert_eq!(s["signatures"], i + 1);
    }
    for m in members {
        let a = json_of(
            &m.dir,
            &[
                "community",
                "adopt",
                g,
                "--genesis-hash",
                init["hash"].as_str().unwrap(),
            ],
        );
        assert_eq!(a["version"], 1);
        assert_eq!(a["hash"], init["hash"]);
    }
    genesis
}

/// One full-mesh round of file exchange: each node exports its documents,
/// every other node takes them in.
fn gossip(root: &Path, nodes: &[&Member]) {
    let files: Vec<PathBuf> = nodes
        .iter()
        .map(|n| {
            let f = root.join(format!("docs-{}.json", n.name));
            ok(
                &n.dir,
                &["community", "export", "--out", f.to_str().unwrap()],
            );
            f
        })
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        for (j, f) in files.iter().enumerate() {
            if i != j {
                ok(&n.dir, &["community", "ingest", f.to_str().unwrap()]);
            }
        }
    }
}

fn sorted_members(members: &[&Member]) -> Vec<String> {
    let mut v: Vec<String> = members.iter().map(|m| m.member.clone()).collect();
    v.sort();
    v
}

fn status_members(s: &Value) -> Vec<String> {
    let mut v: Vec<String> = s["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The next version after the charter file `base`, changed by `f` and
/// signed by `signers` (member id, key), written to `out`.
fn craft(
    base: &Path,
    out: &Path,
    f: impl FnOnce(&mut Charter),
    signers: &[(&str, &Keypair)],
) -> PathBuf {
    let env = Envelope::from_bytes(&std::fs::read(base).unwrap(), MAX_CHARTER_BYTES).unwrap();
    let base = Charter::from_value(&env.signed).unwrap();
    let mut next = base.clone();
    next.version += 1;
    next.previous = Some(base.hash().unwrap().to_hex());
    f(&mut next);
    let mut env = Envelope::of_charter(&next).unwrap();
    for (m, k) in signers {
        env.sign(CHARTER_CONTEXT, m, k).unwrap();
    }
    std::fs::write(out, env.to_bytes().unwrap()).unwrap();
    out.to_path_buf()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

// --- the life of a community ----------------------------------------------------

/// Five founders; a sixth admitted by votes; a member that never took part
/// removed; the quorum set; a governance key rotated (the new key then
/// votes, the old one is refused); the removed member, offline the whole
/// time, and a node that never held anything catch up and verify the
/// chain.
#[test]
fn five_founders_admit_remove_rotate_and_latecomers_catch_up() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..5)
        .map(|i| Member::new(root, &format!("a{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    let genesis = found(root, &all, None);
    for m in &a {
        let s = m.status();
        assert_eq!(s["version"], 1);
        assert_eq!(s["quorum"], 4);
        assert_eq!(status_members(&s), sorted_members(&all));
    }
    let genesis_hash = a[0].status()["genesis"].as_str().unwrap().to_string();

    // --- admit a sixth (a4 takes no part from here on) ---
    let n = Member::new(root, "new");
    ok(
        &n.dir,
        &[
            "community",
            "adopt",
            p(&genesis),
            "--genesis-hash",
            &genesis_hash,
        ],
    );
    let id = a[0].propose(&[
        "add-member",
        "--member",
        &n.member,
        "--name",
        "CERT-new",
        "--country",
        "FR",
        "--governance-key",
        &n.governance_key,
        "--node-key",
        &n.node_key,
        "--url",
        "http://127.0.0.1:9200/taxii2/",
    ]);
    let active = [&a[0], &a[1], &a[2], &a[3], &n];
    gossip(root, &active);
    let list = json_of(&a[2].dir, &["community", "proposals"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    for m in &a[..4] {
        m.vote(&id);
    }
    gossip(root, &active);
    // Four founders are q(N) = 4 of version 1, but version 2 has six
    // members and needs q(N+1) = 5 of them: the newcomer must accept it.
    assert_eq!(a[0].version(), 1);
    let v = n.vote(&id);
    assert_eq!(v["adopted"], json!([2]), "{v}");
    gossip(root, &active);
    for m in active {
        let s = m.status();
        assert_eq!(s["version"], 2, "{}", m.name);
        assert_eq!(s["quorum"], 5);
        assert_eq!(s["members"].as_array().unwrap().len(), 6);
        let d = s["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["member"] == n.member.as_str())
            .expect("the newcomer is listed");
        assert_eq!(d["node_keys"], json!([n.node_key]));
        assert_eq!(d["country"], "FR");
    }

    // --- remove a4, who never showed up ---
    let id = a[1].propose(&["remove-member", "--member", &a[4].member]);
    gossip(root, &active);
    for m in active {
        m.vote(&id);
    }
    gossip(root, &active);
    for m in active {
        let s = m.status();
        assert_eq!(s["version"], 3, "{}", m.name);
        assert_eq!(s["removed"], json!([a[4].member]));
        assert!(!status_members(&s).contains(&a[4].member));
    }
    // A removed member's signature is refused with that reason.
    let forged = craft(
        &a[0].charter(3),
        &root.join("with-removed.json"),
        |c| c.expires = "2031-01-01T00:00:00Z".into(),
        &[
            (&a[0].member, &a[0].key()),
            (&a[1].member, &a[1].key()),
            (&a[2].member, &a[2].key()),
            (&a[3].member, &a[3].key()),
            (&n.member, &n.key()),
            (&a[4].member, &a[4].key()),
        ],
    );
    refused(
        &a[0].dir,
        &["community", "adopt", p(&forged)],
        "a member removed in version 3",
    );

    // --- set the quorum to the minimum of five members, 4 ---
    let id = n.propose(&["set-quorum", "--threshold", "4"]);
    gossip(root, &active);
    for m in active {
        m.vote(&id);
    }
    gossip(root, &active);
    assert_eq!(a[3].status()["quorum"], 4);
    // Below floor(2n/3)+1 is refused at once.
    refused(
        &a[0].dir,
        &["community", "propose", "set-quorum", "--threshold", "3"],
        "below the minimum",
    );

    // --- rotate a1's governance key (a1 does not take part) ---
    let spare = Member::new(root, "spare");
    let id = a[2].propose(&[
        "rotate-key",
        "--member",
        &a[1].member,
        "--governance-key",
        &spare.governance_key,
    ]);
    let voters = [&a[0], &a[2], &a[3], &n];
    gossip(root, &active);
    for m in voters {
        m.vote(&id);
    }
    gossip(root, &active);
    for m in active {
        let s = m.status();
        assert_eq!(s["version"], 5, "{}", m.name);
        let d = s["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["member"] == a[1].member.as_str())
            .unwrap()
            .clone();
        assert_eq!(d["governance_keys"], json!([spare.governance_key]));
    }
    // a1 now holds the new key; its old one signs nothing any more.
    let old_key = a[1].key();
    std::fs::copy(
        spare.dir.join("governance.key"),
        a[1].dir.join("governance.key"),
    )
    .unwrap();
    let forged = craft(
        &a[0].charter(5),
        &root.join("old-key.json"),
        |c| c.expires = "2031-01-01T00:00:00Z".into(),
        &[
            (&a[0].member, &a[0].key()),
            (&a[2].member, &a[2].key()),
            (&a[1].member, &old_key),
        ],
    );
    refused(
        &a[0].dir,
        &["community", "adopt", p(&forged)],
        "which is not one of its keys",
    );
    let id = a[1].propose(&["renew", "--expires", "2031-06-01T00:00:00Z"]);
    a[1].vote(&id);
    gossip(root, &active);
    a[0].vote(&id);
    a[2].vote(&id);
    a[3].vote(&id);
    gossip(root, &active);
    for m in active {
        assert_eq!(m.version(), 6, "{}", m.name);
    }
    let log = json_of(&a[0].dir, &["community", "log"]);
    let v6 = &log[5];
    assert_eq!(v6["version"], 6);
    let new_keyid = spare.key().key_id().to_hex();
    assert!(
        v6["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["member"] == a[1].member.as_str() && s["keyid"] == new_keyid.as_str()),
        "{v6}"
    );
    let text = ok(&a[0].dir, &["community", "log"]);
    assert!(text.contains("add member"), "{text}");
    assert!(text.contains("remove member"), "{text}");
    assert!(text.contains("rotate governance keys"), "{text}");
    assert!(text.contains("vote recorded"), "{text}");

    // --- latecomers ---
    let head = a[0].status();
    let docs = root.join("from-a0.json");
    ok(&a[0].dir, &["community", "export", "--out", p(&docs)]);
    // a4 held version 1 all along: it walks 2..=6 from the documents.
    let r = json_of(&a[4].dir, &["community", "ingest", p(&docs)]);
    assert_eq!(r["version_before"], 1);
    assert_eq!(r["adopted"], json!([2, 3, 4, 5, 6]), "{r}");
    assert_eq!(a[4].status()["hash"], head["hash"]);
    // A node that never held anything needs the genesis hash out of band.
    let observer = Member::new(root, "observer");
    let r = json_of(&observer.dir, &["community", "ingest", p(&docs)]);
    assert_eq!(r["version"], 0);
    assert!(r["rejected"][0].as_str().unwrap().contains("no genesis"));
    let wrong = "00".repeat(32);
    let r = json_of(
        &observer.dir,
        &["community", "ingest", p(&docs), "--genesis-hash", &wrong],
    );
    assert_eq!(r["version"], 0);
    assert!(
        r["rejected"][0]
            .as_str()
            .unwrap()
            .contains("genesis hash mismatch"),
        "{r}"
    );
    // (the wrong pin is not kept)
    let r = json_of(
        &observer.dir,
        &[
            "community",
            "ingest",
            p(&docs),
            "--genesis-hash",
            &genesis_hash,
        ],
    );
    assert_eq!(r["version"], 6, "{r}");
    let s = observer.status();
    assert_eq!(s["hash"], head["hash"]);
    assert_eq!(status_members(&s), status_members(&head));
    let theirs = json_of(&observer.dir, &["community", "log"]);
    let hashes = |l: &Value| -> Vec<Value> {
        l.as_array()
            .unwrap()
            .iter()
            .map(|e| e["hash"].clone())
            .collect()
    };
    assert_eq!(hashes(&theirs), hashes(&log));
}

// --- every rejection, with its reason ----------------------------------------------

/// Too few signatures (repeats count once), non-members, unknown keys, bad
/// signatures, wrong community, wrong previous, not N+1, expired,
/// oversized, rollback (also of the files on disk), fork (evidence kept,
/// shown, and passed on).
#[test]
fn every_invalid_charter_is_refused_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..5)
        .map(|i| Member::new(root, &format!("r{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    found(root, &all, None);
    let keys: Vec<Keypair> = a.iter().map(Member::key).collect();
    let signed_by = |idx: &[usize]| -> Vec<(&str, &Keypair)> {
        idx.iter()
            .map(|&i| (a[i].member.as_str(), &keys[i]))
            .collect()
    };
    let base = a[0].charter(1);
    let renew = |c: &mut Charter| c.expires = "2031-01-01T00:00:00Z".into();
    let adopt = |file: &Path, reason: &str| {
        refused(&a[0].dir, &["community", "adopt", p(file)], reason);
        assert_eq!(a[0].version(), 1, "nothing adopted after {reason:?}");
    };

    let three = craft(
        &base,
        &root.join("three.json"),
        renew,
        &signed_by(&[0, 1, 2]),
    );
    adopt(
        &three,
        "too few signatures: 3 distinct valid members of the current charter (version 1), 4 required",
    );
    // One member's signature three times is still one member.
    let mut env = Envelope::from_bytes(&std::fs::read(&three).unwrap(), MAX_CHARTER_BYTES).unwrap();
    let first: CharterSignature = env.signatures[0].clone();
    env.signatures.extend([first.clone(), first]);
    let repeated = root.join("repeated.json");
    std::fs::write(&repeated, env.to_bytes().unwrap()).unwrap();
    adopt(&repeated, "too few signatures: 3 distinct valid members");

    let outsider = Keypair::generate();
    let mut s = signed_by(&[0, 1, 2, 3]);
    s.push(("identity--6f1b4a57-6f0e-4a5e-9d53-2a8f0f9d1c11", &outsider));
    let f = craft(&base, &root.join("outsider.json"), renew, &s);
    adopt(&f, "who is not a member of version 1 or 2");

    let mut s = signed_by(&[0, 1, 2]);
    s.push((a[3].member.as_str(), &outsider));
    let f = craft(&base, &root.join("unknown-key.json"), renew, &s);
    adopt(&f, "which is not one of its keys");

    let f = craft(
        &base,
        &root.join("bad-sig.json"),
        renew,
        &signed_by(&[0, 1, 2, 3]),
    );
    let mut env = Envelope::from_bytes(&std::fs::read(&f).unwrap(), MAX_CHARTER_BYTES).unwrap();
    env.signatures[1].sig = env.signatures[2].sig.clone();
    std::fs::write(&f, env.to_bytes().unwrap()).unwrap();
    adopt(&f, "bad signature by");

    let f = craft(
        &base,
        &root.join("community.json"),
        |c| c.community = "ffffffffffffffffffffffffffffffff".into(),
        &signed_by(&[0, 1, 2, 3]),
    );
    adopt(&f, "wrong community");

    let f = craft(
        &base,
        &root.join("previous.json"),
        |c| c.previous = Some("00".repeat(32)),
        &signed_by(&[0, 1, 2, 3]),
    );
    adopt(&f, "wrong previous");

    let f = craft(
        &base,
        &root.join("jump.json"),
        |c| c.version = 3,
        &signed_by(&[0, 1, 2, 3]),
    );
    adopt(&f, "not N+1: holding version 1, got version 3");

    let f = craft(
        &base,
        &root.join("expired.json"),
        |c| c.expires = "2020-01-01T00:00:00Z".into(),
        &signed_by(&[0, 1, 2, 3]),
    );
    adopt(&f, "expired: version 2 expired at 2020-01-01T00:00:00Z");

    let f = craft(
        &base,
        &root.join("big.json"),
        renew,
        &signed_by(&[0, 1, 2, 3]),
    );
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.resize(MAX_CHARTER_BYTES + 1, b' ');
    std::fs::write(&f, &bytes).unwrap();
    adopt(&f, "oversized");

    // The valid next version is adopted; replaying the genesis is a rollback.
    let good = craft(
        &base,
        &root.join("good.json"),
        renew,
        &signed_by(&[0, 1, 2, 3]),
    );
    let r = json_of(&a[0].dir, &["community", "adopt", p(&good)]);
    assert_eq!(r["version"], 2);
    refused(
        &a[0].dir,
        &["community", "adopt", p(&base)],
        "rollback refused: holding version 2, got version 1",
    );
    // Adopting the held version again changes nothing.
    assert_eq!(
        json_of(&a[0].dir, &["community", "adopt", p(&good)])["adopted"],
        false
    );

    // A second valid version 2 (four members signed twice: more than f
    // misbehaved): refused as a fork, both kept as evidence and shown.
    let other = craft(
        &base,
        &root.join("other.json"),
        |c| c.expires = "2032-01-01T00:00:00Z".into(),
        &signed_by(&[1, 2, 3, 4]),
    );
    refused(
        &a[0].dir,
        &["community", "adopt", p(&other)],
        "fork: version 2",
    );
    let s = a[0].status();
    assert_eq!(s["version"], 2);
    assert_eq!(s["forks"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["forks"][0]["version"], 2);
    assert!(
        s["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().starts_with("fork")),
        "{s}"
    );
    // The evidence travels: r1 (still on version 1) follows a0 to its
    // version 2 and keeps the verified evidence.
    let docs = root.join("r0.json");
    ok(&a[0].dir, &["community", "export", "--out", p(&docs)]);
    let r = json_of(&a[1].dir, &["community", "ingest", p(&docs)]);
    assert_eq!(r["adopted"], json!([2]), "{r}");
    assert_eq!(r["new_evidence"], 1, "{r}");
    assert_eq!(a[1].status()["forks"].as_array().unwrap().len(), 1);
    // r2 adopts the other branch by file, then meets a0's: a fork again.
    ok(&a[2].dir, &["community", "adopt", p(&other)]);
    let r = json_of(&a[2].dir, &["community", "ingest", p(&docs)]);
    assert!(
        r["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("fork")),
        "{r}"
    );
    assert_eq!(
        a[2].status()["hash"],
        Value::String(
            DocHash::of(
                &Envelope::from_bytes(&std::fs::read(&other).unwrap(), MAX_CHARTER_BYTES)
                    .unwrap()
                    .signing_input(CHARTER_CONTEXT)
                    .unwrap()
            )
            .to_hex()
        ),
        "a node never switches branches by itself"
    );

    // Rollback of the files on disk is noticed after a restart.
    let v2 = a[0].charter(2);
    let saved = std::fs::read(&v2).unwrap();
    std::fs::remove_file(&v2).unwrap();
    refused(
        &a[0].dir,
        &["community", "status"],
        "rollback on disk: this node adopted version 2",
    );
    std::fs::write(&v2, saved).unwrap();
    assert_eq!(a[0].version(), 2);
    // And a tampered file on disk does not verify.
    let text = std::fs::read_to_string(&v2).unwrap();
    std::fs::write(&v2, text.replace("2031-01-01", "2039-01-01")).unwrap();
    refused(&a[0].dir, &["community", "status"], "charter-2.json");
}

// --- the freeze alarm ---------------------------------------------------------------

/// An expired charter stays the node's last valid version, with the freeze
/// alarm raised, until a renewal is adopted.
#[test]
fn an_expired_charter_freezes_until_renewed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..3)
        .map(|i| Member::new(root, &format!("f{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    let expires = Timestamp(Timestamp::now().micros() + 8_000_000);
    found(root, &all, Some(&expires.to_stix()));
    let s = a[0].status();
    assert_eq!(s["frozen"], false, "{s}");
    while Timestamp::now() <= expires {
        std::thread::sleep(Duration::from_millis(200));
    }
    let s = a[0].status();
    assert_eq!(s["version"], 1);
    assert_eq!(s["frozen"], true);
    assert!(
        s["alarms"][0].as_str().unwrap().starts_with("freeze"),
        "{s}"
    );
    // Frozen: no admission, no change but a renewal.
    refused(
        &a[0].dir,
        &["community", "propose", "set-quorum", "--threshold", "3"],
        "only a renewal can be adopted",
    );
    let id = a[0].propose(&["renew", "--expires", "2031-01-01T00:00:00Z"]);
    gossip(root, &all);
    for m in &a {
        m.vote(&id);
    }
    gossip(root, &all);
    for m in &a {
        let s = m.status();
        assert_eq!(s["version"], 2);
        assert_eq!(s["frozen"], false);
    }
    // A member rotates its governance key in one command: the next key is
    // made and proposed; the old one signs until the rotation is adopted,
    // then the node signs with the new one.
    let before = a[1].key().public().to_hex();
    let id = a[1].propose(&["rotate-key"]);
    let next = std::fs::read_to_string(a[1].dir.join("governance.key.next")).expect("next key");
    let next = Keypair::from_pkcs8_pem(&next)
        .expect("a key")
        .public()
        .to_hex();
    assert_ne!(next, before);
    gossip(root, &all);
    for m in &a {
        m.vote(&id);
    }
    gossip(root, &all);
    for m in &a {
        assert_eq!(m.version(), 3);
    }
    let shown = json_of(&a[1].dir, &["key", "show"]);
    assert_eq!(shown["governance_key"], next, "{shown}");
    assert!(!a[1].dir.join("governance.key.next").exists());
}

// --- the one-proposal-per-base promise ----------------------------------------------

/// Competing proposals are shown before signing; a node never signs two
/// proposals on one base, across restarts and a crash between claiming
/// and signing; double votes by a member become evidence.
#[test]
fn one_vote_per_base_competitors_shown_and_equivocation_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..4)
        .map(|i| Member::new(root, &format!("g{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    found(root, &all, None);
    let p1 = a[0].propose(&["renew", "--expires", "2031-01-01T00:00:00Z"]);
    let p2 = a[0].propose(&["renew", "--expires", "2032-01-01T00:00:00Z"]);
    a[0].vote(&p2);
    gossip(root, &all);

    // The discussion stage: the competitor and who signed it come first.
    let text = ok(&a[1].dir, &["community", "vote", &p1]);
    let shown = text.find(&p2).expect("the competing proposal is shown");
    let signed = text.find("signed proposal").expect("then it signs");
    assert!(shown < signed, "{text}");
    assert!(text.contains("1 of quorum 3 signed"), "{text}");
    assert!(text.contains(&a[0].member), "{text}");
    // Another process (a restart) still refuses the other proposal.
    refused(
        &a[1].dir,
        &["community", "vote", &p2],
        &format!("already signed proposal {p1} on base version 1"),
    );
    // Voting for the same proposal again is harmless.
    assert_eq!(a[1].vote(&p1)["new"], false);

    // A crash after the claim and before the vote is written: the claim
    // was made durable first, so the node cannot sign the competitor.
    let blocker = a[2].dir.join("community/votes").join(&p1);
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, b"not a directory").unwrap();
    let out = run(&a[2].dir, &["community", "vote", &p1]);
    assert!(!out.status.success(), "the vote could not be written");
    let guard: Value =
        serde_json::from_slice(&std::fs::read(a[2].dir.join("community/guard.json")).unwrap())
            .unwrap();
    assert_eq!(guard["signed"]["1"], p1.as_str(), "{guard}");
    std::fs::remove_file(&blocker).unwrap();
    refused(&a[2].dir, &["community", "vote", &p2], "already signed");
    // Signing the claimed proposal again is the same deterministic vote.
    assert_eq!(a[2].vote(&p1)["new"], false);

    // a3 misbehaves: signs both, outside any guard. The evidence is kept
    // and shown on the node that receives both votes.
    let genesis_bytes = std::fs::read(a[0].charter(1)).unwrap();
    let hash = DocHash::from_hex(a[0].status()["genesis"].as_str().unwrap()).unwrap();
    let base = verify_genesis(&genesis_bytes, &hash).unwrap();
    let read = |id: &str| -> Proposal {
        let f = a[0]
            .dir
            .join("community/proposals")
            .join(format!("{id}.json"));
        Proposal::from_bytes(&base, &std::fs::read(f).unwrap()).unwrap()
    };
    let (q1, q2) = (read(&p1), read(&p2));
    let k3 = a[3].key();
    let v1 = Vote::sign(&base, &q1, &a[3].member, &k3).unwrap();
    let v2 = Vote::sign(&base, &q2, &a[3].member, &k3).unwrap();
    let docs = json!({
        "_type": "concord/community-documents",
        "proposals": [
            serde_json::from_slice::<Value>(&q1.to_bytes().unwrap()).unwrap(),
            serde_json::from_slice::<Value>(&q2.to_bytes().unwrap()).unwrap(),
        ],
        "votes": [v1, v2],
    });
    let file = root.join("double.json");
    std::fs::write(&file, docs.to_string()).unwrap();
    let r = json_of(&a[0].dir, &["community", "ingest", p(&file)]);
    assert_eq!(r["new_votes"], 2, "{r}");
    let s = a[0].status();
    assert_eq!(s["equivocations"][0]["member"], a[3].member.as_str(), "{s}");
    // With a1, a2 and a3 on p1 a0 now holds a quorum for it.
    gossip(root, &[&a[0], &a[1], &a[2]]);
    assert_eq!(a[0].version(), 2);
    assert_eq!(a[0].status()["expires"], "2031-01-01T00:00:00Z");
}

/// `community sign` on a next-version file is a vote: it goes through the
/// signing guard, and the signed file is adopted by a node that took no
/// part once it carries a quorum.
#[test]
fn signing_a_next_version_file_is_a_guarded_vote() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..4)
        .map(|i| Member::new(root, &format!("h{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    found(root, &all, None);
    let file = craft(
        &a[0].charter(1),
        &root.join("next.json"),
        |c| c.expires = "2031-01-01T00:00:00Z".into(),
        &[],
    );
    for (i, m) in a[..3].iter().enumerate() {
        let s = json_of(&m.dir, &["community", "sign", p(&file)]);
        assert_eq!(s["signatures"], i + 1, "{s}");
    }
    let r = json_of(&a[3].dir, &["community", "adopt", p(&file)]);
    assert_eq!(r["version"], 2);
    assert_eq!(a[3].status()["expires"], "2031-01-01T00:00:00Z");
    // A signer may not sign a competing draft on the same base.
    let other = craft(
        &a[0].charter(1),
        &root.join("other.json"),
        |c| c.expires = "2032-01-01T00:00:00Z".into(),
        &[],
    );
    refused(
        &a[1].dir,
        &["community", "sign", p(&other)],
        "already signed proposal",
    );
    // And a path that is no node gets no community directory.
    let nowhere = root.join("nowhere");
    refused(
        &nowhere,
        &["community", "status"],
        "not an initialised node",
    );
    assert!(!nowhere.exists());
}

// --- over real nodes ------------------------------------------------------------------

/// Four founders each run `concord serve`; a proposal made and signed over
/// node 0's HTTP API reaches the others with `concord sync` (node-signed
/// pulls of `/concord/v1/community`), their votes come back the same way,
/// and node 0 adopts as soon as it holds the quorum; node 3, which took no
/// part, follows on its next sync.
#[test]
fn proposals_and_votes_travel_between_served_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let a: Vec<Member> = (0..4)
        .map(|i| Member::new(root, &format!("s{i}")))
        .collect();
    let all: Vec<&Member> = a.iter().collect();
    found(root, &all, None);
    let token = user_token(&a[0].dir, "admin", &["--admin"]);
    let analyst = user_token(&a[0].dir, "analyst", &[]);
    let served: Vec<Served> = a.iter().map(|m| serve(&m.dir)).collect();
    for (i, m) in a.iter().enumerate() {
        for (j, o) in a.iter().enumerate() {
            if i != j {
                ok(
                    &m.dir,
                    &[
                        "peer",
                        "add",
                        &o.name,
                        "--url",
                        &served[j].url,
                        "--key",
                        &o.node_key,
                        "--member",
                        &o.member,
                    ],
                );
            }
        }
    }
    let s0 = &served[0].addr();
    // The documents are for peers and admins only.
    assert_eq!(http(s0, "GET", "/concord/v1/community", None, "").0, 401);
    let (code, docs) = http(s0, "GET", "/concord/v1/community", Some(&token), "");
    assert_eq!(code, 200);
    assert_eq!(docs["version"], 1);
    let (code, _) = http(s0, "GET", "/api/v1/community", None, "");
    assert_eq!(code, 401);
    // A user who is no admin reads the status, but neither proposes nor
    // pulls the documents.
    let (code, s) = http(s0, "GET", "/api/v1/community", Some(&analyst), "");
    assert_eq!((code, s["version"].as_u64()), (200, Some(1)));
    let (code, _) = http(
        s0,
        "POST",
        "/api/v1/community/proposals",
        Some(&analyst),
        r#"{"kind": "renew", "expires": "2031-01-01T00:00:00Z"}"#,
    );
    assert_eq!(code, 403);
    let (code, _) = http(s0, "GET", "/concord/v1/community", Some(&analyst), "");
    assert_eq!(code, 403);

    let (code, made) = http(
        s0,
        "POST",
        "/api/v1/community/proposals",
        Some(&token),
        r#"{"kind": "renew", "expires": "2031-01-01T00:00:00Z"}"#,
    );
    assert_eq!(code, 200, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let (code, voted) = http(
        s0,
        "POST",
        &format!("/api/v1/community/proposals/{id}/vote"),
        Some(&token),
        "",
    );
    assert_eq!(code, 200, "{voted}");
    assert_eq!(voted["new"], true);
    let (code, again) = http(
        s0,
        "POST",
        "/api/v1/community/proposals",
        Some(&token),
        r#"{"kind": "renew", "expires": "2033-01-01T00:00:00Z"}"#,
    );
    assert_eq!(code, 200);
    let other = again["id"].as_str().unwrap();
    let (code, refused) = http(
        s0,
        "POST",
        &format!("/api/v1/community/proposals/{other}/vote"),
        Some(&token),
        "",
    );
    assert_eq!(code, 409, "{refused}");

    let sync = |m: &Member| -> Value {
        let out = run(&m.dir, &["--json", "sync"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "sync: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    // A running server reads new peers within seconds: sync until the
    // proposal arrives (bounded wait).
    let holds = |m: &Member, id: &str| {
        json_of(&m.dir, &["community", "proposals"])
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id)
    };
    for m in &a[1..3] {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let rounds = sync(m);
            if holds(m, &id) {
                let from0 = rounds
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["peer"] == "s0")
                    .expect("a round with s0")
                    .clone();
                assert!(
                    from0["community"]["new_votes"].as_u64() >= Some(1),
                    "{from0}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no proposal on {}: {rounds}",
                m.name
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        let v = m.vote(&id);
        assert_eq!(v["competing"][0]["id"], other, "{v}");
    }
    // Node 0 adopts on the sync that brings it the quorum (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        sync(&a[0]);
        let (_, s) = http(s0, "GET", "/api/v1/community", Some(&token), "");
        if s["version"] == 2 {
            assert_eq!(s["expires"], "2031-01-01T00:00:00Z");
            break;
        }
        assert!(Instant::now() < deadline, "node 0 never adopted: {s}");
        std::thread::sleep(Duration::from_millis(200));
    }
    sync(&a[3]);
    assert_eq!(a[3].version(), 2);
    let (_, log) = http(s0, "GET", "/api/v1/community/log", Some(&token), "");
    assert_eq!(log.as_array().unwrap().len(), 2);
}
