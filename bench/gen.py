#!/usr/bin/env python3
"""Generate a sluice project with N migrations (CREATE TABLE + CREATE INDEX each),
the workload of DESIGN.md's performance targets.

usage: gen.py DIR N [--dialect postgres|sqlite|mysql] [--url URL]
"""
import argparse, os

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("n", type=int)
ap.add_argument("--dialect", default="postgres")
ap.add_argument("--url", default="sqlite://bench.db")
a = ap.parse_args()

mig = os.path.join(a.dir, "db", "migrations")
os.makedirs(mig, exist_ok=True)
with open(os.path.join(a.dir, "sluice.toml"), "w") as f:
    f.write(f'[migrations]\ndialect = "{a.dialect}"\n\n[environments.dev]\nurl = "{a.url}"\nlock_timeout = "5s"\n\n[evidence]\nenabled = false\n')
# MySQL cannot index a TEXT column without a prefix length.
name_type = "varchar(255)" if a.dialect == "mysql" else "text"
base = 1700000000000
for i in range(a.n):
    v = base + i
    with open(os.path.join(mig, f"{v}_create_t{i}.sql"), "w") as f:
        f.write(
            f"-- MIGRATION_ID: {v}\n-- TITLE: Create t{i}\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: Low\n"
            f"-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section below\n"
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name {name_type} NOT NULL, created_at timestamp NULL);\n"
            f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n"
            f"\n-- sluice:down\nDROP TABLE t{i};  -- CI:DESTRUCTIVE_OK ADR-1 reversal of this migration\n"
        )
