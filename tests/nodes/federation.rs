//! Federation end to end: real `concord` nodes on 127.0.0.1 ports, peers
//! authenticated by their node keys, sharing decided by each author's node
//! (TLP 2.0 and audiences), relays limited to CLEAR and GREEN, tampered
//! relays quarantined, withdrawals propagated, rings that terminate, and a
//! pull killed mid-way that resumes without loss or duplicates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{
    Node, command, concord_bin, indicator, ok, refused, run, served, sync_until, uuid,
};
use serde_json::{Value, json};

fn ids(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .map(|o| o["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn members_receive_exactly_what_the_author_allows_and_relays_only_green() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut a, mut b, mut c, mut d) = (
        Node::new(tmp.path(), "a"),
        Node::new(tmp.path(), "b"),
        Node::new(tmp.path(), "c"),
        Node::new(tmp.path(), "d"),
    );
    for n in [&mut a, &mut b, &mut c, &mut d] {
        n.serve();
    }
    // A and B, B and C are peers; C never talks to A. D is nobody's peer.
    a.peer(&b);
    b.peer(&a);
    b.peer(&c);
    c.peer(&b);
    d.peer(&a);
    // C knows A's key (both are members) but never talks to A.
    ok(
        &c.dir,
        &[
            "peer",
            "add",
            "a",
            "--url",
            &a.url(),
            "--key",
            &a.key,
            "--member",
            &a.member,
            "--no-pull",
        ],
    );

    let clear = vec![indicator("clear", "198.51.100.1")];
    let green = vec![indicator("green", "198.51.100.2")];
    let amber_b = vec![indicator("amber for b", "198.51.100.3")];
    let amber_bc = vec![indicator("amber for b and c", "198.51.100.4")];
    let strict_c = vec![indicator("amber+strict for c", "198.51.100.5")];
    let red = vec![indicator("red", "198.51.100.6")];
    a.import(&clear, "clear", &[]);
    a.import(&green, "green", &[]);
    a.import(&amber_b, "amber", &[&b.member]);
    a.import(&amber_bc, "amber", &[&b.member, &c.member]);
    a.import(&strict_c, "amber+strict", &[&c.member]);
    a.import(&red, "red", &[&b.member]);
    // Unmarked local intel never leaves the node.
    let file = a.dir.join("local.json");
    let local = vec![indicator("local only", "198.51.100.7")];
    std::fs::write(
        &file,
        json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": local})
            .to_string(),
    )
    .expect("write");
    ok(&a.dir, &["import", file.to_str().expect("path")]);

    let green_ids = ids(&green);
    sync_until(&[&b, &c], || {
        green_ids.iter().all(|id| c.held().contains_key(id))
    });
    let (hb, hc, hd) = (b.held(), c.held(), {
        d.sync();
        d.held()
    });
    let has =
        |h: &BTreeMap<String, Value>, set: &[Value]| ids(set).iter().all(|id| h.contains_key(id));
    let lacks =
        |h: &BTreeMap<String, Value>, set: &[Value]| ids(set).iter().all(|id| !h.contains_key(id));
    // B: a peer of A named in the AMBER audiences.
    assert!(has(&hb, &clear) && has(&hb, &green) && has(&hb, &amber_b) && has(&hb, &amber_bc));
    assert!(lacks(&hb, &strict_c), "AMBER+STRICT for C went to B");
    assert!(lacks(&hb, &red), "RED is never synced automatically");
    assert!(lacks(&hb, &local), "unmarked objects never leave the node");
    // C: CLEAR and GREEN relayed by B; AMBER never relayed, even to a
    // member the audience names.
    assert!(has(&hc, &clear) && has(&hc, &green));
    assert!(
        lacks(&hc, &amber_bc) && lacks(&hc, &amber_b) && lacks(&hc, &strict_c) && lacks(&hc, &red)
    );
    // D is not A's peer: it gets nothing but public collections (none here).
    for set in [&clear, &green, &amber_b] {
        assert!(lacks(&hd, set), "a node that is not a peer received intel");
    }
    // The author's bytes travel unchanged: unknown properties survive, and
    // the relayed copy on C verifies as A's.
    let shown: Value = serde_json::from_str(&ok(
        &c.dir,
        &["--json", "show", green[0]["id"].as_str().expect("id")],
    ))
    .expect("show");
    let obj = if shown.is_array() {
        shown[0].clone()
    } else {
        shown
    };
    assert_eq!(obj["x_custom_kept"], json!({"nested": [1, 2, 3]}), "{obj}");
    let provenance =
        &obj["extensions"]["extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9"];
    assert_eq!(provenance["signer"], json!(a.member), "{obj}");
    // Nothing was quarantined on the way.
    assert!(b.quarantine().is_empty() && c.quarantine().is_empty());
    // Offline bundles get the same decision: `export --for`.
    let for_b = ok(&a.dir, &["export", "--for", "b"]);
    let for_public = ok(&a.dir, &["export", "--for", "public"]);
    for id in ids(&amber_b).iter().chain(&ids(&green)) {
        assert!(for_b.contains(id.as_str()));
        assert!(
            !for_public.contains(id.as_str()),
            "GREEN or AMBER exported to the public"
        );
    }
    for id in ids(&strict_c).iter().chain(&ids(&red)).chain(&ids(&local)) {
        assert!(!for_b.contains(id.as_str()), "{id} exported for B");
    }
    assert!(for_public.contains(clear[0]["id"].as_str().expect("id")));
    // Idempotent: another round stores nothing new.
    let again = b.sync();
    assert_eq!(again[0]["stored"], json!(0), "{again}");
}

#[test]
fn a_changed_byte_in_a_relayed_object_is_quarantined_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut a, mut b, mut c) = (
        Node::new(tmp.path(), "a"),
        Node::new(tmp.path(), "b"),
        Node::new(tmp.path(), "c"),
    );
    for n in [&mut a, &mut b, &mut c] {
        n.serve();
    }
    a.peer(&b);
    b.peer(&a);
    b.peer(&c);
    c.peer(&b);
    // C trusts A's key too (a community of three), but only pulls from B.
    ok(
        &c.dir,
        &[
            "peer",
            "add",
            "a",
            "--url",
            "http://127.0.0.1:9/taxii2/",
            "--key",
            &a.key,
            "--member",
            &a.member,
            "--no-pull",
        ],
    );
    let green = vec![indicator("genuine", "192.0.2.10")];
    a.import(&green, "green", &[]);
    let id = green[0]["id"].as_str().expect("id").to_string();
    sync_until(&[&b], || b.held().contains_key(&id));
    // B is dishonest: it rewrites A's object (one character of the name)
    // and serves that instead of A's bytes.
    let exported = ok(&b.dir, &["export"]);
    let bundle: Value = serde_json::from_str(&exported).expect("bundle");
    let mut forged = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["id"] == json!(id))
        .expect("held")
        .clone();
    forged["name"] = json!("genuinE");
    forged["modified"] = json!("2026-11-21T10:00:00.000Z");
    let file = b.dir.join("forged.json");
    std::fs::write(
        &file,
        json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": [forged]})
            .to_string(),
    )
    .expect("write");
    ok(&b.dir, &["import", file.to_str().expect("path")]);
    let start = Instant::now();
    loop {
        c.sync();
        let q = c.quarantine();
        if let Some(entry) = q.iter().find(|e| e["id"] == json!(id)) {
            let reason = entry["reason"].as_str().unwrap_or("");
            assert!(reason.contains("bad signature"), "{entry}");
            assert_eq!(entry["source"], json!("b"), "{entry}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never quarantined: {q:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // C holds A's genuine version only, never the forged one, and serves
    // nothing from quarantine.
    let held = c.held();
    assert_eq!(
        held.get(&id).map(|o| o["modified"].clone()),
        Some(json!("2026-11-20T10:00:00.000Z")),
        "{held:?}"
    );
    let shown = ok(&c.dir, &["--json", "quarantine", "show", &id]);
    assert!(
        shown.contains("genuinE"),
        "quarantine keeps the bytes as received"
    );
    ok(&c.dir, &["quarantine", "drop", &id]);
    assert!(c.quarantine().is_empty());
}

#[test]
fn a_ring_ends_with_one_copy_of_each_version_and_withdrawals_propagate() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b", "c"]);
    // A pulls from C, B from A, C from B: a ring. Each serves the node
    // that pulls from it (a peer it does not pull from: --no-pull).
    for i in 0..3 {
        let (me, from, to) = (&nodes[i], &nodes[(i + 2) % 3], &nodes[(i + 1) % 3]);
        me.peer(from);
        ok(
            &me.dir,
            &[
                "peer",
                "add",
                &to.name,
                "--url",
                &to.url(),
                "--key",
                &to.key,
                "--member",
                &to.member,
                "--no-pull",
            ],
        );
    }
    // Writes on every node.
    let mut expected = BTreeSet::new();
    let mut authored_by_a = BTreeSet::new();
    for (i, n) in nodes.iter().enumerate() {
        let objs: Vec<Value> = (0..40)
            .map(|k| indicator(&format!("{}-{k}", n.name), &format!("10.{i}.0.{k}")))
            .collect();
        expected.extend(ids(&objs));
        if i == 0 {
            authored_by_a = ids(&objs);
        }
        n.import(&objs, "green", &[]);
    }
    let all_have = || {
        nodes.iter().all(|n| {
            let h = n.held();
            expected.iter().all(|id| h.contains_key(id))
        })
    };
    let refs: Vec<&Node> = nodes.iter().collect();
    sync_until(&refs, all_have);
    // Terminates: further rounds store nothing; one copy per (id, modified).
    for n in &nodes {
        let r = n.sync();
        assert_eq!(r[0]["stored"], json!(0), "{} {r}", n.name);
        // One stored version per (id, modified): as many versions as objects.
        let stats: Value = serde_json::from_str(&ok(&n.dir, &["--json", "stats"])).expect("stats");
        assert_eq!(stats["versions"], stats["objects"], "{} {stats}", n.name);
        assert!(stats["objects"].as_u64().unwrap_or(0) >= expected.len() as u64);
    }
    // A withdraws one of its objects: the revoked version travels the
    // ring, and B and C stop matching it.
    let target = authored_by_a.iter().next().cloned().expect("an indicator");
    let target_ip = {
        let shown: Value =
            serde_json::from_str(&ok(&nodes[0].dir, &["--json", "show", &target])).expect("show");
        let o = if shown.is_array() {
            shown[0].clone()
        } else {
            shown
        };
        o["pattern"]
            .as_str()
            .expect("pattern")
            .split('\'')
            .nth(1)
            .expect("ip")
            .to_string()
    };
    // Before: B and C match the indicator on a log line with its address.
    let matches_on = |n: &Node| {
        let log = n.dir.join("conn.log");
        std::fs::write(&log, format!("{{\"id.resp_h\": \"{target_ip}\"}}\n")).expect("log");
        let out = run(&n.dir, &["--json", "match", log.to_str().expect("path")]);
        String::from_utf8_lossy(&out.stdout).contains(&target)
    };
    for n in &nodes[1..] {
        assert!(
            matches_on(n),
            "{} does not match the indicator before the withdrawal",
            n.name
        );
    }
    // Only the author may withdraw.
    let refused = run(&nodes[1].dir, &["withdraw", &target]);
    assert!(
        !refused.status.success(),
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only its author"));
    ok(
        &nodes[0].dir,
        &["withdraw", &target, "--reason", "false positive"],
    );
    let withdrawn_everywhere = || {
        nodes.iter().all(|n| {
            n.held()
                .get(&target)
                .is_some_and(|o| o["revoked"] == json!(true))
        })
    };
    sync_until(&refs, withdrawn_everywhere);
    for n in &nodes[1..] {
        assert!(
            !matches_on(n),
            "{} still matches a withdrawn indicator",
            n.name
        );
        // Only the tombstone is kept: the earlier body is gone.
        let list = only_the_tombstone(n, &target);
        assert_eq!(list[0]["revoked"], json!(true));
        assert!(list[0].get("description").is_none());
    }
    // More rounds change nothing: the old version is never taken again.
    for n in &nodes {
        let r = n.sync();
        assert_eq!(r[0]["stored"], json!(0), "{r}");
        assert_eq!(r[0]["quarantined"], json!(0), "{r}");
    }
}

/// Every version `n` holds of `id`, asserting that it is one (a withdrawn
/// object's tombstone, its earlier bodies purged).
fn only_the_tombstone(n: &Node, id: &str) -> Vec<Value> {
    let shown = ok(&n.dir, &["--json", "show", id, "--versions"]);
    let versions: Value = serde_json::from_str(&shown).expect("versions");
    let list = versions
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![versions.clone()]);
    assert_eq!(
        list.len(),
        1,
        "{} keeps more than the tombstone: {shown}",
        n.name
    );
    list
}

/// FEDERATION.md 7b and 8.12: C held version 1 (GREEN, for every
/// member); version 2 narrowed it to AMBER for B only, so C never got it.
/// The withdrawal must still reach C, and C must still never see
/// version 2.
#[test]
fn a_withdrawal_reaches_a_peer_whose_entitlement_a_later_version_narrowed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b", "c"]);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    for n in [b, c] {
        n.peer(a);
        a.peer_with(n, &["--no-pull"]);
    }
    let first = indicator("narrowed later", "10.9.0.1");
    let id = first["id"].as_str().expect("id").to_string();
    a.import(std::slice::from_ref(&first), "green", &[]);
    let readers = [b, c];
    sync_until(&readers, || {
        readers.iter().all(|n| n.held().contains_key(&id))
    });
    let mut second = first.clone();
    second["modified"] = json!("2026-11-21T10:00:00.000Z");
    second["description"] = json!("version two, for b only");
    a.import(&[second], "amber", &[&b.member]);
    sync_until(&readers, || {
        b.held()
            .get(&id)
            .is_some_and(|o| o["modified"] == json!("2026-11-21T10:00:00.000Z"))
    });
    assert_eq!(
        c.held()[&id]["modified"],
        json!("2026-11-20T10:00:00.000Z"),
        "c must keep version 1 only"
    );

    ok(&a.dir, &["withdraw", &id, "--reason", "false positive"]);
    sync_until(&readers, || {
        readers.iter().all(|n| {
            n.held()
                .get(&id)
                .is_some_and(|o| o["revoked"] == json!(true))
        })
    });
    for n in readers {
        let list = only_the_tombstone(n, &id);
        assert!(
            !list[0].to_string().contains("version two"),
            "{} holds the narrowed body: {list:?}",
            n.name
        );
        let log = n.dir.join("narrowed.log");
        std::fs::write(&log, "{\"id.resp_h\": \"10.9.0.1\"}\n").expect("log");
        let out = ok(&n.dir, &["--json", "match", log.to_str().expect("path")]);
        assert!(!out.contains(&id), "{} still matches it: {out}", n.name);
    }
    // C never received anything of version 2, not even through the
    // tombstone: no body, and nothing in quarantine.
    assert!(c.quarantine().is_empty());
}

#[test]
fn a_pull_killed_mid_way_resumes_without_loss_or_duplicates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut a, mut b) = (Node::new(tmp.path(), "a"), Node::new(tmp.path(), "b"));
    a.serve();
    b.serve();
    a.peer(&b);
    b.peer(&a);
    // Let A's server read its peer table first (one small object).
    let first = vec![indicator("first", "10.8.0.1")];
    a.import(&first, "green", &[]);
    let first_id = first[0]["id"].as_str().expect("id").to_string();
    sync_until(&[&b], || b.held().contains_key(&first_id));
    let objs: Vec<Value> = (0..20_000)
        .map(|k| {
            indicator(
                &format!("bulk-{k}"),
                &format!("10.9.{}.{}", k / 250, k % 250),
            )
        })
        .collect();
    a.import(&objs, "green", &[]);
    let expected = ids(&objs);
    let mut killed = 0;
    for delay in [300u64, 600, 900] {
        let mut child = command(&b.dir)
            .arg("sync")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sync");
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().expect("wait").is_none() {
            let _ = child.kill(); // SIGKILL
            killed += 1;
        }
        let _ = child.wait();
    }
    sync_until(&[&b], || {
        let h = b.held();
        expected.iter().all(|id| h.contains_key(id))
    });
    // One stored version per (id, modified): as many versions as objects,
    // and every object of A's once.
    let stats: Value = serde_json::from_str(&ok(&b.dir, &["--json", "stats"])).expect("stats");
    assert_eq!(stats["versions"], stats["objects"], "{stats}");
    let held = b.held();
    assert_eq!(
        expected.iter().filter(|id| held.contains_key(*id)).count(),
        expected.len()
    );
    assert!(
        killed > 0,
        "the sync always finished before it could be killed"
    );
    eprintln!(
        "sync killed {killed} times mid-way; {} objects held once each",
        expected.len()
    );
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn after_random_writes_everywhere_every_node_holds_exactly_what_it_may_see() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b", "c"]);
    for i in 0..3 {
        for j in 0..3 {
            if i != j {
                nodes[i].peer(&nodes[j]);
            }
        }
    }
    let seed = std::env::var("CONCORD_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0dc_0ad5u64);
    eprintln!("seed {seed} (set CONCORD_TEST_SEED to replay)");
    let mut rng = Rng(seed);
    // expected[k] = ids node k must hold (besides identities).
    let mut expected: Vec<BTreeSet<String>> = vec![BTreeSet::new(); 3];
    let mut all = BTreeSet::new();
    for round in 0..3 {
        for (i, author) in nodes.iter().enumerate() {
            let batches = 1 + rng.below(3);
            for b in 0..batches {
                let objs: Vec<Value> = (0..1 + rng.below(6))
                    .map(|k| indicator(&format!("{}-{round}-{b}-{k}", author.name), "192.0.2.1"))
                    .collect();
                let set = ids(&objs);
                all.extend(set.clone());
                expected[i].extend(set.clone());
                let audience: Vec<usize> =
                    (0..3).filter(|j| *j != i && rng.below(2) == 0).collect();
                let members: Vec<&str> =
                    audience.iter().map(|j| nodes[*j].member.as_str()).collect();
                match rng.below(6) {
                    0 | 1 => {
                        let tlp = if rng.below(2) == 0 { "clear" } else { "green" };
                        author.import(&objs, tlp, &[]);
                        for e in expected.iter_mut() {
                            e.extend(set.clone());
                        }
                    }
                    2 | 3 if !members.is_empty() => {
                        let tlp = if rng.below(2) == 0 {
                            "amber"
                        } else {
                            "amber+strict"
                        };
                        author.import(&objs, tlp, &members);
                        for j in &audience {
                            expected[*j].extend(set.clone());
                        }
                    }
                    4 if !members.is_empty() => author.import(&objs, "red", &members),
                    _ => {
                        let file = author.dir.join(format!("local-{}.json", uuid()));
                        let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objs});
                        std::fs::write(&file, bundle.to_string()).expect("write");
                        ok(&author.dir, &["import", file.to_str().expect("path")]);
                    }
                }
            }
        }
        // Sync between write rounds, so later writes land on nodes that
        // already hold earlier ones.
        for n in &nodes {
            n.sync();
        }
    }
    let refs: Vec<&Node> = nodes.iter().collect();
    let converged = || {
        nodes.iter().enumerate().all(|(k, n)| {
            let held: BTreeSet<String> =
                n.held().into_keys().filter(|id| all.contains(id)).collect();
            held == expected[k]
        })
    };
    let start = Instant::now();
    loop {
        for n in &refs {
            n.sync();
        }
        if converged() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            for (k, n) in nodes.iter().enumerate() {
                let held: BTreeSet<String> =
                    n.held().into_keys().filter(|id| all.contains(id)).collect();
                let extra: Vec<_> = held.difference(&expected[k]).collect();
                let missing: Vec<_> = expected[k].difference(&held).collect();
                eprintln!("{}: extra {extra:?} missing {missing:?}", n.name);
            }
            panic!("did not converge to exactly what each may see");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    for n in &nodes {
        assert!(
            n.quarantine().is_empty(),
            "{} quarantined something",
            n.name
        );
    }
}

/// Founds a community of `nodes` (every node serving already): the
/// charter lists each member's node key and URL, and is signed and adopted
/// by all. No `peer add` anywhere: the charter is the peer set.
fn found(root: &Path, nodes: &[&Node]) {
    let founders: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let k: Value =
                serde_json::from_str(&ok(&n.dir, &["--json", "key", "show"])).expect("key");
            json!({
                "member": n.member, "name": format!("CERT-{}", n.name), "country": "FR",
                "governance_key": k["governance_key"], "node_key": n.key, "url": n.url(),
            })
        })
        .collect();
    let file = root.join("founders.json");
    std::fs::write(&file, serde_json::to_vec(&founders).expect("json")).expect("write");
    let genesis = root.join("genesis.json");
    let (f, g) = (
        file.to_str().expect("path"),
        genesis.to_str().expect("path"),
    );
    let init: Value = serde_json::from_str(&ok(
        &nodes[0].dir,
        &["--json", "community", "init", "--founders", f, "--out", g],
    ))
    .expect("init");
    for n in nodes {
        ok(&n.dir, &["community", "sign", g]);
    }
    let hash = init["hash"].as_str().expect("hash");
    for n in nodes {
        ok(&n.dir, &["community", "adopt", g, "--genesis-hash", hash]);
    }
}

/// `voters` sign proposal `pid` as soon as they hold it, everyone syncs,
/// until all of `everyone` hold charter `version`; then the running
/// servers have read it (they do every 2 s).
fn vote_until_adopted(pid: &str, voters: &[&Node], everyone: &[&Node], version: u64) {
    let start = Instant::now();
    let mut voted = BTreeSet::new();
    while !everyone.iter().all(|n| charter_version(n) == version) {
        for n in voters {
            if !voted.contains(&n.name) && run(&n.dir, &["community", "vote", pid]).status.success()
            {
                voted.insert(n.name.clone());
            }
        }
        for n in everyone {
            n.sync();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "proposal {pid} was never adopted"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(2500));
}

fn charter_version(n: &Node) -> u64 {
    let s: Value =
        serde_json::from_str(&ok(&n.dir, &["--json", "community", "status"])).expect("status");
    s["version"].as_u64().expect("version")
}

#[test]
fn the_adopted_charter_is_the_peer_set_and_a_removed_member_gets_nothing_new() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b", "c", "d"]);
    let refs: Vec<&Node> = nodes.iter().collect();
    found(tmp.path(), &refs);
    let (a, b, c, d) = (&nodes[0], &nodes[1], &nodes[2], &nodes[3]);
    // GREEN from A reaches every member, with no peer configured anywhere.
    let before = vec![indicator("before removal", "203.0.113.1")];
    a.import(&before, "green", &[]);
    let id = before[0]["id"].as_str().expect("id").to_string();
    sync_until(&refs, || refs.iter().all(|n| n.held().contains_key(&id)));

    // A, B and D vote C out (q = 3 of 4); the votes travel with sync.
    let proposal: Value = serde_json::from_str(&ok(
        &a.dir,
        &[
            "--json",
            "community",
            "propose",
            "remove-member",
            "--member",
            &c.member,
        ],
    ))
    .expect("propose");
    let pid = proposal["id"].as_str().expect("id").to_string();
    ok(&a.dir, &["community", "vote", &pid]);
    vote_until_adopted(&pid, &[b, d], &[a, b, d], 2);
    // After the removal, A's new GREEN reaches B and D, never C.
    let after = vec![indicator("after removal", "203.0.113.2")];
    a.import(&after, "green", &[]);
    let id2 = after[0]["id"].as_str().expect("id").to_string();
    sync_until(&[b, d], || {
        b.held().contains_key(&id2) && d.held().contains_key(&id2)
    });
    // C asks A directly (it still knows A's key and URL): A serves it as
    // a stranger, so nothing but public collections.
    ok(
        &c.dir,
        &[
            "peer",
            "add",
            "a",
            "--url",
            &a.url(),
            "--key",
            &a.key,
            "--member",
            &a.member,
        ],
    );
    for _ in 0..3 {
        c.sync();
        std::thread::sleep(Duration::from_millis(700));
    }
    assert!(
        !c.held().contains_key(&id2),
        "a removed member received new intel"
    );

    // C's new objects, relayed by B, are quarantined by A: C's key is no
    // longer trusted.
    let from_c = vec![indicator("from the removed member", "203.0.113.3")];
    c.import(&from_c, "green", &[]);
    let exported = ok(&c.dir, &["export"]);
    let file = b.dir.join("relayed.json");
    std::fs::write(&file, exported).expect("write");
    ok(&b.dir, &["import", file.to_str().expect("path")]);
    let cid = from_c[0]["id"].as_str().expect("id").to_string();
    let start = Instant::now();
    loop {
        a.sync();
        if let Some(q) = a.quarantine().iter().find(|q| q["id"] == json!(cid)) {
            assert!(
                q["reason"].as_str().unwrap_or("").contains("unknown key"),
                "{q}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "C's object was not quarantined"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(!a.held().contains_key(&cid));
}

#[test]
fn the_demo_community_shows_who_received_what_and_why() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("demo");
    let out = Command::new(concord_bin())
        .args(["demo", "--no-wait", "--dir", dir.to_str().expect("path")])
        .stdin(Stdio::null())
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // GREEN reached both other members; AMBER only the named one; RED and
    // unmarked intel nobody; the reasons are the policy's own words.
    assert_eq!(text.matches("received 22/22").count(), 2, "{text}");
    assert!(
        text.contains("withheld: the recipient is not in the audience"),
        "{text}"
    );
    assert!(text.contains("withheld: no TLP marking"), "{text}");
    assert!(text.contains("TLP:RED not allowed"), "{text}");
    assert_eq!(text.matches("TAXII http://127.0.0.1:").count(), 3, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let after = |label: &str| -> Vec<&str> {
        let i = lines.iter().position(|l| l.contains(label)).expect(label);
        lines[i + 1..i + 3].to_vec()
    };
    let amber = after("(AMBER, audience South)");
    assert!(
        amber[0].contains("CERT-South") && amber[0].contains("received  1/1"),
        "{amber:?}"
    );
    assert!(
        amber[1].contains("ISP-East") && amber[1].contains("nothing   0/1"),
        "{amber:?}"
    );
    let red = after("(RED, named South)");
    assert!(red.iter().all(|l| l.contains("nothing")), "{red:?}");
}

#[test]
fn a_group_the_community_votes_in_is_an_audience() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b", "c"]);
    let refs: Vec<&Node> = nodes.iter().collect();
    found(tmp.path(), &refs);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let members = format!("{},{}", a.member, b.member);
    let proposal: Value = serde_json::from_str(&ok(
        &a.dir,
        &[
            "--json",
            "community",
            "propose",
            "set-group",
            "--group",
            "health-isac",
            "--members",
            &members,
        ],
    ))
    .expect("propose");
    let pid = proposal["id"].as_str().expect("id").to_string();
    // An unknown member in a group is refused before anyone signs.
    let bad = run(
        &a.dir,
        &[
            "community",
            "propose",
            "set-group",
            "--group",
            "x",
            "--members",
            "identity--00000000-0000-4000-8000-000000000000",
        ],
    );
    assert!(!bad.status.success());
    ok(&a.dir, &["community", "vote", &pid]);
    vote_until_adopted(&pid, &[b, c], &refs, 2);
    // AMBER for the group: B (in it) receives it, C (a member, not in it) does not.
    let amber = vec![indicator("for the health ISAC", "203.0.113.77")];
    a.import(&amber, "amber", &["health-isac"]);
    let id = amber[0]["id"].as_str().expect("id").to_string();
    sync_until(&[b, c], || b.held().contains_key(&id));
    for _ in 0..2 {
        c.sync();
    }
    assert!(
        !c.held().contains_key(&id),
        "AMBER for a group reached a member outside it"
    );
}

/// `peer add` with the base URL a user copies from a browser: the URL that
/// answers TAXII (`/taxii2/` below it) is stored and syncs work; a URL
/// where nothing answers TAXII is refused and nothing is stored.
#[test]
fn a_peer_added_by_its_base_url_is_found_below_it_and_synced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut a, mut b) = (Node::new(tmp.path(), "a"), Node::new(tmp.path(), "b"));
    a.serve();
    b.serve();
    b.peer(&a);
    let base = b.served.as_ref().expect("serving").base();
    assert!(!base.contains("taxii2"), "{base}");
    let added = ok(
        &a.dir,
        &[
            "--json", "peer", "add", "b", "--url", &base, "--key", &b.key, "--member", &b.member,
        ],
    );
    let added: Value = serde_json::from_str(&added).expect("json");
    assert_eq!(added["url"], b.url(), "the discovery URL is stored");
    let listed: Value =
        serde_json::from_str(&ok(&a.dir, &["--json", "peer", "list"])).expect("json");
    assert_eq!(listed[0]["url"], b.url());

    let shared = vec![indicator("found below the base URL", "198.51.100.77")];
    b.import(&shared, "green", &[]);
    let id = shared[0]["id"].as_str().expect("id").to_string();
    a.sync_until("the pull from b", || a.held().contains_key(&id));
    let listed: Value =
        serde_json::from_str(&ok(&a.dir, &["--json", "peer", "list"])).expect("json");
    assert!(
        listed[0]["last_sync"]["error"].is_null(),
        "the last sync failed: {listed}"
    );

    // Nothing answers TAXII there, nor below it: refused, saying what each
    // URL answered, and nothing stored.
    let nothing = format!("{base}/nothing/");
    let c = Node::new(tmp.path(), "c");
    let add_c = |url: &str, reason: &str| {
        refused(
            &a.dir,
            &[
                "peer", "add", "c", "--url", url, "--key", &c.key, "--member", &c.member,
            ],
            reason,
        )
    };
    let err = add_c(&nothing, "no TAXII 2.1 server answers");
    assert!(
        err.contains(&format!("{nothing} answered 404"))
            && err.contains(&format!("{nothing}taxii2/ answered 404")),
        "{err}"
    );
    // A host that does not answer at all.
    add_c("http://127.0.0.1:9/", "http://127.0.0.1:9/");
    let listed: Value =
        serde_json::from_str(&ok(&a.dir, &["--json", "peer", "list"])).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // Plain http is still for loopback only, before any request.
    add_c("http://192.0.2.1/", "plain HTTP on a non-loopback");
}
