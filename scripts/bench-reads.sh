#!/usr/bin/env bash
# Benchmark: reads under load, from outside, on a release `aegis serve`.
# Seeds the full ATT&CK Enterprise matrix, 5,000 detection rules and 50,000 validated tests
# (tests/benches/read_load_seed.rs, the fast path), then runs wrk at 1, 8 and 64 connections for
#   GET /health, /api/v1/techniques?per_page=50, /api/v1/techniques/T1059.001,
#   /api/v1/heatmap and /api/v1/dashboard
# and prints requests/s, p50 and p99 (and errors/time-outs) per row; then a mixed load: the four
# API reads in turn at 8 connections while `aegis import sigma` re-imports the whole Sigma corpus
# in a loop and a client creates tests and moves them through the workflow.
#
#   scripts/bench-reads.sh [embedded|production|both|proxied]      (default: both)
#
# `proxied` is the scale-out figure: the production profile through HAProxy (Debian's package),
# first with one `aegis serve` behind it, then with two (the same PostgreSQL database).
#
# Environment: AEGIS_BIN (a built release binary; else it is built), AEGIS_SEED_BIN (the built
# seed bench; else `cargo bench` builds and runs it), BENCH_SECONDS (per row, default 10),
# BENCH_CONNECTIONS (default "1 8 64"), AEGIS_SEEDED_DB (embedded: copy this seeded SQLite file
# instead of seeding), AEGIS_TEST_POSTGRES_URL (production: the server to
# create the benchmark database on). Nothing else may run on the machine for exact figures;
# on a shared machine compare runs made in the same conditions, median of several.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-1 8 64}"
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-release}"
bin="${AEGIS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p aegis
  bin="$CARGO_TARGET_DIR/release/aegis"
fi
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
sigma="$(cd .. && pwd)/shared/feeds/sigma/SigmaHQ__sigma@8eaafff-full"
work="$(mktemp -d)"
server=""
background=()
cleanup() {
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
admin_password='Bench#Keeper-2026-strong'
new_password='Kq9!vZr2#mTx7Lp-strong'
port=18093

seed() { # url data-dir
  if [ -n "${AEGIS_SEEDED_DB:-}" ] && [[ "$1" == sqlite:* ]]; then
    cp "$AEGIS_SEEDED_DB" "$2/aegis.db"   # a database seeded before (same data every run)
  elif [ -n "${AEGIS_SEED_BIN:-}" ]; then
    AEGIS_BENCH_DATABASE_URL="$1" AEGIS_BENCH_DATA_DIR="$2" AEGIS_LOG=warn "$AEGIS_SEED_BIN"
  else
    AEGIS_BENCH_DATABASE_URL="$1" AEGIS_BENCH_DATA_DIR="$2" AEGIS_LOG=warn \
      cargo bench -q -p aegis-tests --bench read_load_seed
  fi
}

start() { # env assignments for the server
  (cd "$work" && exec env "$@" AEGIS_LISTEN="127.0.0.1:$port" AEGIS_ADMIN_EMAIL=operator@aegis.test \
    AEGIS_ADMIN_PASSWORD="$admin_password" AEGIS_ACCESS_TOKEN_MINUTES=600 AEGIS_LOG=warn \
    "$bin" serve >"$work/server.log" 2>&1) &
  server=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
}

token() {
  local api="http://127.0.0.1:$port/api/v1" first
  login() {
    curl -s "$api/auth/login" -H 'content-type: application/json' \
      -d "{\"email\":\"operator@aegis.test\",\"password\":\"$1\"}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
  }
  first="$(login "$admin_password")"
  curl -s -o /dev/null "$api/auth/change-password" -H "authorization: Bearer $first" \
    -H 'content-type: application/json' \
    -d "{\"current_password\":\"$admin_password\",\"new_password\":\"$new_password\"}"
  login "$new_password"
}

# One wrk run; prints "req/s p50 p99 errors" from its --latency report.
measure() { # connections path-or-script token
  local conns="$1" target="$2" token="$3" threads=2 args=()
  [ "$conns" -lt 2 ] && threads=1
  if [[ "$target" == *.lua ]]; then args=(-s "$target" "http://127.0.0.1:$port/"); else args=("http://127.0.0.1:$port$target"); fi
  wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s --latency \
    -H "authorization: Bearer $token" "${args[@]}" >"$work/wrk.txt" 2>&1 || true
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p50 = re.search(r"\s50%\s+(\S+)", text)
p99 = re.search(r"\s99%\s+(\S+)", text)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
timeouts = re.search(r"timeout (\d+)", text)
errors = int(bad.group(1)) if bad else 0
print(f"{float(rps.group(1)) if rps else 0:,.0f} | {ms(p50.group(1)) if p50 else 0:.2f} ms"
      f" | {ms(p99.group(1)) if p99 else 0:.2f} ms | {errors}"
      f" | {timeouts.group(1) if timeouts else 0}")
PY
}

table() { # profile token
  echo "== $1"
  echo "| request | connections | req/s | p50 | p99 | non-2xx | time-outs |"
  echo "|---|---|---|---|---|---|---|"
  for path in /health "/api/v1/techniques?per_page=50" /api/v1/techniques/T1059.001 /api/v1/heatmap /api/v1/dashboard; do
    for c in $connections; do
      echo "| \`GET $path\` | $c | $(measure "$c" "$path" "$2") |"
    done
  done
}

mixed() { # profile token env...
  local profile="$1" token="$2"; shift 2
  cat >"$work/mixed.lua" <<'LUA'
local paths = {"/api/v1/heatmap", "/api/v1/dashboard", "/api/v1/techniques?per_page=50", "/api/v1/techniques/T1059.001"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
LUA
  local imports=0
  if [ -d "$sigma" ]; then
    ( while true; do (cd "$work" && env "$@" AEGIS_LOG=warn "$bin" import sigma --path "$sigma" >/dev/null 2>&1) \
        && echo x >>"$work/imports"; done ) &
    background+=($!)
  fi
  python3 - "http://127.0.0.1:$port/api/v1" "$token" "$work/transitions" <<'PY' &
import json, sys, urllib.request
api, token, out = sys.argv[1:]
def send(method, path, body):
    request = urllib.request.Request(api + path, data=json.dumps(body).encode(), method=method,
        headers={"authorization": "Bearer " + token, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)
while True:
    test = send("POST", "/tests", {"title": "Mixed load", "technique_id": "T1059.001"})
    path = f"/tests/{test['id']}"
    send("POST", path + "/start-execution", {})
    send("PATCH", path + "/red", {"executed_at": "2026-11-22T10:00:00Z", "procedure": "p",
        "command": "whoami", "tool": "manual", "targets": ["WS-1"], "result_summary": "ran"})
    send("POST", path + "/submit-red", {})
    with open(out, "a") as f:
        f.write("xxx\n")
PY
  background+=($!)
  echo "== $profile, mixed: the four API reads in turn at 8 connections, with imports and test transitions"
  echo "| load | req/s | p50 | p99 | non-2xx | time-outs |"
  echo "|---|---|---|---|---|---|"
  echo "| reads | $(measure 8 "$work/mixed.lua" "$token") |"
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  background=()
  [ -f "$work/imports" ] && imports=$(wc -l <"$work/imports")
  local moves=0
  [ -f "$work/transitions" ] && moves=$(( $(wc -l <"$work/transitions") * 3 ))
  echo "| writes alongside: $imports full Sigma imports (3,706 rules each), $moves test transitions in ${seconds} s | | | | | |"
  rm -f "$work/imports" "$work/transitions"
}

stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; }

if [ "$which" = embedded ] || [ "$which" = both ]; then
  mkdir -p "$work/embedded"
  url="sqlite://$work/embedded/aegis.db?mode=rwc"
  seed "$url" "$work/embedded"
  start AEGIS_DATA_DIR="$work/embedded"
  token="$(token)"
  table "embedded (SQLite)" "$token"
  mixed "embedded (SQLite)" "$token" AEGIS_DATA_DIR="$work/embedded"
  stop
fi

# A database on the machine's PostgreSQL for the production runs, seeded; sets $url and the
# production settings.
production_database() {
  admin_url="${AEGIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  name="aegis_bench_$$"
  psql -q "$admin_url" -c "CREATE DATABASE $name"
  trap 'psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT
  url="${admin_url%/*}/$name"
  mkdir -p "$work/production"
  seed "$url" "$work/production"
  production=(AEGIS_PROFILE=production AEGIS_DATABASE_URL="$url" AEGIS_DATA_DIR="$work/production"
    AEGIS_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789abcdef"
    AEGIS_S3_ENDPOINT="${AEGIS_S3_ENDPOINT:-http://127.0.0.1:9}" AEGIS_S3_ACCESS_KEY=bench AEGIS_S3_SECRET_KEY=bench-secret)
}

if [ "$which" = proxied ]; then
  command -v haproxy >/dev/null || { echo "haproxy is needed (apt-get install haproxy)" >&2; exit 2; }
  production_database
  instance() { # port: one more `aegis serve` behind the proxy
    (cd "$work" && exec env "${production[@]}" AEGIS_LISTEN="127.0.0.1:$1" AEGIS_ADMIN_EMAIL=operator@aegis.test \
      AEGIS_ADMIN_PASSWORD="$admin_password" AEGIS_ACCESS_TOKEN_MINUTES=600 AEGIS_LOG=warn \
      AEGIS_TRUST_FORWARDED_FOR=true "$bin" serve >"$work/server-$1.log" 2>&1) &
    background+=($!)
    until curl -s -o /dev/null "http://127.0.0.1:$1/health"; do sleep 0.1; done
  }
  proxy() { # backend ports...
    { cat <<CFG
global
  maxconn 1024
defaults
  mode http
  option forwardfor
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend aegis
  bind 127.0.0.1:$port
  default_backend api
backend api
  balance roundrobin
  http-reuse always
CFG
      for backend in "$@"; do echo "  server api$backend 127.0.0.1:$backend"; done
    } >"$work/haproxy.cfg"
    [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
    haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    server=$!
    until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.1; done
  }
  instance 18094
  proxy 18094
  token="$(token)"
  table "production (PostgreSQL) through HAProxy, one instance" "$token"
  instance 18095
  proxy 18094 18095
  table "production (PostgreSQL) through HAProxy, two instances" "$token"
  stop
fi

if [ "$which" = production ] || [ "$which" = both ]; then
  production_database
  start "${production[@]}"
  token="$(token)"
  table "production (PostgreSQL)" "$token"
  mixed "production (PostgreSQL)" "$token" "${production[@]}"
  stop
fi
