//! The integration tests of concord-share, as one test binary (one link
//! step instead of one per file).

mod properties;
mod rules;
