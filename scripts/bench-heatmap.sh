#!/usr/bin/env bash
# Benchmark: the ATT&CK heatmap of the full Enterprise matrix from a release `aegis serve` on the
# embedded profile (SQLite). Reports the time of GET /api/v1/heatmap (first and median of 10)
# and the response size, then the same for the Navigator layer export. The heatmap page's first
# paint needs this under a second.
#   scripts/bench-heatmap.sh [enterprise-attack.json.gz]   (default: ../shared/feeds copy)
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${1:-${AEGIS_ATTACK_BUNDLE:-../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz}}"
[ -f "$bundle" ] || { echo "no ATT&CK bundle at $bundle: pass one" >&2; exit 2; }
bundle="$(realpath "$bundle")"
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-release}"
bin="${AEGIS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p aegis
  bin="$CARGO_TARGET_DIR/release/aegis"
fi
work="$(mktemp -d)"
port=18091
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
admin_password='Bench#Keeper-2026'
new_password='Kq9!vZr2#mTx7Lp'
(cd "$work" && AEGIS_LOG=warn "$bin" import attack --path "$bundle" >/dev/null)
(cd "$work" && AEGIS_LISTEN="127.0.0.1:$port" AEGIS_ADMIN_EMAIL=operator@aegis.test AEGIS_ADMIN_PASSWORD="$admin_password" \
  AEGIS_LOG=warn exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }; sleep 0.05; done
api="http://127.0.0.1:$port/api/v1"
login() {
  curl -s "$api/auth/login" -H 'content-type: application/json' -d "{\"email\":\"operator@aegis.test\",\"password\":\"$1\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
token="$(login "$admin_password")"
curl -s -o /dev/null "$api/auth/change-password" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"current_password\":\"$admin_password\",\"new_password\":\"$new_password\"}"
token="$(login "$new_password")"
times=()
for _ in $(seq 10); do
  times+=("$(curl -s -o "$work/heatmap.json" -w '%{time_total}' -H 'accept-encoding: identity' \
    -H "authorization: Bearer $token" "$api/heatmap")")
done
layer_times=()
for _ in $(seq 10); do
  layer_times+=("$(curl -s -o "$work/layer.json" -w '%{time_total}' -H 'accept-encoding: identity' \
    -H "authorization: Bearer $token" "$api/heatmap/navigator-layer")")
done
python3 - "$work/layer.json" "${layer_times[@]}" <<'PY'
import json, statistics, sys
path, *times = sys.argv[1:]
times = [float(t) * 1000 for t in times]
layer = json.load(open(path))
size = len(open(path, "rb").read())
print(f"navigator layer: {len(layer['techniques'])} technique entries, {size / 1024:.0f} KiB")
print(f"GET /api/v1/heatmap/navigator-layer: first {times[0]:.0f} ms, median of 10 {statistics.median(times):.0f} ms")
PY
python3 - "$work/heatmap.json" "${times[@]}" <<'PY'
import json, statistics, sys
path, *times = sys.argv[1:]
times = [float(t) * 1000 for t in times]
heatmap = json.load(open(path))
cells = sum(len(c["techniques"]) for c in heatmap["tactics"])
subs = sum(len(t["subtechniques"]) for c in heatmap["tactics"] for t in c["techniques"])
size = len(open(path, "rb").read())
print(f"heatmap: {len(heatmap['tactics'])} tactics, {cells} technique cells, {subs} sub-technique cells, {size / 1024:.0f} KiB")
print(f"GET /api/v1/heatmap: first {times[0]:.0f} ms, median of 10 {statistics.median(times):.0f} ms")
PY
