"""Risk ratios against hand-computed values (34 CFR 300.647), including the alternate risk
ratio and the minimum cell and n sizes."""

import pytest

from caseflow.reports.disparity import ratio


def test_the_worked_example():
    # 40 students of the group, 10 with the outcome: 0.25; 360 others, 18: 0.05 -> 5.0
    r = ratio(10, 40, 18, 360, min_cell=10, min_n=30)
    assert r.method == "RR" and r.value == pytest.approx(5.0)
    assert r.group_risk == pytest.approx(0.25) and r.comparison_risk == pytest.approx(0.05)


def test_the_alternate_risk_ratio_when_the_comparison_group_is_too_small():
    # Only 8 others with the outcome (< 10): compare with the wider area's 0.06 -> 4.1667
    r = ratio(10, 40, 8, 360, min_cell=10, min_n=30, alternate_risk=0.06)
    assert r.method == "ARR" and r.value == pytest.approx(0.25 / 0.06)
    assert round(r.value, 2) == 4.17
    # Too few other students (n 25 < 30) also calls for the alternate ratio.
    assert ratio(10, 40, 12, 25, min_cell=10, min_n=30, alternate_risk=0.05).value == pytest.approx(5.0)
    # Without a wider figure, nothing is calculated.
    assert ratio(10, 40, 8, 360, min_cell=10, min_n=30).method == "comparison_too_small"


def test_a_group_below_the_minimum_sizes_gets_no_ratio():
    assert ratio(9, 40, 18, 360, min_cell=10, min_n=30).method == "group_too_small"  # cell
    assert ratio(10, 29, 18, 360, min_cell=10, min_n=30).method == "group_too_small"  # n
    assert ratio(10, 29, 18, 360, min_cell=10, min_n=30).value is None
    # The sizes are configurable: with cell 5 and n 20 the same group is calculated.
    assert ratio(9, 29, 18, 360, min_cell=5, min_n=20).value == pytest.approx((9 / 29) / 0.05)


def test_minimums_are_inclusive():
    assert ratio(10, 30, 10, 30, min_cell=10, min_n=30).value == pytest.approx(1.0)


def test_no_ratio_when_no_other_student_had_the_outcome():
    # min_cell 0 lets a comparison group with no events through: the ratio is undefined.
    assert ratio(10, 40, 0, 360, min_cell=0, min_n=30).method == "comparison_zero"


def test_only_a_ratio_strictly_over_the_threshold_is_over_it():
    exact = ratio(15, 30, 10, 60, min_cell=10, min_n=30)
    assert exact.value == 3.0 and not exact.over(3.0)
    noisy = ratio(26, 30, 13, 45, min_cell=10, min_n=30)  # exactly 3, but 3.0000000000000004 in floats
    assert noisy.value > 3.0 and not noisy.over(3.0)
    assert ratio(15, 30, 10, 61, min_cell=10, min_n=30).over(3.0)
    assert not ratio(9, 30, 10, 61, min_cell=10, min_n=30).over(3.0)  # no ratio: never over
