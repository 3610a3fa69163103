#!/usr/bin/env python3
"""Where one POST /api/v1/incidents spends its time: SQL statements, CPU, and a cProfile.

    .venv/bin/python bench/profile_intake.py [--requests 200] [--top 30]

Single process, one request at a time, through Flask's test client (no gunicorn, no wrk), on a
fresh PostgreSQL database built like bench/intake.py's (`caseflow_bench_profile`, dropped at
the end). Prints the SQL statements of one request, the wall and CPU time per request (and
the same for GET /healthz), then the functions under caseflow/ by cumulative time: wall
time by default (waits for PostgreSQL count), or this process's CPU time with --clock cpu.

The timed requests are measured in --rounds rounds; the summary line gives statements per
intake and the median CPU ms per intake of the rounds. --statements prints every distinct
sequence of statements the timed intakes issued (normalized: parameters and IN lists
folded), with how many intakes issued it: what a raw-driver floor must issue too.

    PROFILE_SORT=tottime PROFILE_FILTER= .venv/bin/python bench/profile_intake.py --clock cpu
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake as bench  # noqa: E402 - bench/intake.py, beside this file


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests (default 200)")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print (default 30)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cProfile's clock: wall (waits for PostgreSQL count) or cpu (this process only)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of --requests (default 3)")
    parser.add_argument(
        "--statements", action="store_true", help="print each distinct statement sequence timed"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile part")
    parser.add_argument("--database", default="caseflow_bench_profile")
    parser.add_argument("--server-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)

    database_url = f"{args.server_url}/{args.database}"
    env = {
        **os.environ,
        "CASEFLOW_ENV": "production",
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": database_url,
        "TRUSTED_PROXIES": "0",
    }
    os.environ.update({k: env[k] for k in ("CASEFLOW_ENV", "SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXIES")})
    print(f"application code {bench.code_fingerprint()} (as in bench/intake.py's results)")
    bench.recreate_database(args.server_url, args.database)
    try:
        bench.run_flask(["db", "upgrade"], env)
        bench.run_flask(["demo", "seed"], env)
        app = bench.make_app(database_url)
        entries = bench.create_tokens(app)
        profile(app, entries, args)
    finally:
        bench.drop_database(args.server_url, args.database)
    return 0


def normalize(statement: str) -> str:
    """One statement's text with white space folded, parameters as ?, IN lists as (?...)."""
    text = " ".join(statement.split())
    text = re.sub(r"%\([^)]*\)s(::(TIMESTAMP WITH TIME ZONE|[A-Z]+)(\[\])?)?", "?", text)
    text = re.sub(r"\?(, \?)+", "?...", text)
    text = re.sub(r"\(\?\.\.\.\)(, \(\?\.\.\.\))+", "(?...)...", text)
    return text


def profile(app, entries, args) -> None:
    import sqlalchemy as sa

    n, top, clock = args.requests, args.top, args.clock
    statements: list[str] = []

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    client = app.test_client()
    occurred_at = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    counter = 0

    def post():
        nonlocal counter
        counter += 1
        entry = entries[counter % len(entries)]
        body = {
            "school_id": entry["school_id"],
            "occurred_at": occurred_at,
            "location": "Classroom",
            "behaviors": ["disruption"],
            "description": f"Profile incident {counter}: talked over the teacher during the lesson.",
            "students": [
                {"student_id": entry["students"][counter % len(entry["students"])], "role": "responsible"}
            ],
        }
        headers = {"Authorization": f"Bearer {entry['token']}", "Idempotency-Key": uuid.uuid4().hex}
        response = client.post("/api/v1/incidents", json=body, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"POST returned {response.status_code}: {response.get_data(as_text=True)[:500]}")

    for _ in range(2 * len(entries)):  # warm: every token used, caches filled
        post()

    statements.clear()
    post()
    print(f"SQL statements in one POST /api/v1/incidents: {len(statements)}")
    kinds = Counter(s.split()[0] for s in statements)
    print("  " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    for s in statements:
        print(f"    {normalize(s)[:100]}")

    def timed(fn) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        return (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000

    sequences: Counter = Counter()
    rounds = []
    total = 0

    def post_recorded():
        nonlocal total
        statements.clear()
        post()
        total += len(statements)
        sequences[tuple(normalize(s) for s in statements)] += 1

    for _ in range(max(1, args.rounds)):
        rounds.append(timed(post_recorded))
    walls, cpus = sorted(w for w, _ in rounds), sorted(c for _, c in rounds)
    wall, cpu = walls[len(walls) // 2], cpus[len(cpus) // 2]
    per_request = total / (n * len(rounds))
    print(
        f"\nPOST /api/v1/incidents x{n} x{len(rounds)} rounds: {wall:.1f} ms wall, {cpu:.1f} ms CPU "
        "in this process per request (median round)"
    )
    print(f"  CPU ms per round: {', '.join(f'{c:.2f}' for _, c in rounds)}")
    print(f"  ({per_request:.2f} statements per request; the rest of the wall time is PostgreSQL)")
    print(f"SUMMARY statements/intake {per_request:.2f}  CPU ms/intake {cpu:.2f}  wall ms/intake {wall:.1f}")
    if args.statements:
        print(f"\n{len(sequences)} distinct statement sequences in the timed intakes:")
        for sequence, count in sequences.most_common():
            print(f"\n  {count} intakes, {len(sequence)} statements:")
            for s in sequence:
                print(f"    {s}")
    wall_h, cpu_h = timed(lambda: client.get("/healthz"))
    print(f"GET /healthz x{n}: {wall_h:.2f} ms wall, {cpu_h:.2f} ms CPU per request")
    if args.no_profile:
        return

    profiler = cProfile.Profile(time.process_time if clock == "cpu" else time.perf_counter)
    profiler.enable()
    for _ in range(n):
        post()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        os.environ.get("PROFILE_FILTER", r"caseflow/"), top
    )
    print(f"\ncProfile of {n} POSTs, functions under caseflow/ by cumulative {clock} time:")
    print(out.getvalue().split("\n", 4)[-1].replace(str(bench.REPO) + "/", ""))


if __name__ == "__main__":
    sys.exit(main())
