//! Integration tests of concord-exports.
