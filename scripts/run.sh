#!/usr/bin/env bash
# Runs Aegis on the embedded profile (SQLite and evidence in ./data, a default tenant and an
# admin whose password is printed once) with its web UI at http://127.0.0.1:8080.
# Builds into the same cache as the test command (scripts/test.sh), so the two share one build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}/target}"
./scripts/build-web.sh
exec cargo run -p aegis -- serve "$@"
