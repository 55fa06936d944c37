#!/usr/bin/env bash
# Runs Aegis on the embedded profile (SQLite and evidence in ./data, a default tenant and an
# admin whose password is printed once) with its web UI at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-web.sh
exec cargo run -p aegis -- serve "$@"
