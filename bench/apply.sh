#!/usr/bin/env bash
# apply / no-op apply / status of N small migrations (CREATE TABLE + CREATE
# INDEX, one commit each) into an empty Postgres database: sluice vs psql (the
# same SQL in one session, the practical floor) vs sqlx-cli, refinery, dbmate,
# yoyo-migrations and alembic, in one run, each on its own database.
#
# Peers are installed into bench/.peers/<peer> (cargo install, npm, pip venvs).
# A peer that cannot be installed is skipped with a `SKIP <peer>: …` line.
#   bench/apply.sh [N] [RUNS]      (defaults: 1000 migrations, 3 full applies)
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
PGURL=postgres://postgres@127.0.0.1:5432
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- peers -----------------------------------------------------------------
install() { # name, test path, install command...
  local name=$1 probe=$2; shift 2
  [ -x "$probe" ] && return 0
  echo "installing $name into $P ..." >&2
  if ! "$@" >"$work/install-$name.log" 2>&1; then
    echo "SKIP $name: could not be installed ($(tail -1 "$work/install-$name.log"))"
    return 1
  fi
}
have=()
install sqlx-cli "$P/sqlx/bin/sqlx" cargo install --locked --quiet --root "$P/sqlx" sqlx-cli \
  --no-default-features --features postgres,rustls && have+=(sqlx)
install refinery "$P/refinery/bin/refinery" cargo install --locked --quiet --root "$P/refinery" refinery_cli \
  --no-default-features --features postgresql && have+=(refinery)
install dbmate "$P/dbmate/node_modules/.bin/dbmate" npm install --silent --prefix "$P/dbmate" dbmate && have+=(dbmate)
install yoyo "$P/yoyo/bin/yoyo" sh -c "python3 -m venv '$P/yoyo' && '$P/yoyo/bin/pip' install -q yoyo-migrations psycopg2-binary" && have+=(yoyo)
install alembic "$P/alembic/bin/alembic" sh -c "python3 -m venv '$P/alembic' && '$P/alembic/bin/pip' install -q alembic psycopg2-binary" && have+=(alembic)

# --- workload --------------------------------------------------------------
python3 bench/gen_peers.py "$work/peers" "$N"
db() { local d=sluice_bench_${1}_$$; dbs+=("$d"); echo "$d"; }
D_sluice=$(db sluice); D_psql=$(db psql); D_sqlx=$(db sqlx); D_refinery=$(db refinery)
D_dbmate=$(db dbmate); D_yoyo=$(db yoyo); D_alembic=$(db alembic)
python3 bench/gen.py "$work/sluice" "$N" --url "$PGURL/$D_sluice" >/dev/null
"$B" -C "$work/sluice" hash -q

# One command per tool and phase. `full` runs against an empty database
# (hyperfine --prepare recreates it), `noop` and `status` after everything is
# applied.
declare -A full noop status
full[sluice]="$B -C $work/sluice apply -q"
noop[sluice]="$B -C $work/sluice apply -q"
status[sluice]="$B -C $work/sluice status -q"
full[psql]="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d $D_psql -f $work/peers/psql.sql"
full[sqlx]="$P/sqlx/bin/sqlx migrate run --database-url $PGURL/$D_sqlx --source $work/peers/sqlx"
noop[sqlx]=${full[sqlx]}
status[sqlx]="$P/sqlx/bin/sqlx migrate info --database-url $PGURL/$D_sqlx --source $work/peers/sqlx"
full[refinery]="env DB_URI=$PGURL/$D_refinery $P/refinery/bin/refinery migrate -e DB_URI -p $work/peers/refinery"
noop[refinery]=${full[refinery]}
full[dbmate]="$P/dbmate/node_modules/.bin/dbmate --url $PGURL/$D_dbmate?sslmode=disable --migrations-dir $work/peers/dbmate --no-dump-schema migrate"
noop[dbmate]=${full[dbmate]}
status[dbmate]="$P/dbmate/node_modules/.bin/dbmate --url $PGURL/$D_dbmate?sslmode=disable --migrations-dir $work/peers/dbmate status"
full[yoyo]="$P/yoyo/bin/yoyo apply --batch --database postgresql://postgres@127.0.0.1:5432/$D_yoyo $work/peers/yoyo"
noop[yoyo]=${full[yoyo]}
status[yoyo]="$P/yoyo/bin/yoyo list --database postgresql://postgres@127.0.0.1:5432/$D_yoyo $work/peers/yoyo"
full[alembic]="env ALEMBIC_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/$D_alembic $P/alembic/bin/alembic -c $work/peers/alembic/alembic.ini upgrade head"
noop[alembic]=${full[alembic]}
status[alembic]="env ALEMBIC_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/$D_alembic $P/alembic/bin/alembic -c $work/peers/alembic/alembic.ini current"
tools=(sluice psql "${have[@]}")
D() { local v="D_$1"; echo "${!v}"; }
recreate() { echo "psql -X -q -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS $1' -c 'CREATE DATABASE $1'"; }

# Sanity: every tool must end with N tables (a peer that silently applied
# nothing would look fast).
echo "== full apply of $N migrations, empty database, $RUNS runs each"
args=()
for t in "${tools[@]}"; do
  args+=(-n "$t" --prepare "$(recreate "$(D "$t")")" "${full[$t]}")
done
hyperfine -N -r "$RUNS" --export-json "$work/full.json" "${args[@]}" >/dev/null
for t in "${tools[@]}"; do
  n=$(psql -X -tAq -h 127.0.0.1 -U postgres -d "$(D "$t")" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'")
  [ "$n" = "$N" ] || { echo "FAIL $t: $n of $N tables after apply" >&2; exit 1; }
done

echo "== no-op apply and status with $N applied"
args=()
for t in "${tools[@]}"; do
  [ -n "${noop[$t]:-}" ] && args+=(-n "$t no-op apply" "${noop[$t]}")
  [ -n "${status[$t]:-}" ] && args+=(-n "$t status" "${status[$t]}")
done
# A fresh checkout (CI, a new container) has no .sluice/cache: measure that too.
args+=(-n "sluice-cold no-op apply" "$B -C $work/sluice --no-cache apply -q")
args+=(-n "sluice-cold status" "$B -C $work/sluice --no-cache status -q")
hyperfine -N -w 3 -r 20 --export-json "$work/noop.json" "${args[@]}" >/dev/null

echo "== peak memory (max RSS, /usr/bin/time)"
rss() { /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || true; cat "$work/rss" | tail -1; }
: > "$work/rss.tsv"
for t in "${tools[@]}"; do
  eval "$(recreate "$(D "$t")")" >/dev/null
  printf '%s\tfull\t%s\n' "$t" "$(rss sh -c "${full[$t]}")" >> "$work/rss.tsv"
  [ -n "${noop[$t]:-}" ] && printf '%s\tnoop\t%s\n' "$t" "$(rss sh -c "${noop[$t]}")" >> "$work/rss.tsv"
  [ -n "${status[$t]:-}" ] && printf '%s\tstatus\t%s\n' "$t" "$(rss sh -c "${status[$t]}")" >> "$work/rss.tsv"
done

python3 - "$work" "${tools[@]}" <<'EOF'
import json, statistics, sys
work, tools = sys.argv[1], sys.argv[2:]
def medians(f):
    return {r["command"]: statistics.median(r["times"]) for r in json.load(open(f"{work}/{f}"))["results"]}
full, noop = medians("full.json"), medians("noop.json")
rss = {}
for line in open(f"{work}/rss.tsv"):
    t, phase, kib = line.rstrip("\n").split("\t")
    rss[(t, phase)] = int(kib) / 1024 if kib.strip().isdigit() else None
def fmt(s):
    return "—" if s is None else (f"{s*1000:.1f} ms" if s < 1 else f"{s:.2f} s")
def mem(t, p):
    v = rss.get((t, p)); return "—" if v is None else f"{v:.1f} MiB"
def ratio(s, base):
    return "—" if s is None or base is None else f"{s/base:.2f}x"
print("| tool | full apply (median) | vs sluice | RSS | no-op apply | vs sluice | RSS | status | vs sluice | RSS |")
print("|---|---|---|---|---|---|---|---|---|---|")
fs, ns, ss = full.get("sluice"), noop.get("sluice no-op apply"), noop.get("sluice status")
for t in tools[:1] + ["sluice-cold"] + tools[1:]:
    f, n, s = full.get(t), noop.get(f"{t} no-op apply"), noop.get(f"{t} status")
    print(f"| {t} | {fmt(f)} | {ratio(f, fs)} | {mem(t,'full')} | {fmt(n)} | {ratio(n, ns)} | {mem(t,'noop')} | {fmt(s)} | {ratio(s, ss)} | {mem(t,'status')} |")
EOF
