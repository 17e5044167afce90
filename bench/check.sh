#!/usr/bin/env bash
# `check` vs squawk on the same files, same run: generated corpora of 1,000 and
# 10,000 Postgres migrations (bench/gen.py, deterministic) and the Postgres
# regression SQL in ../shared/corpora/postgres-regress/sql/. squawk is installed
# into bench/.peers/squawk (pip install squawk-cli); when it cannot be, the
# script says so and measures sluice alone.
#   bench/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install -y hyperfine" >&2; exit 1; }
cargo build --release --quiet
B=$PWD/target/release/sluice
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peer=bench/.peers/squawk
if [ ! -x "$peer/bin/squawk" ]; then
  (python3 -m venv "$peer" && "$peer/bin/pip" install -q squawk-cli) >/dev/null 2>&1 \
    || echo "SKIP squawk: could not be installed with pip (python3-venv and network needed)"
fi
S=$peer/bin/squawk
for n in 1000 10000; do
  python3 bench/gen.py "$work/g$n" "$n" >/dev/null
  "$B" -C "$work/g$n" hash -q
done
regress=$(cd ../shared/corpora/postgres-regress/sql && pwd)
# The regression files, renamed to the filename contract (<13 digits>_<name>.sql)
# so every one of them is analysed (they have no headers: those findings are
# part of the work on both sides).
mkdir -p "$work/regress/db/migrations"
printf '[migrations]\ndialect = "postgres"\n' > "$work/regress/sluice.toml"
i=1000000000000
for f in "$regress"/*.sql; do
  n=$(basename "$f" .sql | tr -c 'a-z0-9\n' '_')
  cp "$f" "$work/regress/db/migrations/${i}_${n}.sql"; i=$((i + 1))
done
"$B" -C "$work/regress" hash -q 2>/dev/null || true
for set in g1000 g10000 regress; do
  files=$(ls "$work/$set/db/migrations"/*.sql | wc -l)
  mb=$(du -cb "$work/$set/db/migrations"/*.sql | tail -1 | awk '{printf "%.1f", $1/1048576}')
  echo "== $set: $files files, $mb MiB"
  # Cold: --no-cache reads and analyses every file. Warm: the cache written by
  # the warm-up run (files older than the cache, as in any real checkout).
  "$B" -C "$work/$set" check -q >/dev/null 2>&1 || true
  sleep 1
  cmds=(-n "sluice check (cold)" "$B -C $work/$set --no-cache check -q"
        -n "sluice check (warm cache)" "$B -C $work/$set check -q")
  [ -x "$S" ] && cmds+=(-n "squawk" "sh -c '$S $work/$set/db/migrations/*.sql > /dev/null'")
  hyperfine -N -w 1 -r 5 -i "${cmds[@]}" 2>&1 | grep -E "Benchmark|Time|faster|±" || true
  /usr/bin/time -f "sluice check (cold): %M KiB max RSS" "$B" -C "$work/$set" --no-cache check -q >/dev/null 2>"$work/t" || true; tail -1 "$work/t"
  /usr/bin/time -f "sluice check (warm): %M KiB max RSS" "$B" -C "$work/$set" check -q >/dev/null 2>"$work/t" || true; tail -1 "$work/t"
  [ -x "$S" ] && { /usr/bin/time -f "squawk: %M KiB max RSS" sh -c "$S $work/$set/db/migrations/*.sql > /dev/null" 2>"$work/t" || true; tail -1 "$work/t"; }
done
