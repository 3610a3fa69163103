#!/usr/bin/env python3
"""Incident intake under concurrent load: POST /api/v1/incidents beside GET /healthz.

    .venv/bin/python bench/intake.py [--clients 8] [--duration 20] [--workers 4]

What it does, start to finish:

1. Drops and recreates a PostgreSQL database (default `caseflow_bench`), runs
   `flask --app app db upgrade` and `flask --app app demo seed` against it, and creates one API
   token for each of several demo staff members who may log incidents (teachers, counselors,
   principals of the three demo schools), each paired with students of that person's school.
2. Starts gunicorn (production config, `TRUSTED_PROXIES=0`) and waits for /healthz.
3. With wrk, after a short warm-up, loads GET /healthz (bench/healthz.lua), then
   POST /api/v1/incidents (bench/intake.lua: a unique Idempotency-Key per request, the token
   and students rotating), with the same client count and duration.
4. Checks that every POST got 201 and every GET 200, that the incidents stored during the
   measured run match the 201s wrk counted, and that the audit chain still verifies; prints
   a table (requests/s, p50/p95/p99) and the intake/trivial throughput ratio, and writes it
   all as JSON to bench/results/intake-<timestamp>.json.
5. Stops gunicorn and drops the database, also when something fails.

With --floor (`.venv/bin/python bench/intake.py --floor [--rounds 3]`), there is no /healthz
phase: Caseflow and bench/intake_floor.py (a WSGI app issuing the same SQL statements over raw
psycopg; tests/bench/test_intake_floor.py keeps them in step) are started side by side with the
same gunicorn settings on the same database, and loaded with the same intake requests in
alternating phases for --rounds rounds (the order alternates too, since each phase adds to the
students' histories). It prints each side's requests/s, p50/p95 and gunicorn worker CPU per
intake (utime + stime of the workers, from /proc, before and after each phase, divided by the
requests), the ratio caseflow / floor per round and its median, and writes
bench/results/intake-floor-<timestamp>.json. That ratio is the intake figure.

Exit status: 0 when the run was clean (whether or not the targets were met; they are
reported), 1 when a request failed, the counts disagree or the setup failed, 2 on bad usage.
wrk must be installed (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent

# The targets from the issue (2-core machine, 8 concurrent clients).
TARGET_P95_MS = 50.0
TARGET_RATIO = 1 / 3

# Demo staff whose tokens are used: (email local part, school short name), all may log incidents.
STAFF = [
    (local, school)
    for school in ("es", "ms", "hs")
    for local in ("teacher", "teacher2", "counselor", "principal")
]
# gunicorn's master imports the app once to check it, then each worker imports it: on a busy
# 2-core machine that has taken more than 30 s.
START_TIMEOUT_S = 120
STUDENTS_PER_TOKEN = 80  # 4 tokens a school; the demo schools have 330-340 students


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


class BenchFailure(RuntimeError):
    pass


# --- PostgreSQL -----------------------------------------------------------------------------


def admin_engine(server_url: str):
    import sqlalchemy as sa

    return sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")


def recreate_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = admin_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def drop_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = admin_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def server_version(server_url: str) -> str:
    import sqlalchemy as sa

    engine = admin_engine(server_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


def run_flask(args: list[str], env: dict) -> str:
    cmd = [str(VENV_BIN / "flask"), "--app", "app", *args]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchFailure(
            f"`flask --app app {' '.join(args)}` failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


# --- Tokens and payload data, in-process ----------------------------------------------------


def make_app(database_url: str):
    """The app factory on the bench database (config reads the environment at import)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from caseflow import create_app

    return create_app("production", overrides={"SQLALCHEMY_DATABASE_URI": database_url})


def create_tokens(app) -> list[dict]:
    import sqlalchemy as sa

    from caseflow.auth.models import User
    from caseflow.auth.permissions import Permission
    from caseflow.auth.services import create_token
    from caseflow.db import transaction
    from caseflow.demo.generator import STAFF_EMAIL_DOMAIN
    from caseflow.extensions import db
    from caseflow.people.models import Student

    entries = []
    taken_slots: dict[int, int] = {}
    with app.app_context():
        with transaction():
            for local, school_short in STAFF:
                email = f"{local}.{school_short}@{STAFF_EMAIL_DOMAIN}"
                user = db.session.scalar(sa.select(User).where(User.email == email))
                if user is None:
                    raise BenchFailure(f"demo user {email} not found: has `flask demo seed` changed?")
                if not user.can(Permission.INCIDENT_CREATE) or not user.schools:
                    raise BenchFailure(f"demo user {email} cannot log incidents for a school")
                school = sorted(user.schools, key=lambda s: s.id)[0]
                # Each token gets its own students, so no student collects an unusual history.
                slot = taken_slots.setdefault(school.id, 0)
                taken_slots[school.id] = slot + 1
                students = db.session.scalars(
                    sa.select(Student.id)
                    .where(Student.school_id == school.id, Student.active.is_(True))
                    .order_by(Student.id)
                    .offset(slot * STUDENTS_PER_TOKEN)
                    .limit(STUDENTS_PER_TOKEN)
                ).all()
                if not students:
                    raise BenchFailure(f"no students in {school.name}")
                _, secret = create_token(actor=user, user=user, name="intake benchmark", days=1)
                entries.append(
                    {"email": email, "token": secret, "school_id": school.id, "students": list(students)}
                )
        db.engine.dispose()
    return entries


def count_rows(app) -> dict:
    import sqlalchemy as sa

    from caseflow.audit.models import AuditEvent
    from caseflow.extensions import db
    from caseflow.incidents.models import Incident

    with app.app_context():
        counts = {
            "incidents": db.session.scalar(sa.select(sa.func.count()).select_from(Incident)),
            "audit_events": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
            "incident_created_events": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "incident.created")
            ),
        }
        db.session.remove()
        db.engine.dispose()
    return counts


def settled_counts(app, quiet: float = 1.0, limit: float = 30.0) -> dict:
    """The counts once they have stopped changing for `quiet` seconds."""
    deadline = time.monotonic() + limit
    counts = count_rows(app)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        again = count_rows(app)
        if again == counts:
            break
        counts = again
    return counts


def write_lua_data(path: Path, run_id: str, occurred_at: str, entries: list[dict]) -> None:
    def lua_str(s: str) -> str:
        return json.dumps(s)  # a JSON string of ASCII letters, digits and -_: is a valid Lua string

    lines = ["-- Written by bench/intake.py for one run; holds API tokens: do not keep.", "return {"]
    lines.append(f"  run = {lua_str(run_id)},")
    lines.append(f"  occurred_at = {lua_str(occurred_at)},")
    lines.append("  entries = {")
    for e in entries:
        students = ", ".join(str(s) for s in e["students"])
        token = lua_str(e["token"])
        lines.append(f"    {{ token = {token}, school_id = {e['school_id']}, students = {{ {students} }} }},")
    lines.append("  },")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


# --- gunicorn and wrk -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    args, env: dict, port: int, log_path: Path, target: tuple[str, ...] = ("app:app",)
) -> subprocess.Popen:
    """gunicorn with the repository's gunicorn.conf.py (loaded from the working directory) and
    the benchmark's workers; `target` is Caseflow (app:app) or the floor."""
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        args.worker_class,
    ]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    cmd += ["--log-level", "warning", *target]
    log(f"starting: gunicorn {' '.join(cmd[1:])}")
    log_file = open(log_path, "w")  # noqa: SIM115 - closed when the process is stopped
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    proc.log_file = log_file  # type: ignore[attr-defined]
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchFailure(f"gunicorn exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    raise BenchFailure(f"gunicorn did not answer {url} within {START_TIMEOUT_S} s; see {log_path}")


def stop_gunicorn(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log_file.close()  # type: ignore[attr-defined]


# --- Other load on the machine -----------------------------------------------------------
#
# The load generator, gunicorn and PostgreSQL share the machine; so may other people's work.
# For each measured phase the CPU time used by processes outside the benchmark is estimated
# as: all busy CPU time (/proc/stat) minus gunicorn's processes, the bench database's
# PostgreSQL backends, wrk and this script. Reported in cores (1.0 = one core busy).

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / CLOCK_TICKS


def _pid_seconds(pid: int) -> float:
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(rest[11]) + int(rest[12])) / CLOCK_TICKS  # utime + stime


def worker_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of a gunicorn server's workers so far: the live workers' own,
    plus what the master has collected from workers that exited (max_requests replaces them)."""
    try:
        rest = Path(f"/proc/{master_pid}/stat").read_text().rsplit(")", 1)[1].split()
        reaped = (int(rest[13]) + int(rest[14])) / CLOCK_TICKS  # cutime + cstime
    except (OSError, IndexError):
        return 0.0
    live = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == master_pid:
            live += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return reaped + live


def _bench_pids(gunicorn_pid: int | None, database: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry.name)
        if gunicorn_pid and (pid == gunicorn_pid or ppid == gunicorn_pid):
            pids.append(pid)
        elif cmdline.startswith("postgres:") and f" {database} " in cmdline:
            pids.append(pid)
    return pids


class CpuMeter:
    """Busy CPU of the whole machine, and of the benchmark's own processes, over a phase."""

    def __init__(self, gunicorn_pid: int | None, database: str):
        self.gunicorn_pid, self.database = gunicorn_pid, database

    def snapshot(self) -> dict:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        pids = _bench_pids(self.gunicorn_pid, self.database)
        return {
            "time": time.monotonic(),
            "busy": _busy_seconds(),
            "bench": {pid: _pid_seconds(pid) for pid in pids},
            "local": children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime,
        }

    @staticmethod
    def delta(start: dict, end: dict) -> dict:
        elapsed = end["time"] - start["time"]
        bench = sum(end["bench"][p] - start["bench"].get(p, 0.0) for p in end["bench"])
        local = end["local"] - start["local"]
        busy = end["busy"] - start["busy"]
        return {
            "machine_busy_cores": round(busy / elapsed, 2),
            "benchmark_cores": round((bench + local) / elapsed, 2),
            "other_cores": round(max(0.0, busy - bench - local) / elapsed, 2),
        }


def wait_for_quiet(meter: CpuMeter, limit: float, threshold: float = 0.15, window: float = 3.0) -> float:
    """Wait (at most `limit` s) until other processes use under `threshold` cores for `window` s.
    Returns the other processes' load in the last window."""
    deadline = time.monotonic() + limit
    while True:
        start = meter.snapshot()
        time.sleep(window)
        other = meter.delta(start, meter.snapshot())["other_cores"]
        if other < threshold or time.monotonic() >= deadline:
            return other
        log(f"other processes use {other:.2f} cores; waiting for a quiet machine")


def run_wrk(script: str, url: str, clients: int, duration: int, env: dict) -> dict:
    threads = min(2, clients)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH_DIR / script),
        url,
    ]
    proc = subprocess.run(cmd, cwd=BENCH_DIR, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchFailure(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    match = re.search(r"^BENCH_RESULT (\{.*\})$", proc.stdout, re.MULTILINE)
    if not match:
        raise BenchFailure(f"no BENCH_RESULT line in wrk's output:\n{proc.stdout}{proc.stderr}")
    result = json.loads(match.group(1))
    result["wrk_command"] = " ".join(["wrk", *cmd[1:-3], "-s", f"bench/{script}", url])
    result["clients"] = clients
    result["wrk_threads"] = threads
    return result


# --- Reporting ------------------------------------------------------------------------------


def machine_info(server_url: str) -> dict:
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()
    gunicorn_version = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory": mem_total,
        "postgresql": server_version(server_url),
        "python": platform.python_version(),
        "gunicorn": gunicorn_version,
        "wrk": wrk_version[0] if wrk_version else None,
        "platform": platform.platform(),
    }


def code_fingerprint() -> str:
    """A short digest of the application's source, to tell which code a result measured."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("caseflow", "migrations", "workflows"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".yaml", ".yml"}:
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    for name in ("app.py", "config.py"):
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()[:12]


def print_table(rows: list[dict], ratio: float) -> None:
    header = ("endpoint", "clients", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx")
    table = [header] + [
        (
            r["endpoint"],
            str(r["clients"]),
            str(r["requests"]),
            f"{r['rps']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["unexpected_responses"]),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for i, row in enumerate(table):
        print("  ".join(v.rjust(w) if j else v.ljust(w) for j, (v, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nthroughput ratio intake / trivial: {ratio:.3f}")


# --- Caseflow against the intake floor ---------------------------------------------------------
#
# --floor: Caseflow and bench/intake_floor.py (the same SQL statements over raw psycopg, no
# framework; tests/bench/test_intake_floor.py keeps the two in step) run side by side under the
# same gunicorn settings on the same database, in alternating phases. The throughput ratio
# caseflow / floor is the intake figure; worker CPU per intake says where the difference goes.

FLOOR_TARGET_RATIO = 0.8
FLOOR_TARGET_CPU_MS = 6.0
FLOOR_TARGETS = {"caseflow": ("app:app",), "floor": ("--pythonpath", str(BENCH_DIR), "intake_floor:app")}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def run_intake_phase(name: str, server, base: str, meter: CpuMeter, args, app, wrk_env) -> dict:
    """One measured intake phase: wrk's figures, the workers' CPU, and the rows it stored."""
    before = settled_counts(app)  # the previous phase's last requests have finished
    snap, cpu_before = meter.snapshot(), worker_cpu_seconds(server.pid)
    result = run_wrk("intake.lua", base + "/api/v1/incidents", args.clients, args.duration, wrk_env)
    cpu_after, result["cpu"] = worker_cpu_seconds(server.pid), meter.delta(snap, meter.snapshot())
    after = settled_counts(app)  # requests in flight when wrk stopped still finish
    result["server"] = name
    result["worker_cpu_s"] = round(cpu_after - cpu_before, 2)
    result["worker_cpu_ms_per_intake"] = (cpu_after - cpu_before) * 1000 / max(result["requests"], 1)
    result["incidents_stored"] = after["incidents"] - before["incidents"]
    result["incident_created_events"] = after["incident_created_events"] - before["incident_created_events"]
    result["audit_events_added"] = after["audit_events"] - before["audit_events"]
    return result


def phase_problems(r: dict, clients: int) -> list[str]:
    out = []
    if r["unexpected_responses"]:
        out.append(
            f"{r['server']}: {r['unexpected_responses']} responses were not 201; "
            f"first: {r['first_unexpected']}"
        )
    if errors := {k: v for k, v in r["socket_errors"].items() if v}:
        out.append(f"{r['server']}: socket errors {errors}")
    created, stored = r["expected_responses"], r["incidents_stored"]
    if not (created <= stored <= created + clients and r["incident_created_events"] == stored):
        out.append(
            f"{r['server']}: stored incidents ({stored}) / incident.created events "
            f"({r['incident_created_events']}) do not match the 201 responses wrk counted ({created})"
        )
    return out


def compare_with_floor(args, env, app, wrk_env, stamp, servers, failures, started, info, fingerprint) -> None:
    bases = {}
    for name, target in FLOOR_TARGETS.items():
        port = free_port()
        server = start_gunicorn(args, env, port, RESULTS_DIR / f"intake-{stamp}-{name}.log", target)
        servers.append(server)
        bases[name] = (server, f"http://127.0.0.1:{port}")
    meters = {name: CpuMeter(server.pid, args.database) for name, (server, _) in bases.items()}
    if args.quiet_wait:
        other = wait_for_quiet(meters["caseflow"], args.quiet_wait)
        log(f"other processes before the run: {other:.2f} cores")
    if args.warmup:
        log(f"warm-up: {args.warmup} s each")
        for name, (_, base) in bases.items():
            warm = run_wrk("intake.lua", base + "/api/v1/incidents", args.clients, args.warmup, wrk_env)
            if warm["unexpected_responses"]:
                failures.append(
                    f"warm-up {name}: {warm['unexpected_responses']} unexpected, {warm['first_unexpected']}"
                )
    uptime_before = Path("/proc/loadavg").read_text().split()[:3]
    rounds = []
    for n in range(args.rounds):
        order = ("caseflow", "floor") if n % 2 == 0 else ("floor", "caseflow")  # history grows: alternate
        phases = {}
        for name in order:
            server, base = bases[name]
            log(f"round {n + 1}: {name}, {args.clients} clients, {args.duration} s")
            phases[name] = run_intake_phase(name, server, base, meters[name], args, app, wrk_env)
            failures.extend(phase_problems(phases[name], args.clients))
        ratio = phases["caseflow"]["rps"] / phases["floor"]["rps"] if phases["floor"]["rps"] else 0.0
        rounds.append({"round": n + 1, "order": list(order), **phases, "ratio": ratio})
    uptime_after = Path("/proc/loadavg").read_text().split()[:3]
    for server in list(servers):
        stop_gunicorn(server)
    log("flask audit verify")
    try:
        verify = run_flask(["audit", "verify"], env).strip()
    except BenchFailure as exc:
        verify = str(exc)
        failures.append(f"audit chain: {exc}")

    header = (
        "round",
        "server",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "CPU ms/intake",
        "other cores",
        "ratio",
    )
    table = [header]
    for r in rounds:
        for name in r["order"]:
            p = r[name]
            table.append(
                (
                    str(r["round"]),
                    name,
                    str(p["requests"]),
                    f"{p['rps']:.1f}",
                    f"{p['p50_ms']:.1f}",
                    f"{p['p95_ms']:.1f}",
                    f"{p['worker_cpu_ms_per_intake']:.2f}",
                    f"{p['cpu']['other_cores']:.2f}",
                    f"{r['ratio']:.3f}" if name == r["order"][-1] else "",
                )
            )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for i, row in enumerate(table):
        print(
            "  ".join(
                v.rjust(w) if j not in (1,) else v.ljust(w) for j, (v, w) in enumerate(zip(row, widths))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    median = {
        "ratio": _median([r["ratio"] for r in rounds]),
        **{
            f"{name}_{key}": _median([r[name][key] for r in rounds])
            for name in FLOOR_TARGETS
            for key in ("rps", "p50_ms", "p95_ms", "worker_cpu_ms_per_intake")
        },
    }
    print(
        f"\nmedian of {len(rounds)} rounds: caseflow {median['caseflow_rps']:.1f} req/s "
        f"(p50 {median['caseflow_p50_ms']:.1f} ms, p95 {median['caseflow_p95_ms']:.1f} ms, "
        f"{median['caseflow_worker_cpu_ms_per_intake']:.2f} ms worker CPU per intake); floor "
        f"{median['floor_rps']:.1f} req/s (p50 {median['floor_p50_ms']:.1f} ms, "
        f"p95 {median['floor_p95_ms']:.1f} ms, "
        f"{median['floor_worker_cpu_ms_per_intake']:.2f} ms)"
    )
    print(
        f"intake ratio caseflow / floor: per round {', '.join(format(r['ratio'], '.3f') for r in rounds)}; "
        f"median {median['ratio']:.3f}"
    )
    targets = {
        "ratio_min": FLOOR_TARGET_RATIO,
        "cpu_ms_per_intake_max": FLOOR_TARGET_CPU_MS,
        "ratio_met": median["ratio"] >= FLOOR_TARGET_RATIO,
        "cpu_met": median["caseflow_worker_cpu_ms_per_intake"] <= FLOOR_TARGET_CPU_MS,
        "applies": args.clients == 8,
    }
    print(
        f"targets: ratio >= {FLOOR_TARGET_RATIO}: {'met' if targets['ratio_met'] else 'MISSED'}; "
        f"Caseflow worker CPU <= {FLOOR_TARGET_CPU_MS:.0f} ms per intake: "
        f"{'met' if targets['cpu_met'] else 'MISSED'}"
    )
    print(
        f"load average (1, 5, 15 min) before the rounds {' '.join(uptime_before)}, "
        f"after {' '.join(uptime_after)}"
    )
    print(f"audit: {verify}")
    if max(p["cpu"]["other_cores"] for r in rounds for p in (r["caseflow"], r["floor"])) > 0.1:
        print("WARNING: other processes used CPU during the run; see the 'other cores' column.")
    result = {
        "mode": "floor",
        "started_at": started.isoformat(),
        "command": "bench/intake.py " + " ".join(sys.argv[1:]),
        "settings": {
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "gunicorn_workers": args.workers,
            "gunicorn_worker_class": args.worker_class,
        },
        "machine": info,
        "code_fingerprint": fingerprint,
        "load_average_before": uptime_before,
        "load_average_after": uptime_after,
        "rounds": rounds,
        "median": median,
        "targets": targets,
        "audit_verify": verify,
        "failures": failures,
    }
    out = RESULTS_DIR / f"intake-floor-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {out.relative_to(REPO)}")


# --- Main -----------------------------------------------------------------------------------


def parse_args(argv=None):
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint (default 20)")
    parser.add_argument(
        "--workers", type=int, default=2 * cores, help=f"gunicorn workers (default 2 x cores = {2 * cores})"
    )
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default="sync", help="gunicorn worker class"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint (default 3)")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        metavar="SECONDS",
        help="wait up to this long for other processes to leave the CPUs idle before measuring",
    )
    parser.add_argument("--database", default="caseflow_bench", help="database to create and drop")
    parser.add_argument(
        "--server-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="PostgreSQL server (no database name); a role allowed to create databases",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="measure intake against bench/intake_floor.py (the same SQL, no framework) instead of /healthz",
    )
    parser.add_argument("--rounds", type=int, default=3, help="--floor: Caseflow/floor rounds (default 3)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    if args.clients < 1 or args.duration < 1 or args.workers < 1 or args.threads < 1 or args.warmup < 0:
        parser.error("--clients, --duration, --workers and --threads must be positive")
    reserved = {"postgres", "template0", "template1"}
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database) or args.database in reserved:
        parser.error("--database must be a plain lower-case name other than postgres/template*")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "bench/intake.py needs wrk, the HTTP load generator, and it is not installed.\n"
            "Install it (Debian/Ubuntu: `sudo apt-get install wrk`) and run again.",
            file=sys.stderr,
        )
        return 2

    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(exist_ok=True)
    database_url = f"{args.server_url}/{args.database}"
    env = {
        **os.environ,
        "CASEFLOW_ENV": "production",
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": database_url,
        "TRUSTED_PROXIES": "0",
    }
    os.environ.update({k: env[k] for k in ("CASEFLOW_ENV", "SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXIES")})
    data_path = RESULTS_DIR / f"intake-{stamp}-data.lua"
    gunicorn_log = RESULTS_DIR / f"intake-{stamp}-gunicorn.log"
    gunicorn = None
    servers: list[subprocess.Popen] = []  # --floor: Caseflow's and the floor's
    created_db = False
    failures: list[str] = []
    load_at_start = Path("/proc/loadavg").read_text().split()[:3]
    fingerprint = code_fingerprint()
    try:
        info = machine_info(args.server_url)
        log(
            f"machine: {info['cpus']} CPUs, {info['memory']}, PostgreSQL {info['postgresql']}, "
            f"Python {info['python']}, {info['gunicorn']}, {info['wrk']}"
        )
        log(f"load average at start: {' '.join(load_at_start)}; application code {fingerprint}")
        log(f"creating database {args.database}")
        recreate_database(args.server_url, args.database)
        created_db = True
        log("flask db upgrade")
        run_flask(["db", "upgrade"], env)
        log("flask demo seed")
        seed_out = run_flask(["demo", "seed"], env)
        log(seed_out.strip().splitlines()[1].strip() if len(seed_out.splitlines()) > 1 else seed_out.strip())
        app = make_app(database_url)
        entries = create_tokens(app)
        log(f"{len(entries)} API tokens: {', '.join(e['email'].split('@')[0] for e in entries)}")
        # A fixed time a few minutes ago: the server refuses future times and year-old ones.
        occurred_at = (started - timedelta(minutes=5)).replace(microsecond=0).isoformat()
        run_id = f"bench{stamp}"
        write_lua_data(data_path, run_id, occurred_at, entries)
        wrk_env = {**os.environ, "BENCH_DATA": str(data_path)}

        if args.floor:
            compare_with_floor(args, env, app, wrk_env, stamp, servers, failures, started, info, fingerprint)
        else:
            port = free_port()
            gunicorn = start_gunicorn(args, env, port, gunicorn_log)
            base = f"http://127.0.0.1:{port}"

            meter = CpuMeter(gunicorn.pid, args.database)
            if args.quiet_wait:
                other = wait_for_quiet(meter, args.quiet_wait)
                log(f"other processes before the run: {other:.2f} cores")
            if args.warmup:
                log(f"warm-up: {args.warmup} s per endpoint")
                for script, path in (("healthz.lua", "/healthz"), ("intake.lua", "/api/v1/incidents")):
                    warm = run_wrk(script, base + path, args.clients, args.warmup, wrk_env)
                    if warm["unexpected_responses"]:
                        failures.append(
                            f"warm-up {path}: {warm['unexpected_responses']} unexpected "
                            f"responses, first: {warm['first_unexpected']}"
                        )

            log(f"GET /healthz: {args.clients} clients, {args.duration} s")
            start = meter.snapshot()
            trivial = run_wrk("healthz.lua", base + "/healthz", args.clients, args.duration, wrk_env)
            trivial["cpu"] = meter.delta(start, meter.snapshot())
            trivial["endpoint"] = "GET /healthz"

            before = count_rows(app)
            log(f"POST /api/v1/incidents: {args.clients} clients, {args.duration} s")
            start = meter.snapshot()
            intake = run_wrk("intake.lua", base + "/api/v1/incidents", args.clients, args.duration, wrk_env)
            intake["cpu"] = meter.delta(start, meter.snapshot())
            intake["endpoint"] = "POST /api/v1/incidents"
            after = settled_counts(app)  # requests in flight when wrk stopped still finish

            stop_gunicorn(gunicorn)
            gunicorn = None

            for r in (trivial, intake):
                if r["unexpected_responses"]:
                    failures.append(
                        f"{r['endpoint']}: {r['unexpected_responses']} responses were not "
                        f"{r['expected_status']}; first: {r['first_unexpected']}"
                    )
                errors = {k: v for k, v in r["socket_errors"].items() if v}
                if errors:
                    failures.append(f"{r['endpoint']}: socket errors {errors}")
            stored = after["incidents"] - before["incidents"]
            events = after["incident_created_events"] - before["incident_created_events"]
            all_events = after["audit_events"] - before["audit_events"]
            created = intake["expected_responses"]
            # wrk stops counting at the deadline; at most one request per connection may still
            # have been stored after it.
            consistent = created <= stored <= created + args.clients and events == stored
            if not consistent:
                failures.append(
                    f"stored incidents ({stored}) / incident.created audit events ({events}) do not "
                    f"match the 201 responses wrk counted ({created})"
                )
            log("flask audit verify")
            try:
                verify = run_flask(["audit", "verify"], env).strip()
            except BenchFailure as exc:
                verify = str(exc)
                failures.append(f"audit chain: {exc}")

            ratio = intake["rps"] / trivial["rps"] if trivial["rps"] else 0.0
            targets = {
                "p95_ms_max": TARGET_P95_MS,
                "ratio_min": round(TARGET_RATIO, 4),
                "p95_met": intake["p95_ms"] < TARGET_P95_MS,
                "ratio_met": ratio >= TARGET_RATIO,
                "applies": args.clients == 8,
            }
            print_table([trivial, intake], ratio)
            print(
                f"incidents stored during the measured run: {stored} "
                f"(201 responses counted by wrk: {created})"
            )
            print(f"audit: {all_events} events added during the measured intake run; {verify}")
            for r in (trivial, intake):
                cpu = r["cpu"]
                print(
                    f"CPU during {r['endpoint']}: machine {cpu['machine_busy_cores']:.2f} cores busy, "
                    f"benchmark {cpu['benchmark_cores']:.2f}, other processes {cpu['other_cores']:.2f}"
                )
            if max(trivial["cpu"]["other_cores"], intake["cpu"]["other_cores"]) > 0.1:
                print("WARNING: other processes used CPU during the run; the figures understate the machine.")
            if targets["applies"]:
                print(
                    f"targets: intake p95 < {TARGET_P95_MS:.0f} ms: "
                    f"{'met' if targets['p95_met'] else 'MISSED'} ({intake['p95_ms']:.1f} ms); "
                    f"ratio >= 1/3: {'met' if targets['ratio_met'] else 'MISSED'} ({ratio:.3f})"
                )
            result = {
                "started_at": started.isoformat(),
                "command": "bench/intake.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                "settings": {
                    "clients": args.clients,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "quiet_wait_s": args.quiet_wait,
                    "gunicorn_workers": args.workers,
                    "gunicorn_worker_class": args.worker_class,
                    "gunicorn_threads": args.threads if args.worker_class == "gthread" else 1,
                    "api_tokens": len(entries),
                },
                "machine": info,
                "load_average_at_start": load_at_start,
                "code_fingerprint": fingerprint,
                "results": [trivial, intake],
                "ratio_intake_to_trivial": ratio,
                "targets": targets,
                "check": {
                    "incidents_stored": stored,
                    "incident_created_events": events,
                    "audit_events_added": all_events,
                    "created_201": created,
                    "consistent": consistent,
                    "audit_verify": verify,
                },
                "failures": failures,
            }
            out = RESULTS_DIR / f"intake-{stamp}.json"
            out.write_text(json.dumps(result, indent=2) + "\n")
            log(f"wrote {out.relative_to(REPO)}")
    except BenchFailure as exc:
        failures.append(str(exc))
    finally:
        stop_gunicorn(gunicorn)
        for server in servers:
            stop_gunicorn(server)
        if data_path.exists():
            data_path.unlink()  # it holds API tokens
        for path in RESULTS_DIR.glob(f"intake-{stamp}-*.log"):
            if path.stat().st_size == 0:
                path.unlink()
        if created_db and not args.keep_database:
            try:
                drop_database(args.server_url, args.database)
                log(f"dropped database {args.database}")
            except Exception as exc:  # noqa: BLE001 - report, do not hide the original error
                log(f"could not drop database {args.database}: {exc}")
    if failures:
        print("\n*** BENCHMARK FAILED ***", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
