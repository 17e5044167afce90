//! Parse + lint throughput (MB/s) over PostgreSQL's regression SQL
//! (`shared/corpora/postgres-regress`, 3.7 MB), and over a typical small
//! migration. Results go to bench/README.md.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sluice_core::config::{Dialect, PolicySection};
use sluice_core::{Migration, Version};
use sluice_lint::{analysis::analyze, lint_migration, Policy};
use std::path::PathBuf;

fn migration(name: &str, text: &str) -> Migration {
    Migration::parse_native(
        Version::parse("1").unwrap(),
        name.into(),
        name.into(),
        name.into(),
        name.into(),
        text.as_bytes(),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/postgres-regress/sql");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("regress corpus")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let migrations: Vec<Migration> = files
        .iter()
        .map(|p| {
            migration(
                &p.to_string_lossy(),
                &String::from_utf8_lossy(&std::fs::read(p).unwrap()),
            )
        })
        .collect();
    let bytes: usize = migrations.iter().map(|m| m.text().len()).sum();
    let section = PolicySection::default();
    let policy = Policy {
        dialect: Dialect::Postgres,
        policy: &section,
        bypass: regex::Regex::new(&section.bypass_reference).unwrap(),
        lock_timeout_everywhere: true,
        statement_timeout_everywhere: true,
        risk_overrides: Default::default(),
        domains: Default::default(),
    };
    let mut g = c.benchmark_group("postgres-regress");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("split", |b| {
        b.iter(|| {
            migrations
                .iter()
                .map(|m| {
                    sluice_sql::split(m.text(), Dialect::Postgres)
                        .map(|s| s.len())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        })
    });
    g.bench_function("split+parse", |b| {
        b.iter(|| {
            migrations
                .iter()
                .map(|m| analyze(m, Dialect::Postgres).statements.len())
                .sum::<usize>()
        })
    });
    g.bench_function("split+parse+lint", |b| {
        b.iter(|| {
            migrations
                .iter()
                .map(|m| {
                    lint_migration(m, &analyze(m, Dialect::Postgres), &policy)
                        .diagnostics
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.finish();

    let typical = migration(
        "1700000000000_create_t.sql",
        "-- MIGRATION_ID: 1700000000000\n-- TITLE: Create t\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section below\nCREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamp);\nCREATE INDEX t_name_idx ON t (name);\n\n-- sluice:down\nDROP TABLE t;  -- CI:DESTRUCTIVE_OK ADR-1 reversal of this migration\n",
    );
    let mut g = c.benchmark_group("typical-migration");
    g.throughput(Throughput::Elements(1));
    g.bench_function("split+parse+lint", |b| {
        b.iter(|| lint_migration(&typical, &analyze(&typical, Dialect::Postgres), &policy).risk)
    });
    g.finish();

    // One file with many statements: analysis within a file must stay linear
    // (lookups of what the migration created were a scan per statement).
    let mut g = c.benchmark_group("one-large-file");
    g.sample_size(10);
    for n in [10_000usize, 40_000] {
        let body: String = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    format!("CREATE TABLE t{i} (id int);\n")
                } else {
                    format!("CREATE INDEX i{i} ON t{} (id);\n", i - 1)
                }
            })
            .collect();
        let big = migration(
            "1700000000000_big.sql",
            &format!("-- MIGRATION_ID: 1700000000000\n-- TITLE: big\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: High\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: restore\n{body}"),
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("split+parse+lint/{n}"), |b| {
            b.iter(|| lint_migration(&big, &analyze(&big, Dialect::Postgres), &policy).risk)
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
