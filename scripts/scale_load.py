"""The load and the checks of scripts/scale-test.sh (run that script, not this file).

Phases, all through HAProxy unless said otherwise:
  setup    the admin signs in and changes the password; a session made on instance A is used
           on instance B; failed sign-ins spread over both instances lock the account on both.
  load     N threads of mixed reads and writes and one of evidence uploads for SECONDS; the
           script stops the S3 server for a few seconds early on, kills instance A at a third
           of the time and restarts it, and restarts PostgreSQL at two thirds. Every response
           is recorded: a write acknowledged with 2xx keeps its id.
  verify   every acknowledged write is in the database (psql), no request hung, every
           failure is a 502/503/504 (503s as problem documents), and after the sweep of
           abandoned uploads every evidence row has its object and every object its row.
Prints one JSON object with the figures and exits non-zero when a check fails.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time

PROXY = int(os.environ["SCALE_PROXY_PORT"])
API_A = int(os.environ["SCALE_API_A_PORT"])
API_B = int(os.environ["SCALE_API_B_PORT"])
SECONDS = float(os.environ.get("SCALE_SECONDS", "60"))
THREADS = int(os.environ.get("SCALE_THREADS", "4"))
PSQL_URL = os.environ["SCALE_DATABASE_URL"]
S3_BUCKET_DIR = os.environ["SCALE_S3_BUCKET_DIR"]
ADMIN = os.environ["SCALE_ADMIN_EMAIL"]
FIRST_PASSWORD = os.environ["SCALE_ADMIN_PASSWORD"]
PASSWORD = "Scale#Tested-2026x"
TIMEOUT = 15.0

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL {message}", file=sys.stderr)


def call(port, method, path, body=None, token=None, timeout=TIMEOUT):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"content-type": "application/json", "x-requested-with": "aegis"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        content_type = response.getheader("content-type", "")
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, content_type, parsed
    finally:
        connection.close()


def setup():
    status, _, body = call(API_A, "POST", "/api/v1/auth/login", {"email": ADMIN, "password": FIRST_PASSWORD})
    check(status == 200, f"admin sign-in on instance A: {status} {body}")
    token = body["access_token"]
    status, _, body = call(API_A, "POST", "/api/v1/auth/change-password", {"current_password": FIRST_PASSWORD, "new_password": PASSWORD}, token)
    check(status == 204, f"password change: {status} {body}")
    status, _, body = call(API_A, "POST", "/api/v1/auth/login", {"email": ADMIN, "password": PASSWORD})
    token = body["access_token"]
    # A session made on A works on B.
    status, _, me = call(API_B, "GET", "/api/v1/auth/me", token=token)
    check(status == 200 and me and me.get("email") == ADMIN, f"the session of instance A on instance B: {status} {me}")

    # Lockout across instances: failures alternate between A and B.
    victim = "locked@aegis.test"  # made by scale-test.sh with this password
    answers = []
    for attempt in range(6):
        port = API_A if attempt % 2 == 0 else API_B
        status, _, _ = call(port, "POST", "/api/v1/auth/login", {"email": victim, "password": "wrong-password-1A!"})
        answers.append(status)
    locked = [call(port, "POST", "/api/v1/auth/login", {"email": victim, "password": "Victim#Pass-2026x"})[0] for port in (API_A, API_B)]
    check(all(s == 429 for s in locked), f"five failures over two instances lock the account on both: {answers} then {locked}")
    return token, {"session_across_instances": True, "lockout_statuses": answers + locked}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = []
        self.acknowledged = []
        self.latencies = []
        self.hung = 0

    def record(self, kind, status, latency, created_id=None, problem=True):
        with self.lock:
            self.requests += 1
            self.latencies.append(latency)
            if status is None:
                self.hung += 1
                self.failed.append((kind, "no answer", round(time.time(), 1)))
            elif status >= 300:
                self.failed.append((kind, status, round(time.time(), 1), problem))
            elif created_id:
                self.acknowledged.append(created_id)


def worker(token, stats, deadline, number):
    n = 0
    while time.time() < deadline:
        n += 1
        started = time.time()
        try:
            if n % 3 == 0:
                status, content_type, body = call(
                    PROXY, "POST", "/api/v1/tests",
                    {"title": f"load {number}-{n}", "technique_id": "T1059", "description": "scale test", "objective": "load"},
                    token,
                )
                created = body.get("id") if status == 201 and isinstance(body, dict) else None
                stats.record("write", status, time.time() - started, created, content_type.startswith("application/problem+json"))
            else:
                path = ["/api/v1/tests?per_page=5", "/api/v1/dashboard", "/api/v1/techniques?per_page=5"][n % 3]
                status, content_type, _ = call(PROXY, "GET", path, token=token)
                stats.record("read", status, time.time() - started, None, content_type.startswith("application/problem+json"))
        except (OSError, http.client.HTTPException):
            stats.record("error", None, time.time() - started)


def upload(token, test_id, content):
    boundary = "aegisscale" + str(time.time_ns())
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"log.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ).encode()
    connection = http.client.HTTPConnection("127.0.0.1", PROXY, timeout=TIMEOUT)
    try:
        connection.request("POST", f"/api/v1/tests/{test_id}/evidence", body=body, headers={
            "authorization": f"Bearer {token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        })
        response = connection.getresponse()
        data = response.read()
        problem = response.getheader("content-type", "").startswith("application/problem+json")
        parsed = json.loads(data) if data and response.status == 201 else None
        return response.status, problem, parsed
    finally:
        connection.close()


def uploader(token, stats, deadline):
    """Evidence uploads all along, so that some meet the S3 server stopped."""
    status, _, test = call(PROXY, "POST", "/api/v1/tests",
                           {"title": "uploads", "technique_id": "T1059", "description": "scale test", "objective": "evidence"}, token)
    if status != 201:
        check(False, f"creating the upload test: {status} {test}")
        return
    n = 0
    while time.time() < deadline:
        n += 1
        started = time.time()
        try:
            status, problem, body = upload(token, test["id"], f"upload {n} " * 50)
            created = body.get("id") if isinstance(body, dict) else None
            stats.record("upload", status, time.time() - started, created and ("evidence", created), problem)
        except (OSError, http.client.HTTPException):
            stats.record("upload", None, time.time() - started)
        time.sleep(0.05)


def psql(sql):
    return subprocess.run(["psql", PSQL_URL, "-Atc", sql], capture_output=True, text=True, check=True).stdout


def no_orphans():
    """Every evidence row has its object, and every object is either evidence or an upload
    that failed and waits for the sweep in evidence_pending_objects (the sweep removes such
    objects after the grace period; while the store is unreachable it cannot, so the
    reservation is kept rather than dropped)."""
    keys = {line for line in psql("SELECT object_key FROM evidence WHERE deleted_at IS NULL").splitlines() if line}
    pending = {line for line in psql("SELECT object_key FROM evidence_pending_objects").splitlines() if line}
    objects = set()
    for folder, _, files in os.walk(S3_BUCKET_DIR):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), S3_BUCKET_DIR)
            if not any(part.startswith(".") for part in relative.split(os.sep)):
                objects.add(relative)
    check(keys <= objects, f"{len(keys - objects)} evidence rows without their object: {sorted(keys - objects)[:3]}")
    unowned = objects - keys - pending
    check(not unowned, f"{len(unowned)} objects with neither an evidence row nor a pending upload: {sorted(unowned)[:3]}")
    check(not (keys & pending), "an upload is both evidence and pending")
    return {"evidence_rows": len(keys), "objects": len(objects), "failed_uploads_awaiting_sweep": len(pending),
            "their_objects_in_store": len(objects & pending)}


def rows_present(ids):
    if not ids:
        return set()
    found = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        values = ",".join(f"'{i}'" for i in chunk)
        out = psql(f"SELECT id::text FROM tests WHERE id::text IN ({values})")
        found.update(line.strip() for line in out.splitlines() if line.strip())
    return found


def main():
    token, setup_figures = setup()
    stats = Stats()
    started = time.time()
    deadline = started + SECONDS
    print(f"load: {THREADS} threads for {SECONDS:.0f} s", file=sys.stderr, flush=True)
    threads = [threading.Thread(target=worker, args=(token, stats, deadline, i)) for i in range(THREADS)]
    threads.append(threading.Thread(target=uploader, args=(token, stats, deadline)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    tests = [i for i in stats.acknowledged if not isinstance(i, tuple)]
    evidence = [i[1] for i in stats.acknowledged if isinstance(i, tuple)]
    present = rows_present(tests)
    lost = [i for i in tests if i not in present]
    stored = {line for line in psql("SELECT id::text FROM evidence").splitlines() if line}
    lost += [i for i in evidence if i not in stored]
    check(not lost, f"{len(lost)} acknowledged writes are missing from the database: {lost[:5]}")
    check(stats.hung == 0, f"{stats.hung} requests got no answer within {TIMEOUT} s")
    bad = [f for f in stats.failed if len(f) > 3 and f[1] != 503 and f[1] not in (502, 504)]
    check(not bad, f"failures other than 502/503/504: {bad[:5]}")
    not_problem = [f for f in stats.failed if len(f) > 3 and f[1] == 503 and not f[3]]
    check(not not_problem, f"503 answers that are not problem documents: {len(not_problem)}")
    latencies = sorted(stats.latencies)
    figures = {
        **setup_figures,
        "seconds": round(elapsed, 1),
        "requests": stats.requests,
        "requests_per_second": round(stats.requests / elapsed, 1),
        "failed": len(stats.failed),
        "failed_by_status": {str(s): sum(1 for f in stats.failed if f[1] == s) for s in {f[1] for f in stats.failed}},
        "acknowledged_writes": len(stats.acknowledged),
        "acknowledged_uploads": len(evidence),
        "uploads_refused": sum(1 for f in stats.failed if f[0] == "upload"),
        "evidence_store": no_orphans(),
        "acknowledged_writes_missing": len(lost),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None,
        "recovered_after_faults": stats.requests > 0,
    }
    # After every fault, both instances answer again.
    for port in (API_A, API_B):
        status, _, _ = call(port, "GET", "/api/v1/dashboard", token=token)
        check(status == 200, f"instance on port {port} answers after the faults: {status}")
    print(json.dumps(figures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
