"""bench/triage_floor.py measures the engine against workflows/triage.yaml written by hand; this
fails when the hand-written floor and the rule file drift apart (the ratio would mean nothing),
and checks that the compiled paths of the engine decide and trace as the plain evaluation does."""

import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_modules():
    sys.path.insert(0, str(BENCH))
    try:
        import triage as bench_triage  # bench/triage.py
        import triage_floor

        return bench_triage, triage_floor
    finally:
        sys.path.remove(str(BENCH))


def test_the_hand_written_floor_decides_as_the_shipped_rules():
    from caseflow.triage.facts import triage_registry
    from caseflow.triage.ruleset import load_triage_rules

    bench_triage, floor = _bench_modules()
    rule_set = load_triage_rules()
    rng = random.Random(7)
    assert set(floor._THEN) == {rule.id for rule in rule_set.rules}
    for _ in range(3000):
        facts = bench_triage.random_facts(triage_registry(), rng)
        assert floor.engine_tuple(rule_set.evaluate(facts)) == floor.hand_written(facts), facts


def test_compiled_tests_and_traces_match_the_plain_evaluation(tmp_path):
    """On the shipped rules and on 200 generated ones (every operator, all/any groups)."""
    from caseflow.triage.facts import triage_registry
    from caseflow.triage.ruleset import load_triage_rules

    bench_triage, _ = _bench_modules()
    rng = random.Random(11)
    generated = tmp_path / "generated.yaml"
    generated.write_text(bench_triage.generated_rules(triage_registry(), 200, rng))
    rules = [*load_triage_rules().rules, *load_triage_rules(generated).rules]
    for _ in range(300):
        facts = bench_triage.random_facts(triage_registry(), rng)
        for rule in rules:
            plain: list = []
            compiled: list = []
            answer = rule.condition(facts, plain)
            assert rule.test(facts) == answer
            assert rule.traced(facts, compiled) == answer
            assert compiled == plain
