#!/usr/bin/env bash
# apply / no-op apply / status of N small migrations (CREATE TABLE + CREATE
# INDEX each) into an empty MariaDB database: sluice vs the `mariadb` client
# (the same SQL in one session, the practical floor) vs sqlx-cli (cargo, the
# mysql feature) and dbmate (npm), in one run, each on its own database.
# MariaDB on 127.0.0.1:3306 (root, no password).
#   bench/mysql.sh [N] [RUNS]      (defaults: 1000 migrations, 3 full applies)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-3}
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install -y hyperfine" >&2; exit 1; }
cargo build --release --quiet
B=$PWD/target/release/sluice
P=$PWD/bench/.peers
mkdir -p "$P"
work=$(mktemp -d)
MY="mariadb -h 127.0.0.1 -P 3306 -u root"
MYURL=mysql://root@127.0.0.1:3306
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do $MY -e "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

have=()
if [ -x "$P/dbmate/node_modules/.bin/dbmate" ] || npm install --silent --prefix "$P/dbmate" dbmate >"$work/dbmate.log" 2>&1; then
  have+=(dbmate)
else
  echo "SKIP dbmate: could not be installed ($(tail -1 "$work/dbmate.log"))"
fi

# sqlx-cli with only the mysql feature (its install takes minutes: bench only).
if [ -x "$P/sqlx-my/bin/sqlx" ] || cargo install --locked --quiet --root "$P/sqlx-my" sqlx-cli \
     --no-default-features --features mysql,rustls >"$work/sqlx.log" 2>&1; then
  have+=(sqlx)
else
  echo "SKIP sqlx: could not be installed ($(tail -1 "$work/sqlx.log"))"
fi

db() { local d=sluice_bench_my_${1}_$$; dbs+=("$d"); echo "$d"; }
D_sluice=$(db sluice); D_client=$(db client); D_dbmate=$(db dbmate); D_sqlx=$(db sqlx)
python3 bench/gen.py "$work/sluice" "$N" --dialect mysql --url "$MYURL/$D_sluice" >/dev/null
"$B" -C "$work/sluice" hash -q
# The same statements for the client (one file) and for dbmate.
python3 - "$work" "$N" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(work, "dbmate"), exist_ok=True)
os.makedirs(os.path.join(work, "sqlx"), exist_ok=True)
with open(os.path.join(work, "client.sql"), "w") as all_sql:
    for i in range(n):
        up = (f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name varchar(255) NOT NULL, created_at timestamp NULL);\n"
              f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n")
        all_sql.write(up)
        with open(os.path.join(work, "dbmate", f"{1700000000000 + i}_create_t{i}.sql"), "w") as f:
            f.write(f"-- migrate:up\n{up}\n-- migrate:down\nDROP TABLE t{i};\n")
        with open(os.path.join(work, "sqlx", f"{1700000000000 + i}_create_t{i}.sql"), "w") as f:
            f.write(up)
PY

declare -A full noop status
full[sluice]="$B -C $work/sluice apply -q"
noop[sluice]="$B -C $work/sluice apply -q"
status[sluice]="$B -C $work/sluice status -q"
full[client]="sh -c '$MY $D_client < $work/client.sql'"
full[dbmate]="$P/dbmate/node_modules/.bin/dbmate --url $MYURL/$D_dbmate --migrations-dir $work/dbmate --no-dump-schema migrate"
noop[dbmate]=${full[dbmate]}
full[sqlx]="$P/sqlx-my/bin/sqlx migrate run --database-url $MYURL/$D_sqlx --source $work/sqlx"
noop[sqlx]=${full[sqlx]}
status[sqlx]="$P/sqlx-my/bin/sqlx migrate info --database-url $MYURL/$D_sqlx --source $work/sqlx"
status[dbmate]="$P/dbmate/node_modules/.bin/dbmate --url $MYURL/$D_dbmate --migrations-dir $work/dbmate status"
tools=(sluice client "${have[@]}")
D() { local v="D_$1"; echo "${!v}"; }
recreate() { echo "$MY -e 'DROP DATABASE IF EXISTS $1; CREATE DATABASE $1'"; }

echo "== full apply of $N migrations into an empty MariaDB database"
for t in "${tools[@]}"; do
  hyperfine --runs "$RUNS" --prepare "$(recreate "$(D "$t")")" --export-json "$work/full-$t.json" -n "$t" "${full[$t]}" >/dev/null
done
for t in "${tools[@]}"; do
  [ -n "${noop[$t]:-}" ] || continue
  hyperfine --warmup 1 --runs 10 --export-json "$work/noop-$t.json" -n "$t" "${noop[$t]}" >/dev/null
done
for t in "${tools[@]}"; do
  [ -n "${status[$t]:-}" ] || continue
  hyperfine --warmup 1 --runs 10 --export-json "$work/status-$t.json" -n "$t" "${status[$t]}" >/dev/null
done
median() { python3 -c "import json,sys,statistics; print(statistics.median(json.load(open(sys.argv[1]))['results'][0]['times']))" "$1"; }
for phase in full noop status; do
  base=""
  [ -f "$work/$phase-sluice.json" ] && base=$(median "$work/$phase-sluice.json")
  for t in "${tools[@]}"; do
    f="$work/$phase-$t.json"
    [ -f "$f" ] || continue
    m=$(median "$f")
    python3 -c "import sys; m, b = float(sys.argv[1]), sys.argv[2]; print(f'{sys.argv[3]:7} {sys.argv[4]:8} median {m*1000:9.1f} ms' + (f'   sluice / {sys.argv[4]} = {float(b)/m:5.2f}' if b and sys.argv[4] != 'sluice' else ''))" "$m" "$base" "$phase" "$t"
  done
done
