"""Reads for accounts. Every function is keyword-only and touches no other app."""

from __future__ import annotations

from datetime import datetime

from accounts.models import LoginSession, RevokedToken, User, normalise_email
from accounts.tokens import LegacyToken, ScribeAccessToken, ScribeRefreshToken
from scribe.core.ids import parse_pk


def jti_key(jti: str) -> str:
    return f"jti:{jti}"


def family_key(family: str) -> str:
    return f"family:{family}"


def user_get(*, pk: object) -> User | None:
    """The user with this id (a token's ``userID``), or None for a malformed/unknown id."""
    parsed = parse_pk(pk)
    if parsed is None:
        return None
    return User.objects.filter(pk=parsed).first()


def user_get_by_legacy_id(*, legacy_id: str) -> User | None:
    return User.objects.filter(legacy_id=legacy_id.lower()).first()


def user_id_for_email(*, email: str) -> object | None:
    """For log lines only (a failed login names the account, never the email)."""
    return User.objects.filter(email=normalise_email(email)).values_list("pk", flat=True).first()


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email=normalise_email(email)).exists()


def user_email_available(*, email: str) -> bool:
    """True when no account uses ``email`` (compared trimmed and lower-cased)."""
    return not user_email_taken(email=email)


def user_password_state(*, user: User) -> tuple[datetime | None, bool] | None:
    """(password_changed_at, is_active) as stored now, or None if the row is gone."""
    return User.objects.filter(pk=user.pk).values_list("password_changed_at", "is_active").first()


def revocations_for(*, keys: list[str]) -> dict[str, str]:
    """``{key: reason}`` for those of ``keys`` that are revoked."""
    return dict(RevokedToken.objects.filter(key__in=keys).values_list("key", "reason"))


def login_session_families(*, user: User, now: datetime, exclude: str | None = None) -> list[str]:
    """Families of the user's logins that may still hold a valid token."""
    queryset = LoginSession.objects.filter(user=user, expires_at__gt=now)
    if exclude:
        queryset = queryset.exclude(family=exclude)
    return list(queryset.values_list("family", flat=True))


def revocation_time(*, key: str, reason: str) -> datetime | None:
    """When ``key`` was revoked for ``reason`` (e.g. when a refresh token rotated), or None."""
    return RevokedToken.objects.filter(key=key, reason=reason).values_list("created_at", flat=True).first()


def scribe_token_revocation(token: ScribeAccessToken | ScribeRefreshToken) -> str | None:
    """The reason ``token`` (or its login) is revoked, or None. Family wins over jti."""
    by_family, by_jti = family_key(token["sid"]), jti_key(token["jti"])
    found = revocations_for(keys=[by_family, by_jti])
    return found.get(by_family) or found.get(by_jti)


def legacy_token_revoked(token: LegacyToken, *, user: User) -> bool:
    if revocations_for(keys=[token.revocation_key]):
        return True
    # A password change ends every Node.js token issued before it.
    changed = user.password_changed_at
    return changed is not None and token["iat"] <= changed.timestamp()
