#!/usr/bin/env bash
# Starts the embedded profile for the end-to-end tests: a fresh data directory, the small
# ATT&CK fixture, one account per role (each must change its password first, as in real life;
# global-setup.ts does it for all but `first@`), then `aegis serve`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${AEGIS_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/aegis/target}/debug/aegis}
data=$(mktemp -d /tmp/aegis-e2e.XXXXXX)
trap 'rm -rf "$data"' EXIT
export AEGIS_DATA_DIR=$data AEGIS_LISTEN=127.0.0.1:${AEGIS_E2E_PORT:-18080} AEGIS_BCRYPT_COST=4 \
  AEGIS_AUTH_RATE_LIMIT_PER_MINUTE=10000 AEGIS_LOG_LEVEL=${AEGIS_LOG_LEVEL:-warn} \
  AEGIS_WEBHOOK_RETRY_MILLIS=${AEGIS_WEBHOOK_RETRY_MILLIS:-200}
"$bin" migrate up >/dev/null
"$bin" import attack --path "$root/tests/fixtures/attack/enterprise-v1.json" >/dev/null
for account in first:viewer admin:admin red.lead:red_lead red.tech:red_tech blue.lead:blue_lead blue.tech:blue_tech viewer:viewer; do
  printf 'Aegis#Welcome-2026' | "$bin" admin create-user --email "${account%%:*}@aegis.test" --role "${account#*:}" \
    --display-name "${account%%:*}" --password-stdin >/dev/null
done
"$bin" serve &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT INT TERM
wait "$server"
