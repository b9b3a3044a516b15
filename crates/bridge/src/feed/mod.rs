//! Feeds on a schedule: their records in the store, one pull, and the
//! loop `serve` runs.

pub mod pull;
pub mod record;
pub mod schedule;
