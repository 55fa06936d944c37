#!/usr/bin/env bash
# A populated embedded instance for working on the web UI: imports every sample feed from
# ../shared/feeds, creates one user per role, and serves on AEGIS_LISTEN (default :8181).
# Usage: scripts/dev-instance.sh DATA_DIR [PORT]    (password of every user: Aegis#Demo-2026)
set -euo pipefail
data=${1:?data directory}; port=${2:-8181}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AEGIS_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/aegis/target}/debug/aegis}
feeds=$root/../shared/feeds
password='Aegis#Demo-2026'
export AEGIS_DATA_DIR=$data AEGIS_LISTEN=127.0.0.1:$port AEGIS_ADMIN_PASSWORD=$password AEGIS_BCRYPT_COST=4 \
  AEGIS_AUTH_RATE_LIMIT_PER_MINUTE=1000 AEGIS_LOG_LEVEL=warn
mkdir -p "$data"
if [ ! -f "$data/.seeded" ]; then
  "$bin" migrate up >/dev/null
  if [ -d "$feeds" ]; then
    "$bin" import attack --path "$feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz" >/dev/null
    for s in atomic:atomic-red-team caldera:caldera-stockpile sigma:sigma elastic:elastic-detection-rules \
             d3fend:d3fend/d3fend__website-next/api/offensive-technique lolbas:lolbas gtfobins:gtfobins stix:stix-threat-intel \
             compliance:compliance; do
      "$bin" import "${s%%:*}" --path "$feeds/${s#*:}" >/dev/null 2>&1 || echo "import ${s%%:*} failed" >&2
    done
  fi
  printf '%s' "$password" | "$bin" admin create-user --email admin@aegis.local --role admin \
    --display-name Administrator --password-stdin >/dev/null
  for role in red_lead red_tech blue_lead blue_tech viewer; do
    printf '%s' "$password" | "$bin" admin create-user --email "${role//_/.}@aegis.local" --role "$role" \
      --display-name "$(tr '_' ' ' <<<"$role")" --password-stdin >/dev/null
  done
  touch "$data/.seeded"
fi
exec "$bin" serve
