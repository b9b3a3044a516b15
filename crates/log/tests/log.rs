//! concord-log against a real embedded store: the node's own log
//! (checkpoints at most once per interval, never a fork, tiles and proofs
//! served from the store, cosignatures taken in), the witness (the
//! tlog-witness decisions, compare-and-swap under concurrency, evidence
//! kept and logged), offline bundles and the audit. The HTTP side is
//! tested end to end in the `tests` package.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns: a failed setup is a failed test"
)]

#[path = "log/bundle.rs"]
mod bundle;
#[path = "log/common.rs"]
mod common;
#[path = "log/own.rs"]
mod own;
#[path = "log/witness.rs"]
mod witness;
