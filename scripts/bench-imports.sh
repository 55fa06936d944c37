#!/usr/bin/env bash
# Benchmark: the imports of issue 22 on a release `aegis`, embedded profile (SQLite), and on the
# production profile's database (PostgreSQL) when AEGIS_TEST_POSTGRES_URL is set. Each import runs
# into a fresh installation that already holds what it builds on (ATT&CK before the rules, so the
# score recomputation is included), three times, first import then re-import (nothing changes);
# the table gives the median of the times the CLI reports.
#   - the ATT&CK Enterprise bundle of ../shared/feeds (targets: 0.4 s, re-import 0.2 s);
#   - the whole Sigma corpus, ../shared/feeds/sigma/SigmaHQ__sigma@8eaafff-full (0.5 s, 0.25 s);
#   - 2,000 Elastic rules made from the shared samples (each sample copied with a new rule_id
#     and name: real rule shapes at the size of the upstream tree) (0.3 s, 0.15 s).
#
#   scripts/bench-imports.sh            (AEGIS_BIN=path to use a built binary; RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-release}"
bin="${AEGIS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p aegis
  bin="$CARGO_TARGET_DIR/release/aegis"
fi
runs="${RUNS:-3}"
feeds="$(cd .. && pwd)/shared/feeds"
bundle="$feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz"
sigma="$feeds/sigma/SigmaHQ__sigma@8eaafff-full"
elastic_samples="$feeds/elastic-detection-rules/elastic__detection-rules"
for path in "$bundle" "$sigma" "$elastic_samples"; do
  [ -e "$path" ] || { echo "skipped: $path is not here (../shared/feeds)" >&2; exit 0; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$elastic_samples" "$work/elastic" <<'PY'
import pathlib, re, sys, uuid
samples = sorted(pathlib.Path(sys.argv[1]).rglob("*.toml"))
out = pathlib.Path(sys.argv[2]) / "rules"
out.mkdir(parents=True)
for i in range(2000):
    text = samples[i % len(samples)].read_text()
    text = re.sub(r'(?m)^rule_id = ".*"$', f'rule_id = "{uuid.uuid5(uuid.NAMESPACE_URL, f"bench/elastic/{i}")}"', text, count=1)
    text = re.sub(r'(?m)^name = "(.*)"$', lambda m: f'name = "{m.group(1)} ({i})"', text, count=1)
    (out / f"rule_{i:05}.toml").write_text(text)
PY

# Prints the seconds the CLI reports for one import (its first line ends "in N.NN s…").
seconds() { sed -n '1s/.* in \([0-9.]*\) s.*/\1/p' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One database: a fresh installation per run, each import twice.
measure() { # label database-url-maker
  local label="$1" make_url="$2"
  declare -A first again
  for run in $(seq 1 "$runs"); do
    local dir="$work/$label-$run"
    mkdir -p "$dir"
    local url; url="$($make_url "$dir" "$run")"
    run_import() { (cd "$dir" && AEGIS_DATABASE_URL="$url" AEGIS_LOG=warn "$bin" import "$@" >"$dir/out.txt" 2>&1) || { cat "$dir/out.txt" >&2; exit 1; }; seconds "$dir/out.txt"; }
    first[attack]+="$(run_import attack --path "$bundle") "
    again[attack]+="$(run_import attack --path "$bundle") "
    first[sigma]+="$(run_import sigma --path "$sigma") "
    again[sigma]+="$(run_import sigma --path "$sigma") "
    first[elastic]+="$(run_import elastic --path "$work/elastic") "
    again[elastic]+="$(run_import elastic --path "$work/elastic") "
  done
  for what in attack sigma elastic; do
    printf '| %-10s | %-8s | %6s s | %6s s | %s / %s |\n' "$label" "$what" \
      "$(echo "${first[$what]}" | tr ' ' '\n' | grep . | median)" \
      "$(echo "${again[$what]}" | tr ' ' '\n' | grep . | median)" \
      "${first[$what]% }" "${again[$what]% }"
  done
}

sqlite_url() { echo "sqlite://$1/aegis.db?mode=rwc"; }
postgres_url() {
  local name="aegis_bench_imports_$2"
  psql "$AEGIS_TEST_POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
  echo "${AEGIS_TEST_POSTGRES_URL%/*}/$name"
}

echo "| database   | import   | first    | re-import | every run (first / re-import) |"
echo "|---|---|---|---|---|"
measure embedded sqlite_url
if [ -n "${AEGIS_TEST_POSTGRES_URL:-}" ] && command -v psql >/dev/null; then
  measure postgresql postgres_url
fi
