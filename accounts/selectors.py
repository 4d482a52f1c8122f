"""Reads for accounts. Every function is keyword-only and touches no other app."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists

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


# The columns a bearer-token check loads: everything but the password hash and last_login
# (read on the rare request that uses them, e.g. a password change).
AUTH_DEFERRED = ("password", "last_login")
AUTH_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname not in AUTH_DEFERRED)


def user_for_token(*, token: ScribeAccessToken | LegacyToken) -> tuple[User | None, bool]:
    """``(user, revoked)`` for a verified access token, in one query: the user it names
    (``AUTH_FIELDS`` only, or None) and whether the token or its login is revoked (for a
    Node.js token: its hash, or a password change after it was issued). On MongoDB the
    revocation is a second query (no ``Exists`` subquery there)."""
    if token.is_legacy:
        users = User.objects.filter(legacy_id=token["userID"].lower())
        keys = [token.revocation_key]
    else:
        parsed = parse_pk(token["userID"])
        if parsed is None:
            return None, False
        users = User.objects.filter(pk=parsed)
        keys = [family_key(token["sid"]), jti_key(token["jti"])]
    users = users.only(*AUTH_FIELDS)
    revocations = RevokedToken.objects.filter(key__in=keys)
    if settings.IS_MONGODB:
        user = users.first()
        revoked = user is not None and revocations.exists()
    else:
        user = users.annotate(token_revoked=Exists(revocations)).first()
        revoked = user is not None and bool(user.token_revoked)
    if user is None:
        return None, False
    if token.is_legacy and not revoked:
        # A password change ends every Node.js token issued before it.
        changed = user.password_changed_at
        revoked = changed is not None and token["iat"] <= changed.timestamp()
    return user, revoked


def user_auth_fields(*, user: User) -> dict:
    """The columns ``user_from_auth_fields`` rebuilds the user from (cacheable values)."""
    return {name: getattr(user, name) for name in AUTH_FIELDS}


def user_from_auth_fields(fields: dict) -> User:
    """The user as ``user_for_token`` loads it (deferred password), from cached columns."""
    return User.from_db(DEFAULT_DB_ALIAS, list(fields), list(fields.values()))
