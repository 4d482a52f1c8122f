"""Bearer-token authentication for every API view: Scribe tokens and Node.js ones.

A token is accepted only if it verifies (HS256 with the right secret, not
expired, the right shape), names an active user, and is not revoked: neither the
token itself nor its login (``sid``) for a Scribe token; neither the token's hash
nor a later password change for a Node.js token. The user and the revocations are read in
one query (without the password hash), or, with a shared cache, not at all for a token
accepted before: logout, revocation, deactivation and any change to the user's row
invalidate the cached check (``accounts.authcache``), so deactivating an account or
logging out stops its tokens on the very next request, on every worker.
"""

from __future__ import annotations

import logging

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError

from accounts import authcache
from accounts.audit import security_event
from accounts.messages import INVALID_CREDENTIALS, SESSION_REVOKED
from accounts.selectors import jti_key, user_auth_fields, user_for_token, user_from_auth_fields
from accounts.tokens import LegacyToken, ScribeAccessToken, decode_access, decode_legacy


class _Rejected(Exception):
    def __init__(self, reason: str, *, revoked: bool = False, user_id: object | None = None) -> None:
        super().__init__(reason)
        self.reason, self.revoked, self.user_id = reason, revoked, user_id


class ScribeJWTAuthentication(JWTAuthentication):
    def get_raw_token(self, header: bytes) -> bytes | None:
        parts = header.split()
        # "Bearer" with no token (a frontend that lost it) or with extra words: the
        # contract's words, not simplejwt's own message.
        if len(parts) != 2 and parts[:1] == [b"Bearer"]:
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="token_not_valid")
        return super().get_raw_token(header)

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        return access_token_check(raw_token, request=request)

    @staticmethod
    def _validated(raw_token: bytes) -> ScribeAccessToken | LegacyToken:
        try:
            raw = raw_token.decode("ascii")
        except UnicodeDecodeError:
            raise _Rejected("expired_or_invalid") from None
        try:
            return decode_access(raw)
        except TokenError:
            pass
        try:
            return decode_legacy(raw)
        except TokenError:
            raise _Rejected("expired_or_invalid") from None

    @staticmethod
    def _user_for(token: ScribeAccessToken | LegacyToken):
        # Warm path (shared cache only): the token was accepted before under the current
        # generations, so no database query. Otherwise one query (accounts.authcache).
        if token.is_legacy:
            uid, token_key = "L" + token["userID"].lower(), token.revocation_key
        else:
            uid, token_key = str(token["userID"]), jti_key(token["jti"])
        generations = None
        if authcache.enabled():
            fields, generations = authcache.cached_fields(uid=uid, token_key=token_key)
            if fields is not None:
                return user_from_auth_fields(fields)
        user, revoked = user_for_token(token=token)
        if user is None:
            if token.is_legacy:
                raise _Rejected("unknown_legacy_user")
            raise _Rejected("unknown_user", user_id=token["userID"])
        if not user.is_active:
            raise _Rejected("inactive_user", user_id=user.pk)
        if revoked:
            raise _Rejected("revoked", revoked=True, user_id=user.pk)
        if generations is not None:
            authcache.remember(
                token_key=token_key, generations=generations, fields=user_auth_fields(user=user), expires=token["exp"]
            )
        return user


def access_token_check(raw_token: bytes | str, *, request=None):
    """``(user, token)`` for a raw access token, checked exactly as every API request's
    bearer token is (signature, expiry, Scribe or Node.js token, active user, not
    revoked); ``AuthenticationFailed`` otherwise, after a ``token_rejected`` security
    event (ids only). The WebSocket uses it for a token sent in the query or a message."""
    if isinstance(raw_token, str):
        raw_token = raw_token.encode("utf-8", "replace")
    try:
        token = ScribeJWTAuthentication._validated(raw_token)
        user = ScribeJWTAuthentication._user_for(token)
    except _Rejected as rejected:
        security_event(
            "token_rejected",
            request=request,
            user_id=rejected.user_id,
            reason=rejected.reason,
            level=logging.INFO if rejected.reason == "expired_or_invalid" else logging.WARNING,
        )
        if rejected.revoked:
            raise AuthenticationFailed(SESSION_REVOKED, code="token_revoked") from None
        raise AuthenticationFailed(INVALID_CREDENTIALS, code="token_not_valid") from None
    return user, token
