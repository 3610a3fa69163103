"""`flask sign-in ...`: the district's OpenID Connect provider, break-glass accounts, and
removing a lost authenticator."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from caseflow.auth.models import User
from caseflow.auth.services import normalize_email, set_break_glass
from caseflow.cli import _run
from caseflow.extensions import db
from caseflow.identity import mfa
from caseflow.identity.oidc import ProviderUnavailable, client_for, load_metadata
from caseflow.identity.providers import (
    SecretUnavailable,
    client_secret,
    configure_provider,
    provider_for_district,
    remove_provider,
)
from caseflow.people.models import District

sign_in_cli = AppGroup("sign-in", help="Sign-in: the district's identity provider, MFA, break-glass.")


def _district(code: str) -> District:
    district = db.session.scalar(sa.select(District).where(District.code == code))
    if district is None:
        raise click.ClickException(f"No district with code {code!r}.")
    return district


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No account {email!r}.")
    return user


@sign_in_cli.command("provider")
@click.option("--district", "district_code", required=True)
@click.option("--preset", "kind", type=click.Choice(["google", "entra", "oidc"]), required=True)
@click.option("--client-id", required=True)
@click.option("--secret", "secret_ref", required=True, help="env:VARIABLE or file:/path (never the secret)")
@click.option("--domain", "hosted_domain", help="Google Workspace domain (the hd claim)")
@click.option("--tenant", "tenant_id", help="Entra ID tenant id (the tid claim)")
@click.option("--discovery-url", help="Required with --preset oidc")
@click.option("--name", help="Shown as 'Sign in with NAME'")
@click.option("--passwords/--no-passwords", default=True, help="--no-passwords: break-glass accounts only")
def provider_set(
    district_code, kind, client_id, secret_ref, hosted_domain, tenant_id, discovery_url, name, passwords
):
    """Set (or replace) the district's OpenID Connect provider."""
    district = _district(district_code)
    _run(
        lambda: configure_provider(
            actor=None,
            district=district,
            kind=kind,
            name=name,
            discovery_url=discovery_url,
            client_id=client_id,
            client_secret_ref=secret_ref,
            hosted_domain=hosted_domain,
            tenant_id=tenant_id,
            local_passwords=passwords,
        ),
        lambda p: (
            f"{district.code} signs in with {p.name} ({p.discovery_url}); "
            f"passwords {'allowed' if p.local_passwords else 'for break-glass accounts only'}."
        ),
    )


@sign_in_cli.command("check")
@click.option("--district", "district_code", required=True)
def provider_check(district_code):
    """Read the client secret and the provider's discovery document; exit 1 on a problem."""
    provider = provider_for_district(_district(district_code).id)
    if provider is None:
        raise click.ClickException(f"{district_code} has no sign-in provider.")
    try:
        client_secret(provider)
        metadata = load_metadata(client_for(provider))
    except (SecretUnavailable, ProviderUnavailable) as exc:
        raise click.ClickException(f"{provider.name}: {exc}") from None
    click.echo(
        f"{provider.name}: issuer {metadata.get('issuer')}; secret readable; "
        f"end_session_endpoint {'yes' if metadata.get('end_session_endpoint') else 'no'}."
    )


@sign_in_cli.command("remove")
@click.option("--district", "district_code", required=True)
def provider_remove(district_code):
    """Remove the district's provider (staff sign in with passwords again)."""
    district = _district(district_code)
    _run(
        lambda: remove_provider(actor=None, district=district),
        lambda done: "Removed." if done else "None set.",
    )


@sign_in_cli.command("break-glass")
@click.argument("email")
@click.option("--on/--off", "allowed", default=True)
def break_glass(email, allowed):
    """Let an account use its password when the district's passwords are off (or stop it)."""
    user = _user(email)
    _run(
        lambda: set_break_glass(actor=None, user=user, allowed=allowed),
        lambda u: f"{u.email}: break-glass {allowed}.",
    )


@sign_in_cli.command("reset-mfa")
@click.argument("email")
def reset_mfa(email):
    """Remove an account's authenticator and recovery codes (audited)."""
    user = _user(email)
    _run(lambda: mfa.reset_mfa(actor=None, user=user), lambda u: f"{u.email}: authenticator removed.")
