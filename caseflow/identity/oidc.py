"""OpenID Connect with Authlib: the authorization-code flow with PKCE (S256), `state` and `nonce`
(kept in the signed session by Authlib), the ID token checked (signature, issuer, audience,
expiry, nonce), then the district's own rules on its claims.

`SignInRefused` carries a reason code for the audit trail and a sentence for the person.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app
from joserfc.errors import JoseError

from caseflow.identity.models import SignInProvider
from caseflow.identity.providers import SecretUnavailable, client_secret

SCOPE = "openid email profile"
_metadata: dict[str, dict] = {}  # discovery URL -> metadata (with its keys), per process
_metadata_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered with something that is not OpenID Connect."""


@dataclass
class SignInRefused(Exception):
    reason: str  # for the audit trail: state_mismatch, id_token_invalid:nonce, wrong_domain ...
    message: str  # for the person
    status: int = 401

    def __str__(self) -> str:
        return self.reason


def forget_metadata() -> None:
    """Read every provider's discovery document and keys again at their next use."""
    with _metadata_lock:
        _metadata.clear()


def client_for(provider: SignInProvider) -> FlaskOAuth2App:
    try:
        secret = client_secret(provider)
    except SecretUnavailable as exc:
        current_app.logger.error("sign-in provider of district %s: %s", provider.district_id, exc)
        raise ProviderUnavailable("the client secret cannot be read") from None
    with _metadata_lock:
        cached = _metadata.get(provider.discovery_url)
        if cached and time.monotonic() - cached["_cached_at"] > current_app.config["OIDC_METADATA_SECONDS"]:
            cached = None
    client = FlaskOAuth2App(
        FlaskIntegration(f"district{provider.district_id}"),
        name=f"district{provider.district_id}",
        client_id=provider.client_id,
        client_secret=secret,
        server_metadata_url=provider.discovery_url,
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": current_app.config["OIDC_TIMEOUT_SECONDS"],
        },
        **(dict(cached) if cached else {}),
    )
    return client


def _remember(provider: SignInProvider, client: FlaskOAuth2App) -> None:
    metadata = dict(client.server_metadata)
    metadata.setdefault("_cached_at", time.monotonic())
    with _metadata_lock:
        _metadata[provider.discovery_url] = metadata


def load_metadata(client: FlaskOAuth2App) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery failed: {type(exc).__name__}") from None
    if not metadata.get("authorization_endpoint") or not metadata.get("token_endpoint"):
        raise ProviderUnavailable("the discovery document names no authorization or token endpoint")
    return metadata


def authorization_redirect(provider: SignInProvider, redirect_uri: str):
    """The redirect to the provider's sign-in page; raises ProviderUnavailable."""
    client = client_for(provider)
    load_metadata(client)
    extra = {}
    if provider.kind == "google":
        extra["hd"] = provider.hosted_domain  # a hint to Google; the claim is checked on return
    response = client.authorize_redirect(redirect_uri, **extra)
    _remember(provider, client)
    return response


def verified_claims(provider: SignInProvider) -> tuple[dict, str | None]:
    """Finish the flow on the callback request: returns the ID token's claims, checked, and the
    raw ID token (for sign-out). Raises SignInRefused or ProviderUnavailable."""
    from flask import request

    if request.args.get("error"):
        error = request.args["error"]
        if error in ("access_denied", "consent_required", "interaction_required", "login_required"):
            raise SignInRefused(
                "cancelled_at_provider",
                f"Sign-in with {provider.name} was cancelled. You can start again, or sign in with a "
                "password if your account has one.",
            )
        raise SignInRefused(f"provider_error:{error[:40]}", f"{provider.name} refused the sign-in ({error}).")
    client = client_for(provider)
    load_metadata(client)
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        raise SignInRefused(
            "state_mismatch",
            "This sign-in link is no longer valid: it was used already, or started in another "
            "browser or too long ago. Start again from the sign-in page.",
            status=400,
        ) from None
    except OAuthError as exc:
        raise SignInRefused(
            f"token_error:{(exc.error or 'unknown')[:40]}",
            f"{provider.name} did not confirm the sign-in. Start again from the sign-in page.",
        ) from None
    except (JoseError, AuthlibBaseError) as exc:
        detail = getattr(exc, "claim", None) or exc.error or type(exc).__name__
        raise SignInRefused(
            f"id_token_invalid:{exc.error or 'error'}:{detail}"[:80],
            "The sign-in could not be verified (the identity token is not valid). Start again.",
        ) from None
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"token request failed: {type(exc).__name__}") from None
    finally:
        _remember(provider, client)
    claims = token.get("userinfo")
    if not claims:
        raise SignInRefused("no_id_token", "The provider sent no identity token. Start again.")
    check_claims(provider, claims)
    return dict(claims), token.get("id_token")


def check_claims(provider: SignInProvider, claims) -> None:
    """The district's rules on a verified ID token: Google's `hd`, Entra's `tid`, a verified
    e-mail address. Raises SignInRefused."""
    if provider.kind == "google" and claims.get("hd") != provider.hosted_domain:
        raise SignInRefused(
            "wrong_domain",
            f"Sign in with your {provider.hosted_domain} account; "
            f"{claims.get('email') or 'this account'} is not part of the district's Google Workspace.",
        )
    if provider.kind == "entra" and str(claims.get("tid", "")).lower() != provider.tenant_id:
        raise SignInRefused(
            "wrong_tenant",
            f"Sign in with your district's Microsoft account; "
            f"{claims.get('email') or 'this account'} belongs to another organisation.",
        )
    email = claims.get("email")
    if not email or "@" not in str(email):
        raise SignInRefused(
            "no_email", f"{provider.name} did not tell Caseflow your e-mail address, so no account matches."
        )
    # Sent by Google and most providers; Entra's xms_edov says whether the domain is verified.
    for claim in ("email_verified", "xms_edov"):
        if claim in claims and claims[claim] not in (True, "true", "True"):
            raise SignInRefused(
                "email_not_verified",
                f"{provider.name} has not verified the e-mail address {email}, so Caseflow cannot "
                "match it to an account.",
            )


def end_session_url(
    provider: SignInProvider, id_token: str | None, post_logout_redirect_uri: str
) -> str | None:
    """The provider's end_session_endpoint with the ID token as hint, or None when it has none
    (Google) or cannot be reached."""
    try:
        client = client_for(provider)
        metadata = load_metadata(client)
    except ProviderUnavailable:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    _remember(provider, client)
    result = client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=provider.client_id,
    )
    return result["url"]
