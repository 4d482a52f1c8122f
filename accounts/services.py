"""Writes for accounts: registration, logins and their tokens, revocation, profile.

No transactions are relied on (MongoDB has none): a revocation is an insert of a
row with a unique key, so "already revoked" and "lost a race" are both simply an
``IntegrityError``; the refresh-token rotation is decided the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from accounts import authcache, ratelimits
from accounts.audit import security_event
from accounts.messages import INCORRECT_LOGIN, INVALID_CREDENTIALS, SESSION_REVOKED, USER_EXISTS
from accounts.models import (
    REGISTRATION_ROLES,
    LoginSession,
    RevocationReason,
    RevokedToken,
    Role,
    User,
    normalise_email,
)
from accounts.selectors import (
    family_key,
    jti_key,
    login_session_families,
    revocation_time,
    revocations_for,
    scribe_token_revocation,
    user_email_taken,
    user_get,
    user_id_for_email,
    user_password_state,
)
from accounts.tokens import (
    LegacyToken,
    ScribeAccessToken,
    ScribeRefreshToken,
    decode_refresh,
    legacy_expiry_unverified,
    legacy_revocation_key,
    new_family,
    new_session_tokens,
    rotated_jti,
    rotated_session_tokens,
    token_expires_at,
)
from scribe.core.exceptions import ApplicationError, InvalidInput

_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


class NotAuthenticated(ApplicationError):
    status_code = 401
    code = "not_authenticated"
    default_detail = INVALID_CREDENTIALS

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers=dict(_BEARER_CHALLENGE))


# --- Revocation -----------------------------------------------------------------------


def token_revoke(*, key: str, reason: str, expires_at: datetime, created_at: datetime | None = None) -> bool:
    """Record that ``key`` is revoked. Idempotent: True if this call wrote the row.

    The atomic block is only a savepoint so that, on SQL engines, a duplicate
    leaves the surrounding transaction usable; on MongoDB it is a no-op and the
    unique index alone decides.

    Every cached token check is invalidated first (and again after the commit), except for
    a refresh token's rotation, which no access token's check reads.
    """
    if reason != RevocationReason.ROTATED:
        authcache.invalidate_all()
    try:
        with transaction.atomic():
            RevokedToken.objects.create(
                key=key, reason=reason, expires_at=expires_at, created_at=created_at or timezone.now()
            )
    except IntegrityError:
        return False
    return True


def login_session_revoke(*, family: str, reason: str) -> bool:
    """Revoke every token of one login (its tokens live at most one refresh lifetime)."""
    expires_at = timezone.now() + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    return token_revoke(key=family_key(family), reason=reason, expires_at=expires_at)


def legacy_token_revoke(*, token: str) -> bool:
    """Record a Node.js token from the old ``blacktokens`` collection as revoked.

    Keyed by the SHA-256 of the token (the raw token is never stored). The record
    expires with the token's own ``exp`` (read without verifying the signature);
    when the token has no readable ``exp`` it is kept for one refresh lifetime.
    Idempotent: True if this call wrote the record, False if it already existed.
    """
    raw = (token or "").strip()
    if not raw:
        return False
    expires_at = legacy_expiry_unverified(raw) or (timezone.now() + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"])
    return token_revoke(key=legacy_revocation_key(raw), reason=RevocationReason.LEGACY_IMPORT, expires_at=expires_at)


def revoked_tokens_purge(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete revocation records and login sessions whose tokens have all expired.

    Returns (revocation records deleted, login sessions deleted).
    """
    now = now or timezone.now()
    revoked, _ = RevokedToken.objects.filter(expires_at__lte=now).delete()
    sessions = LoginSession.objects.filter(expires_at__lte=now).delete()[1].get(LoginSession._meta.label, 0)
    return revoked, sessions


# --- Registration ----------------------------------------------------------------------


def user_register(*, username: str, email: str, password: str, role: str = Role.PATIENT) -> User:
    """Create a patient or clinician account (never staff). Raises InvalidInput.

    Duplicate emails are refused case-insensitively; two concurrent registrations
    of one email are decided by the unique index, not by the existence check.
    """
    email = normalise_email(email)
    if role not in REGISTRATION_ROLES:
        raise InvalidInput(errors={"role": ["Must be patient or clinician."]})
    user = User(email=email, username=username, role=role)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise InvalidInput(errors={"password": list(exc.messages)}) from exc
    if user_email_taken(email=email):
        raise InvalidInput(USER_EXISTS, errors={"email": [USER_EXISTS]})
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise InvalidInput(USER_EXISTS, errors={"email": [USER_EXISTS]}) from exc
    return user


# --- Logins and tokens -------------------------------------------------------------------


def login_session_start(*, user: User) -> tuple[ScribeAccessToken, ScribeRefreshToken]:
    """Start a login (a LoginSession row) and issue its first token pair."""
    family = new_family()
    access, refresh = new_session_tokens(user=user, family=family)
    LoginSession.objects.create(family=family, user=user, expires_at=token_expires_at(refresh))
    return access, refresh


def user_login(*, request, email: str, password: str) -> tuple[User, ScribeAccessToken, ScribeRefreshToken]:
    """Check the password and start a login. Raises NotAuthenticated or RateLimited.

    An unknown email runs the default hasher once (Django's ModelBackend), so it
    costs the same as a known one; a legacy bcrypt hash is re-hashed with Argon2 on
    success. Failed attempts count towards the per-email limit.
    """
    email = normalise_email(email)
    ratelimits.login_attempt(request, email)
    user = authenticate(getattr(request, "_request", request), username=email, password=password)
    # A service account (API keys only) never logs in, even with a password set by hand.
    if user is None or user.role == Role.SERVICE:
        ratelimits.login_email_failed(request, email)
        security_event(
            "login_failed", request=request, user_id=user_id_for_email(email=email), reason="bad_credentials"
        )
        raise NotAuthenticated(INCORRECT_LOGIN, code="invalid_credentials")
    access, refresh = login_session_start(user=user)
    # A password change or deactivation may have landed between the check above and
    # the session insert; it could not see this login, so this login yields.
    state = user_password_state(user=user)
    if state is None or state != (user.password_changed_at, True):
        login_session_revoke(family=access["sid"], reason=RevocationReason.RACE)
        security_event("login_failed", request=request, user_id=user.pk, reason="raced_password_change")
        raise NotAuthenticated(INCORRECT_LOGIN, code="invalid_credentials")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    security_event("login_succeeded", request=request, user_id=user.pk, level=logging.INFO)
    return user, access, refresh


def token_refresh(*, request, raw_refresh: str) -> tuple[User, ScribeAccessToken, ScribeRefreshToken]:
    """Rotate a refresh token: a new pair in the same login; the old refresh token dies.

    Presenting a refresh token that was already rotated means a copy of it exists
    somewhere: the whole login is revoked and the answer is 401. Except within
    ``REFRESH_REUSE_GRACE_SECONDS`` of its rotation, while the pair it rotated into has
    not been rotated in turn: then it is a second tab (or a retry after a lost answer)
    refreshing with the same token, and it gets the very pair the first refresh got.
    Concurrent refreshes with one token are decided by the unique insert of its jti;
    the losers take the grace path and get the winner's pair.
    """
    try:
        old = decode_refresh(raw_refresh)
    except TokenError as exc:
        security_event("refresh_failed", request=request, reason="invalid_token")
        raise NotAuthenticated(INVALID_CREDENTIALS) from exc
    user_id, family = old["userID"], old["sid"]
    ratelimits.refresh_user(request, user_id)

    reason = scribe_token_revocation(old)
    if reason is not None and reason != RevocationReason.ROTATED:
        security_event("refresh_failed", request=request, user_id=user_id, reason="revoked")
        raise NotAuthenticated(SESSION_REVOKED, code="token_revoked")

    user = user_get(pk=user_id)
    if user is None or not user.is_active:
        security_event("refresh_failed", request=request, user_id=user_id, reason="inactive_or_unknown_user")
        raise NotAuthenticated(INVALID_CREDENTIALS)

    # Whole seconds: a JWT's iat/exp are, and the grace path re-issues from this time.
    issued_at = timezone.now().replace(microsecond=0)
    if reason == RevocationReason.ROTATED or not token_revoke(
        key=jti_key(old["jti"]), reason=RevocationReason.ROTATED, expires_at=token_expires_at(old), created_at=issued_at
    ):
        return _refresh_again_within_grace(request, user=user, old=old)

    access, refresh = rotated_session_tokens(user=user, family=family, parent_jti=old["jti"], issued_at=issued_at)
    LoginSession.objects.filter(family=family).update(expires_at=token_expires_at(refresh))
    return user, access, refresh


def _refresh_again_within_grace(
    request, *, user: User, old: ScribeRefreshToken
) -> tuple[User, ScribeAccessToken, ScribeRefreshToken]:
    """``old`` was rotated already: its pair again if still in the grace window, else the
    login ends (reuse of a rotated refresh token)."""
    user_id, family = old["userID"], old["sid"]
    rotated_at = revocation_time(key=jti_key(old["jti"]), reason=RevocationReason.ROTATED)
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    if grace and rotated_at is not None and timezone.now() - rotated_at <= grace:
        child = revocations_for(keys=[jti_key(rotated_jti(old["jti"], "refresh")), family_key(family)])
        if not child:  # the pair it got is still the login's newest, and the login is alive
            security_event("refresh_repeated", request=request, user_id=user_id, level=logging.INFO)
            access, refresh = rotated_session_tokens(
                user=user, family=family, parent_jti=old["jti"], issued_at=rotated_at
            )
            return user, access, refresh
    raise _refresh_reused(request, user_id=user_id, family=family)


def _refresh_reused(request, *, user_id: str, family: str) -> NotAuthenticated:
    """End the login a reused refresh token belongs to; the error to raise."""
    login_session_revoke(family=family, reason=RevocationReason.REUSE)
    security_event("refresh_token_reused", request=request, user_id=user_id, reason="login_revoked")
    return NotAuthenticated(SESSION_REVOKED, code="token_revoked")


def user_logout(*, request, user: User, token: ScribeAccessToken | LegacyToken, raw_refresh: str | None) -> None:
    """End the login behind ``token``: the access token, its login's every token, and
    ``raw_refresh`` when it is one of this user's refresh tokens. Idempotent."""
    if token.is_legacy:
        token_revoke(key=token.revocation_key, reason=RevocationReason.LOGOUT, expires_at=token_expires_at(token))
    else:
        token_revoke(key=jti_key(token["jti"]), reason=RevocationReason.LOGOUT, expires_at=token_expires_at(token))
        login_session_revoke(family=token["sid"], reason=RevocationReason.LOGOUT)
    if raw_refresh:
        try:
            refresh = decode_refresh(raw_refresh)
        except TokenError:
            security_event(
                "logout_refresh_ignored", request=request, user_id=user.pk, reason="invalid_token", level=logging.INFO
            )
            refresh = None
        if refresh is not None and refresh["userID"] == str(user.pk):
            token_revoke(
                key=jti_key(refresh["jti"]), reason=RevocationReason.LOGOUT, expires_at=token_expires_at(refresh)
            )
            login_session_revoke(family=refresh["sid"], reason=RevocationReason.LOGOUT)
        elif refresh is not None:
            security_event("logout_refresh_ignored", request=request, user_id=user.pk, reason="other_users_token")
    security_event("logout", request=request, user_id=user.pk, level=logging.INFO)


# --- Profile ---------------------------------------------------------------------------------


def user_profile_update(
    *,
    request,
    user: User,
    token: ScribeAccessToken | LegacyToken,
    username: str | None = None,
    current_password: str | None = None,
    new_password: str | None = None,
) -> User:
    """Change the username and/or the password. Everything is checked before anything
    is written, and both land in one row update.

    A password change needs the current password (a wrong one counts as a failed
    login for the per-email limit) and revokes every other login of the user; this
    login keeps working. Node.js tokens issued before the change stop working.
    """
    changing_password = current_password is not None or new_password is not None
    if changing_password:
        if not current_password or not new_password:
            missing = "current_password" if not current_password else "new_password"
            raise InvalidInput(errors={missing: ["This field is required to change the password."]})
        ratelimits.login_email_check(request, user.email)
        if not user.check_password(current_password):
            ratelimits.login_email_failed(request, user.email)
            security_event("password_change_failed", request=request, user_id=user.pk, reason="wrong_current_password")
            raise InvalidInput(errors={"current_password": ["Current password is incorrect."]})
        candidate = User(email=user.email, username=username or user.username, role=user.role)
        try:
            validate_password(new_password, user=candidate)
        except DjangoValidationError as exc:
            raise InvalidInput(errors={"new_password": list(exc.messages)}) from exc

    fields = []
    if username is not None and username != user.username:
        user.username = username
        fields.append("username")
    if changing_password:
        now = timezone.now()
        user.set_password(new_password)
        user.password_changed_at = now
        fields += ["password", "password_changed_at"]
    if fields:
        user.save(update_fields=fields)
    if changing_password:
        current = None if token.is_legacy else token["sid"]
        for family in login_session_families(user=user, now=now, exclude=current):
            login_session_revoke(family=family, reason=RevocationReason.PASSWORD_CHANGE)
        security_event("password_changed", request=request, user_id=user.pk, level=logging.INFO)
    return user


# --- Staff ----------------------------------------------------------------------------------


def users_deactivate(*, user_ids: list[object], by: User) -> int:
    """Deactivate accounts (never the caller's own). Their tokens stop at once because
    every request re-reads ``is_active``. Returns how many were active."""
    authcache.invalidate_all()  # a bulk update sends no post_save
    changed = User.objects.filter(pk__in=user_ids, is_active=True).exclude(pk=by.pk).update(is_active=False)
    security_event("users_deactivated", request=None, user_id=by.pk, count=changed, level=logging.INFO)
    return changed
