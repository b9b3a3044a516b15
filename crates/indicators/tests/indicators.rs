//! The integration tests of concord-indicators, as one test binary.

#[path = "indicators/snapshot.rs"]
mod snapshot;
