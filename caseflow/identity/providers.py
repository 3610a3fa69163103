"""A district's OpenID Connect provider: presets for Google Workspace and Microsoft Entra ID,
any other provider by its discovery URL, and the client secret read from where the
configuration points (an environment variable or a secrets file), never from the database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import diff, record, snapshot
from caseflow.db import now_utc
from caseflow.errors import ValidationFailed
from caseflow.extensions import db
from caseflow.identity.models import PROVIDER_KINDS, SignInProvider
from caseflow.people.models import District

GOOGLE_DISCOVERY = "https://accounts.google.com/.well-known/openid-configuration"
ENTRA_DISCOVERY = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
DEFAULT_NAMES = {"google": "Google", "entra": "Microsoft"}
AUDITED = (
    "kind",
    "name",
    "discovery_url",
    "client_id",
    "client_secret_ref",
    "hosted_domain",
    "tenant_id",
    "local_passwords",
)
_TENANT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretUnavailable(Exception):
    """The configured client secret cannot be read (the message names where it was looked for)."""


def provider_for_district(district_id: int) -> SignInProvider | None:
    return db.session.scalar(sa.select(SignInProvider).where(SignInProvider.district_id == district_id))


def provider_by_code(code: str) -> SignInProvider | None:
    """The provider of the district with `code`, or None."""
    return db.session.scalar(sa.select(SignInProvider).join(District).where(District.code == code))


def all_providers() -> list[SignInProvider]:
    """Every configured provider with its district (the login page shows one link each)."""
    return list(
        db.session.scalars(
            sa.select(SignInProvider)
            .join(District)
            .order_by(District.name)
            .options(sa.orm.contains_eager(SignInProvider.district))
        )
    )


def client_secret(provider: SignInProvider) -> str:
    """Read the client secret from `env:NAME` or `file:/path`; raises SecretUnavailable."""
    kind, _, where = provider.client_secret_ref.partition(":")
    if kind == "env":
        value = os.environ.get(where, "").strip()
        if not value:
            raise SecretUnavailable(f"the environment variable {where} is not set")
        return value
    try:
        value = Path(where).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretUnavailable(f"cannot read the secrets file {where}: {exc.strerror}") from None
    if not value:
        raise SecretUnavailable(f"the secrets file {where} is empty")
    return value


def _check(values: dict) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    kind = values["kind"]
    if kind not in PROVIDER_KINDS:
        fields["kind"] = [f"Choose one of {', '.join(PROVIDER_KINDS)}."]
        return fields
    if kind == "google" and not _DOMAIN.match(values.get("hosted_domain") or ""):
        fields["hosted_domain"] = ["Give the district's Google Workspace domain, such as district.org."]
    if kind == "entra" and not _TENANT.match(values.get("tenant_id") or ""):
        fields["tenant_id"] = ["Give the Entra ID tenant id (a GUID, from the Entra admin center)."]
    url = values.get("discovery_url") or ""
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", url) or len(url) > 500:
        fields["discovery_url"] = ["Give the provider's discovery URL (…/.well-known/openid-configuration)."]
    elif url.startswith("http://") and not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])[:/]", url):
        fields["discovery_url"] = ["The discovery URL must use https."]
    if not (values.get("client_id") or "").strip() or len(values["client_id"]) > 255:
        fields["client_id"] = ["Give the client id the provider issued to Caseflow."]
    ref = values.get("client_secret_ref") or ""
    kind_ref, _, where = ref.partition(":")
    if kind_ref == "env" and _ENV_NAME.match(where):
        pass
    elif kind_ref == "file" and where.startswith("/"):
        pass
    else:
        fields["client_secret_ref"] = [
            "Say where the secret is: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)."
        ]
    if not (values.get("name") or "").strip() or len(values["name"]) > 80:
        fields["name"] = ["Give the provider's name as staff know it (at most 80 characters)."]
    return fields


def configure_provider(
    *,
    actor,
    district: District,
    kind: str,
    client_id: str,
    client_secret_ref: str,
    name: str | None = None,
    discovery_url: str | None = None,
    hosted_domain: str | None = None,
    tenant_id: str | None = None,
    local_passwords: bool = True,
) -> SignInProvider:
    """Create or replace the district's provider. Presets fill the discovery URL of Google and
    Entra ID. Raises ValidationFailed naming each wrong field."""
    hosted_domain = (hosted_domain or "").strip().lower() or None
    tenant_id = (tenant_id or "").strip().lower() or None
    if kind == "google":
        discovery_url = discovery_url or GOOGLE_DISCOVERY
    elif kind == "entra" and tenant_id:
        discovery_url = discovery_url or ENTRA_DISCOVERY.format(tenant=tenant_id)
    values = {
        "kind": kind,
        "name": (name or DEFAULT_NAMES.get(kind, "")).strip(),
        "discovery_url": (discovery_url or "").strip(),
        "client_id": (client_id or "").strip(),
        "client_secret_ref": (client_secret_ref or "").strip(),
        "hosted_domain": hosted_domain if kind == "google" else None,
        "tenant_id": tenant_id if kind == "entra" else None,
        "local_passwords": local_passwords,
    }
    if fields := _check(values):
        raise ValidationFailed(gettext("The sign-in provider is not valid."), fields=fields)
    provider = provider_for_district(district.id)
    before = snapshot(provider, AUDITED) if provider else {}
    if provider is None:
        provider = SignInProvider(district_id=district.id, **values)
        db.session.add(provider)
    else:
        for key, value in values.items():
            setattr(provider, key, value)
        provider.updated_at = now_utc()
    db.session.flush()
    changes = diff(before, snapshot(provider, AUDITED))
    if changes:
        record(actor, "sign_in.provider_configured", provider, changes=changes)
    return provider


def remove_provider(*, actor, district: District) -> bool:
    """Remove the district's provider (staff then sign in with passwords again)."""
    provider = provider_for_district(district.id)
    if provider is None:
        return False
    record(actor, "sign_in.provider_removed", provider, changes=snapshot(provider, AUDITED))
    db.session.delete(provider)
    db.session.flush()
    return True
