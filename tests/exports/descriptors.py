"""Ed-Fi descriptor CodeValues read from the Ed-Fi sample beside the project
(../shared/data/edfi-grand-bend, or EDFI_SAMPLE_DIR); tests that need it skip without it."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from caseflow import BASE_DIR

NS = {"e": "http://ed-fi.org/5.2.0"}


def sample_dir() -> Path:
    return Path(os.environ.get("EDFI_SAMPLE_DIR", BASE_DIR.parent / "shared" / "data" / "edfi-grand-bend"))


def code_values(kind: str) -> frozenset[str]:
    path = sample_dir() / "Descriptors" / f"{kind}.xml"
    if not path.exists():
        pytest.skip(f"the Ed-Fi sample descriptors are not at {path.parent}")
    root = ET.parse(path).getroot()
    return frozenset(el.text for el in root.iterfind(f"e:{kind}/e:CodeValue", NS))
