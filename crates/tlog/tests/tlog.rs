//! Integration tests of concord-tlog: against the standards' own test
//! vectors and examples, an independent recursive reference of RFC 6962, a
//! tile verifier written from tlog-tiles, a Python oracle (stdlib only)
//! written from RFC 6962, RFC 8032 and the C2SP specs, and property tests
//! that any changed byte fails verification.

mod tlog {
    mod bundle;
    mod c2sp;
    mod common;
    mod evidence;
    mod flips;
    mod oracle;
    mod reference;
    mod tiles;
    mod vectors;
    mod witness;
}
