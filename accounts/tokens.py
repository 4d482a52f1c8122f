"""Scribe's JWTs (simplejwt) and the Node.js backend's legacy tokens.

Scribe tokens are HS256, signed with ``JWT_SECRET_KEY`` (SIMPLE_JWT's SIGNING_KEY),
with the claims the frontend reads: ``userID`` (string), ``author`` (username),
``role``, ``jti``, ``token_type``, ``iat``, ``exp``, plus ``sid``: the login
(``LoginSession.family``) the token belongs to, so a whole login can be revoked.

Legacy tokens are what the Node.js backend issued: HS256 signed with
``LEGACY_JWT_SECRET_KEY``, ``{userID: <24-hex _id>, author, iat, exp}``, no ``jti``
and no ``token_type``. They are never issued, only accepted until they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

LEGACY_ALGORITHM = "HS256"
_LEGACY_USER_ID_LENGTH = 24


class ScribeAccessToken(AccessToken):
    is_legacy = False


class ScribeRefreshToken(RefreshToken):
    is_legacy = False


def new_family() -> str:
    return uuid.uuid4().hex


def _stamp(token: Token, *, user, family: str) -> Token:
    token["userID"] = str(user.pk)
    token["author"] = user.username
    token["role"] = user.role
    token["sid"] = family
    return token


def new_session_tokens(*, user, family: str) -> tuple[ScribeAccessToken, ScribeRefreshToken]:
    """A fresh access + refresh token pair for one login. Writes nothing."""
    return (
        _stamp(ScribeAccessToken(), user=user, family=family),
        _stamp(ScribeRefreshToken(), user=user, family=family),
    )


def rotated_jti(parent_jti: str, kind: str) -> str:
    """The jti of the ``kind`` ("access"/"refresh") token issued when ``parent_jti`` rotated.

    Derived (keyed with the signing secret, so only Scribe can compute it) rather than
    random, so the pair issued for one refresh token can be issued again, byte for byte,
    without ever storing a token (see ``rotated_session_tokens``).
    """
    message = f"rotation:{kind}:{parent_jti}".encode()
    return hmac.new(settings.JWT_SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def rotated_session_tokens(
    *, user, family: str, parent_jti: str, issued_at: datetime
) -> tuple[ScribeAccessToken, ScribeRefreshToken]:
    """The pair a refresh token rotates into: the same every time for the same parent and
    time (same claims, jtis, iat and exp), so a refresh sent twice can be answered twice
    with the pair the first one got. Writes nothing."""
    access, refresh = new_session_tokens(user=user, family=family)
    for token, kind in ((access, "access"), (refresh, "refresh")):
        token.set_exp(from_time=issued_at)
        token.set_iat(at_time=issued_at)
        token["jti"] = rotated_jti(parent_jti, kind)
    return access, refresh


def pair_body(access: Token, refresh: Token) -> dict[str, Any]:
    return {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(access.lifetime.total_seconds()),
    }


def token_pair_for(user) -> dict[str, Any]:
    """A real login for ``user`` (a LoginSession row and its first token pair).

    Keys: access_token, refresh_token, token_type, expires_in. Used by the login
    service and by tests (the root conftest's ``client_for``).
    """
    from accounts.services import login_session_start

    access, refresh = login_session_start(user=user)
    return pair_body(access, refresh)


def token_expires_at(token: Token | LegacyToken) -> datetime:
    return datetime_from_epoch(token["exp"])


def decode_refresh(raw: str) -> ScribeRefreshToken:
    """Verified refresh token (signature, exp, type, jti); raises TokenError."""
    token = ScribeRefreshToken(raw)
    if not token.get("sid") or not token.get("userID"):
        raise TokenError("Token has no session")
    return token


def decode_access(raw: str) -> ScribeAccessToken:
    token = ScribeAccessToken(raw)
    if not token.get("sid") or not token.get("userID"):
        raise TokenError("Token has no session")
    return token


# --- Legacy (Node.js) tokens ---------------------------------------------------


@dataclass(frozen=True)
class LegacyToken:
    raw: str
    payload: dict[str, Any]
    is_legacy = True

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    @property
    def revocation_key(self) -> str:
        return legacy_revocation_key(self.raw)


def legacy_revocation_key(raw: str) -> str:
    # Only a hash is stored: a revocation table must not be a list of usable tokens.
    return "legacy:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def decode_legacy(raw: str) -> LegacyToken:
    """A verified Node.js token; raises TokenError for anything else.

    Signature with LEGACY_JWT_SECRET_KEY and HS256 only (``alg: none`` and every
    other algorithm are refused by PyJWT's allow-list), ``exp`` required and in the
    future, ``userID`` a 24-hex id, and no ``token_type``/``jti``: a Scribe token
    (even one signed with the same secret) is never read as a legacy one.
    """
    try:
        payload = jwt.decode(
            raw,
            settings.LEGACY_JWT_SECRET_KEY,
            algorithms=[LEGACY_ALGORITHM],
            options={"require": ["exp", "iat"]},
            leeway=0,
        )
    except jwt.InvalidTokenError as exc:
        raise TokenError("Token is invalid or expired") from exc
    user_id = payload.get("userID")
    if "token_type" in payload or "jti" in payload:
        raise TokenError("Not a legacy token")
    if not isinstance(user_id, str) or len(user_id) != _LEGACY_USER_ID_LENGTH:
        raise TokenError("Legacy token has no user id")
    try:
        int(user_id, 16)
    except ValueError as exc:
        raise TokenError("Legacy token has no user id") from exc
    return LegacyToken(raw=raw, payload=payload)


def legacy_expiry_unverified(raw: str) -> datetime | None:
    """The ``exp`` of a Node.js token without checking its signature (for imports)."""
    try:
        payload = jwt.decode(raw, options={"verify_signature": False, "verify_exp": False})
        exp = payload.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            return datetime_from_epoch(exp)
    except (jwt.InvalidTokenError, OverflowError, ValueError, OSError):
        return None
    return None


def token_expired(raw: str) -> bool:
    """True when ``raw`` is a token Scribe or the Node.js backend really signed whose
    ``exp`` has passed (the signature is checked, only the expiry is not), so "your
    session expired" is never said about a forged or mangled token."""
    for key in {settings.SIMPLE_JWT["SIGNING_KEY"], settings.LEGACY_JWT_SECRET_KEY}:
        try:
            payload = jwt.decode(raw, key, algorithms=[LEGACY_ALGORITHM], options={"verify_exp": False})
        except (jwt.InvalidTokenError, ValueError):
            continue
        exp = payload.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            return datetime_from_epoch(exp) <= datetime.now(tz=UTC)
    return False
