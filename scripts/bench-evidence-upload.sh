#!/usr/bin/env bash
# Benchmark: stream a large evidence file (default 1 GiB) into a release `aegis serve` on the
# embedded profile and report the server's peak RSS before and after. Target: growth < 64 MiB.
#   scripts/bench-evidence-upload.sh [size-in-MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-1024}"
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-release}"
# AEGIS_BIN names an already built binary; otherwise the release build is made.
bin="${AEGIS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p aegis
  bin="$CARGO_TARGET_DIR/release/aegis"
fi
work="$(mktemp -d)"
port=18090
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
admin_password='Bench#Keeper-2026'
new_password='Kq9!vZr2#mTx7Lp'
(cd "$work" && AEGIS_LISTEN="127.0.0.1:$port" AEGIS_ADMIN_EMAIL=operator@aegis.test AEGIS_ADMIN_PASSWORD="$admin_password" \
  AEGIS_LOG=warn exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }; sleep 0.05; done
pid="$(pgrep -f "aegis serve" -n)"
api="http://127.0.0.1:$port/api/v1"
token="$(curl -s "$api/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"operator@aegis.test\",\"password\":\"$admin_password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
curl -s -o /dev/null "$api/auth/change-password" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"current_password\":\"$admin_password\",\"new_password\":\"$new_password\"}"
(cd "$work" && AEGIS_LOG=warn "$bin" import attack --path "$OLDPWD/tests/fixtures/attack/enterprise-v1.json" >/dev/null)
test_id="$(curl -s "$api/tests" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"title":"Upload benchmark","technique_id":"T1059"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
curl -s -o /dev/null -X POST "$api/tests/$test_id/start-execution" -H "authorization: Bearer $token"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/evidence.bin"
before="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
started=$(date +%s%N)
response="$(curl -s "$api/tests/$test_id/evidence" -H "authorization: Bearer $token" -F "file=@$work/evidence.bin")"
elapsed=$(python3 -c "print(round(($(date +%s%N) - $started) / 1e9, 2))")
after="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
echo "$response" | python3 -c 'import json,sys; e=json.load(sys.stdin); print("stored", e["size_bytes"], "bytes, sha256", e["sha256"])'
echo "expected sha256 $(sha256sum "$work/evidence.bin" | cut -d" " -f1)"
echo "upload of ${size_mib} MiB in ${elapsed} s; peak RSS ${before} kB before, ${after} kB after: growth $(( (after - before) / 1024 )) MiB"
