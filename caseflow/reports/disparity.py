"""Risk ratios by race/ethnicity, by the method of 34 CFR 300.647 (standards.md section 3.3).

Risk = students of a group with the outcome / students of the group. Risk ratio = the group's
risk / the risk of all other students of the same school or district (the comparison group).
A ratio is calculated only when the group reaches the minimum cell size (students with the
outcome) and the minimum n-size (students); when the comparison group does not, the
alternate risk ratio compares the group with all other students of the wider area instead
(the district for a school; the State, from configured figures, for the district).

Police referrals, threat assessments and Tier 3 are not §300.647 categories: the same
arithmetic is applied to them as a local equity monitor, and the pages say so.
`ratio()` is pure so that it is tested against hand-computed values.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.labels import N_


@dataclass(frozen=True)
class Ratio:
    group_events: int
    group_n: int
    comparison_events: int
    comparison_n: int
    value: float | None
    method: str  # "RR", "ARR", or why none: "group_too_small", "comparison_too_small", "comparison_zero"
    alternate_risk: float | None = None

    @property
    def group_risk(self) -> float | None:
        return self.group_events / self.group_n if self.group_n else None

    @property
    def comparison_risk(self) -> float | None:
        if self.method == "ARR":
            return self.alternate_risk
        return self.comparison_events / self.comparison_n if self.comparison_n else None

    def over(self, threshold: float) -> bool:
        """Strictly over the threshold (§300.647(a)(7): disproportionality is significant
        when the ratio EXCEEDS the threshold; a ratio equal to it is not). Compared after
        rounding away the float noise of the division, so 0.5 / (10 / 60) is exactly 3."""
        return self.value is not None and round(self.value, 9) > threshold


def ratio(
    group_events: int,
    group_n: int,
    comparison_events: int,
    comparison_n: int,
    *,
    min_cell: int,
    min_n: int,
    alternate_risk: float | None = None,
) -> Ratio:
    """The group's risk ratio, or the alternate risk ratio, or None with the reason."""
    base = (group_events, group_n, comparison_events, comparison_n)
    if group_events < min_cell or group_n < min_n:  # §300.647(b)(6): not calculated
        return Ratio(*base, None, "group_too_small")
    group_risk = group_events / group_n
    if comparison_events < min_cell or comparison_n < min_n:  # §300.647(b)(5): alternate ratio
        if not alternate_risk:
            return Ratio(*base, None, "comparison_too_small")
        return Ratio(*base, group_risk / alternate_risk, "ARR", alternate_risk)
    comparison_risk = comparison_events / comparison_n
    if comparison_risk == 0:
        return Ratio(*base, None, "comparison_zero")
    return Ratio(*base, group_risk / comparison_risk, "RR")


METHOD_TEXT = {
    "RR": N_("risk ratio"),
    "ARR": N_("alternate risk ratio"),
    "group_too_small": N_("not calculated: the group is below the minimum sizes"),
    "comparison_too_small": N_(
        "not calculated: the comparison group is below the minimum sizes and no wider figure is available"
    ),
    "comparison_zero": N_("not calculated: no other student had the outcome"),
}
