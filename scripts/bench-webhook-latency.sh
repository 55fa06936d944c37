#!/usr/bin/env bash
# Measures webhook delivery latency on the embedded profile: POST /webhooks/{id}/test until a
# local receiver has the signed request, 20 times in a row (docs/benchmarks.md). Set
# AEGIS_JOB_POLL_MILLIS to see the effect of the worker poll interval.
set -euo pipefail
bin=${AEGIS_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/aegis/target}/debug/aegis}
data=$(mktemp -d /tmp/aegis-hooklat.XXXXXX)
port=${WEBHOOK_BENCH_PORT:-18277}
export AEGIS_DATA_DIR=$data AEGIS_LISTEN=127.0.0.1:$port AEGIS_BCRYPT_COST=4 AEGIS_AUTH_RATE_LIMIT_PER_MINUTE=100000 AEGIS_LOG_LEVEL=error AEGIS_JOB_POLL_MILLIS=${AEGIS_JOB_POLL_MILLIS:-1000}
"$bin" migrate up >/dev/null
printf 'Aegis#Welcome-2026' | "$bin" admin create-user --email admin@aegis.test --role admin --display-name admin --password-stdin >/dev/null
"$bin" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/ready" && break; sleep 0.1; done
python3 - "$port" <<'PY'
import http.server, json, sys, threading, time, urllib.request, statistics
port = int(sys.argv[1]); base = f"http://127.0.0.1:{port}"
got = {}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        got[self.headers["webhook-id"]] = time.monotonic()
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r: return json.loads(r.read() or b"null")
first = "Aegis#Welcome-2026"; pw = "Aegis#Latency-2026x"
t = call("POST", "/api/v1/auth/login", body={"email": "admin@aegis.test", "password": first})["access_token"]
call("POST", "/api/v1/auth/change-password", t, {"current_password": first, "new_password": pw})
t = call("POST", "/api/v1/auth/login", body={"email": "admin@aegis.test", "password": pw})["access_token"]
call("PUT", "/api/v1/webhooks/allow-list", t, {"entries": ["127.0.0.1"]})
hook = call("POST", "/api/v1/webhooks", t, {"name": "lat", "url": f"http://127.0.0.1:{srv.server_port}/h", "events": ["report.ready"]})
lat = []
for _ in range(20):
    start = time.monotonic()
    d = call("POST", f"/api/v1/webhooks/{hook['id']}/test", t)
    while d["message_id"] not in got:
        time.sleep(0.005)
    lat.append((got[d["message_id"]] - start) * 1000)
lat.sort()
print(f"ping -> receiver, 20 sequential: median {statistics.median(lat):.0f} ms, p95 {lat[18]:.0f} ms, max {lat[-1]:.0f} ms")
PY
