//! Where `serve` listens, and the hosts node-signed requests must name.

use concord_taxii::gate::public_hosts;
use concord_taxii::server::listen::address;

#[test]
fn listen_addresses_are_ip_or_host_with_port() {
    let (a, named) = address("127.0.0.1:8733").unwrap();
    assert_eq!((a.to_string(), named), ("127.0.0.1:8733".to_string(), None));
    let (a, named) = address("LOCALHOST:0").unwrap();
    assert!(a.ip().is_loopback(), "{a}");
    assert_eq!(named.as_deref(), Some("localhost"));
    let e = address("nothing").unwrap_err().to_string();
    assert!(e.contains("is not an address such as"), "{e}");
    let e = address("localhost:port").unwrap_err().to_string();
    assert!(e.contains("is not an address such as"), "{e}");
}

#[test]
fn public_hosts_come_from_the_urls_else_the_bound_address() {
    let bound = "127.0.0.1:8733".parse().unwrap();
    let urls = ["https://CTI.example.org/".to_string()];
    let given = [
        "https://cti.example.org/".to_string(),
        "http://b:81/".into(),
    ];
    assert_eq!(
        public_hosts(&urls, &given, bound, None, "https").unwrap(),
        ["cti.example.org", "b:81"]
    );
    assert_eq!(
        public_hosts(&[], &[], bound, Some("node.lan"), "http").unwrap(),
        ["127.0.0.1:8733", "node.lan:8733", "localhost:8733"]
    );
    let e = public_hosts(&["nope".into()], &[], bound, None, "http").unwrap_err();
    assert!(e.to_string().contains("is not a URL such as"), "{e}");
}
