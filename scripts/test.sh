#!/usr/bin/env bash
# Runs the whole test suite: unit, repository (SQLite and PostgreSQL), S3, API end-to-end, the API
# fuzzer (schemathesis against the OpenAPI document), the web UI's component tests (Vitest) and
# its browser tests (Playwright in Debian's chromium).
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth (or AEGIS_TEST_POSTGRES_URL) and Node.js;
# installs and starts an S3-compatible server (s3s-fs), an SMTP server and an OpenID provider
# itself, and chromium when it is missing.
# Build outputs and tools are cached in $AEGIS_CACHE_DIR (default ~/.cache/aegis), outside the
# checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
tools="$cache/tools"
mkdir -p "$tools"

# The web UI: built first, because the server's own tests fetch the pages it serves.
./scripts/build-web.sh
(cd presentation/web && npm test --silent)

# Chromium for the browser tests, from Debian's packages (Playwright's download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (once)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# PostgreSQL: start the machine's cluster when it is installed but stopped.
export AEGIS_TEST_POSTGRES_URL="${AEGIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi

# S3: s3s-fs, a real S3 protocol server that checks signatures, built once into the cache.
if [ ! -x "$tools/bin/s3s-fs" ]; then
  echo "installing s3s-fs 0.14.1 into $tools (once)"
  cargo install s3s-fs --version 0.14.1 --features binary --locked --root "$tools"
fi
s3_root="$(mktemp -d)"
s3_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$s3_root/aegis-test"
"$tools/bin/s3s-fs" --host 127.0.0.1 --port "$s3_port" \
  --access-key aegistest --secret-key aegistestsecret0123 "$s3_root" >"$s3_root.log" 2>&1 &
s3_pid=$!
trap 'kill "$s3_pid" 2>/dev/null || true; rm -rf "$s3_root" "$s3_root.log"' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
  sleep 0.1
done
export AEGIS_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
export AEGIS_TEST_S3_ACCESS_KEY=aegistest
export AEGIS_TEST_S3_SECRET_KEY=aegistestsecret0123
export AEGIS_TEST_S3_BUCKET=aegis-test
export AEGIS_TEST_S3_REGION=us-east-1

# EVTX: a real Windows event log for the telemetry reader, the sample the evtx project ships in
# its Python binding's source distribution (PyPI `evtx` 0.8.0, MIT), fetched once and checked.
evtx_dir="$tools/evtx-sample"
evtx_sample="$evtx_dir/Security_short_selected.evtx"
evtx_sha256="50c87926d2dfed9776906ffbcc77e61577940910a71fb1c1871860a4e2213456"
if ! echo "$evtx_sha256  $evtx_sample" | sha256sum --check --status 2>/dev/null; then
  echo "fetching the evtx project's sample log into $evtx_dir (once)"
  rm -rf "$evtx_dir" && mkdir -p "$evtx_dir"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    --no-binary :all: "evtx==0.8.0" -d "$evtx_dir"
  tar -xzf "$evtx_dir/evtx-0.8.0.tar.gz" -C "$evtx_dir" --strip-components=2 \
    evtx-0.8.0/samples/Security_short_selected.evtx
  echo "$evtx_sha256  $evtx_sample" | sha256sum --check --status
fi
export AEGIS_TEST_EVTX_SAMPLE="$evtx_sample"

# SMTP: aiosmtpd (a real SMTP server from PyPI) in a venv in the cache, installed once, started
# twice on free ports writing what it receives to Maildirs: plain, and STARTTLS required with
# AUTH and a self-signed certificate made here (scripts/smtp-server.py).
smtp_venv="$tools/aiosmtpd-venv"
if ! "$smtp_venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd 1.4.6 into $smtp_venv (once)"
  python3 -m venv "$smtp_venv"
  "$smtp_venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==1.4.6"
fi
smtp_root="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
smtp_port="$(free_port)"
smtp_tls_port="$(free_port)"
# A leaf certificate (not a CA: rustls refuses a CA certificate as a server's own), trusted
# by the tests as its own anchor.
cat >"$smtp_root/cert.cnf" <<'CNF'
[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no
[dn]
CN = localhost
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -config "$smtp_root/cert.cnf" \
  -keyout "$smtp_root/key.pem" -out "$smtp_root/cert.pem" 2>/dev/null
"$smtp_venv/bin/python" scripts/smtp-server.py --port "$smtp_port" --maildir "$smtp_root/plain" \
  >"$smtp_root/plain.log" 2>&1 &
smtp_pid=$!
"$smtp_venv/bin/python" scripts/smtp-server.py --port "$smtp_tls_port" --maildir "$smtp_root/tls" \
  --tls-cert "$smtp_root/cert.pem" --tls-key "$smtp_root/key.pem" --auth aegis:smtp-test-pass \
  >"$smtp_root/tls.log" 2>&1 &
smtp_tls_pid=$!
trap 'kill "$s3_pid" "$smtp_pid" "$smtp_tls_pid" 2>/dev/null || true; rm -rf "$s3_root" "$s3_root.log" "$smtp_root"' EXIT
for _ in $(seq 1 100); do
  grep -q listening "$smtp_root/plain.log" && grep -q listening "$smtp_root/tls.log" && break
  sleep 0.1
done
export AEGIS_TEST_SMTP_PORT="$smtp_port"
export AEGIS_TEST_SMTP_MAILDIR="$smtp_root/plain"
export AEGIS_TEST_SMTP_STARTTLS_PORT="$smtp_tls_port"
export AEGIS_TEST_SMTP_STARTTLS_MAILDIR="$smtp_root/tls"
export AEGIS_TEST_SMTP_CA="$smtp_root/cert.pem"
export AEGIS_TEST_SMTP_USER=aegis
export AEGIS_TEST_SMTP_PASSWORD=smtp-test-pass

# OpenID Connect: the certified `oidc-provider` package (pinned in tests/peers/oidc), installed
# into the cache with npm ci when its lock file changes, started on a free port by
# scripts/oidc-provider.mjs for the API and browser tests' single sign-on.
oidc_dir="$tools/oidc-provider"
if ! cmp -s tests/peers/oidc/package-lock.json "$oidc_dir/package-lock.json" \
  || [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
  echo "installing oidc-provider into $oidc_dir"
  mkdir -p "$oidc_dir"
  cp tests/peers/oidc/package.json tests/peers/oidc/package-lock.json "$oidc_dir/"
  (cd "$oidc_dir" && npm_config_cache="$cache/npm" npm ci --no-audit --no-fund --loglevel=error)
fi
oidc_log="$(mktemp)"
node scripts/oidc-provider.mjs --modules "$oidc_dir/node_modules" >"$oidc_log" 2>&1 &
oidc_pid=$!
trap 'kill "$s3_pid" "$smtp_pid" "$smtp_tls_pid" "$oidc_pid" 2>/dev/null || true; rm -rf "$s3_root" "$s3_root.log" "$smtp_root" "$oidc_log"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening ' "$oidc_log" && break
  sleep 0.1
done
AEGIS_TEST_OIDC_ISSUER="$(awk '/^listening /{print $2}' "$oidc_log")"
export AEGIS_TEST_OIDC_ISSUER

status=0
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@" || status=$?
  cargo test --workspace --doc || status=$?
else
  cargo test --workspace --no-fail-fast "$@" || status=$?
fi

# The deployment artifacts (deploy/): the Helm chart rendered and checked against the
# Kubernetes schemas, the compose file's consistency, yamllint (scripts/check-deploy.sh).
./scripts/check-deploy.sh || status=$?

# The `aegis` binary the fuzzer and the browser tests start: the test build above already made it
# (the CLI tests need it) with the test build's features; this only checks it is current. A plain
# `cargo build -p aegis` resolves features without dev-dependencies and rebuilds half the tree.
cargo test --workspace --no-run -q

# Scale-out with real processes: HAProxy, two `aegis serve`, two `aegis worker`, a private
# PostgreSQL and an S3 server, a minute of load with an instance killed, PostgreSQL restarted
# and S3 stopped (scripts/scale-test.sh; SCALE_SECONDS=N for a shorter or longer run).
AEGIS_BIN="$CARGO_TARGET_DIR/debug/aegis" ./scripts/scale-test.sh || status=$?

# The API against its contract: schemathesis fuzzes every operation of docs/openapi.json, as an
# admin and as a viewer, against a seeded `aegis serve` (scripts/api-fuzz.sh).
AEGIS_BIN="$CARGO_TARGET_DIR/debug/aegis" ./scripts/api-fuzz.sh || status=$?

# The browser tests, against a real `aegis serve` on the embedded profile (e2e/serve.sh).
rm -rf presentation/web/e2e/screenshots
(cd presentation/web && AEGIS_BIN="$CARGO_TARGET_DIR/debug/aegis" npx playwright test) || status=$?
echo "screenshots of every page: presentation/web/e2e/screenshots/"
exit "$status"
