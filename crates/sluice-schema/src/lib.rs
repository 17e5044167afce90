//! Schemas: a dialect-neutral model ([`model`]), read from a live database
//! ([`mod@introspect`]), compared ([`mod@compare`]) and turned into Postgres DDL
//! ([`ddl`]). `verify`, `snapshot`, `diff` and `adopt` are built on these.

pub mod compare;
pub mod ddl;
pub mod introspect;
pub mod model;

pub use compare::{compare, Difference};
pub use ddl::{diff, render, Ddl};
pub use introspect::{introspect, introspect_parallel, Options};
pub use model::Schema;
