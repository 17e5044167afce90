//! One module per command.

pub mod apply;
pub mod approve;
pub mod baseline;
pub mod check;
pub mod config;
pub mod docs;
pub mod down;
pub mod guard;
pub mod hash;
pub mod init;
pub mod new;
pub mod plan;
pub mod report;
pub mod reset;
pub mod resolve;
pub mod schema;
pub mod status;
