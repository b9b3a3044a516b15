//! The TAXII crate against real sockets on 127.0.0.1, in one test binary:
//! the server and client (TLS, pull and push, limits) and the egress
//! filter's property test over real HTTP.

#[path = "taxii/addresses.rs"]
mod addresses;
#[path = "taxii/admin.rs"]
mod admin;
#[path = "taxii/egress_property.rs"]
mod egress_property;
#[path = "taxii/server.rs"]
mod server;
