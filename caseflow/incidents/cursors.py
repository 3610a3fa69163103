"""A place in a list of incidents, for pages "older than" or "newer than" it (keyset
pagination): such a page is read from an index whatever how deep it is, where a page number
deep in a long list makes the database count past every row before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import marshmallow as ma
from flask import request, url_for
from flask_babel import lazy_gettext

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ListCursor:
    """A place in the list (an incident's occurred_at and id): the pages "older than" or
    "newer than" it are read from an index whatever how deep they are. Written in URLs as
    `<microseconds since 1970 UTC>_<id>`."""

    occurred_at: datetime
    id: int

    @classmethod
    def of(cls, incident) -> ListCursor:
        return cls(incident.occurred_at, incident.id)

    def __str__(self) -> str:
        return f"{(self.occurred_at - EPOCH) // MICROSECOND}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> ListCursor | None:
        """The cursor written in `text`, or None if it is not one."""
        micro, _, ident = text.partition("_")
        if not (micro.isascii() and micro.isdigit() and ident.isascii() and ident.isdigit()):
            return None
        if len(micro) > 17 or len(ident) > 10 or not 0 < int(ident) <= 2**31 - 1:
            return None
        try:
            occurred_at = EPOCH + int(micro) * MICROSECOND
        except OverflowError:
            return None
        if occurred_at.year > 2999:
            return None
        return cls(occurred_at, int(ident))


class CursorField(ma.fields.String):
    """A ListCursor in a query string (`<microseconds since 1970 UTC>_<id>`, as the `next` and
    `previous` links give it)."""

    default_error_messages = {"invalid": lazy_gettext("Must be a cursor from a previous page's link.")}

    def _deserialize(self, value, attr, data, **kwargs):
        cursor = ListCursor.parse(super()._deserialize(value, attr, data, **kwargs))
        if cursor is None:
            raise self.make_error("invalid")
        return cursor


# Query arguments that choose the page; every other one (the filters) is kept in the links.
PAGE_ARGUMENTS = ("page", "before", "after")


def page_url(target: dict | None) -> str | None:
    """The URL of this request's endpoint with the same filters, on the page `target` names
    ({"page": 2} or {"before": "..."}), or None without a target."""
    if target is None:
        return None
    kept = {k: v for k, v in request.args.items() if k not in PAGE_ARGUMENTS}
    return url_for(request.endpoint, **(request.view_args or {}), **kept, **target)
