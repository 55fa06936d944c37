#!/usr/bin/env bash
# The scale-out test with real processes: HAProxy (Debian's package) in front of two
# `aegis serve` and two `aegis worker` on one PostgreSQL (a private cluster, so that it can be
# restarted without touching the machine's) and one S3 server (s3s-fs), production profile.
# scripts/scale_load.py drives it: a session across instances, lockout across instances, then
# SCALE_SECONDS (default 60) of mixed reads, writes and evidence uploads through the proxy
# during which the S3 server is stopped for 3 s, instance A is killed (SIGKILL) at a third and
# restarted, and PostgreSQL is restarted at two thirds; every acknowledged write must be in the
# database afterwards, no request may hang, failures must be 502/503/504, and no evidence row
# or object may be left without the other. (A worker SIGKILLed mid-job and scheduled jobs
# running once among several workers: presentation/aegis/tests/workers.rs.)
# Needs AEGIS_BIN (default: the test build's binary) and s3s-fs (scripts/test.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
bin=${AEGIS_BIN:-${CARGO_TARGET_DIR:-$cache/target}/debug/aegis}
s3s="$cache/tools/bin/s3s-fs"
seconds=${SCALE_SECONDS:-60}
started_at=$(date +%s)

if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing haproxy (once)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends haproxy >/dev/null
fi
[ -x "$s3s" ] || { echo "s3s-fs is missing: run scripts/test.sh once (it installs it)" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)

work=$(mktemp -d /tmp/aegis-scale.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/pg/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
if [ "$(id -u)" -eq 0 ]; then as_postgres() { runuser -u postgres -- "$@"; }; else as_postgres() { "$@"; }; fi

# PostgreSQL: a private cluster in the work directory.
pg_port=$(free_port)
install -d -m 0700 "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_postgres "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust >/dev/null
pg_start() { as_postgres "$pgbin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1" -l "$work/pg/log" -w start >/dev/null; }
pg_start
database="postgres://postgres@127.0.0.1:$pg_port/aegis"
psql "postgres://postgres@127.0.0.1:$pg_port/postgres" -qc "CREATE DATABASE aegis"

# S3: its own s3s-fs.
s3_port=$(free_port)
mkdir -p "$work/s3/aegis-scale"
"$s3s" --host 127.0.0.1 --port "$s3_port" --access-key scale --secret-key scalesecret0123456 "$work/s3" >"$work/s3.log" 2>&1 &
s3_pid=$!
pids+=("$s3_pid")

export AEGIS_PROFILE=production AEGIS_DATABASE_URL="$database" AEGIS_DATA_DIR="$work/data" \
  AEGIS_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  AEGIS_EVIDENCE_BACKEND=s3 AEGIS_S3_ENDPOINT="http://127.0.0.1:$s3_port" AEGIS_S3_BUCKET=aegis-scale \
  AEGIS_S3_ACCESS_KEY=scale AEGIS_S3_SECRET_KEY=scalesecret0123456 AEGIS_S3_REGION=us-east-1 AEGIS_S3_PATH_STYLE=true \
  AEGIS_ADMIN_EMAIL=admin@aegis.test AEGIS_ADMIN_PASSWORD='Kq9!vZr2#mTx7Lp' AEGIS_BCRYPT_COST=4 \
  AEGIS_AUTH_RATE_LIMIT_PER_MINUTE=100000 AEGIS_TRUST_FORWARDED_FOR=true AEGIS_FIRST_START_SYNC=false \
  AEGIS_LOG_LEVEL=warn AEGIS_JOB_POLL_MILLIS=200 AEGIS_HTTP_WORKERS=2 AEGIS_DATABASE_MAX_CONNECTIONS=10
mkdir -p "$work/data"
"$bin" migrate up >/dev/null
"$bin" import attack --path "$root/tests/fixtures/attack/enterprise-v1.json" >/dev/null
printf 'Kq9!vZr2#mTx7Lp' | "$bin" admin create-user --email admin@aegis.test --role admin --password-stdin >/dev/null
printf 'Victim#Pass-2026x' | "$bin" admin create-user --email locked@aegis.test --role viewer --password-stdin >/dev/null

api_a_port=$(free_port); api_b_port=$(free_port); proxy_port=$(free_port)
start_api() { AEGIS_JOBS_IN_PROCESS=false AEGIS_LISTEN="127.0.0.1:$1" "$bin" serve >>"$work/api-$1.log" 2>&1 & echo $!; }
api_a=$(start_api "$api_a_port"); pids+=("$api_a")
api_b=$(start_api "$api_b_port"); pids+=("$api_b")
"$bin" worker >"$work/worker-1.log" 2>&1 & pids+=($!)
"$bin" worker >"$work/worker-2.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$api_a_port/health"
wait_for "http://127.0.0.1:$api_b_port/health"

cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 512
defaults
  mode http
  option forwardfor
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # A request whose connection could not be made goes to the other instance.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
frontend aegis
  bind 127.0.0.1:$proxy_port
  default_backend api
backend api
  balance roundrobin
  option httpchk GET /health
  server a 127.0.0.1:$api_a_port check inter 500 fall 2 rise 2
  server b 127.0.0.1:$api_b_port check inter 500 fall 2 rise 2
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$proxy_port/health"
setup_seconds=$(( $(date +%s) - started_at ))

# The faults, on a timer beside the load.
start_s3() { "$s3s" --host 127.0.0.1 --port "$s3_port" --access-key scale --secret-key scalesecret0123456 "$work/s3" >>"$work/s3.log" 2>&1 & echo $!; }
(
  sleep "$(python3 -c "print($seconds / 6 + 3)")"
  kill "$s3_pid" && echo "fault: S3 server stopped" >&2
  sleep 3
  start_s3 >"$work/s3-2.pid"
  echo "fault: S3 server started again" >&2
  sleep "$(python3 -c "print(max(1, $seconds / 6 - 3))")"
  kill -9 "$api_a" && echo "fault: instance A killed (SIGKILL)" >&2
  sleep 5
  start_api "$api_a_port" >"$work/api-a2.pid"
  echo "fault: instance A restarted" >&2
  sleep "$(python3 -c "print(max(1, $seconds / 3 - 5))")"
  as_postgres "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null && echo "fault: PostgreSQL stopped" >&2
  sleep 3
  pg_start && echo "fault: PostgreSQL started again" >&2
) &
faults=$!

status=0
SCALE_PROXY_PORT=$proxy_port SCALE_API_A_PORT=$api_a_port SCALE_API_B_PORT=$api_b_port SCALE_SECONDS=$seconds \
  SCALE_DATABASE_URL="$database" SCALE_S3_BUCKET_DIR="$work/s3/aegis-scale" AEGIS_BIN="$bin" SCALE_ADMIN_EMAIL=admin@aegis.test SCALE_ADMIN_PASSWORD='Kq9!vZr2#mTx7Lp' \
  python3 "$root/scripts/scale_load.py" >"$work/figures.json" || status=$?
wait "$faults" || true
[ -f "$work/api-a2.pid" ] && pids+=("$(cat "$work/api-a2.pid")")
[ -f "$work/s3-2.pid" ] && pids+=("$(cat "$work/s3-2.pid")")
echo "scale test figures: $(cat "$work/figures.json" 2>/dev/null)"
echo "scale test: $(( $(date +%s) - started_at )) s in all ($setup_seconds s to start the cluster)"
if [ "$status" -ne 0 ]; then
  echo "scale test FAILED; the logs:" >&2
  tail -n 20 "$work"/api-*.log "$work/haproxy.log" >&2 || true
fi
exit "$status"
