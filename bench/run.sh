#!/usr/bin/env bash
# Whole-command benchmarks of sluice (median of repeated runs, hyperfine).
# Peers are added by the benchmarks issue; this measures sluice alone for now.
#   bench/run.sh [N]      (default N=1000 migrations)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install -y hyperfine" >&2; exit 1; }
cargo build --release --quiet
B=$PWD/target/release/sluice
work=$(mktemp -d)
db=sluice_bench_$$
cleanup() { rm -rf "$work"; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; }
trap cleanup EXIT

python3 bench/gen.py "$work/sqlite" "$N" --dialect sqlite --url sqlite://bench.db
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
python3 bench/gen.py "$work/pg" "$N" --url "postgres://postgres@127.0.0.1:5432/$db"
for p in sqlite pg; do "$B" -C "$work/$p" hash -q; done

echo "== full apply of $N migrations (one transaction each)"
for p in sqlite pg; do
  /usr/bin/time -f "$p: %e s wall, %M KiB max RSS" "$B" -C "$work/$p" apply -q
done

echo "== no-op commands with $N applied migrations"
hyperfine -N -w 3 -r 30 --export-markdown "$work/noop.md" \
  -n "check ($N files)" "$B -C $work/sqlite check -q" \
  -n "no-op apply, sqlite" "$B -C $work/sqlite apply -q" \
  -n "no-op apply, postgres" "$B -C $work/pg apply -q" \
  -n "status, postgres" "$B -C $work/pg status -q" \
  -n "floor: cat $N files" "sh -c 'cat $work/sqlite/db/migrations/*.sql > /dev/null'"
cat "$work/noop.md"
