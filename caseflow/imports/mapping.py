"""The Ed-Fi → Caseflow mapping (workflows/edfi_mapping.yaml), checked completely when it loads.

`load_edfi_mapping(path, taxonomy)` returns an immutable `EdfiMapping` or raises
`EdfiMappingError` listing every problem, one per line, each naming the file, the line and
the entry: unknown or missing keys, a behavior code the taxonomy does not have, a
relationship or role Caseflow does not know, an Ed-Fi value listed twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import marshmallow as ma
from marshmallow import fields

from caseflow.auth.permissions import Role
from caseflow.incidents.taxonomy import WORKFLOWS_DIR, Taxonomy, get_taxonomy
from caseflow.people.codes import GUARDIAN_RELATIONSHIPS
from caseflow.yamldoc import line_of, read_yaml

MAPPING_FILE = "edfi_mapping.yaml"
LISTS = ("behaviors", "detailed_behaviors", "relations", "staff_classifications")


class EdfiMappingError(Exception):
    """The mapping file has one or more problems; `errors` holds one message per problem."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        count = len(self.errors)
        super().__init__(
            "\n".join([f"Invalid Ed-Fi mapping ({count} problem{'s' if count != 1 else ''}):", *errors])
        )


@dataclass(frozen=True)
class StaffPosition:
    role: str | None
    district_wide: bool


@dataclass(frozen=True)
class EdfiMapping:
    """Lookups keyed by the case-folded Ed-Fi value."""

    behaviors: Mapping[str, str]
    detailed_behaviors: Mapping[str, str]
    relations: Mapping[str, str]
    staff_classifications: Mapping[str, StaffPosition]

    def behavior(self, edfi: str, detailed: str | None) -> str | None:
        """Our behavior code for an Ed-Fi behavior, the detailed description first; None if unmapped."""
        if detailed and detailed.strip().casefold() in self.detailed_behaviors:
            return self.detailed_behaviors[detailed.strip().casefold()]
        return self.behaviors.get(edfi.strip().casefold())


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    error_messages = {"unknown": "unknown key", "type": "must be a mapping of key: value pairs"}


def _text(**kwargs) -> fields.String:
    return fields.String(
        validate=ma.validate.Length(min=1, max=100, error="must be 1 to 100 characters"),
        error_messages={"required": "missing (required)", "invalid": "must be text"},
        **kwargs,
    )


class _BehaviorEntry(_Strict):
    edfi = _text(required=True)
    code = _text(required=True)


class _DetailedEntry(_Strict):
    text = _text(required=True)
    code = _text(required=True)


class _RelationEntry(_Strict):
    edfi = _text(required=True)
    code = fields.String(
        required=True,
        validate=ma.validate.OneOf(
            tuple(GUARDIAN_RELATIONSHIPS), error=f"must be one of: {', '.join(GUARDIAN_RELATIONSHIPS)}"
        ),
        error_messages={"required": "missing (required)"},
    )


class _StaffEntry(_Strict):
    edfi = _text(required=True)
    role = fields.String(
        required=True,
        allow_none=True,
        validate=ma.validate.OneOf(tuple(Role), error=f"must be null or one of: {', '.join(Role)}"),
        error_messages={"required": "missing (required; null for no role)"},
    )
    district_wide = fields.Boolean(load_default=False, truthy={True}, falsy={False})


def _list(schema: type[ma.Schema]) -> fields.List:
    return fields.List(
        fields.Nested(schema), required=True, error_messages={"required": "missing (required)"}
    )


class _MappingFile(_Strict):
    behaviors = _list(_BehaviorEntry)
    detailed_behaviors = fields.List(fields.Nested(_DetailedEntry), load_default=list)
    relations = _list(_RelationEntry)
    staff_classifications = _list(_StaffEntry)


def _flatten(messages: Any, path: tuple = ()):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, path)
    else:
        yield path, str(messages)


def _where(doc, path: tuple) -> str:
    line = line_of(doc.node, path)
    parts = [str(doc.path)] + ([f"line {line}"] if line else [])
    if len(path) >= 2 and isinstance(path[1], int):
        parts.append(f"{path[0]}[{path[1]}]")
    return ", ".join(parts)


def load_edfi_mapping(path: Path | str, taxonomy: Taxonomy) -> EdfiMapping:
    """Read and check the mapping file against the behavior taxonomy."""
    path = Path(path)
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if doc is None or not doc.ok:
        raise EdfiMappingError(errors)
    if not isinstance(doc.data, dict):
        raise EdfiMappingError([f"{path}: must be a mapping with the keys {', '.join(LISTS)}"])
    try:
        data = _MappingFile().load(doc.data)
    except ma.ValidationError as exc:
        for field_path, message in _flatten(exc.messages):
            key = ".".join(str(p) for p in field_path[2:]) if len(field_path) > 2 else None
            if len(field_path) == 1:
                key = str(field_path[0])
            errors.append(f"{_where(doc, field_path)}: {key + ': ' if key else ''}{message}")
        raise EdfiMappingError(errors) from None

    for list_name in ("behaviors", "detailed_behaviors"):
        for index, entry in enumerate(data[list_name]):
            if entry["code"] not in taxonomy.behaviors:
                errors.append(
                    f"{_where(doc, (list_name, index, 'code'))}: code: {entry['code']!r} is not a behavior "
                    f"of workflows/behaviors.yaml"
                )
    for list_name in LISTS:
        key = "text" if list_name == "detailed_behaviors" else "edfi"
        first: dict[str, int] = {}
        for index, entry in enumerate(data[list_name]):
            folded = entry[key].strip().casefold()
            if folded in first:
                errors.append(
                    f"{_where(doc, (list_name, index, key))}: {key}: {entry[key]!r} is listed twice "
                    f"(first in {list_name}[{first[folded]}])"
                )
            first.setdefault(folded, index)
    if errors:
        raise EdfiMappingError(errors)

    def fold(entries, key, value):
        return MappingProxyType({e[key].strip().casefold(): value(e) for e in entries})

    return EdfiMapping(
        behaviors=fold(data["behaviors"], "edfi", lambda e: e["code"]),
        detailed_behaviors=fold(data["detailed_behaviors"], "text", lambda e: e["code"]),
        relations=fold(data["relations"], "edfi", lambda e: e["code"]),
        staff_classifications=fold(
            data["staff_classifications"], "edfi", lambda e: StaffPosition(e["role"], e["district_wide"])
        ),
    )


_cache: EdfiMapping | None = None
_lock = threading.Lock()


def get_edfi_mapping() -> EdfiMapping:
    """The project's mapping (workflows/edfi_mapping.yaml), loaded and checked once per process."""
    global _cache
    with _lock:
        if _cache is None:
            _cache = load_edfi_mapping(WORKFLOWS_DIR / MAPPING_FILE, get_taxonomy())
        return _cache
