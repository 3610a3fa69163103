"""The intervention types of workflows/interventions.yaml, checked when they load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from caseflow.labels import Label
from caseflow.yamldoc import line_of, read_yaml

FILE = Path(__file__).resolve().parents[2] / "workflows" / "interventions.yaml"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class InterventionListError(Exception):
    pass


@dataclass(frozen=True)
class InterventionType:
    code: str
    label: str
    tiers: tuple[int, ...]


def load_interventions(path: Path = FILE) -> dict[str, InterventionType]:
    """Read and check the list; raises InterventionListError naming file, line and problem."""
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise InterventionListError("\n".join(errors) or f"{path}: cannot be read")
    items = doc.data.get("interventions") if isinstance(doc.data, dict) else None
    if not isinstance(items, list) or not items:
        raise InterventionListError(f"{path}: 'interventions' must be a non-empty list")
    out: dict[str, InterventionType] = {}
    for i, item in enumerate(items):
        where = f"{path}:{line_of(doc.node, ('interventions', i))}"
        if not isinstance(item, dict) or set(item) != {"code", "label", "tiers"}:
            errors.append(f"{where}: each intervention has exactly code, label and tiers")
            continue
        code, label, tiers = item["code"], item["label"], item["tiers"]
        if not isinstance(code, str) or not CODE.match(code):
            errors.append(f"{where}: code {code!r} must be lower-case letters, digits and _")
        elif code in out:
            errors.append(f"{where}: duplicate code {code!r}")
        if not isinstance(label, str) or not label.strip():
            errors.append(f"{where}: label must be text")
        if (
            not isinstance(tiers, list)
            or not tiers
            or any(t not in (1, 2, 3) or isinstance(t, bool) for t in tiers)
        ):
            errors.append(f"{where}: tiers must be a list of 1, 2 and 3")
        if not errors:
            out[code] = InterventionType(code, Label(label.strip()), tuple(tiers))
    if errors:
        raise InterventionListError("\n".join(errors))
    return out


@cache
def intervention_types() -> dict[str, InterventionType]:
    return load_interventions()
