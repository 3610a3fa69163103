"""The district's behavior taxonomy and code lists (workflows/behaviors.yaml, workflows/codes.yaml).

Pure Python: no Flask, no database. `load_taxonomy(directory)` reads the two files, checks
them completely and returns an immutable `Taxonomy`. If there is any mistake it raises
`TaxonomyError` listing every problem, one per line. Each line names the file, the line, the
entry (index and code) and the reason. `get_taxonomy()` loads the project's own
`workflows/` folder once and caches it.

The checks: YAML syntax (and duplicate keys, which PyYAML would otherwise silently
overwrite), unknown keys, missing keys, wrong types, empty text, over-long codes and labels,
duplicate codes and labels inside a list, `level` (minor/major), `edfi_category` and the
roles' `edfi` value (the Ed-Fi lists below), and the shape of our own codes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseflow.labels import Label
from caseflow.yamldoc import YamlDocument as _Document
from caseflow.yamldoc import line_of as _line_of
from caseflow.yamldoc import read_yaml as _read

BEHAVIORS_FILE = "behaviors.yaml"
CODES_FILE = "codes.yaml"
WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"

# Ed-Fi BehaviorDescriptor CodeValues (DS 5.2 defaults): see shared/reference/standards.md §1.3.
EDFI_BEHAVIOR_CATEGORIES: tuple[str, ...] = (
    "State Offense",
    "School Violation",
    "School Code of Conduct",
    "Other",
)
# Ed-Fi DisciplineIncidentParticipationCodeDescriptor CodeValues: standards.md §1.3.
EDFI_PARTICIPATION_CODES: tuple[str, ...] = ("Perpetrator", "Reporter", "Victim", "Witness")
LEVELS: tuple[str, ...] = ("minor", "major")

OWN_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
MAX_OWN_CODE = 60  # incident_behaviors.behavior_code / incident_actions.action_code are String(60)
MAX_EDFI_CODE = 50  # Ed-Fi Descriptor.CodeValue is at most 50 characters
MAX_LABEL = 40  # the labels are shown on a phone screen
MAX_DEFINITION = 500
MAX_VERSION = 80  # incidents.taxonomy_version is String(80)

CODE_LISTS = ("locations", "weapons", "participation_roles", "immediate_actions", "injuries")


class TaxonomyError(Exception):
    """The taxonomy files have one or more problems. `errors` holds one message per problem."""

    def __init__(self, errors: list[str], directory: Path | None = None):
        self.errors = list(errors)
        where = f" in {directory}" if directory is not None else ""
        count = len(self.errors)
        header = f"Invalid taxonomy{where} ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([header, *self.errors]))


# Offered first on the incident form, apart from other behaviors: a crisis, not misconduct.
SAFETY_FIRST = ("self_harm", "threat")


@dataclass(frozen=True)
class Behavior:
    code: str
    label: str
    definition: str
    level: str
    edfi_category: str
    ordinary_discipline: bool


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    edfi: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    version: str
    behaviors: Mapping[str, Behavior]
    locations: Mapping[str, Code]
    weapons: Mapping[str, Code]
    participation_roles: Mapping[str, Code]
    immediate_actions: Mapping[str, Code]
    injuries: Mapping[str, Code]
    content_hash: str  # sha256 of behaviors.yaml and codes.yaml, as read

    def behavior(self, code: str) -> Behavior:
        """The behavior with this code; KeyError if the taxonomy has no such code."""
        try:
            return self.behaviors[code]
        except KeyError:
            raise KeyError(f"unknown behavior code {code!r}") from None

    def is_ordinary_discipline(self, codes: Iterable[str]) -> bool:
        """True if every given behavior is ordinary discipline (never a reason for police).

        An empty list is False: with no behavior there is nothing to call ordinary.
        An unknown code raises KeyError rather than being guessed either way.
        """
        behaviors = [self.behavior(code) for code in codes]
        return bool(behaviors) and all(b.ordinary_discipline for b in behaviors)

    def minor_behaviors(self) -> tuple[Behavior, ...]:
        return tuple(b for b in self.behaviors.values() if b.level == "minor")

    def safety_behaviors(self) -> tuple[Behavior, ...]:
        """The behaviors the form offers first, on their own: a student in danger of hurting
        themselves or someone else (SAFETY_FIRST, where the district's taxonomy has them)."""
        return tuple(self.behaviors[c] for c in SAFETY_FIRST if c in self.behaviors)

    def major_behaviors(self) -> tuple[Behavior, ...]:
        return tuple(b for b in self.behaviors.values() if b.level == "major")

    def other_major_behaviors(self) -> tuple[Behavior, ...]:
        """Office-managed behaviors but the safety ones (which the form offers first)."""
        return tuple(b for b in self.major_behaviors() if b.code not in SAFETY_FIRST)


# --------------------------------------------------------------------------- validation schemas


class _Text(fields.String):
    """A string that is not blank. Numbers, dates and booleans are not accepted as text."""

    default_error_messages = {
        "invalid": "must be text (put the value in quotes if YAML reads it as a number, date or yes/no)",
        "blank": "must not be empty",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise self.make_error("blank")
        return text


class _StrictBool(fields.Field):
    """true or false only: no 1/0, "yes" or "true" strings."""

    default_error_messages = {"invalid": "must be true or false"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _own_code(value: str) -> None:
    if not OWN_CODE_RE.fullmatch(value):
        raise ma.ValidationError(
            f"{value!r} is not a valid code: use lower-case letters, digits and '_', starting with a letter"
        )


def _no_outer_space(value: str) -> None:
    if value != value.strip():
        raise ma.ValidationError(f"{value!r} has spaces at the start or end")


def _max(n: int) -> validate.Length:
    return validate.Length(max=n, error=f"is too long ({{input!r}} has more than {n} characters)")


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


_REQUIRED = {"required": "missing (this key is required)", "null": "must not be empty"}
_NONEMPTY_LIST = validate.Length(min=1, error="must list at least one entry")


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    error_messages = {"unknown": "unknown key", "type": "must be a mapping of key: value pairs"}


def _own_code_field() -> fields.Field:
    return _Text(required=True, error_messages=_REQUIRED, validate=[_max(MAX_OWN_CODE), _own_code])


def _label_field() -> fields.Field:
    return _Text(required=True, error_messages=_REQUIRED, validate=_max(MAX_LABEL))


class _BehaviorEntry(_Strict):
    code = _own_code_field()
    label = _label_field()
    definition = _Text(required=True, error_messages=_REQUIRED, validate=_max(MAX_DEFINITION))
    level = _Text(
        required=True,
        error_messages=_REQUIRED,
        validate=validate.OneOf(LEVELS, error="must be 'minor' or 'major', not {input!r}"),
    )
    edfi_category = _Text(
        required=True,
        error_messages=_REQUIRED,
        validate=validate.OneOf(
            EDFI_BEHAVIOR_CATEGORIES,
            error="must be one of the Ed-Fi BehaviorDescriptor values "
            + _quoted(EDFI_BEHAVIOR_CATEGORIES)
            + ", not {input!r}",
        ),
    )
    ordinary_discipline = _StrictBool(required=True, error_messages=_REQUIRED)


class _EdfiCodeEntry(_Strict):
    code = _Text(required=True, error_messages=_REQUIRED, validate=[_max(MAX_EDFI_CODE), _no_outer_space])
    label = _label_field()


class _OwnCodeEntry(_Strict):
    code = _own_code_field()
    label = _label_field()


class _RoleEntry(_OwnCodeEntry):
    edfi = _Text(
        required=True,
        error_messages=_REQUIRED,
        validate=validate.OneOf(
            EDFI_PARTICIPATION_CODES,
            error="must be one of the Ed-Fi DisciplineIncidentParticipationCodeDescriptor values "
            + _quoted(EDFI_PARTICIPATION_CODES)
            + ", not {input!r}",
        ),
    )


def _list_of(schema: type[ma.Schema]) -> fields.Field:
    return fields.List(
        fields.Nested(schema),
        required=True,
        validate=_NONEMPTY_LIST,
        error_messages={**_REQUIRED, "invalid": "must be a list of entries (each starting with '-')"},
    )


class _BehaviorsFile(_Strict):
    version = _Text(required=True, error_messages=_REQUIRED, validate=_max(MAX_VERSION))
    behaviors = _list_of(_BehaviorEntry)


class _CodesFile(_Strict):
    locations = _list_of(_EdfiCodeEntry)
    weapons = _list_of(_EdfiCodeEntry)
    participation_roles = _list_of(_RoleEntry)
    immediate_actions = _list_of(_OwnCodeEntry)
    injuries = _list_of(_OwnCodeEntry)


_ENTRY_SCHEMAS: dict[str, type[ma.Schema]] = {
    "behaviors": _BehaviorEntry,
    "locations": _EdfiCodeEntry,
    "weapons": _EdfiCodeEntry,
    "participation_roles": _RoleEntry,
    "immediate_actions": _OwnCodeEntry,
    "injuries": _OwnCodeEntry,
}
_EDFI_LISTS = {"locations", "weapons"}


# --------------------------------------------------------------------------- error reporting


def _flatten(messages: Any, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, path)
    else:
        yield path, str(messages)


def _entry_name(data: Any, list_name: str, index: int) -> str:
    entry = data.get(list_name)[index] if isinstance(data, dict) else None
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"{list_name}[{index}] (code {code!r})" if isinstance(code, str) else f"{list_name}[{index}]"


def _describe(doc: _Document, path: tuple, message: str, schema: type[ma.Schema]) -> str:
    """One line: '<file>, line N, <entry>: <key>: <reason>'."""
    line = _line_of(doc.node, path)
    where = [str(doc.path)] + ([f"line {line}"] if line else [])
    parts = list(path)
    if len(parts) >= 2 and isinstance(parts[1], int):
        where.append(_entry_name(doc.data, parts[0], parts[1]))
        schema = _ENTRY_SCHEMAS.get(parts[0], schema)
        parts = parts[2:]
    if message == "unknown key":
        message = f"unknown key (allowed keys: {', '.join(schema._declared_fields)})"
    if parts:
        return f"{', '.join(where)}: {'.'.join(str(p) for p in parts)}: {message}"
    return f"{', '.join(where)}: {message}"


def _check_unique(doc: _Document, list_name: str, errors: list[str]) -> None:
    """Duplicate codes (and labels) inside one list, from the raw data so that entries with
    other problems are still compared."""
    entries = doc.data.get(list_name) if isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        return
    fold = list_name in _EDFI_LISTS  # Ed-Fi text codes: "Classroom" and "classroom " clash
    for key in ("code", "label"):
        first: dict[str, int] = {}
        for index, entry in enumerate(entries):
            value = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            norm = value.strip().casefold() if (fold or key == "label") else value
            if norm in first:
                line = _line_of(doc.node, (list_name, index, key))
                other = first[norm]
                other_line = _line_of(doc.node, (list_name, other, key))
                where = [str(doc.path)] + ([f"line {line}"] if line else [])
                where.append(_entry_name(doc.data, list_name, index))
                errors.append(
                    f"{', '.join(where)}: {key}: duplicate {key} {value!r} "
                    f"(already used by {list_name}[{other}]{f', line {other_line}' if other_line else ''})"
                )
            else:
                first[norm] = index


def _validate(doc: _Document, schema: type[ma.Schema], errors: list[str]) -> dict | None:
    data = doc.data
    if data is None:
        errors.append(f"{doc.path}: the file is empty (expected keys: {', '.join(schema._declared_fields)})")
        return None
    if not isinstance(data, dict):
        errors.append(
            f"{doc.path}: must be a mapping with the keys {', '.join(schema._declared_fields)}, "
            f"not a {type(data).__name__}"
        )
        return None
    before = len(errors)
    try:
        loaded = schema().load(data)
    except ma.ValidationError as exc:
        loaded = None
        for path, message in _flatten(exc.messages):
            errors.append(_describe(doc, path, message, schema))
    for list_name in _ENTRY_SCHEMAS:
        if list_name in schema._declared_fields:
            _check_unique(doc, list_name, errors)
    return loaded if len(errors) == before else None


# --------------------------------------------------------------------------- loading


def _freeze(items: Iterable[tuple[str, Any]]) -> Mapping[str, Any]:
    return MappingProxyType(dict(items))


def _codes(entries: list[dict]) -> Mapping[str, Code]:
    return _freeze(
        (e["code"], Code(code=e["code"], label=Label(e["label"]), edfi=e.get("edfi"))) for e in entries
    )


def _behavior(entry: dict) -> Behavior:
    return Behavior(**{**entry, "label": Label(entry["label"]), "definition": Label(entry["definition"])})


def load_taxonomy(directory: Path | str) -> Taxonomy:
    """Read and check `behaviors.yaml` and `codes.yaml` in `directory`.

    Raises TaxonomyError listing every problem found in either file.
    """
    directory = Path(directory)
    errors: list[str] = []
    behaviors_doc = _read(directory / BEHAVIORS_FILE, errors)
    behaviors_data = None
    if behaviors_doc is not None and behaviors_doc.ok:
        behaviors_data = _validate(behaviors_doc, _BehaviorsFile, errors)
    codes_doc = _read(directory / CODES_FILE, errors)
    codes_data = None
    if codes_doc is not None and codes_doc.ok:
        codes_data = _validate(codes_doc, _CodesFile, errors)
    if errors or behaviors_data is None or codes_data is None:
        raise TaxonomyError(errors or ["the taxonomy could not be loaded"], directory)

    digest = hashlib.sha256()
    for doc in (behaviors_doc, codes_doc):
        digest.update(f"{doc.path.name}\0{len(doc.raw)}\0".encode())
        digest.update(doc.raw)

    return Taxonomy(
        version=behaviors_data["version"],
        behaviors=_freeze((b["code"], _behavior(b)) for b in behaviors_data["behaviors"]),
        locations=_codes(codes_data["locations"]),
        weapons=_codes(codes_data["weapons"]),
        participation_roles=_codes(codes_data["participation_roles"]),
        immediate_actions=_codes(codes_data["immediate_actions"]),
        injuries=_codes(codes_data["injuries"]),
        content_hash=digest.hexdigest(),
    )


_cache: Taxonomy | None = None
_cache_lock = threading.Lock()


def get_taxonomy() -> Taxonomy:
    """The project's taxonomy (workflows/), loaded and checked once per process."""
    global _cache
    taxonomy = _cache
    if taxonomy is None:
        with _cache_lock:
            if _cache is None:
                _cache = load_taxonomy(WORKFLOWS_DIR)
            taxonomy = _cache
    return taxonomy


def reset_cache() -> None:
    """Forget the cached taxonomy (tests; after editing the files in a running shell)."""
    global _cache
    with _cache_lock:
        _cache = None
