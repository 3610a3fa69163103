#!/usr/bin/env python3
"""Audited writes of two districts at once: does one district's audit chain slow the other's?

    .venv/bin/python bench/audit_districts.py [--writers 3] [--duration 10] [--rounds 3] \
        [--server-url postgresql+psycopg://postgres@127.0.0.1:5432] [--database bench_audit_chains]

What it does:

1. Recreates a PostgreSQL database (default `bench_audit_chains`; only a name starting with
   "bench"), migrates it and creates two districts, A and B, each with a school and a counselor.
2. Starts `--writers` processes per district (processes, not threads: no shared interpreter
   lock between them). Each, in a loop, runs one transaction the way a request does: a small
   domain write (an in-app notification for its district's counselor, through
   `notifications.services.notify`) and its audit event (`audit.services.record`), committed
   with `caseflow.db.transaction`, so the event goes through the district chain's lock and
   head at COMMIT.
3. Measures transactions committed per second over `--duration` seconds for A alone, B alone,
   A and B at once, and, for comparison, A and B at once with B's events put in A's chain (one
   chain and one lock for both, as when the whole database had a single chain); `--rounds`
   times, alternating which district runs alone first.
4. Prints each district's rate alone and together (medians of the rounds) and the ratio
   together / alone (target >= 0.9: a district writes about as fast while another district
   writes too), then verifies every chain and checks each head counts its events. Exit status
   1 when a chain does not verify.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import REPO, log, make_app, recreate_database, run_flask  # noqa: E402

TARGET_RATIO = 0.9


def setup(app) -> dict[str, dict]:
    """Two districts with a school and a counselor each: {"A": {"district": id, "user": id}, ...}."""
    from caseflow.auth.services import create_user
    from caseflow.db import transaction
    from caseflow.extensions import db
    from caseflow.people.setup import create_district, create_school

    out = {}
    with app.app_context():
        for name in ("A", "B"):
            with transaction():
                district = create_district(
                    actor=None,
                    name=f"Bench District {name}",
                    code=f"BENCH{name}",
                    time_zone="America/Chicago",
                )
            with transaction():
                school = create_school(
                    actor=None,
                    district_code=district.code,
                    name=f"Bench High {name}",
                    code=f"BH{name}",
                    time_zone="America/Chicago",
                )
            with transaction():
                user = create_user(
                    actor=None,
                    district_id=district.id,
                    email=f"counselor@bench-{name.lower()}.example",
                    full_name=f"Bench Counselor {name}",
                    roles=["counselor"],
                    school_ids=[school.id],
                    district_wide=False,
                    password="bench-only-password-1",
                )
            out[name] = {"district": district.id, "user": user.id}
        db.session.remove()
    return out


def writer(
    database_url: str, user_id: int, chain_district: int | None, ready, start, stop_at, counter
) -> None:
    """One writer process: audited writes until `stop_at`, counting those committed after `start`.
    `chain_district` puts the events in that district's chain instead of the user's own."""
    app = make_app(database_url)
    from caseflow.audit.services import record
    from caseflow.auth.models import User
    from caseflow.db import transaction
    from caseflow.extensions import db
    from caseflow.notifications.services import notify

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.execute(db.select(User.id).limit(1))  # the connection is open before the clock starts
        db.session.commit()
        ready.release()
        start.wait()
        done = 0
        while time.monotonic() < stop_at.value:
            with transaction():
                note = notify(user.id, "Benchmark: a case moved to your caseload.", "/cases")
                record(user, "bench.notified", note, changes={"text": note.text}, district_id=chain_district)
            done += 1
        with counter.get_lock():
            counter.value += done


def run_phase(
    database_url: str, users: list[int], writers: int, duration: float, chain_district: int | None = None
) -> dict[int, float]:
    """Rates (transactions per second) per user's district, all of `users` writing at once."""
    ctx = mp.get_context("spawn")
    ready = ctx.Semaphore(0)
    start = ctx.Event()
    stop_at = ctx.Value("d", 0.0)
    counters = {user: ctx.Value("q", 0) for user in users}
    procs = [
        ctx.Process(
            target=writer, args=(database_url, user, chain_district, ready, start, stop_at, counters[user])
        )
        for user in users
        for _ in range(writers)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        if not ready.acquire(timeout=120):
            raise RuntimeError("a writer did not start within 2 minutes")
    began = time.monotonic()
    stop_at.value = began + duration
    start.set()
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - began
    if any(proc.exitcode for proc in procs):
        raise RuntimeError("a writer failed (see its traceback above)")
    return {user: counters[user].value / elapsed for user in users}


def verify(app, districts: dict[str, dict]) -> bool:
    import sqlalchemy as sa

    from caseflow.audit.chain import chain_key
    from caseflow.audit.models import AuditChainHead, AuditEvent
    from caseflow.audit.services import verify_chain
    from caseflow.extensions import db

    with app.app_context():
        report = verify_chain()
        print(report.describe())
        ok = report.ok
        for name, info in districts.items():
            key = chain_key(info["district"])
            head = db.session.get(AuditChainHead, key)
            events = db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.district_id == info["district"])
            )
            print(f"chain of district {name} ({key}): {events} events, head counts {head.event_count}")
            ok = ok and head.event_count == events
        db.session.remove()
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=3, help="writer processes per district")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_audit_chains")
    args = parser.parse_args(argv)
    if not args.database.startswith("bench"):
        parser.error("the database is recreated: its name must start with 'bench'")

    database_url = f"{args.server_url}/{args.database}"
    env = {
        **os.environ,
        "CASEFLOW_ENV": "production",
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": database_url,
    }
    os.environ.update({k: env[k] for k in ("CASEFLOW_ENV", "SECRET_KEY", "DATABASE_URL")})
    log(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    log(f"creating database {args.database}; flask db upgrade")
    recreate_database(args.server_url, args.database)
    run_flask(["db", "upgrade"], env)
    app = make_app(database_url)
    districts = setup(app)
    a, b = districts["A"]["user"], districts["B"]["user"]

    alone: dict[int, list[float]] = {a: [], b: []}
    together: dict[int, list[float]] = {a: [], b: []}
    shared: dict[int, list[float]] = {a: [], b: []}
    for round_number in range(args.rounds):
        order = (a, b) if round_number % 2 == 0 else (b, a)
        for user in order:
            rate = run_phase(database_url, [user], args.writers, args.duration)[user]
            alone[user].append(rate)
        rates = run_phase(database_url, [a, b], args.writers, args.duration)
        one_chain = run_phase(database_url, [a, b], args.writers, args.duration, districts["A"]["district"])
        for user in (a, b):
            together[user].append(rates[user])
            shared[user].append(one_chain[user])
        log(
            f"round {round_number + 1}: alone A {alone[a][-1]:.1f}/s, B {alone[b][-1]:.1f}/s; "
            f"together A {rates[a]:.1f}/s, B {rates[b]:.1f}/s; "
            f"together in one chain A {one_chain[a]:.1f}/s, B {one_chain[b]:.1f}/s"
        )

    print()
    print(
        f"{args.writers} writer processes per district, {args.duration:g} s per phase, "
        f"{args.rounds} rounds (medians)"
    )
    print(
        "| district | alone (tx/s) | with the other district, own chains (tx/s) | ratio "
        "| with the other district, one chain (tx/s) | ratio |"
    )
    print("| --- | --: | --: | --: | --: | --: |")
    for name, user in (("A", a), ("B", b)):
        alone_rate = statistics.median(alone[user])
        together_rate, shared_rate = statistics.median(together[user]), statistics.median(shared[user])
        print(
            f"| {name} | {alone_rate:.1f} | {together_rate:.1f} | {together_rate / alone_rate:.2f} "
            f"| {shared_rate:.1f} | {shared_rate / alone_rate:.2f} |"
        )
    total_alone = statistics.median(alone[a]) + statistics.median(alone[b])
    print(f"A and B together: {statistics.median(together[a]) + statistics.median(together[b]):.1f} tx/s")
    one_chain_total = statistics.median(shared[a]) + statistics.median(shared[b])
    print(f"A and B together in one chain: {one_chain_total:.1f} tx/s")
    print(f"sum of the rates alone: {total_alone:.1f} tx/s; target ratio >= {TARGET_RATIO}")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print()
    ok = verify(app, districts)
    return 0 if ok else 1


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
