//! The integration tests of concord-stix, as one test binary (one link step
//! instead of one per file).

mod lossless;
mod validator_oracle;
