"""Cells for CSV files that people open in a spreadsheet."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ ...) gets a leading
    apostrophe, so it is shown as typed; numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
