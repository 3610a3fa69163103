"""What happens after a password or a provider vouched for someone: the district's rule on
local passwords, the second factor, matching a provider's verified e-mail to an existing
account (never creating one), and the sign-in history.

Services flush and write the audit event; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.auth.services import SIGN_IN_METHODS, complete_sign_in, normalize_email, record_sign_in
from caseflow.extensions import db
from caseflow.identity.mfa import mfa_required
from caseflow.identity.models import SignInProvider
from caseflow.identity.oidc import SignInRefused
from caseflow.identity.providers import provider_for_district
from caseflow.labels import N_, translated

SIGN_IN_ACTIONS = ("auth.login", "auth.login_failed")


def provider_method(provider: SignInProvider) -> str:
    return f"oidc:{provider.name}"


def password_refused_by(user: User) -> SignInProvider | None:
    """The district's provider when it has turned local passwords off and `user` is not one of
    its named break-glass accounts; None when the password may be used."""
    provider = provider_for_district(user.district_id)
    if provider is None or provider.local_passwords or user.break_glass:
        return None
    return provider


@dataclass(frozen=True)
class AfterPassword:
    next_step: str  # "signed_in", "totp" (ask for a code), "enrol" (set up TOTP first), "refused"
    provider: SignInProvider | None = None


def after_password(user: User, *, now: datetime | None = None) -> AfterPassword:
    """The password was right: apply the district's password rule, then the second factor.

    Signs in (records it) only when no second factor is due."""
    provider = password_refused_by(user)
    if provider is not None:
        record_sign_in(user, method="password", reason="passwords_off")
        return AfterPassword("refused", provider)
    if user.has_totp:
        return AfterPassword("totp")
    if mfa_required(user):
        return AfterPassword("enrol")
    complete_sign_in(user, method="password", now=now)
    return AfterPassword("signed_in")


def no_account_message(email: str) -> str:
    return f"There is no active Caseflow account for {email}; ask your school's Caseflow administrator."


@dataclass(frozen=True)
class ProviderSignIn:
    user: User | None
    refusal: SignInRefused | None = None


def sign_in_with_provider(
    *,
    provider: SignInProvider,
    claims: dict | None,
    refusal: SignInRefused | None = None,
    now: datetime | None = None,
) -> ProviderSignIn:
    """Match the provider's verified e-mail (case-insensitive) to an existing, active account of
    the provider's district, and record the sign-in. Never creates an account or grants a role.

    A refusal found earlier (bad state, token, claims) is recorded here too. A refusal is
    returned, not raised, so that its audit event commits with the caller's transaction.
    """
    method = provider_method(provider)
    if refusal is not None:
        record_sign_in(None, method=method, reason=refusal.reason, email=(claims or {}).get("email"))
        return ProviderSignIn(None, refusal)
    email = normalize_email(str(claims["email"]))
    user = db.session.scalar(
        sa.select(User).where(User.email == email, User.district_id == provider.district_id)
    )
    if user is None or not user.active:
        reason = "unknown_account" if user is None else "account_deactivated"
        record_sign_in(user, method=method, reason=reason, email=email)
        return ProviderSignIn(None, SignInRefused(reason, no_account_message(email), status=403))
    return ProviderSignIn(complete_sign_in(user, method=method, now=now))


def recent_sign_ins(user: User, limit: int = 10) -> list[AuditEvent]:
    """The account's last sign-in attempts, newest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == "User",
                AuditEvent.entity_id == str(user.id),
                AuditEvent.action.in_(SIGN_IN_ACTIONS),
            )
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


REASON_LABELS = {
    "unknown_account": N_("no such account"),
    "account_deactivated": N_("account deactivated"),
    "wrong_password": N_("wrong password"),
    "wrong_code": N_("wrong authenticator code"),
    "locked": N_("account paused after repeated failures"),
    "passwords_off": N_("passwords are off for this account"),
    "cancelled_at_provider": N_("cancelled at the provider"),
    "state_mismatch": N_("sign-in link used twice or expired"),
    "wrong_domain": N_("not the district's Google Workspace domain"),
    "wrong_tenant": N_("not the district's Microsoft tenant"),
    "email_not_verified": N_("e-mail address not verified by the provider"),
    "no_email": N_("the provider sent no e-mail address"),
    "provider_unavailable": N_("the provider did not answer"),
}


def method_label(method: str | None) -> str:
    """How a sign-in method reads on the Account page."""
    if method and method.startswith("oidc:"):
        return method[5:]
    return translated(SIGN_IN_METHODS.get(method or "", method or ""))


def reason_label(reason: str | None) -> str:
    if not reason:
        return ""
    base, _, rest = reason.partition(";")
    label = REASON_LABELS.get(base) or (
        N_("identity token not valid") if base.startswith("id_token_invalid") else base.replace("_", " ")
    )
    if rest.strip() == "locked":
        return gettext("%(reason)s; account paused", reason=translated(label))
    return translated(label)
