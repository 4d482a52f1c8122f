"""Role permissions other apps reuse.

A patient (or a staff user who is not a clinician) on a clinician route gets 403;
an anonymous caller gets 401 (DRF asks the authenticator for a challenge first).
Every role denial is logged with ids only: user id, client ip, request id.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.audit import security_event
from accounts.models import Role


def _is_authenticated(request) -> bool:
    user = request.user
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def log_role_denied(request, view, *, required: str) -> None:
    security_event(
        "role_denied",
        request=request,
        user_id=request.user.pk,
        role=getattr(request.user, "role", None),
        required=required,
        view=type(view).__name__,
    )


class _RolePermission(BasePermission):
    allowed_roles: frozenset[str] = frozenset()
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view) -> bool:
        if not _is_authenticated(request):
            return False  # DRF turns this into 401 when the authenticator has a challenge
        if request.user.role in self.allowed_roles:
            return True
        log_role_denied(request, view, required="|".join(sorted(self.allowed_roles)))
        return False


class IsClinician(_RolePermission):
    """Authenticated and role ``clinician``. ``is_staff`` gives no API powers."""

    allowed_roles = frozenset({Role.CLINICIAN})


class IsPatientOrClinician(_RolePermission):
    """Authenticated with either role (every API user; excludes role-less rows)."""

    allowed_roles = frozenset({Role.PATIENT, Role.CLINICIAN})
