#!/usr/bin/env bash
# `sluice guard` on a repository with N migrations (default 5,000) and a diff of
# 500 files: one new migration and 499 changed model files that match a
# [[guard.signals]] pattern (so every one of them is read and matched).
#   bench/guard.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install -y hyperfine" >&2; exit 1; }
cargo build --release --quiet
B=$PWD/target/release/sluice
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/repo
python3 bench/gen.py "$r" "$N" >/dev/null
cat >> "$r/sluice.toml" <<'TOML'

[[guard.signals]]
paths = ["app/models/**/*.py"]
pattern = 'Column\('
TOML
mkdir -p "$r/app/models"
for i in $(seq 1 499); do printf 'class M%d:\n    id = Column(Integer)\n' "$i" > "$r/app/models/m$i.py"; done
"$B" -C "$r" hash -q
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
git -C "$r" init -q -b main && git -C "$r" add -A && git -C "$r" commit -qm base
git -C "$r" checkout -qb feature
for i in $(seq 1 499); do printf '    name = Column(String)\n' >> "$r/app/models/m$i.py"; done
(cd "$r" && "$B" new add_names -q)
git -C "$r" add -A && git -C "$r" commit -qm feature
"$B" -C "$r" guard --base main
echo "== guard: $N migrations, $(git -C "$r" diff --name-only main | wc -l) changed files"
hyperfine -N -w 3 -r 20 -i "$B -C $r guard --base main -q"
/usr/bin/time -f "guard: %e s wall, %M KiB max RSS" "$B" -C "$r" guard --base main -q
# The same 499 model changes without a migration: every changed line is matched
# against the signal (and the guard fails, as it should).
git -C "$r" checkout -q main && git -C "$r" checkout -qb models-only
for i in $(seq 1 499); do printf '    name = Column(String)\n' >> "$r/app/models/m$i.py"; done
git -C "$r" add -A && git -C "$r" commit -qm models
echo "== guard: 499 model files changed, no migration ($("$B" -C "$r" guard --base main --format json | grep -c '"model-change-without-migration"') findings)"
hyperfine -N -w 3 -r 20 -i "$B -C $r guard --base main -q"
