#!/usr/bin/env bash
# Runs Aegis on the embedded profile (SQLite and evidence in ./data, a default tenant and an
# admin whose password is printed once) with its web UI at http://127.0.0.1:8080.
#   ./scripts/run.sh --demo   first fills it with the demonstration data set (`aegis demo`:
#                             users of every role, whose passwords it prints, a campaign, findings,
#                             twelve weeks of trend); running it again adds nothing.
# Builds into the same cache as the test command (scripts/test.sh), with the same features, so
# the two share one build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}/target}"
demo=false
if [ "${1:-}" = "--demo" ]; then
  demo=true
  shift
fi
./scripts/build-web.sh
cargo build -p aegis
bin="$CARGO_TARGET_DIR/debug/aegis"
if [ "$demo" = true ]; then
  "$bin" demo
fi
exec "$bin" serve "$@"
