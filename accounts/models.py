from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


def normalise_email(email: str) -> str:
    """Emails are unique case-insensitively: stored trimmed and lower-cased."""
    return (email or "").strip().lower()


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    # Clinic staff who use the admin only (``createsuperuser``): no clinical powers in the API.
    STAFF = "staff", "Staff (no clinical role)"
    # A machine client (integration engine, monitoring probe): no password, no login, no
    # clinical role; it authenticates only with an API key, on the read-only service routes.
    SERVICE = "service", "Service account (API keys only)"


# What a person may choose when registering through the API (never staff).
REGISTRATION_ROLES = (Role.PATIENT, Role.CLINICIAN)
REGISTRATION_ROLE_CHOICES = [(role.value, role.label) for role in REGISTRATION_ROLES]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email=normalise_email(username))

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        # An administrator is not a patient (the model's default) nor a clinician.
        fields.setdefault("role", Role.STAFF)
        fields.setdefault("username", normalise_email(email).split("@")[0][:50] or "admin")
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    username = models.CharField(max_length=50)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT, db_index=True)
    is_staff = models.BooleanField(default=False, db_index=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The 24-hex ObjectId this user had in the Node.js database (legacy tokens name it).
    legacy_id = models.CharField(max_length=24, unique=True, null=True, blank=True)
    # Set by a password change: legacy tokens issued before it stop working, and a
    # login that raced the change is refused (see services.user_login).
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # What the admin shows wherever a person is named (lists, links); never logged.
        return f"{self.username} <{self.email}>"

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT


class LoginSession(models.Model):
    """One login: every access/refresh token issued from it carries its ``family`` as ``sid``.

    Insert-only. Revoking a login is a ``RevokedToken`` row keyed ``family:<family>``;
    this table lets a password change find the user's other logins.
    """

    family = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    # The latest refresh token's expiry (moved forward by rotation).
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="accounts_session_user_exp")]

    def __str__(self) -> str:
        return f"LoginSession {self.pk}"


class RevocationReason(models.TextChoices):
    LOGOUT = "logout", "Logged out"
    ROTATED = "rotated", "Refresh token rotated"
    REUSE = "reuse", "Rotated refresh token presented again"
    PASSWORD_CHANGE = "password_change", "Password changed"
    RACE = "race", "Login raced a password change or deactivation"
    LEGACY_IMPORT = "legacy_import", "Logged out in the Node.js backend"


class RevokedToken(models.Model):
    """A token (or a whole login) that must no longer be accepted. Insert-only.

    ``key`` is unique, so concurrent revocations of one token are one row and an
    ``IntegrityError`` tells the second writer it lost (refresh rotation relies on it):
    - ``jti:<jti>``: one Scribe token;
    - ``family:<sid>``: every token of one login;
    - ``legacy:<sha256 hex of the raw token>``: a Node.js token (never the raw token).
    Rows are useless once ``expires_at`` has passed (the token is expired anyway);
    ``manage.py purge_revoked_tokens`` deletes them.
    """

    key = models.CharField(max_length=80, unique=True)
    reason = models.CharField(max_length=20, choices=RevocationReason.choices)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"RevokedToken {self.pk} ({self.reason})"


class ApiKeyScope(models.TextChoices):
    """What a key may read; each service route names the one scope it needs."""

    CONSULTATIONS_READ = "consultations:read", "Read signed summaries (consultations:read)"
    HEALTH_READ = "health:read", "Read readiness (health:read)"


class ApiKey(models.Model):
    """An API key of a service account. The secret is never stored: only its keyed hash.

    The key a client sends is ``scribe_<prefix>.<secret>``; ``prefix`` is public (it names
    the key in logs and the admin, and finds the row), the secret is 256 random bits of
    which only ``HMAC-SHA256`` is kept (``accounts.api_keys``). Revocation is a
    conditional update of ``revoked_at`` (set once, never cleared).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    label = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix})"
