//! End-to-end tests of the `concord` binary: real nodes with their own
//! data directories, serving on 127.0.0.1 ports, synced, governed and
//! queried as their operators and peers do, and real third-party tools
//! (taxii2-client, medallion, stix2-validator, PostgreSQL, Chromium,
//! named-checkzone, Unbound, suricataparser, idstools, nats-server with
//! JetStream) on the other end. One test binary with one harness (`harness.rs`).
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns: a failed setup is a failed test"
)]

mod harness;

mod cli;
mod console_browser;
// The DNS client the exports crate's Unbound test uses: one copy.
#[path = "../../crates/exports/tests/exports/dns_client.rs"]
mod dns_client;
mod export_tools;
mod exports;
mod faults;
mod federation;
mod feeds;
mod first_hour;
mod governance;
mod hostile;
mod incidents;
mod logs;
mod match_api;
mod match_nats;
mod misp;
mod operations;
mod pattern_and_match_cli;
mod postgres;
mod readme_tour;
mod sighting;
mod stix2_matcher_suite;
mod taxii_interop;
