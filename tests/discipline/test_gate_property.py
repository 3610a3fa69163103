"""Property: whatever the behaviors, grade and answers, an incident whose behaviors are all
ordinary discipline never passes the exclusion gate; the rules that forbid are code first."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.discipline.gate import forbidding_rules
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.people.codes import GRADES

TAXONOMY = get_taxonomy()
ORDINARY = sorted(c for c, b in TAXONOMY.behaviors.items() if b.ordinary_discipline)
SERIOUS = sorted(c for c, b in TAXONOMY.behaviors.items() if not b.ordinary_discipline)


@settings(max_examples=200, deadline=None)
@given(
    behaviors=st.sets(st.sampled_from(ORDINARY), min_size=1, max_size=5),
    grade=st.one_of(st.none(), st.sampled_from(GRADES)),
)
def test_ordinary_discipline_alone_is_always_forbidden(behaviors, grade):
    found = forbidding_rules(SimpleNamespace(behavior_codes=list(behaviors)), SimpleNamespace(grade=grade))
    assert found and found[0][0] == "ordinary-discipline"


@settings(max_examples=200, deadline=None)
@given(
    serious=st.sets(st.sampled_from(SERIOUS), min_size=1, max_size=3),
    ordinary=st.sets(st.sampled_from(ORDINARY), max_size=3),
)
def test_a_serious_behavior_in_grade_3_and_up_is_not_forbidden_by_default(serious, ordinary):
    incident = SimpleNamespace(behavior_codes=sorted(serious | ordinary))
    assert forbidding_rules(incident, SimpleNamespace(grade="7")) == []
