"""The roster source's settings, checked the same way for the page and the command line."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import marshmallow as ma
from flask_babel import gettext, lazy_gettext
from marshmallow import validate

from caseflow.labels import N_
from caseflow.roster.models import SOURCE_KINDS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ma.ValidationError(gettext("Enter an address starting with https://."))
    if parts.username or parts.password:
        raise ma.ValidationError(
            gettext("Leave credentials out of the address; the secret comes from the environment.")
        )


class SourceSchema(ma.Schema):
    kind = ma.fields.String(
        required=True, validate=validate.OneOf(SOURCE_KINDS, error=lazy_gettext("Choose the kind of source."))
    )
    base_url = ma.fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=500), _http_url]
    )
    token_url = ma.fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=500), _http_url]
    )
    client_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    secret_env = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Z_][A-Z0-9_]{0,99}$",
            error=lazy_gettext(
                "The name of an environment variable (capitals, digits and _), such as ROSTER_SECRET."
            ),
        ),
    )
    drop_path = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    delta = ma.fields.Boolean(load_default=True)
    full_sync_weekday = ma.fields.String(
        load_default="sunday",
        validate=validate.OneOf(WEEKDAYS, error=lazy_gettext("Choose a day of the week.")),
    )
    safety_percent = ma.fields.Decimal(
        load_default=Decimal("5"),
        places=2,
        validate=validate.Range(
            min=Decimal("0.01"), max=Decimal("100"), error=lazy_gettext("A share from 0.01 to 100 percent.")
        ),
        error_messages={"invalid": N_("A number of percent, such as 5.")},
    )
    enabled = ma.fields.Boolean(load_default=True)

    @ma.pre_load
    def blanks(self, data, **kwargs):
        data = dict(data)
        for name in ("base_url", "token_url", "client_id", "secret_env", "drop_path"):
            if isinstance(data.get(name), str):
                data[name] = data[name].strip() or None
        # What was left empty, for the check of what the kind needs (which also runs when
        # another field is wrong, so that every message comes at once).
        self._blank = {
            name
            for name in ("base_url", "token_url", "client_id", "secret_env", "drop_path")
            if not data.get(name)
        }
        if isinstance(data.get("full_sync_weekday"), str):
            data["full_sync_weekday"] = data["full_sync_weekday"].strip().lower()
        return data

    @ma.validates_schema(skip_on_field_errors=False)
    def needed(self, data, **kwargs):
        blank = getattr(self, "_blank", set())
        missing = {}
        if data.get("kind") == "oneroster_rest":
            for name, what in (
                ("base_url", "the provider's base address (…/ims/oneroster/v1p1)"),
                ("token_url", "the token endpoint"),
                ("client_id", "the client id"),
                ("secret_env", "the environment variable that holds the client secret"),
            ):
                if name in blank:
                    missing[name] = [f"Enter {what}."]
        elif data.get("kind") == "drop_folder" and "drop_path" in blank:
            missing["drop_path"] = ["Enter the folder the uploads arrive in."]
        if missing:
            raise ma.ValidationError(missing)
