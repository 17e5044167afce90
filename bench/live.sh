#!/usr/bin/env bash
# Live-traffic load test: pgbench read/write traffic on `accounts` while another
# session holds ACCESS SHARE on it in a long transaction (the blocker), and a
# migration runs `ALTER TABLE accounts ADD COLUMN ...`:
#   A. sluice apply with its production defaults (lock_timeout 5s, retries with backoff)
#   B. plain psql -c 'ALTER TABLE ...' (no lock_timeout)
# and the three-table case: the migration alters accounts, side1 and side2;
# one blocker holds side1 for 4 s, another holds side2 for BLOCKER_SECONDS.
# Taking each lock as its statement comes held accounts while waiting for the
# side tables (traffic on accounts stalled for 8.6 s under a 5 s lock_timeout);
# sluice takes every lock up front within lock_timeout_total (default: the
# lock_timeout), so traffic's worst wait must stay within that bound.
# Reports p50 / p99 / max latency of the traffic that started while the
# migration was running.    bench/live.sh [BLOCKER_SECONDS] (default 12)
set -euo pipefail
cd "$(dirname "$0")/.."
HOLD=${1:-12}
command -v pgbench >/dev/null || { echo "pgbench is required (postgresql-contrib / the server package)" >&2; exit 1; }
cargo build --release --quiet
B=${SLUICE_BIN:-$PWD/target/release/sluice}   # SLUICE_BIN: measure another build (a previous commit's)
BASE=${SLUICE_BASE_BIN:-}                      # also run the three-table case with this build, as `base-three`
work=$(mktemp -d)
db=sluice_live_$$
PSQL="psql -h 127.0.0.1 -U postgres -q"
cleanup() { rm -rf "$work"; $PSQL -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cat > "$work/traffic.sql" <<'SQL'
\set id random(1, 100000)
SELECT balance FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
SQL

run() { # run sluice|psql [three]
  local how=$1 case=${2:-one}
  $PSQL -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  $PSQL -c "CREATE DATABASE $db" >/dev/null
  $PSQL -d $db -c "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0); INSERT INTO accounts SELECT g FROM generate_series(1, 100000) g; CREATE TABLE side1 (id int); CREATE TABLE side2 (id int);" -c "VACUUM ANALYZE accounts;" >/dev/null
  local sql="ALTER TABLE accounts ADD COLUMN note text;"
  if [ "$case" = three ]; then
    sql="ALTER TABLE accounts ADD COLUMN note text; ALTER TABLE side1 ADD COLUMN note text; ALTER TABLE side2 ADD COLUMN note text;"
  fi
  local p=$work/$how-$case
  mkdir -p "$p/db/migrations"
  printf '[migrations]\ndialect = "postgres"\n\n[environments.production]\nurl = "postgres://postgres@127.0.0.1:5432/%s"\napprovals = { low = 0, medium = 0, high = 0 }\n\n[evidence]\nenabled = false\n' "$db" > "$p/sluice.toml"
  printf -- '-- MIGRATION_ID: 1000000000001\n-- TITLE: Add note\n-- CHANGE_TYPE: Column\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: drop the column\n%s\n' "$sql" > "$p/db/migrations/1000000000001_add_note.sql"
  "$B" -C "$p" hash -q
  local tag=$how-$case
  (cd "$work" && pgbench -h 127.0.0.1 -U postgres -n -c 4 -j 2 -T $((HOLD + 10)) -f "$work/traffic.sql" -l --log-prefix="$tag" "$db" >/dev/null 2>&1) &
  local bench=$!
  sleep 2
  local blocker
  if [ "$case" = three ]; then
    # Two blockers on the side tables; accounts itself is free.
    $PSQL -d $db -c "BEGIN; LOCK TABLE side1 IN ACCESS SHARE MODE; SELECT pg_sleep(4); COMMIT;" >/dev/null &
    $PSQL -d $db -c "BEGIN; LOCK TABLE side2 IN ACCESS SHARE MODE; SELECT pg_sleep($HOLD); COMMIT;" >/dev/null &
    blocker=$!
  else
    # The blocker: a long transaction that has read accounts.
    $PSQL -d $db -c "BEGIN; SELECT count(*) FROM accounts WHERE id = 1; SELECT pg_sleep($HOLD); COMMIT;" >/dev/null &
    blocker=$!
  fi
  sleep 1
  local t0 t1
  t0=$(date +%s.%N)
  if [ "$how" = sluice ]; then
    "$B" -C "$p" apply --env production -q 2>"$work/$tag.stderr" || true
  elif [ "$how" = base ]; then
    "$BASE" -C "$p" apply --env production -q 2>"$work/$tag.stderr" || true
  else
    $PSQL -d $db -c "BEGIN; $sql COMMIT;"
  fi
  t1=$(date +%s.%N)
  wait || true
  python3 - "$tag" "$t0" "$t1" "$work"/"$tag".* <<'PY'
import sys, glob
how, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
lat = []
for f in sys.argv[4:]:
    if f.endswith(".stderr"):
        continue
    for line in open(f):
        c = line.split()
        if len(c) < 6:
            continue
        us, end = int(c[2]), int(c[4]) + int(c[5]) / 1e6
        start = end - us / 1e6
        if t0 <= start <= t1 + 1:
            lat.append(us / 1000)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print(f"{how:13s} migration took {t1 - t0:5.1f} s; traffic during it: {len(lat)} tx, p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1] if lat else float('nan'):.1f} ms")
PY
  [ -s "$work/$tag.stderr" ] && sed 's/^/    sluice: /' "$work/$tag.stderr" | cut -c1-160 | head -3 || true
}
echo "== blocker holds ACCESS SHARE for ${HOLD}s; 4 pgbench clients (SELECT + UPDATE by id)"
run sluice
run psql
echo "== three tables: blockers hold side1 for 4 s and side2 for ${HOLD}s; traffic on accounts only"
run sluice three
[ -n "$BASE" ] && run base three
run psql three
