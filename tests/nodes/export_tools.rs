//! The real tools the export tests judge concord's output with:
//! named-checkzone (Debian bind9-utils), a real Unbound (Debian unbound)
//! loading a zone as a response policy and answered over UDP, and the PyPI
//! rule parsers suricataparser and idstools. Each fails the test, naming
//! its package, when it is missing.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{BOUND, python};

/// A program from Debian's packages, on PATH or in the sbin directories.
pub(crate) fn tool(name: &str, package: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is missing: install the Debian package {package} (scripts/tools-env.sh does)")
        })
}

/// `named-checkzone` in its strictest mode accepts the zone file.
pub(crate) fn check_zone(origin: &str, path: &Path) {
    let out = Command::new(tool("named-checkzone", "bind9-utils"))
        .args(["-k", "fail", "-n", "fail", "-i", "full", origin])
        .arg(path)
        .output()
        .expect("named-checkzone runs");
    assert!(
        out.status.success(),
        "named-checkzone rejects {}:\n{}{}\n--- zone ---\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

/// Every rule of a rules file, as (sid, rev, msg), read by both
/// suricataparser and idstools, which must read every rule and agree.
pub(crate) fn parse_rules(path: &Path) -> Vec<(u64, u64, String)> {
    let py = python(&["suricataparser", "idstools.rule"]);
    let script = r##"
import json, sys
import idstools.rule, suricataparser
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    sp, ids = suricataparser.parse_rule(line), idstools.rule.parse(line)
    if sp is None or ids is None:
        print(json.dumps({"line": n, "rule": line, "error": [sp is None, ids is None]}))
        continue
    print(json.dumps({"line": n, "sp": [int(sp.sid), int(sp.rev), sp.msg],
                      "ids": [int(ids["sid"]), int(ids["rev"]), ids["msg"]]}))
"##;
    let out = Command::new(&py)
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = std::fs::read_to_string(path).expect("the rules");
    let count = rules
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    let mut parsed = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).expect("JSON from the checker");
        assert!(v.get("error").is_none(), "a parser cannot read: {v}");
        assert_eq!(v["sp"], v["ids"], "the parsers disagree: {v}");
        let r = &v["ids"];
        parsed.push((
            r[0].as_u64().expect("sid"),
            r[1].as_u64().expect("rev"),
            r[2].as_str().expect("msg").to_string(),
        ));
    }
    assert_eq!(parsed.len(), count, "every rule was read:\n{rules}");
    parsed
}

/// The lines of a Zeek Intel file as Zeek's ASCII input reader splits
/// them: the `#fields` header names the columns, every other line has
/// exactly that many tab-separated fields, `\xHH` is unescaped and `-` is
/// unset; each item's type is one the Intel framework knows and its value
/// has that type's shape. Returns (indicator, type, meta.source) per item.
pub(crate) fn parse_intel(text: &str) -> Vec<(String, String, String)> {
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    let fields: Vec<&str> = header
        .strip_prefix("#fields\t")
        .expect("the first line is #fields")
        .split('\t')
        .collect();
    assert_eq!(
        fields,
        [
            "indicator",
            "indicator_type",
            "meta.source",
            "meta.desc",
            "meta.url"
        ]
    );
    let unescape = |f: &str| -> String {
        let mut out = Vec::new();
        let b = f.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\'
                && b.get(i + 1) == Some(&b'x')
                && let Some(v) = f
                    .get(i + 2..i + 4)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("UTF-8 fields")
    };
    let mut items = Vec::new();
    for line in lines.filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), fields.len(), "{line:?}");
        let (value, ty, source) = (unescape(cols[0]), cols[1], unescape(cols[2]));
        assert_ne!(cols[2], "-", "meta.source is required: {line:?}");
        let shaped = match ty {
            "Intel::ADDR" => value.parse::<std::net::IpAddr>().is_ok(),
            "Intel::SUBNET" => value.split_once('/').is_some_and(|(a, p)| {
                a.parse::<std::net::IpAddr>().is_ok() && p.parse::<u8>().is_ok()
            }),
            "Intel::DOMAIN" => !value.is_empty() && !value.contains(['/', ' ']),
            "Intel::URL" => !value.contains("://") && value.contains('/'),
            "Intel::EMAIL" => value.contains('@'),
            "Intel::FILE_HASH" => {
                matches!(value.len(), 32 | 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit())
            }
            other => panic!("unknown Intel type {other:?} in {line:?}"),
        };
        assert!(shaped, "{value:?} is no {ty}");
        items.push((value, ty.to_string(), source));
    }
    items
}

/// A running Unbound, killed when dropped.
pub(crate) struct Unbound {
    child: Child,
    pub(crate) server: SocketAddr,
    dir: PathBuf,
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local zone every test name resolves in (no network needed).
const TEST_ZONE: &str = "$ORIGIN test.
$TTL 300
@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300
@ NS localhost.
evil A 192.0.2.1
sub.evil A 192.0.2.3
good A 192.0.2.2
amber A 192.0.2.4
fresh A 192.0.2.5
ip A 203.0.113.7
";

/// Where an RPZ zone comes from.
pub(crate) enum ZoneSource<'a> {
    /// A zone file.
    File(&'a Path),
    /// A URL Unbound downloads the zone from (plain HTTP).
    Url(&'a str),
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port()
}

impl Unbound {
    /// Starts Unbound with the zone `origin` from `source` as its response
    /// policy, and waits until it resolves an unlisted name.
    pub(crate) fn start(dir: &Path, origin: &str, source: ZoneSource<'_>) -> Unbound {
        let unbound = tool("unbound", "unbound");
        std::fs::create_dir_all(dir).expect("the directory");
        std::fs::write(dir.join("test.zone"), TEST_ZONE).expect("the test zone");
        let port = free_port();
        let zone = match source {
            ZoneSource::File(path) => format!("  zonefile: \"{}\"\n", path.display()),
            // Unbound keeps what it downloaded in `zonefile`.
            ZoneSource::Url(url) => format!(
                "  url: \"{url}\"\n  zonefile: \"{}/downloaded.rpz\"\n",
                dir.display()
            ),
        };
        let conf = format!(
            "server:
  interface: 127.0.0.1
  port: {port}
  do-daemonize: no
  username: \"\"
  chroot: \"\"
  directory: \"{dir}\"
  pidfile: \"\"
  use-syslog: no
  logfile: \"{dir}/unbound.log\"
  verbosity: 1
  num-threads: 1
  do-ip6: no
  module-config: \"respip iterator\"
  access-control: 127.0.0.0/8 allow
  local-zone: \"test.\" nodefault
auth-zone:
  name: \"test.\"
  zonefile: \"{dir}/test.zone\"
  for-upstream: yes
  for-downstream: no
  fallback-enabled: no
rpz:
  name: \"{origin}\"
{zone}  rpz-log: yes
",
            dir = dir.display()
        );
        let conf_path = dir.join("unbound.conf");
        std::fs::write(&conf_path, conf).expect("the configuration");
        let child = Command::new(unbound)
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unbound starts");
        let mut u = Unbound {
            child,
            server: SocketAddr::from(([127, 0, 0, 1], port)),
            dir: dir.to_path_buf(),
        };
        let start = Instant::now();
        loop {
            if let Some(status) = u.child.try_wait().expect("unbound's status") {
                panic!("unbound exited ({status}):\n{}", u.log());
            }
            if crate::dns_client::query(
                u.server,
                "good.test",
                crate::dns_client::A,
                Duration::from_millis(300),
            )
            .is_some()
            {
                return u;
            }
            assert!(
                start.elapsed() < BOUND,
                "unbound does not answer:\n{}",
                u.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Unbound's log.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("unbound.log")).unwrap_or_default()
    }

    /// The answer for `name` (A).
    pub(crate) fn answer(&self, name: &str) -> crate::dns_client::Answer {
        crate::dns_client::query(
            self.server,
            name,
            crate::dns_client::A,
            Duration::from_secs(5),
        )
        .unwrap_or_else(|| panic!("no answer for {name}:\n{}", self.log()))
    }

    /// The response code for `name` (A): 0 NOERROR, 3 NXDOMAIN.
    pub(crate) fn rcode(&self, name: &str) -> u8 {
        self.answer(name).rcode
    }

    /// Waits until `name` gets `rcode` (a zone downloaded by URL arrives
    /// a moment after Unbound starts answering).
    pub(crate) fn wait_for(&self, name: &str, rcode: u8) {
        let start = Instant::now();
        while self.rcode(name) != rcode {
            assert!(
                start.elapsed() < BOUND,
                "{name} never got rcode {rcode}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
