//! The matcher's integration tests, in one binary.

mod index;
mod text;
mod truth;
mod zeek;
