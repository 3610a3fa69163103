"""Triage benchmarks.

1. The pure engine: decisions per second on the shipped rules and on a generated 200-rule file,
   with random facts from the triage registry (no database).
2. What triage adds to an incident submission on PostgreSQL: the time of route_incident()
   inside the real submission path, for incidents of the demo district, p50/p95/p99.

    .venv/bin/python bench/triage.py [--decisions 50000] [--submissions 400]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres) for part 2; it creates and drops the
database caseflow_bench_triage.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_NAME = "caseflow_bench_triage"


def random_facts(registry, rng: random.Random) -> dict:
    from caseflow.rules.facts import FactType

    facts = {}
    for fact in registry:
        if fact.type is FactType.INT:
            facts[fact.name] = rng.randint(1, 3) if fact.name == "current_tier" else rng.randint(0, 10)
        elif fact.type is FactType.BOOL:
            facts[fact.name] = rng.random() < 0.3
        elif fact.type is FactType.TEXT:
            facts[fact.name] = rng.choice(sorted(fact.choices))
        else:
            choices = sorted(fact.choices)
            facts[fact.name] = frozenset(rng.sample(choices, rng.randint(0, min(3, len(choices)))))
    return facts


def generated_rules(registry, count: int, rng: random.Random) -> str:
    """A valid rule file of `count` rules with 2-5 random conditions each."""
    from caseflow.rules.facts import OPERATORS, FactType
    from caseflow.triage.facts import ROUTES

    facts = list(registry)
    lines = ['version: "generated"', "rules:"]
    for n in range(count):
        conditions = []
        for fact in rng.sample(facts, rng.randint(2, 5)):
            ops = [op for op, (types, _) in OPERATORS.items() if fact.type in types]
            op = rng.choice(ops)
            shape = OPERATORS[op][1]
            if shape == "bool":
                value = rng.choice(["true", "false"])
            elif fact.type is FactType.INT:
                value = (
                    str(rng.randint(0, 5))
                    if shape == "scalar"
                    else f"[{rng.randint(0, 3)}, {rng.randint(4, 8)}]"
                )
            else:
                picks = rng.sample(sorted(fact.choices), min(2, len(fact.choices)))
                value = json.dumps(picks[0]) if shape == "scalar" else json.dumps(picks)
            conditions.append(f"        - {{fact: {fact.name}, op: {op}, value: {value}}}")
        group = rng.choice(["all", "any"])
        lines += [
            f"  - id: generated-{n}",
            f"    description: Generated rule {n}.",
            "    when:",
            f"      {group}:",
            *conditions,
            f"    then: {{tier: {rng.randint(1, 3)}, routes: [{rng.choice(list(ROUTES))}], "
            f"priority: {rng.choice(['routine', 'soon', 'urgent'])}}}",
        ]
    return "\n".join(lines) + "\n"


def engine_rate(rule_set, facts_list) -> float:
    start = time.perf_counter()
    for facts in facts_list:
        rule_set.evaluate(facts)
    return len(facts_list) / (time.perf_counter() - start)


def bench_engine(n: int) -> dict:
    from caseflow.triage.facts import triage_registry
    from caseflow.triage.ruleset import load_triage_rules

    rng = random.Random(20261124)
    registry = triage_registry()
    facts_list = [random_facts(registry, rng) for _ in range(n)]
    shipped = load_triage_rules()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(generated_rules(registry, 200, rng))
        big = load_triage_rules(path)
    results = {}
    for name, rule_set in (("shipped", shipped), ("generated-200", big)):
        engine_rate(rule_set, facts_list[:1000])  # warm up
        rates = [engine_rate(rule_set, facts_list) for _ in range(3)]
        results[name] = {
            "rules": len(rule_set.rules),
            "decisions_per_s_best": round(max(rates)),
            "decisions_per_s_median": round(statistics.median(rates)),
        }
    return results


def bench_submission(n: int) -> dict:
    import sqlalchemy as sa

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {DB_NAME}"))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
    env = {**os.environ, "DATABASE_URL": url, "CASEFLOW_ENV": "development", "SECRET_KEY": "bench-only"}
    try:
        for args in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "app", *args],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        return _time_submissions(url, n)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
        admin.dispose()


def _time_submissions(url: str, n: int) -> dict:
    import sqlalchemy as sa

    from caseflow import create_app
    from caseflow.auth.models import User
    from caseflow.db import now_utc
    from caseflow.extensions import db
    from caseflow.incidents import services as incident_services
    from caseflow.incidents.intake import submit_incident
    from caseflow.incidents.schemas import IncidentInputSchema
    from caseflow.people.models import Student
    from caseflow.triage import services as triage_services

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    triage_times, total_times = [], []
    original = triage_services.route_incident

    def timed_route(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            triage_times.append(time.perf_counter() - start)

    incident_services.route_incident = timed_route
    rng = random.Random(7)
    behaviors = ["disruption", "defiance", "fighting", "inappropriate_language", "threat", "substance_use"]
    with app.app_context():
        teacher = db.session.scalar(sa.select(User).where(User.email == "teacher.ms@demo.caseflow.example"))
        students = db.session.scalars(
            sa.select(Student.id).where(Student.school_id == teacher.schools[0].id)
        ).all()
        school_id = teacher.schools[0].id
        for i in range(n):
            payload = {
                "school_id": school_id,
                "location": "Classroom",
                "description": f"Benchmark incident {i}.",
                "occurred_at": (now_utc() - timedelta(minutes=rng.randint(5, 60 * 24 * 60))).isoformat(),
                "behaviors": [rng.choice(behaviors)],
                "students": [
                    {"student_id": sid, "role": role}
                    for sid, role in zip(
                        rng.sample(students, 2), ("responsible", rng.choice(["harmed", "witness"]))
                    )
                ],
            }
            data = IncidentInputSchema().load(payload)
            start = time.perf_counter()
            submit_incident(actor=teacher, data=data)
            total_times.append(time.perf_counter() - start)
        db.engine.dispose()
    incident_services.route_incident = original

    def pct(values, q):
        return round(statistics.quantiles(values, n=100)[q - 1] * 1000, 2)

    warm_triage, warm_total = triage_times[20:], total_times[20:]  # the first ones fill caches
    return {
        "submissions": len(warm_total),
        "triage_ms": {"p50": pct(warm_triage, 50), "p95": pct(warm_triage, 95), "p99": pct(warm_triage, 99)},
        "whole_submission_ms": {
            "p50": pct(warm_total, 50),
            "p95": pct(warm_total, 95),
            "p99": pct(warm_total, 99),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--skip-db", action="store_true", help="only the pure engine")
    options = parser.parse_args()
    result = {"engine": bench_engine(options.decisions)}
    if not options.skip_db:
        result["submission_on_postgresql"] = bench_submission(options.submissions)
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"triage-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
