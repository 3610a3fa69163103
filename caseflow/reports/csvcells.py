"""Cells and files for CSVs that people open in a spreadsheet."""

from __future__ import annotations

import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# UTF-8's byte-order mark: without it a spreadsheet opened by double-click reads the file in
# the machine's legacy code page ("Juárez" becomes "JuÃ¡rez").
BOM = "\ufeff"


def safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ ...) gets a leading
    apostrophe, so it is shown as typed; numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_file() -> io.StringIO:
    """A buffer for a CSV's text that begins with the byte-order mark: every CSV Caseflow
    hands out (downloads and the command line) is written into one, and sent as UTF-8."""
    out = io.StringIO()
    out.write(BOM)
    return out
