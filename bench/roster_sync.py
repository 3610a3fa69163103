"""Roster sync at district scale: a first full sync from the loopback OneRoster REST provider
(tests/fixtures/oneroster_server.py), then a delta of N changes.

    .venv/bin/python bench/roster_sync.py [--students 100000] [--staff 6000] [--schools 40]
        [--changes 1000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_roster]

The provider runs in a child process (its data does not count in the sync's memory). The
database is emptied and migrated first (only one whose name starts with "bench"). Prints the
timings, the sync process's peak resident memory and the machine's load (uptime), as JSON and
as a line for docs/performance.md.
Targets: full sync under 10 minutes, delta under 30 seconds, memory under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET_ENV = "BENCH_ROSTER_SECRET"
GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
RACES = ("white", "blackOrAfricanAmerican", "asian", "hispanic", "americanIndianOrAlaskaNative")


def _district(students: int, staff: int, schools: int):
    from tests.fixtures.oneroster_server import District

    district = District()
    district.org("org-d", "Bench Unified", "district", "BENCH")
    codes = [f"org-{n:03d}" for n in range(schools)]
    for n, code in enumerate(codes):
        district.org(code, f"School {n:03d}", "school", f"B{n:03d}", parent="org-d")
    for n in range(1, students + 1):
        district.student(
            n,
            codes[n % schools],
            grade=GRADES[n % len(GRADES)],
            sex="female" if n % 2 else "male",
            race=RACES[n % len(RACES)],
        )
    for n in range(1, staff + 1):
        district.staff(n, codes[n % schools], "administrator" if n % 20 == 0 else "teacher")
    return district


def _change(district, n: int, schools: int, students: int) -> None:
    """n changes: 70% renamed, 20% moved to another school, 5% withdrawn, 5% new students."""
    when = datetime.now(UTC)
    for i in range(n):
        number = 1 + (i * 97) % students
        user = f"stu-{number}"
        kind = i % 20
        if kind < 14:
            person = district.records["users"][user]
            person["familyName"] = f"Changed{i}"
            district.put("users", person, when)
        elif kind < 18:
            old = district.records["users"][user]["orgs"][0]["sourcedId"]
            new = f"org-{(int(old[4:]) + 1) % schools:03d}"
            if f"enr-{user}-{old}" in district.records["enrollments"]:
                district.move(user, old, new, on=when.date().isoformat(), when=when)
        elif kind == 18:
            district.withdraw(user, when)
        else:
            district.student(students + 1 + i, f"org-{i % schools:03d}", when=when)


def _serve(conn, students: int, staff: int, schools: int) -> None:
    from tests.fixtures.oneroster_server import OneRosterServer

    district = _district(students, staff, schools)
    server = OneRosterServer(district).start()
    conn.send((server.base_url, server.token_url))
    while True:
        message = conn.recv()
        if message == "stop":
            server.stop()
            return
        _change(district, message, schools, students)
        conn.send("changed")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=6_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--page-size", type=int, default=1_000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_roster")
    args = parser.parse_args()
    from sqlalchemy.engine import make_url

    if not (make_url(args.database_url).database or "").startswith("bench"):
        parser.error("the database is emptied first: its name must start with 'bench'")

    multiprocessing.set_start_method("fork")
    parent, child = multiprocessing.Pipe()
    provider = multiprocessing.Process(target=_serve, args=(child, args.students, args.staff, args.schools))
    provider.start()
    built = time.perf_counter()
    base_url, token_url = parent.recv()
    built = time.perf_counter() - built

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from caseflow import create_app
    from caseflow.extensions import db
    from caseflow.people.models import District, Student
    from caseflow.roster.models import RosterSource, SyncRun
    from caseflow.roster.rest import OneRosterClient
    from caseflow.roster.sync import build_run, execute
    from tests.fixtures.oneroster_server import CLIENT_ID, CLIENT_SECRET

    os.environ[SECRET_ENV] = CLIENT_SECRET
    app = create_app(
        "development", {"SQLALCHEMY_DATABASE_URI": args.database_url, "CHECK_DATABASE_AT_START": False}
    )
    result = {
        "students": args.students,
        "staff": args.staff,
        "schools": args.schools,
        "changes": args.changes,
    }
    with app.app_context():
        if args.database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        district = District(code="BENCH", name="Bench Unified", time_zone="America/Chicago")
        db.session.add(district)
        db.session.flush()
        source = RosterSource(
            district_id=district.id,
            kind="oneroster_rest",
            base_url=base_url,
            token_url=token_url,
            client_id=CLIENT_ID,
            secret_env=SECRET_ENV,
            delta=True,
        )
        db.session.add(source)
        db.session.commit()

        def client():
            return OneRosterClient(base_url, token_url, CLIENT_ID, CLIENT_SECRET, page_size=args.page_size)

        run = build_run(source, mode="sync", trigger="command", now=datetime.now(UTC))
        db.session.add(run)
        db.session.commit()
        started = time.perf_counter()
        full = execute(run.id, client=client())
        result["full_seconds"] = round(time.perf_counter() - started, 1)
        result["full_outcome"], result["full_counts"] = full.outcome, full.counts
        result["full_reason"] = full.reason
        result["rss_after_full_mb"] = round(_rss_mb())
        result["students_in_db"] = db.session.scalar(sa.select(sa.func.count(Student.id)))
        full_started = full.started_at

        parent.send(args.changes)
        assert parent.recv() == "changed"
        delta = build_run(source, mode="sync", trigger="schedule", now=datetime.now(UTC))
        delta.kind, delta.since = "delta", full_started - timedelta(minutes=1)
        db.session.add(delta)
        db.session.commit()
        started = time.perf_counter()
        done = execute(delta.id, client=client())
        result["delta_seconds"] = round(time.perf_counter() - started, 1)
        result["delta_outcome"], result["delta_counts"] = done.outcome, done.counts
        result["delta_reason"] = done.reason
        result["runs"] = db.session.scalar(sa.select(sa.func.count(SyncRun.id)))
        db.session.remove()
        db.engine.dispose()
    parent.send("stop")
    provider.join(timeout=30)
    result["peak_rss_mb"] = round(_rss_mb())
    result["provider_build_seconds"] = round(built, 1)
    result["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result["commit"] = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(json.dumps(result, indent=2))
    print(
        f"| {result['commit']} | {args.students:,} students, {args.staff:,} staff "
        f"| full {result['full_seconds']} s "
        f"({result['full_outcome']}) | delta of {args.changes:,}: {result['delta_seconds']} s "
        f"({result['delta_outcome']}) | peak RSS {result['peak_rss_mb']} MB | {result['uptime']} |"
    )


if __name__ == "__main__":
    main()
