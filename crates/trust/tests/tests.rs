//! The integration tests of concord-trust, as one test binary (one link
//! step instead of one per file).

mod acceptance;
mod node_keys;
mod quorum_safety;
