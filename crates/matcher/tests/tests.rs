//! The integration tests of concord-matcher, as one test binary (one link
//! step instead of one per file).

mod index;
mod text;
mod truth;
mod zeek;
