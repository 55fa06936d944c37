#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis: every operation, as an
# admin and as a viewer, with the checks not_a_server_error, status_code_conformance,
# content_type_conformance, response_schema_conformance and negative_data_rejection. Exits
# non-zero on any failure. Called by scripts/test.sh; runs alone too (it builds `aegis` when
# AEGIS_BIN names no binary).
#
# The server is `aegis serve` on the embedded profile (SQLite and files) in a temporary data
# directory on a free port, seeded like the browser tests' (presentation/web/e2e/serve.sh): the
# small ATT&CK fixture and one account per role.
#
# Tuning: API_FUZZ_EXAMPLES (default 12) is schemathesis' --max-examples, the cases generated
# per operation and phase. Generation is deterministic (and keeps no example database), so a run
# repeats the same cases. API_FUZZ_KEEP=1 keeps the data directory, server log and reports.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
examples=${API_FUZZ_EXAMPLES:-12}

# schemathesis, pinned, in a virtualenv in the cache (installed once per version).
version=4.32.5
venv="$cache/tools/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into $venv (once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

bin=${AEGIS_BIN:-$CARGO_TARGET_DIR/debug/aegis}
if [ ! -x "$bin" ]; then
  cargo build -p aegis
fi

work=$(mktemp -d /tmp/aegis-api-fuzz.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ -n "${API_FUZZ_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# The rate limit of /auth is raised: the fuzzer signs in and calls /auth far more often than a
# person would, and a 429 on the setup's own sign-in would end the run.
export AEGIS_DATA_DIR=$work/data AEGIS_LISTEN=127.0.0.1:$port AEGIS_BCRYPT_COST=4 \
  AEGIS_AUTH_RATE_LIMIT_PER_MINUTE=100000 AEGIS_LOG_LEVEL=${AEGIS_LOG_LEVEL:-error}
mkdir -p "$AEGIS_DATA_DIR"
"$bin" migrate up >/dev/null
"$bin" import attack --path "$root/tests/fixtures/attack/enterprise-v1.json" >/dev/null
first_password='Aegis#Welcome-2026'
for account in admin:admin viewer:viewer; do
  printf '%s' "$first_password" | "$bin" admin create-user --email "${account%%:*}@aegis.test" \
    --role "${account#*:}" --display-name "${account%%:*}" --password-stdin >/dev/null
done
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "$base/ready" && break
  sleep 0.1
done
curl -sf -o /dev/null "$base/ready" || { echo "aegis serve did not start:"; cat "$work/server.log"; exit 1; }

# A fresh account must change its password before anything else (403 PASSWORD_CHANGE_REQUIRED),
# so each signs in, changes it, and signs in again for the token the fuzzer uses.
password='Aegis#Fuzzing-2026'
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
token_of() {
  local email=$1 first
  first=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$first_password\"}" | json_field access_token)
  curl -sf -o /dev/null "$base/api/v1/auth/change-password" -H "authorization: Bearer $first" \
    -H 'content-type: application/json' \
    -d "{\"current_password\":\"$first_password\",\"new_password\":\"$password\"}"
  curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | json_field access_token
}
admin_token=$(token_of admin@aegis.test)
viewer_token=$(token_of viewer@aegis.test)

# Some data for the lists and lookups to return: a test and a campaign.
curl -sf -o /dev/null "$base/api/v1/tests" -H "authorization: Bearer $admin_token" \
  -H 'content-type: application/json' -d '{"title":"Seeded test","technique_id":"T1059"}'
curl -sf -o /dev/null "$base/api/v1/campaigns" -H "authorization: Bearer $admin_token" \
  -H 'content-type: application/json' -d '{"name":"Seeded campaign"}'

# Operations that can end the fuzzing account's own session run last, in a run of their own:
# - POST /api/v1/auth/logout revokes the token every request carries;
# - POST /api/v1/auth/change-password revokes the account's other sessions (were a generated
#   body ever right);
# - POST /api/v1/users/{id}/reset-password, PATCH and DELETE /api/v1/users/{id} revoke the
#   sessions of the user they name, and schemathesis reuses the ids it reads in responses (the
#   admin's own id from GET /api/v1/users), so it does reset and deactivate its own account;
# - PUT /api/v1/mfa/policy can require a second factor of the admin role, after which the
#   admin's next token only reaches enrolment.
# Once one of them has ended the session, the rest of that last run is answered 401, which the
# document lists too; the runs before it keep a working session for every other operation.
session_enders=(
  --include-name 'POST /api/v1/auth/logout'
  --include-name 'POST /api/v1/auth/change-password'
  --include-name 'POST /api/v1/users/{id}/reset-password'
  --include-name 'PATCH /api/v1/users/{id}'
  --include-name 'DELETE /api/v1/users/{id}'
  --include-name 'PUT /api/v1/mfa/policy'
)
all_but_session_enders=("${session_enders[@]//--include-name/--exclude-name}")
# The live notification stream answers at once but ends only after five minutes, beyond any
# request timeout: its protocol is tested by tests/api/notifications.rs and the browser test.
all_but_session_enders+=(--exclude-name 'GET /api/v1/notifications/stream')
status=0
cases=0
# One worker: with two, hypothesis parses source code with `ast` from both threads at once,
# which CPython 3.11 can fail ("AST constructor recursion depth mismatch"), and the machine is
# shared anyway.
run() {
  local who=$1 token=$2
  shift 2
  echo "== schemathesis as $who $* (at most $examples examples per operation and phase)"
  # From the temporary directory: schemathesis keeps a cache (.schemathesis/) where it runs.
  (cd "$work" && "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --max-examples "$examples" \
    --generation-deterministic \
    --generation-with-security-parameters false \
    --workers 1 \
    --request-timeout 30 \
    --no-color \
    --report junit --report-dir "$work/report-$who" \
    "$@") | tee "$work/last-run.log" || status=1
  local generated
  generated=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$work/last-run.log" | tail -n 1)
  cases=$((cases + ${generated:-0}))
}
start=$(date +%s)
run admin "$admin_token" "${all_but_session_enders[@]}"
run viewer "$viewer_token" "${all_but_session_enders[@]}"
run viewer "$viewer_token" "${session_enders[@]}"
run admin "$admin_token" "${session_enders[@]}"
echo "api fuzzing: $cases cases in $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  echo "server log (last 50 lines):"
  tail -n 50 "$work/server.log"
fi
exit "$status"
