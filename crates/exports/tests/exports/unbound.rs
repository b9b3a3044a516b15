//! A real Unbound (Debian package unbound, which has the RPZ module) loads
//! exported zones as response policy zones and answers from them: listed
//! names and names resolving to listed addresses get the policy, others
//! resolve as usual. Every name lives in a local authoritative zone
//! (`auth-zone` for upstream), so no network is needed.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use concord_exports::{RpzAction, RpzOptions, Target};
use serde_json::json;

use super::dns_client::{A, AAAA, Answer, CNAME, query};
use super::support::{check_zone, indicator, run, tool};

/// The local zone every test name resolves in.
const TEST_ZONE: &str = "$ORIGIN test.
$TTL 300
@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300
@ NS localhost.
evil A 192.0.2.1
sub.evil A 192.0.2.3
sub2.evil A 192.0.2.5
notevil A 192.0.2.4
urlhost A 192.0.2.6
withdrawn A 192.0.2.7
good A 192.0.2.2
good6 AAAA 2001:db8:2::1
ip A 203.0.113.7
net A 198.51.100.9
v6 AAAA 2001:db8::1
v6net AAAA 2001:db8:1::5
quiet A 192.0.2.8
lured A 192.0.2.10
garden A 192.0.2.9
";

struct Unbound {
    child: Child,
    server: SocketAddr,
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port()
}

/// Starts Unbound with `zones` (origin, file) as RPZ zones in that order
/// and waits until it answers.
fn start(dir: &Path, zones: &[(&str, &Path)]) -> Unbound {
    let unbound = tool("unbound", "unbound");
    std::fs::write(dir.join("test.zone"), TEST_ZONE).expect("the test zone is written");
    let port = free_port();
    let mut conf = format!(
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
",
        dir = dir.display()
    );
    for (origin, file) in zones {
        conf.push_str(&format!(
            "rpz:\n  name: \"{origin}\"\n  zonefile: \"{}\"\n  rpz-log: yes\n",
            file.display()
        ));
    }
    let conf_path = dir.join("unbound.conf");
    std::fs::write(&conf_path, conf).expect("the configuration is written");
    let child = Command::new(unbound)
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unbound starts");
    let mut server = Unbound {
        child,
        server: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let log = || std::fs::read_to_string(dir.join("unbound.log")).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().expect("unbound's status") {
            panic!("unbound exited ({status}):\n{}", log());
        }
        if query(server.server, "good.test", A, Duration::from_millis(300)).is_some() {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "unbound does not answer:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ask(server: &Unbound, name: &str, qtype: u16) -> Answer {
    query(server.server, name, qtype, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no answer for {name}"))
}

fn write_zone(
    dir: &Path,
    file: &str,
    options: RpzOptions,
    objects: &[serde_json::Map<String, serde_json::Value>],
) -> std::path::PathBuf {
    let origin = options.zone.clone();
    let (zone, report) = run(Target::Rpz(options), objects);
    assert!(
        report
            .skipped
            .iter()
            .all(|s| s.id.ends_with("000000000006")),
        "{:?}",
        report.skipped
    );
    check_zone(&origin, &zone);
    let path = dir.join(file);
    std::fs::write(&path, zone).expect("the zone is written");
    path
}

#[test]
fn unbound_applies_exported_policies() {
    let dir = tempfile::tempdir().expect("a temporary directory");

    let blocked = vec![
        indicator(1, "[domain-name:value = 'evil.test']", json!({})),
        indicator(
            2,
            "[url:value = 'http://urlhost.test/payload.bin']",
            json!({}),
        ),
        indicator(
            3,
            "[ipv4-addr:value = '203.0.113.7'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            json!({}),
        ),
        indicator(4, "[ipv6-addr:value = '2001:db8::1']", json!({})),
        indicator(5, "[ipv6-addr:value = '2001:db8:1::/48']", json!({})),
        indicator(
            6,
            "[domain-name:value = 'withdrawn.test']",
            json!({"revoked": true, "x_concord_withdrawal_reason": "false positive"}),
        ),
    ];
    let mut nx = RpzOptions::new(2026120101);
    nx.wildcard = true;
    nx.url_hosts = true;
    let nx_zone = write_zone(dir.path(), "nx.rpz", nx, &blocked);

    let mut allow = RpzOptions::new(1);
    allow.zone = "allow.concord.".into();
    allow.action = RpzAction::Passthru;
    let allow_zone = write_zone(
        dir.path(),
        "allow.rpz",
        allow,
        &[indicator(
            7,
            "[domain-name:value = 'sub2.evil.test']",
            json!({}),
        )],
    );

    let mut nodata = RpzOptions::new(1);
    nodata.zone = "nodata.concord.".into();
    nodata.action = RpzAction::Nodata;
    let nodata_zone = write_zone(
        dir.path(),
        "nodata.rpz",
        nodata,
        &[indicator(
            8,
            "[domain-name:value = 'quiet.test']",
            json!({}),
        )],
    );

    let mut garden = RpzOptions::new(1);
    garden.zone = "garden.concord.".into();
    garden.action = RpzAction::Cname("garden.test".into());
    let garden_zone = write_zone(
        dir.path(),
        "garden.rpz",
        garden,
        &[indicator(
            9,
            "[domain-name:value = 'lured.test']",
            json!({}),
        )],
    );

    // The allow list first: the first zone that lists a name decides.
    let server = start(
        dir.path(),
        &[
            ("allow.concord.", &allow_zone),
            ("rpz.concord.", &nx_zone),
            ("nodata.concord.", &nodata_zone),
            ("garden.concord.", &garden_zone),
        ],
    );

    const NXDOMAIN: u8 = 3;
    for (name, qtype) in [
        ("evil.test", A),
        ("sub.evil.test", A),
        ("urlhost.test", A),
        ("ip.test", A),
        ("net.test", A),
        ("v6.test", AAAA),
        ("v6net.test", AAAA),
    ] {
        let answer = ask(&server, name, qtype);
        assert_eq!(answer.rcode, NXDOMAIN, "{name} is listed: {answer:?}");
    }
    for (name, qtype, address) in [
        ("good.test", A, "192.0.2.2"),
        ("good6.test", AAAA, "2001:db8:2::1"),
        ("notevil.test", A, "192.0.2.4"),
        ("withdrawn.test", A, "192.0.2.7"),
        ("sub2.evil.test", A, "192.0.2.5"),
    ] {
        let answer = ask(&server, name, qtype);
        assert_eq!(answer.rcode, 0, "{name} is not listed: {answer:?}");
        assert_eq!(answer.records, [(qtype, address.to_string())], "{name}");
    }
    let quiet = ask(&server, "quiet.test", A);
    assert_eq!(
        (quiet.rcode, quiet.records.len()),
        (0, 0),
        "NODATA: {quiet:?}"
    );
    let lured = ask(&server, "lured.test", A);
    assert_eq!(lured.rcode, 0, "{lured:?}");
    assert_eq!(
        lured.records.first(),
        Some(&(CNAME, "garden.test.".to_string())),
        "{lured:?}"
    );
}
