#!/usr/bin/env bash
# Introspect and diff a 1,000-table schema (10 columns, 2 indexes, 1 foreign key
# each): sluice `diff` vs migra on the same two databases, same run.
#   bench/drift.sh [TABLES]   (default 1000)
# migra is installed into bench/.peers/migra (a Python venv); when it cannot be
# installed the script says so and measures sluice alone.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-1000}
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install -y hyperfine" >&2; exit 1; }
cargo build --release --quiet
B=$PWD/target/release/sluice
PG=postgresql://postgres@127.0.0.1:5432   # SQLAlchemy 2 (migra) wants postgresql://
a=sluice_drift_a_$$; b=sluice_drift_b_$$
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  for d in $a $b; do psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

gen() { # gen TABLES EXTRA -> SQL
  python3 - "$1" "$2" <<'PY'
import sys
n, extra = int(sys.argv[1]), sys.argv[2] == "1"
out = ["CREATE TABLE t0 (id bigint PRIMARY KEY);"]
for i in range(1, n + 1):
    cols = ", ".join(f"c{j} {'text' if j % 2 else 'integer'}" for j in range(1, 8))
    out.append(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, parent_id bigint REFERENCES t{i-1} (id), created_at timestamptz NOT NULL DEFAULT now(), {cols});")
    out.append(f"CREATE INDEX t{i}_parent ON t{i} (parent_id);")
    out.append(f"CREATE INDEX t{i}_c1 ON t{i} (c1);")
    if extra and i % 100 == 0:
        out.append(f"ALTER TABLE t{i} ADD COLUMN note text;")
print("\n".join(out))
PY
}
for d in $a $b; do psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $d" >/dev/null; done
gen "$T" 0 | psql -h 127.0.0.1 -U postgres -q -d $a >/dev/null
gen "$T" 1 | psql -h 127.0.0.1 -U postgres -q -d $b >/dev/null
echo "== $T tables each; B has 10 more columns"

peer=bench/.peers/migra
if [ ! -x "$peer/bin/migra" ]; then
  (python3 -m venv "$peer" && "$peer/bin/pip" install -q migra psycopg2-binary 'psycopg[binary]' 'setuptools<81') >/dev/null 2>&1 \
    || echo "SKIP migra: could not be installed with pip (python3-venv and network needed)"
fi
mkdir -p "$work/p" && printf '[environments.dev]\nurl = "%s/%s"\n' "$PG" "$a" > "$work/p/sluice.toml"
cmds=(-n "sluice diff" "$B -C $work/p diff --from $PG/$a --to $PG/$b")
if [ -x "$peer/bin/migra" ]; then
  "$peer/bin/migra" --unsafe "$PG/$a" "$PG/$b" > "$work/migra.sql" || true
  cmds+=(-n "migra" "sh -c '$peer/bin/migra --unsafe $PG/$a $PG/$b > /dev/null; true'")
fi
"$B" -C "$work/p" diff --from "$PG/$a" --to "$PG/$b" > "$work/sluice.sql" || true
echo "sluice: $(grep -c 'ADD COLUMN' "$work/sluice.sql") ADD COLUMN statements"
[ -f "$work/migra.sql" ] && echo "migra:  $(grep -ci 'add column' "$work/migra.sql") add column statements"
hyperfine -N -w 2 -r 10 -i --export-markdown "$work/drift.md" "${cmds[@]}"
cat "$work/drift.md"
echo "== peak memory"
/usr/bin/time -f "sluice diff: %e s, %M KiB max RSS" "$B" -C "$work/p" diff --from "$PG/$a" --to "$PG/$b" >/dev/null || true
[ -x "$peer/bin/migra" ] && /usr/bin/time -f "migra: %e s, %M KiB max RSS" "$peer/bin/migra" --unsafe "$PG/$a" "$PG/$b" >/dev/null || true
echo "== verify on $T tables (expected schema from a snapshot, live introspection)"
"$B" -C "$work/p" snapshot -q --out "$work/snap.json"
hyperfine -N -w 2 -r 10 -i \
  -n "verify --against snapshot" "$B -C $work/p verify -q --against $work/snap.json" \
  -n "snapshot" "$B -C $work/p snapshot -q --out $work/snap2.json" 2>&1 | grep -E "Benchmark|Time|Range"
/usr/bin/time -f "sluice verify: %M KiB max RSS" "$B" -C "$work/p" verify -q --against "$work/snap.json" >/dev/null 2>"$work/t" || true; tail -1 "$work/t"
/usr/bin/time -f "sluice snapshot: %M KiB max RSS" "$B" -C "$work/p" snapshot -q --out "$work/snap2.json" >/dev/null 2>"$work/t" || true; tail -1 "$work/t"
"$B" -C "$work/p" verify --against "$work/snap.json" || true
