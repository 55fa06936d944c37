#!/usr/bin/env bash
# Runs every feed-parser fuzz target for SECONDS each (default 60), two at a time, seeding each
# corpus with the real samples of ../shared/feeds when present. Needs cargo-fuzz and a nightly
# toolchain; the corpora and any crash stay in infrastructure/fuzz/{corpus,artifacts} (ignored).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export PATH="$cache/tools/bin:$PATH"
export CARGO_TARGET_DIR="$cache/fuzz-target"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --root "$cache/tools"
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(attack sigma elastic d3fend atomic caldera lolbas gtfobins stix_intel ctid workbook archive nvd kev kev_attack news sarif attack_flow)
fi
feeds="$(cd .. && pwd)/shared/feeds"
seed() {
  local target="$1" pattern="$2" dir="infrastructure/fuzz/corpus/$1"
  mkdir -p "$dir"
  if [ -d "$feeds" ]; then
    find "$feeds" -type f -path "$pattern" -size -256k -exec cp -n {} "$dir/" \; 2>/dev/null || true
  fi
}
seed attack '*attack-stix/mitre__cti/enterprise-attack/*.json'
seed sigma '*sigma/*.yml'
seed elastic '*elastic-detection-rules/*.toml'
seed d3fend '*d3fend/*/attack/*.json'
seed atomic '*atomic-red-team/*.yaml'
seed caldera '*caldera-stockpile/*.yml'
seed lolbas '*lolbas/*.yml'
seed gtfobins '*gtfobins/*_gtfobins/*'
seed stix_intel '*stix-threat-intel/*.json'
seed ctid '*compliance/ctid-mappings-explorer/*.json'
seed workbook '*compliance/*.xlsx'
seed archive '*.zip'
seed kev_attack '*intel/ctid-mappings-explorer/*.json'
seed attack_flow '*attack-flow/*'
for target in nvd kev news sarif; do
  mkdir -p "infrastructure/fuzz/corpus/$target"
done
cp -n tests/fixtures/osint/nvd-cves.json infrastructure/fuzz/corpus/nvd/ 2>/dev/null || true
cp -n tests/fixtures/osint/kev-catalog.json infrastructure/fuzz/corpus/kev/ 2>/dev/null || true
cp -n tests/fixtures/sarif/*.sarif infrastructure/fuzz/corpus/sarif/ 2>/dev/null || true
cp -n tests/fixtures/osint/news.rss tests/fixtures/osint/news.atom infrastructure/fuzz/corpus/news/ 2>/dev/null || true
(cd infrastructure && cargo +nightly fuzz build -O)
run() {
  local target="$1" started
  started=$(date +%s)
  if (cd infrastructure && cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -max_len=65536 \
        -print_final_stats=1 >"$cache/fuzz-$target.log" 2>&1); then
    echo "$target: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$cache/fuzz-$target.log" | grep -o '[0-9]*$') runs in $(( $(date +%s) - started )) s, no crash"
  else
    echo "$target: CRASH (see $cache/fuzz-$target.log and infrastructure/fuzz/artifacts/$target)"
    return 1
  fi
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" & first=$!
  if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[i+1]}" & second=$!; else second=; fi
  wait "$first" || status=1
  [ -n "$second" ] && { wait "$second" || status=1; }
done
exit $status
