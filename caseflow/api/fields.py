"""Query and body fields shared by the API's schemas, bounded so that any value they accept
can be stored and compared by both databases (no integer overflow, no date arithmetic past
the calendar's end)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import marshmallow as ma
from flask_babel import gettext, lazy_gettext
from marshmallow import validate
from werkzeug.routing import IntegerConverter

# PostgreSQL `integer`: the widest id a row can have.
MAX_ID = 2**31 - 1
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# Pages of a list: far beyond any real list, and an offset every database can take.
PAGE = validate.Range(min=1, max=100_000, error=lazy_gettext("Must be a page from {min} to {max}."))


class Id(ma.fields.Integer):
    """A row id: a whole number from 1 to 2147483647."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", validate.Range(min=1, max=MAX_ID, error=gettext("Must be an id from 1 to {max}."))
        )
        super().__init__(**kwargs)


class Day(ma.fields.Date):
    """A calendar day (YYYY-MM-DD) between 1900 and 2999."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate",
            validate.Range(min=FIRST_DAY, max=LAST_DAY, error=gettext("Must be a date from {min} to {max}.")),
        )
        super().__init__(**kwargs)


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of a page of a list (`items` and the page numbers), named `name`Schema."""
    return type(
        f"{name}Schema",
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(metadata={"description": "Items on every page"}),
            "pages": ma.fields.Integer(),
        },
    )


class RowIdConverter(IntegerConverter):
    """`<int:…>` in URLs: only numbers a row id can be, so /cases/99999999999999999999 is a 404
    like any other missing record (not a database overflow)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def blanks_to_none(data, names) -> object:
    """A form sends "" for an optional field left empty: read it as None. For `pre_load` hooks.

    Anything but an object (a JSON array, a string) is returned as it came, for the schema to
    refuse with its "Invalid input type." message (422), never a server error.
    """
    if not isinstance(data, Mapping):
        return data
    return {key: (None if key in names and value == "" else value) for key, value in data.items()}


def school_days(**kwargs) -> ma.fields.Decimal:
    """A number of school days in an answer, two decimals (0.5 is half a day), written as a
    string so that no precision is lost ("2.50"); documented as such."""
    metadata = {"type": "string", "format": "decimal", "pattern": r"^\d+\.\d{2}$", "example": "2.50"}
    return ma.fields.Decimal(
        places=2, as_string=True, metadata=metadata | kwargs.pop("metadata", {}), **kwargs
    )
