//! Schemas: a dialect-neutral model ([`model`]), compared ([`mod@compare`])
//! and turned into Postgres DDL ([`ddl`]). `verify`, `snapshot`, `diff` and
//! `adopt` are built on these. This crate knows no database: each driver in
//! `sluice-db` reads a live schema into the model (`Database::introspect`).

pub mod compare;
pub mod ddl;
pub mod model;

pub use compare::{compare, Difference};
pub use ddl::{diff, render, Ddl};
pub use model::Schema;
