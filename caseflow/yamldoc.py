"""Reading YAML files of workflows/ with their line numbers, for error messages that say where.

`read_yaml(path, errors)` parses with a safe loader that also refuses a key written twice in
one mapping (PyYAML silently keeps the last), and keeps the node tree so that `line_of()`
can name the line of any entry found by its path of keys and indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key; construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class YamlDocument:
    path: Path
    raw: bytes
    data: Any = None
    node: yaml.Node | None = None
    ok: bool = False


def read_yaml(path: Path, errors: list[str]) -> YamlDocument | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
        return None
    except OSError as exc:
        errors.append(f"{path}: cannot read the file: {exc.strerror or exc}")
        return None
    doc = YamlDocument(path=path, raw=raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"{path}: not UTF-8 text (byte {exc.start})")
        return doc
    loader = StrictLoader(text)
    try:
        doc.node = loader.get_single_node()
        doc.data = loader.construct_document(doc.node) if doc.node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        reason = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        errors.append(f"{where}: YAML syntax error: {reason}{context}")
        return doc
    except yaml.YAMLError as exc:
        errors.append(f"{path}: YAML syntax error: {exc}")
        return doc
    finally:
        loader.dispose()
    doc.ok = True
    return doc


def child_node(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The node under `key` (a mapping key or a sequence index), or None."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The node of the key `key` itself in a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for candidate, _ in node.value:
            if isinstance(candidate, yaml.ScalarNode) and candidate.value == key:
                return candidate
    return None


def line_of(root: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the deepest node found along `path` (a key's own line for the last key)."""
    node, line = root, None
    for i, part in enumerate(path):
        if i == len(path) - 1 and isinstance(part, str):
            found = key_node(node, part)
            if found is not None:
                return found.start_mark.line + 1
        child = child_node(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line
