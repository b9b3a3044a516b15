//! `concord demo` without the command line: a community of three member
//! nodes on 127.0.0.1, each with its own data directory, founded by a
//! charter all three sign, with sample intel under mixed TLP levels and
//! audiences. It syncs and tells what each member received and why (the
//! sharing decision of the author's node).
//!
//! It drives the real binary (`init`, `community`, `import`, `serve`,
//! `sync`), whose path the caller gives, so what it shows is what an
//! operator gets. What it must never do: print (its lines go to the
//! caller's `say`), read configuration, or leave a node running once the
//! [`Community`] it returns is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use concord_share::{Decision, EgressPolicy, Peer, Provenance, Recipient, decide};
use concord_stix::StixObject;
use serde_json::{Value, json};

/// The node configuration file in a data directory.
const CONFIG_FILE: &str = "config.toml";

/// The running community: its members, and their servers (stopped when
/// this is dropped).
pub struct Community {
    /// The three members.
    pub members: Vec<Member>,
    _servers: Servers,
}

/// How the demo runs the binary.
struct Runner<'a> {
    exe: &'a Path,
}

const SAMPLE: &str = include_str!("../../../examples/sample-bundle.json");

/// One member of the demo community.
pub struct Member {
    /// The short name of its data directory.
    pub short: &'static str,
    /// The organisation.
    pub org: &'static str,
    country: &'static str,
    /// Its data directory.
    pub dir: PathBuf,
    identity: String,
    node_key: String,
    governance_key: String,
    /// Its TAXII URL.
    pub url: String,
}

/// The running servers, stopped when dropped.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Runner<'_> {
    fn concord(&self, dir: &Path, args: &[&str]) -> Result<String> {
        self.concord_with(dir, args, None)
    }

    /// The same, with `stdin` as the command's standard input.
    fn concord_with(&self, dir: &Path, args: &[&str], stdin: Option<&str>) -> Result<String> {
        use std::io::Write;
        let mut child = Command::new(self.exe)
            .arg("--data-dir")
            .arg(dir)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running concord {}", args.join(" ")))?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            input.write_all(text.as_bytes())?;
        }
        let out = child
            .wait_with_output()
            .with_context(|| format!("running concord {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "concord {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn indicator(name: &str, pattern: &str, description: &str) -> Value {
    let now = concord_stix::Timestamp::now().to_stix();
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": concord_stix::id::new_id("indicator"),
        "created": now, "modified": now, "name": name, "description": description,
        "pattern": pattern, "pattern_type": "stix", "valid_from": now,
        "indicator_types": ["malicious-activity"],
    })
}

/// An object the demo authored on one node, to follow through the community.
struct Authored {
    author: usize,
    label: String,
    ids: Vec<String>,
}

fn import(
    run: &Runner<'_>,
    m: &Member,
    root: &Path,
    name: &str,
    objects: Vec<Value>,
    tlp: Option<&str>,
    audience: &[&Member],
) -> Result<Vec<String>> {
    let file = root.join(format!("{}-{name}.json", m.short));
    let ids = objects
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .collect();
    let bundle =
        json!({"type": "bundle", "id": concord_stix::id::new_id("bundle"), "objects": objects});
    std::fs::write(&file, bundle.to_string())?;
    let path = file.to_string_lossy().to_string();
    let members = audience
        .iter()
        .map(|a| a.identity.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec!["import", path.as_str()];
    if let Some(t) = tlp {
        args.extend(["--tlp", t]);
    }
    if !audience.is_empty() {
        args.extend(["--audience", members.as_str()]);
    }
    run.concord(&m.dir, &args)?;
    Ok(ids)
}

/// Starts the community under `root` (an empty directory) with the
/// `concord` binary at `exe`; every line to show goes to `say`.
pub fn start(exe: &Path, root: &Path, say: &mut dyn FnMut(&str)) -> Result<Community> {
    let run = Runner { exe };
    macro_rules! say {
        ($($t:tt)*) => { say(&format!($($t)*)) };
    }
    let specs = [
        ("north", "CERT-North", "FR"),
        ("south", "CERT-South", "PT"),
        ("east", "ISP-East", "PL"),
    ];
    let mut members = Vec::new();
    let mut servers = Servers(Vec::new());
    for (short, org, country) in specs {
        let dir = root.join(short);
        let init: Value =
            serde_json::from_str(&run.concord(&dir, &["--json", "init", "--org", org])?)?;
        // Keep pulling every few seconds while the demo runs.
        let cfg = dir.join(CONFIG_FILE);
        // ...and sign a checkpoint of each log every second (peers accept
        // what a member authored once a checkpoint covers it).
        let text = std::fs::read_to_string(&cfg)?
            .replace("interval_secs = 60", "interval_secs = 5")
            + "\n[log]\ncheckpoint_interval_s = 1\n";
        std::fs::write(&cfg, text)?;
        let mut child = Command::new(run.exe)
            .arg("--data-dir")
            .arg(&dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting a node")?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        servers.0.push(child);
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("the {org} node did not start: {line:?}"))?
            .to_string();
        let text = |k: &str| init[k].as_str().unwrap_or_default().to_string();
        members.push(Member {
            short,
            org,
            country,
            identity: text("member"),
            node_key: text("public_key"),
            governance_key: text("governance_key"),
            dir,
            url,
        });
    }
    // The charter: every founder signs the genesis, every node adopts it.
    // No `peer add` anywhere: the charter is the peer set.
    let founders: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({"member": m.identity, "name": m.org, "country": m.country,
            "governance_key": m.governance_key, "node_key": m.node_key, "url": m.url})
        })
        .collect();
    let founders_file = root.join("founders.json");
    std::fs::write(&founders_file, serde_json::to_vec_pretty(&founders)?)?;
    let genesis = root.join("charter-genesis.json");
    let (f, g) = (
        founders_file.to_string_lossy().to_string(),
        genesis.to_string_lossy().to_string(),
    );
    let init: Value = serde_json::from_str(&run.concord(
        &members[0].dir,
        &["--json", "community", "init", "--founders", &f, "--out", &g],
    )?)?;
    let hash = init["hash"].as_str().unwrap_or_default().to_string();
    for m in &members {
        run.concord(&m.dir, &["community", "sign", &g])?;
    }
    for m in &members {
        run.concord(&m.dir, &["community", "adopt", &g, "--genesis-hash", &hash])?;
    }
    say!(
        "charter v1 signed by all three founders (genesis {}…), quorum 3 of 3\n",
        &hash[..hash.len().min(16)]
    );

    // Intel under mixed TLP levels and audiences.
    let (n, s, e) = (&members[0], &members[1], &members[2]);
    let sample: Value = serde_json::from_str(SAMPLE)?;
    let sample_objects = sample["objects"].as_array().cloned().unwrap_or_default();
    let mut authored = vec![Authored {
        author: 0,
        label: format!(
            "{} objects of a campaign report (GREEN: every member)",
            sample_objects.len()
        ),
        ids: import(&run, n, root, "report", sample_objects, Some("green"), &[])?,
    }];
    let mut add = |author: usize,
                   label: &str,
                   o: Value,
                   tlp: Option<&str>,
                   audience: &[&Member]|
     -> Result<()> {
        let m = &members[author];
        let ids = import(
            &run,
            m,
            root,
            &format!("{}", authored.len()),
            vec![o],
            tlp,
            audience,
        )?;
        authored.push(Authored {
            author,
            label: label.to_string(),
            ids,
        });
        Ok(())
    };
    add(
        0,
        "C2 server in an intrusion at a South operator (AMBER, audience South)",
        indicator(
            "C2 of an ongoing intrusion",
            "[ipv4-addr:value = '203.0.113.50']",
            "Seen in an incident at a CERT-South constituent.",
        ),
        Some("amber"),
        &[s],
    )?;
    add(
        0,
        "Victim list from a takedown (AMBER+STRICT, audience East)",
        indicator(
            "Sinkholed bot",
            "[ipv4-addr:value = '198.51.100.23']",
            "Infected host in ISP-East's address space.",
        ),
        Some("amber+strict"),
        &[e],
    )?;
    add(
        0,
        "Source of a police investigation (RED, named South)",
        indicator(
            "Informant infrastructure",
            "[domain-name:value = 'do-not-touch.example']",
            "RED: never synced automatically.",
        ),
        Some("red"),
        &[s],
    )?;
    add(
        0,
        "Internal triage note (unmarked: stays home)",
        indicator(
            "Internal honeypot",
            "[ipv4-addr:value = '192.0.2.99']",
            "Our own sensor.",
        ),
        None,
        &[],
    )?;
    add(
        1,
        "Phishing domain for the public (CLEAR)",
        indicator(
            "Bank phishing",
            "[domain-name:value = 'secure-login-bank.example']",
            "Credential phishing kit.",
        ),
        Some("clear"),
        &[],
    )?;
    add(
        2,
        "Scanner seen at the ISP, for North only (AMBER, audience North)",
        indicator(
            "Mass scanner",
            "[ipv4-addr:value = '192.0.2.200']",
            "SSH brute force against customers.",
        ),
        Some("amber"),
        &[n],
    )?;

    // Running servers re-read the charter every 2 s and sign a checkpoint
    // of what their member authored; then two rounds, so anything relayed
    // arrives too.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    for m in &members {
        let started = std::time::Instant::now();
        loop {
            let s: Value =
                serde_json::from_str(&run.concord(&m.dir, &["--json", "log", "status"])?)?;
            if s["checkpoint"]["size"] == s["size"] || started.elapsed().as_secs() > 30 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    for _ in 0..2 {
        for m in &members {
            run.concord(&m.dir, &["--json", "sync"])?;
        }
    }

    // What each member received, and why (the author node's decision).
    let policy = EgressPolicy::with_audiences();
    for a in &authored {
        let author = &members[a.author];
        say!("{}  {}", author.org, a.label);
        for (k, other) in members.iter().enumerate() {
            if k == a.author {
                continue;
            }
            let held = a
                .ids
                .iter()
                .filter(|id| run.concord(&other.dir, &["--json", "show", id]).is_ok())
                .count();
            let why = a
                .ids
                .first()
                .and_then(|id| run.concord(&author.dir, &["--json", "show", id]).ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .map(|v| if v.is_array() { v[0].clone() } else { v })
                .and_then(|v| v.as_object().cloned())
                .map(|o| {
                    let recipient = Recipient::Peer(Peer {
                        member: other.identity.clone(),
                        groups: Default::default(),
                        charter_member: true,
                    });
                    match decide(
                        &policy,
                        &StixObject::from_map(o),
                        &recipient,
                        &Provenance::Author,
                    ) {
                        Decision::Share => "shared by the author's node".to_string(),
                        Decision::Withhold(r) => format!("withheld: {r}"),
                    }
                })
                .unwrap_or_default();
            let mark = if held == a.ids.len() {
                "received"
            } else if held == 0 {
                "nothing "
            } else {
                "partly  "
            };
            say!(
                "    -> {:<11} {mark} {held:>2}/{:<2}  ({why})",
                other.org,
                a.ids.len()
            );
        }
    }
    // A console user on CERT-North's node, to look around in a browser.
    let password = uuid::Uuid::new_v4().simple().to_string();
    run.concord_with(
        &n.dir,
        &["user", "add", "analyst", "--admin", "--password-stdin"],
        Some(&format!("{password}\n")),
    )?;
    say!("");
    for m in &members {
        say!("{:<11} TAXII {}   data {}", m.org, m.url, m.dir.display());
    }
    say!(
        "\nConsole of {}: {}/  (log in as analyst, password {password})",
        n.org,
        n.url.trim_end_matches("/taxii2/")
    );
    // The full path: the binary is not necessarily on PATH (the quickstart
    // builds it in target/; `cargo install --path crates/node` puts it there).
    let exe = exe.display();
    say!("\nEach node keeps syncing every 5 s. Try, in another shell:");
    say!(
        "  {exe} --data-dir {} search phishing",
        members[2].dir.display()
    );
    say!(
        "  {exe} --data-dir {} community status",
        members[1].dir.display()
    );
    say!(
        "  {exe} --data-dir {} import --tlp green YOUR-BUNDLE.json",
        members[0].dir.display()
    );
    Ok(Community {
        members,
        _servers: servers,
    })
}
