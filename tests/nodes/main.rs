//! End-to-end tests of the `concord` binary: real nodes with their own
//! data directories, serving on 127.0.0.1 ports, synced, governed and
//! queried as their operators and peers do, and real third-party tools
//! (taxii2-client, medallion, stix2-validator, PostgreSQL, Chromium) on
//! the other end. One test binary with one harness (`harness.rs`).

mod harness;

mod cli;
mod console_browser;
mod federation;
mod governance;
mod hostile;
mod incidents;
mod logs;
mod match_api;
mod pattern_and_match_cli;
mod postgres;
mod sighting;
mod taxii_interop;
