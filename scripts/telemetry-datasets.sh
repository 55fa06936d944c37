#!/usr/bin/env bash
# Evaluates the whole Sigma corpus over every shared Security Dataset and prints, per dataset,
# the rules that fired and whether a rule of the dataset's technique did (the table in
# docs/telemetry.md). Usage: scripts/telemetry-datasets.sh [aegis binary] [out dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/aegis/target}/release/aegis}
out=${2:-$(mktemp -d)}
feeds=${AEGIS_SHARED_FEEDS:-$root/../shared/feeds}
data=$feeds/telemetry/OTRF__Security-Datasets/datasets/atomic
rules=$feeds/sigma/SigmaHQ__sigma@8eaafff-full
mkdir -p "$out"
find "$data/windows" -name '*.zip' | sort | xargs -P "${JOBS:-2}" -I{} sh -c \
  '"$0" telemetry evaluate --rules "$1" --events "$2" --json > "$3/$(basename "$2" .zip).json"' "$bin" "$rules" {} "$out"
python3 "$root/scripts/telemetry-datasets.py" "$data" "$out"
