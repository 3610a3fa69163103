"""The disparity monitor's charts: every calculated risk ratio of an area as a bar against the
threshold, the groups at or over it first, and the groups with no ratio folded into one line
that says why. Drawn as inline SVG by templates/reports/_ratio_chart.html (no script, so it
prints and passes a strict CSP); the tables below the chart hold the same numbers."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext

from caseflow.labels import N_, translated
from caseflow.reports.idea_discipline import SHORT_LABELS
from caseflow.reports.monitor import OUTCOME_LABELS

LEFT, RIGHT, ROW, TOP, BOTTOM = 300, 700, 34, 28, 56  # SVG units: the label column, bars, rows

WHY = {
    "group_too_small": N_("too few students in the group"),
    "comparison_too_small": N_("too few other students to compare with"),
    "comparison_zero": N_("no other student had the outcome"),
}


@dataclass(frozen=True)
class Bar:
    group: str
    outcome: str
    value: float
    at_or_over: bool
    method: str

    @property
    def ref(self) -> str:
        return f"{self.outcome}|{self.group}"


@dataclass
class RatioChart:
    key: str
    title: str
    counted: str  # what is counted, in words
    axis: str  # the ratio axis' title
    threshold: float
    bars: list[Bar]
    not_calculated: Counter = field(default_factory=Counter)  # method -> groups
    not_calculated_groups: list[str] = field(default_factory=list)

    @property
    def scale(self) -> int:
        """The axis' end: a whole number past the largest ratio and the threshold."""
        top = max([b.value for b in self.bars] + [self.threshold])
        return max(2, math.ceil(top * 1.1))

    @property
    def ticks(self) -> list[tuple[int, float]]:
        step = max(1, math.ceil(self.scale / 8))
        return [(t, self.x(t)) for t in range(0, self.scale + 1, step)]

    def x(self, value: float) -> float:
        return round(LEFT + (RIGHT - LEFT) * min(value, self.scale) / self.scale, 1)

    def y(self, index: int) -> int:
        return TOP + index * ROW

    @property
    def height(self) -> int:
        return TOP + max(1, len(self.bars)) * ROW + BOTTOM

    @property
    def why_not(self) -> str:
        """One line: how many groups have no ratio, and why."""
        return "; ".join(f"{n} {translated(WHY[method])}" for method, n in self.not_calculated.most_common())


def ratio_chart(
    key: str, title: str, counted: str, axis: str, threshold: float, tables, labels: dict
) -> RatioChart:
    """`tables`: (outcome, rows) pairs of an area (caseflow.reports.monitor.GroupRow rows);
    `labels`: outcome -> the words on the chart."""
    bars, skipped, names = [], Counter(), []
    for outcome, rows in tables:
        for row in rows:
            if row.ratio.value is None:
                skipped[row.ratio.method] += 1
                names.append(f"{translated(row.label)} ({translated(labels[outcome]).lower()})")
                continue
            at_or_over = round(row.ratio.value, 9) >= threshold
            bars.append(Bar(row.label, labels[outcome], row.ratio.value, at_or_over, row.ratio.method))
    bars.sort(key=lambda b: (not b.at_or_over, -b.value, b.outcome, b.group))
    return RatioChart(key, title, counted, axis, threshold, bars, skipped, names)


def area_charts(area, cfg) -> tuple[RatioChart, RatioChart]:
    """The two charts of an area: every student group and outcome; the §300.647 discipline
    categories of students with disabilities by race/ethnicity."""
    slug = area.school_id or "district"
    everyone = ratio_chart(
        f"all-{slug}",
        gettext(
            "%(area)s: risk ratios of every group, %(students)s students",
            area=area.name,
            students=area.population,
        ),
        gettext(
            "Each bar is a group (race/ethnicity, disability, English learners, sex) and an outcome: "
            "the share of the group's students enrolled this school year who had the outcome, divided "
            "by the same share among all other students. Calculated only for groups with at least "
            "%(min_cell)s students with the outcome and %(min_n)s students in all. "
            "Red bars are at or over the district's threshold of %(threshold)s.",
            min_cell=cfg.min_cell,
            min_n=cfg.min_n,
            threshold=cfg.alert_ratio,
        ),
        gettext("Risk ratio: group's share ÷ all other students' share"),
        cfg.alert_ratio,
        area.outcomes.items(),
        OUTCOME_LABELS,
    )
    disabled = ratio_chart(
        f"idea-{slug}",
        gettext(
            "%(area)s: students with disabilities (IDEA), 34 CFR 300.647 discipline categories, "
            "%(students)s students",
            area=area.name,
            students=area.students_with_disabilities,
        ),
        gettext(
            "Each bar is a race/ethnicity group and one of the regulation's five discipline categories: "
            "the share of the group's students with disabilities who were removed (days added up over "
            "the school year, in school days), divided by the same share among all other students with "
            "disabilities. Calculated only for groups with at least %(min_cell)s students in "
            "the category and %(min_n)s students with disabilities.",
            min_cell=cfg.idea_min_cell,
            min_n=cfg.idea_min_n,
        ),
        gettext("Risk ratio: group's share ÷ other students with disabilities' share"),
        cfg.alert_ratio,
        area.idea_discipline.items(),
        SHORT_LABELS,
    )
    return everyone, disabled
