//! Builds libpg_query (the PostgreSQL parser, in C) and links it statically.
//!
//! Unlike the crates.io release, this build script does not run bindgen: the
//! bindings to `pg_query.h` are checked in as `src/bindings_generated.rs`, so no
//! libclang is needed at build time (only a C compiler). The protobuf bindings
//! were already checked in upstream (`src/protobuf.rs`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn c_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    files.sort();
    files
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("libpg_query");
    let target = env::var("TARGET").expect("TARGET");
    println!("cargo:rerun-if-changed=libpg_query");
    println!("cargo:rerun-if-changed=src/bindings_generated.rs");

    let mut build = cc::Build::new();
    build
        .files(c_files(&root.join("src")))
        .files(c_files(&root.join("src/postgres")))
        .file(root.join("vendor/xxhash/xxhash.c"))
        .file(root.join("vendor/upb/upb.c"))
        .file(root.join("vendor/upb/third_party/utf8_range/utf8_range.c"))
        .file(root.join("protobuf/pg_query.upb_minitable.c"))
        .include(&root)
        .include(root.join("vendor"))
        .include(root.join("vendor/upb"))
        .include(root.join("vendor/upb/third_party/utf8_range"))
        .include(root.join("src/postgres/include"))
        .include(root.join("src/include"))
        .warnings(false);
    if env::var("PROFILE").as_deref() == Ok("debug") || env::var("DEBUG").as_deref() == Ok("1") {
        build.define("USE_ASSERT_CHECKING", None);
    }
    if !target.contains("msvc") {
        // Required by upb, matching libpg_query's own CFLAGS.
        build.flag("-fno-strict-aliasing").flag("-fwrapv");
    }
    if target.contains("windows") {
        build.include(root.join("src/postgres/include/port/win32"));
        if target.contains("msvc") {
            build.include(root.join("src/postgres/include/port/win32_msvc"));
        }
    }
    build.compile("pg_query");
}
