"""The district's report settings (workflows/reports.yaml), checked when first read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from caseflow.yamldoc import line_of, read_yaml

FILE = Path(__file__).resolve().parents[2] / "workflows" / "reports.yaml"
OUTCOMES = ("law_enforcement_referral", "suspension", "threat_assessment", "tier_3")
STAFF_ROLES = ("counselor", "psychologist", "social_worker")


class ReportSettingsError(Exception):
    pass


@dataclass(frozen=True)
class ReportSettings:
    version: str
    suppress_below: int
    min_cell: int
    min_n: int
    alert_ratio: float
    state_comparison: dict = field(default_factory=dict)  # outcome -> {"risk": float, "source": str}
    # The State's minimum sizes for the 34 CFR 300.647 discipline categories (10 and 30 unless
    # the file says otherwise: the values the regulation presumes reasonable).
    idea_min_cell: int = 10
    idea_min_n: int = 30
    staffing: dict = field(default_factory=dict)  # role -> students per staff member


def _whole(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def load_settings(path: Path = FILE) -> ReportSettings:
    """Read and check the file; raises ReportSettingsError naming the line of each mistake."""
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok or not isinstance(doc.data, dict):
        raise ReportSettingsError("\n".join(errors) or f"{path}: cannot be read")
    data = doc.data

    def where(*keys) -> str:
        line = line_of(doc.node, keys)
        return f"{path}, line {line}" if line else str(path)

    def section(name: str) -> dict:
        value = data.get(name)
        if not isinstance(value, dict):
            errors.append(f"{where(name)}: {name} must be a mapping")
            return {}
        return value

    crdc, disparity, staffing = section("civil_rights"), section("disparity"), section("staffing")
    if not _whole(crdc.get("suppress_below"), 1):
        errors.append(
            f"{where('civil_rights', 'suppress_below')}: suppress_below must be a whole number >= 1"
        )
    for key, minimum in (("min_cell", 1), ("min_n", 1)):
        if not _whole(disparity.get(key), minimum):
            errors.append(f"{where('disparity', key)}: {key} must be a whole number >= {minimum}")
    ratio = disparity.get("alert_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio <= 1:
        errors.append(f"{where('disparity', 'alert_ratio')}: alert_ratio must be a number above 1")
    state = disparity.get("state_comparison") or {}
    if not isinstance(state, dict):
        errors.append(f"{where('disparity', 'state_comparison')}: state_comparison must be a mapping")
        state = {}
    for outcome, entry in state.items():
        risk = entry.get("risk") if isinstance(entry, dict) else None
        if outcome not in OUTCOMES:
            errors.append(
                f"{where('disparity', 'state_comparison', outcome)}: unknown outcome {outcome!r} "
                f"(one of {', '.join(OUTCOMES)})"
            )
        elif isinstance(risk, bool) or not isinstance(risk, int | float) or not 0 < risk <= 1:
            errors.append(
                f"{where('disparity', 'state_comparison', outcome)}: risk must be a number in (0, 1]"
            )
        elif not isinstance(entry.get("source"), str) or not entry["source"].strip():
            errors.append(f"{where('disparity', 'state_comparison', outcome)}: name the source of the risk")
    idea = disparity.get("idea_discipline") or {}
    if not isinstance(idea, dict):
        errors.append(f"{where('disparity', 'idea_discipline')}: idea_discipline must be a mapping")
        idea = {}
    for key in idea:
        if key not in ("min_cell", "min_n") or not _whole(idea[key], 1):
            errors.append(
                f"{where('disparity', 'idea_discipline', key)}: give min_cell and min_n as whole numbers >= 1"
            )
    if set(staffing) != set(STAFF_ROLES) or not all(_whole(v, 1) for v in staffing.values()):
        errors.append(
            f"{where('staffing')}: staffing must give {', '.join(STAFF_ROLES)} as whole numbers >= 1"
        )
    if errors:
        raise ReportSettingsError("\n".join(errors))
    return ReportSettings(
        version=str(data.get("version", "")),
        suppress_below=crdc["suppress_below"],
        min_cell=disparity["min_cell"],
        min_n=disparity["min_n"],
        alert_ratio=float(ratio),
        state_comparison={k: {"risk": float(v["risk"]), "source": v["source"]} for k, v in state.items()},
        staffing=dict(staffing),
        idea_min_cell=idea.get("min_cell", 10),
        idea_min_n=idea.get("min_n", 30),
    )


@cache
def settings() -> ReportSettings:
    return load_settings()
