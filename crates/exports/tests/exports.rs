//! Integration tests of concord-exports: every format and skip reason,
//! property tests of each format's grammar and determinism, and the real
//! consumers: `named-checkzone` (Debian bind9-utils) on every zone,
//! `unbound` (Debian unbound) answering from an exported zone, the PyPI
//! rule parsers suricataparser and idstools on every rule (through the
//! Python named by `CONCORD_PYTHON`, else the workspace's `.venv`, else
//! /work/main/.venv), and a reader of the Zeek Intel file that follows
//! Zeek's own ASCII input rules.
//!
//! A missing tool fails the test that needs it, with the package to
//! install; nothing is skipped.

mod exports {
    mod dns_client;
    mod formats;
    mod properties;
    mod rpz_tools;
    mod sids;
    mod skips;
    mod support;
    mod suricata_tools;
    mod unbound;
    mod zeek_file;
}
