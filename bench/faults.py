#!/usr/bin/env python3
"""Incident intake while things break: gunicorn + PostgreSQL under load, with workers killed,
database connections cut and the master killed.

    .venv/bin/python bench/faults.py [--clients 8] [--duration 30] [--workers 3]

What it does:

1. Recreates a PostgreSQL database (default `bench_faults`), migrates it and seeds the demo
   district, and makes API tokens for demo staff who may log incidents (bench/intake.py's setup).
2. Starts gunicorn with gunicorn.conf.py (production config).
3. Runs `--clients` threads, each posting fights between students of a small shared pool (so
   concurrent reports name the same students), each request with its own Idempotency-Key. A
   request that fails (connection reset, timeout, 5xx) is sent again with the same key until it
   is acknowledged (201, or 200 for a replay), as a client should.
4. Meanwhile, on a schedule: kills a worker (SIGKILL), cuts every database connection
   (pg_terminate_backend), kills another worker, then kills the master (SIGKILL) and starts
   gunicorn again after a second, as a supervisor would.
   The load goes on for at least `--settle` seconds after that restart.
5. Prints: requests acknowledged, incidents stored, duplicates (a key stored twice, or a
   request stored more than once), lost (acknowledged but not stored), half-written (an
   incident without its triage decision or its audit event), answers by status (5xx
   included), connection failures, and the recovery time after each fault (from the fault to
   the next report acknowledged). Exit status 1 when anything was lost,
   duplicated or half-written, or the audit chain does not verify.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import (  # noqa: E402  (bench/intake.py: the shared setup)
    REPO,
    VENV_BIN,
    BenchFailure,
    create_tokens,
    drop_database,
    free_port,
    log,
    make_app,
    recreate_database,
    run_flask,
)

POOL = 4  # students per token that every client's reports name


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.connection_errors = 0
        self.acknowledged: dict[str, float] = {}  # key -> when acknowledged (monotonic)
        self.sent_at: dict[str, float] = {}  # key -> first send

    def answer(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def failed_connection(self) -> None:
        with self.lock:
            self.connection_errors += 1


def post(base: str, token: str, key: str, body: dict, timeout: float = 15) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/incidents",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def client(base_of, entry: dict, results: Results, stop: threading.Event, run: str) -> None:
    students = entry["students"][:POOL]
    n = 0
    while not stop.is_set():
        n += 1
        key = f"{run}-{uuid.uuid4().hex[:12]}"
        pair = [students[n % POOL], students[(n + 1) % POOL]]
        body = {
            "school_id": entry["school_id"],
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
            "location": "Classroom",
            "behaviors": ["fighting"],
            "description": "Two students traded blows at the start of the lesson.",
            "students": [{"student_id": s, "role": "responsible"} for s in pair],
        }
        results.sent_at[key] = time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the same request, the same key, until acknowledged
            try:
                status = post(base_of(), entry["token"], key, body)
            except (OSError, urllib.error.URLError):
                results.failed_connection()
                time.sleep(0.2)
                continue
            results.answer(status)
            if status in (200, 201):
                with results.lock:
                    results.acknowledged[key] = time.monotonic()
                break
            if status < 500:
                log(f"refused ({status}) for key {key}: not retried")
                break
            time.sleep(0.2)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class Server:
    """gunicorn with gunicorn.conf.py, restartable after its master is killed."""

    def __init__(self, args, env: dict, port: int, log_path: Path):
        self.args, self.env, self.port, self.log_path = args, env, port, log_path
        self.proc: subprocess.Popen | None = None
        self.log_file = open(log_path, "a")  # noqa: SIM115 - closed in stop()

    def start(self) -> None:
        cmd = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        cmd += ["--workers", str(self.args.workers), "--access-logfile", "/dev/null", "app:app"]
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def wait_ready(self, limit: float = 60) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchFailure(f"gunicorn not ready within {limit} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log_file.close()


def cut_connections(server_url: str, database: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).all()
            )
    finally:
        engine.dispose()


def inject_faults(server: Server, args, results: Results, faults: list[dict]) -> None:
    """The schedule of faults, spread over the run."""
    step = args.duration / 5

    def note(kind: str, detail: str) -> None:
        faults.append({"fault": kind, "detail": detail, "at": time.monotonic()})
        log(f"fault: {kind} ({detail})")

    time.sleep(step)
    victim = children(server.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    note("worker killed", f"pid {victim}")
    time.sleep(step)
    note("database connections cut", f"{cut_connections(args.server_url, args.database)} backends terminated")
    time.sleep(step)
    victims = children(server.proc.pid)
    os.kill(victims[-1], signal.SIGKILL)
    note("worker killed", f"pid {victims[-1]}")
    time.sleep(step)
    master = server.proc.pid
    workers = children(master)
    os.kill(master, signal.SIGKILL)
    note("master killed", f"pid {master}; its {len(workers)} workers exit when they see it gone")
    server.proc.wait()
    for pid in workers:  # sync workers notice a new parent at their next loop; do not wait on them
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(1)  # a supervisor's restart delay
    server.start()


def audit(app, run: str) -> dict:
    import sqlalchemy as sa

    from caseflow.audit.models import AuditEvent
    from caseflow.audit.services import verify_chain
    from caseflow.extensions import db
    from caseflow.incidents.models import Incident, IncidentStudent
    from caseflow.triage.models import TriageDecision

    with app.app_context():
        keys = Counter(
            db.session.scalars(
                sa.select(Incident.idempotency_key).where(Incident.idempotency_key.like(f"{run}-%"))
            )
        )
        ids = db.session.scalars(
            sa.select(Incident.id).where(Incident.idempotency_key.like(f"{run}-%"))
        ).all()
        involvements = Counter(
            db.session.scalars(
                sa.select(IncidentStudent.incident_id).where(IncidentStudent.incident_id.in_(ids))
            )
        )
        decisions = Counter(
            db.session.scalars(
                sa.select(TriageDecision.incident_id).where(
                    TriageDecision.incident_id.in_(ids), TriageDecision.is_current
                )
            )
        )
        audited = set(
            db.session.scalars(
                sa.select(AuditEvent.entity_id).where(
                    AuditEvent.action == "incident.created", AuditEvent.entity_type == "Incident"
                )
            )
        )
        half = [i for i in ids if involvements[i] != 2 or decisions[i] != 2 or str(i) not in audited]
        chain = verify_chain()
        db.session.remove()
        db.engine.dispose()
    return {"keys": keys, "half_written": half, "chain": chain.describe(), "chain_ok": chain.ok}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load; faults spread over it")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--settle", type=float, default=20.0, help="seconds of load after the master's restart"
    )
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="bench_faults")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    database_url = f"{args.server_url}/{args.database}"
    env = {
        **os.environ,
        "CASEFLOW_ENV": "production",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DATABASE_URL": database_url,
        "TRUSTED_PROXIES": "0",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    os.environ.update({k: env[k] for k in ("CASEFLOW_ENV", "SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXIES")})
    log(f"preparing {args.database}: migrate, demo district, tokens")
    recreate_database(args.server_url, args.database)
    server = None
    try:
        run_flask(["db", "upgrade"], env)
        run_flask(["demo", "seed"], env)
        app = make_app(database_url)
        entries = create_tokens(app)
        port = free_port()
        server = Server(args, env, port, REPO / "instance" / "bench-faults-gunicorn.log")
        server.start()
        server.wait_ready()
        log(f"load: {args.clients} clients for {args.duration:.0f} s, {args.workers} workers")

        run = uuid.uuid4().hex[:8]
        results, faults, stop = Results(), [], threading.Event()
        base = f"http://127.0.0.1:{port}"
        threads = [
            threading.Thread(
                target=client, args=(lambda: base, entries[i % len(entries)], results, stop, run)
            )
            for i in range(args.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        inject_faults(server, args, results, faults)
        # The load goes on until the end, and at least --settle seconds after the restart.
        time.sleep(max(0.0, started + args.duration - time.monotonic(), args.settle))
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

        found = audit(app, run)
        keys = found["keys"]
        acknowledged = set(results.acknowledged)
        lost = sorted(acknowledged - set(keys))
        duplicates = sum(n - 1 for n in keys.values() if n > 1)
        recoveries = []
        for fault in faults:  # the first report acknowledged after the fault
            after = [t for t in results.acknowledged.values() if t > fault["at"]]
            recoveries.append(round(min(after) - fault["at"], 2) if after else None)
        server_errors = sum(n for status, n in results.statuses.items() if status >= 500)
        report = {
            "sent": len(results.sent_at),
            "acknowledged": len(acknowledged),
            "stored": sum(keys.values()),
            "stored_unacknowledged": len(set(keys) - acknowledged),
            "duplicates": duplicates,
            "lost": len(lost),
            "half_written": len(found["half_written"]),
            "answers": dict(sorted(results.statuses.items())),
            "5xx": server_errors,
            "connection_failures": results.connection_errors,
            "recovery_s": {f"{f['fault']} ({i + 1})": r for i, (f, r) in enumerate(zip(faults, recoveries))},
            "audit_chain": found["chain"],
        }
        print(json.dumps(report, indent=2))
        bad = report["lost"] or report["duplicates"] or report["half_written"] or not found["chain_ok"]
        return 1 if bad else 0
    except BenchFailure as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        if server:
            server.stop()
        if not args.keep:
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    sys.exit(main())
