"""Scribe settings: one module, every value read from the environment.

Defaults are safe, working values for local development. With DEBUG off the
process refuses to start unless the production secrets are real (see
``_refuse_insecure_production`` at the bottom). Every variable read here is
listed in README.md and .env.example.
"""

from __future__ import annotations

import ipaddress
import sys
from datetime import timedelta
from pathlib import Path

import environ

from scribe import __version__

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for developers; real deployments set the environment
# (which wins over the file). ENV_FILE="" reads no file (the settings tests do that).
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

SCRIBE_VERSION = __version__

# --- Core -----------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# Development values: accepted with DEBUG on, refused with DEBUG off.
DEV_SECRET_KEY = "django-insecure-scribe-development-only-secret-key"
DEV_JWT_SECRET_KEY = "scribe-development-only-jwt-secret-do-not-deploy"
KNOWN_DEV_SECRETS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_JWT_SECRET_KEY,
        "",
        "changeme",
        "change-me",
        "secret",
        "replace-me-with-a-long-random-string",
    }
)

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
JWT_SECRET_KEY = env.str("JWT_SECRET_KEY", default=DEV_JWT_SECRET_KEY if DEBUG else "")
# The Node.js backend signed with `tokenSecretKey`; by default the same secret.
LEGACY_JWT_SECRET_KEY = env.str("LEGACY_JWT_SECRET_KEY", default="") or JWT_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])

INSTALLED_APPS = [
    # First, in development only: its runserver serves HTTP and the WebSocket (scribe.asgi) in
    # one process. Production runs gunicorn (README "Deploying"), which needs neither daphne's
    # runserver nor Twisted in every worker (about 14 MB each; README "Memory").
    *(["daphne"] if DEBUG else []),
    # Contrib apps with models use Scribe's engine-neutral primary key (scribe/core/apps.py).
    "scribe.core.contrib_apps.ScribeAdminConfig",
    "scribe.core.contrib_apps.ScribeAuthConfig",
    "scribe.core.contrib_apps.ScribeContentTypesConfig",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "scribe.core",
    "accounts",
    "audit",
    "consultations",
    "ai",
    "legacy_api",
    "questionnaires",
    "documents",
    "service_api",
]

MIDDLEWARE = [
    "scribe.core.middleware.RequestIdMiddleware",
    # Inside the request id: records every patient-data request, whatever its outcome (audit/).
    "audit.middleware.AuditMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "scribe.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Prometheus request metrics, and who may reach /metrics and /admin/ (README "Metrics").
    "scribe.core.metrics.MetricsMiddleware",
    # After the headers above, so a 413 still carries CORS and security headers.
    "scribe.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "scribe.urls"
WSGI_APPLICATION = "scribe.wsgi.application"
ASGI_APPLICATION = "scribe.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases --------------------------------------------------------------
# MONGODB_URI wins over DATABASE_URL; without either, an SQLite file in the project.

MONGODB_URI = env.str("MONGODB_URI", default="")
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")

if MONGODB_URI:
    from pymongo.uri_parser import parse_uri as _parse_mongo_uri

    _mongo_db = _parse_mongo_uri(MONGODB_URI, warn=True).get("database") or "scribe"
    DATABASES = {
        "default": {
            "ENGINE": "django_mongodb_backend",
            "HOST": MONGODB_URI,
            "NAME": _mongo_db,
        }
    }
    DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter"]
else:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers (segments arrive in parallel): take the write lock at
        # BEGIN so writers queue on the busy timeout instead of failing mid-transaction.
        # WAL with synchronous=NORMAL by default (SQLite's recommended pair): a commit is not
        # flushed to disk on its own, so it survives any crash of Scribe, but a power cut or an
        # OS crash can lose the last commits (never corrupt the file). FULL flushes every
        # commit, at about twice the cost of a small write. README "Databases".
        SQLITE_SYNCHRONOUS = env.str("SQLITE_SYNCHRONOUS", default="NORMAL").strip().upper()
        if SQLITE_SYNCHRONOUS not in ("NORMAL", "FULL"):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {SQLITE_SYNCHRONOUS!r}.")
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
            }
        )
        # The test database is a file too (one per test process), not Django's shared-cache
        # memory database, whose table locks fail at once instead of waiting: the
        # concurrency tests' threads then meet SQLite's real locking, as production does.
        import os
        import tempfile

        DATABASES["default"].setdefault("TEST", {}).setdefault(
            "NAME", str(Path(tempfile.gettempdir()) / f"scribe-test-{os.getpid()}.sqlite3")
        )
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DATABASE_ENGINE = DATABASES["default"]["ENGINE"]
IS_MONGODB = DATABASE_ENGINE == "django_mongodb_backend"

# One migration history for every engine: our models and the contrib apps with
# models use this field, which is a BigAutoField on SQL and an ObjectIdAutoField
# on MongoDB but always deconstructs to its own path.
DEFAULT_AUTO_FIELD = "scribe.core.fields.PortableAutoField"
MIGRATION_MODULES = {
    "admin": "scribe.contrib_migrations.admin",
    "auth": "scribe.contrib_migrations.auth",
    "contenttypes": "scribe.contrib_migrations.contenttypes",
}

# --- Cache ---------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "scribe",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Development only: not shared between processes, so rate limits are per process.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Admin sessions live in the cache (no sessions table; logout really ends them).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

# --- Auth ------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Hashes written by the Node.js backend ($2a$/$2b$, no Django prefix).
    "accounts.hashers.LegacyNodeBcryptHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ACCESS_TOKEN_MINUTES = env.int("ACCESS_TOKEN_MINUTES", default=60)
REFRESH_TOKEN_DAYS = env.int("REFRESH_TOKEN_DAYS", default=7)
# --- Refresh grace window (issue 13) ---
# A rotated refresh token presented again within this many seconds (two tabs refreshing
# at once, a retry after a lost answer) gets the pair already issued for it instead of
# ending the login; later, reuse still revokes the whole login. 0 turns the grace off.
REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", default=30)
# How long an accepted bearer-token check stays in the shared cache (accounts.authcache);
# revocations invalidate it at once, this only bounds an entry if an invalidation failed.
# Used only with a shared cache (REDIS_URL); 0 turns the cache off (one query per request).
AUTH_CACHE_SECONDS = env.int("AUTH_CACHE_SECONDS", default=60)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": False,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "pk",
    "USER_ID_CLAIM": "userID",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "LEEWAY": 0,
}

# Rate limits (django-ratelimit, on the shared cache). See README "Rate limits".
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)

# The audit trail of patient-data access (audit/, README "Audit trail"). AUDIT_ENABLED=false
# exists for the overhead benchmark only; leave it on. Retention: 8 years (README says why).
AUDIT_ENABLED = env.bool("AUDIT_ENABLED", default=True)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=2922)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "scribe.core.exceptions.ratelimited_view"
RATELIMIT_FAIL_OPEN = False
# Defaults for a clinic whose staff all share one NAT address (README "Rate limits").
# Per IP: every login attempt (bounds Argon2 work, but lets a whole clinic log in at 8am).
RATELIMIT_LOGIN_IP = env.str("RATELIMIT_LOGIN_IP", default="60/m")
# Per email: failed logins only, so a locked-out colleague does not lock out the clinic.
RATELIMIT_LOGIN_EMAIL = env.str("RATELIMIT_LOGIN_EMAIL", default="10/15m")
RATELIMIT_REGISTER_IP = env.str("RATELIMIT_REGISTER_IP", default="30/h")
RATELIMIT_REFRESH_USER = env.str("RATELIMIT_REFRESH_USER", default="30/m")
# Per API key (machine clients, accounts.api_keys): every request made with the key.
RATELIMIT_API_KEY = env.str("RATELIMIT_API_KEY", default="120/m")
# How many reverse proxies' X-Forwarded-For hops to trust (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "scribe.core.clientip.client_ip"

# --- Metrics and network allowlists (README "Metrics") ---
# Who may scrape /metrics: clients in these networks (CIDRs; the address as the rate limits
# read it), or any client sending `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The admin only from these networks (CIDRs); empty: no restriction.
ADMIN_ALLOWED_NETWORKS = env.list("ADMIN_ALLOWED_NETWORKS", default=[])
for _cidr in (*METRICS_ALLOWED_NETWORKS, *ADMIN_ALLOWED_NETWORKS):
    ipaddress.ip_network(_cidr.strip(), strict=False)  # a typo stops the start, never opens a door

# --- REST framework and OpenAPI ------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ScribeJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nesting limit and NUL check for every JSON body (issue 13, scribe/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["scribe.core.parsers.ScribeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "scribe.core.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "scribe.core.exceptions.exception_handler",
    # OPTIONS answers 405 (CORS preflights are answered by corsheaders first): the
    # OpenAPI schema describes the API, and DRF's metadata would fetch objects.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Scribe API",
    "DESCRIPTION": "Backend of Scribe, an AI medical scribe for NHS clinicians.",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name "role": a user's role (patient, clinician, staff)
    # and the roles a registration may ask for (patient, clinician).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "RegistrationRoleEnum": "accounts.models.REGISTRATION_ROLE_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scribe.core.schema.add_error_responses",
        # Operations grouped by tag: users, consultations, transcripts, notes, prompts, AI, service.
        "scribe.core.schema.tag_operations",
    ],
}

# --- HTTP, CORS and security ------------------------------------------------------

# Bodies larger than this answer 413 before a view reads them. Uploads (audio,
# images) have their own, larger limits in the AI settings.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1_048_576)
# Larger limits for the upload endpoints (path prefix -> bytes); the AI settings fill it.
UPLOAD_BODY_LIMITS: dict[str, int] = {}
# Routes accept an optional trailing slash themselves; never redirect a POST.
APPEND_SLASH = False

CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS",
    default=[
        "http://localhost:3000",
        "http://localhost:3001",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3001",
        "https://scribe-project-nextjs.vercel.app",
    ],
)
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
from corsheaders.defaults import default_headers as _cors_default_headers  # noqa: E402

CORS_ALLOW_HEADERS = (*_cors_default_headers, "x-request-id")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# TLS normally ends at the proxy in front: trust its X-Forwarded-Proto, but only when
# TRUSTED_PROXY_COUNT says there is one (else any client could claim https).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None
if not DEBUG:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "scribe.core.exceptions.csrf_failure"
SILENCED_SYSTEM_CHECKS = [
    # SECURE_SSL_REDIRECT is off on purpose: TLS ends at the proxy (README, "Deploying").
    "security.W008",
    # HSTS preload is a commitment for the whole domain; opt in with SECURE_HSTS_PRELOAD.
    "security.W021",
]
if not REDIS_URL:
    # Local memory cache in development: rate limits are per process, which is fine there.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Static files (admin and the API docs' assets, served by whitenoise) -----------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (development, tests) whitenoise serves from the finders.
WHITENOISE_USE_FINDERS = True
# Development looks files up per request (no staticfiles/ needed, no startup warning);
# production (DEBUG off) serves the collected STATIC_ROOT, built into the image.
WHITENOISE_AUTOREFRESH = DEBUG

# --- Internationalisation ----------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Logging: one JSON object per line, request_id on every line ----------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "scribe.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "scribe.core.logging.ScribeJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # stderr: a management command's stdout is its output (export_consultation
            # writes a JSON document there); containers collect both streams.
            "stream": "ext://sys.stderr",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # scribe.request is the one access log: Django's request logger only reports
        # unhandled exceptions (5xx, with the traceback), and runserver's own line,
        # which repeats the query string, is off.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"level": "CRITICAL", "propagate": False, "handlers": []},
        "django.db.backends": {"level": "WARNING", "propagate": True},
    },
}
# --- HTTP client loggers (issue 13) ---
# HTTP clients log URLs with their query strings at INFO (an NHS search term, a key in a
# provider URL) and the openai SDK logs request bodies (prompts) at DEBUG: warnings only,
# whatever LOG_LEVEL says. Which loggers those are is read from the installed packages
# (the SDKs and their dependencies), not listed by hand.
from scribe.core.logging import http_client_logger_names  # noqa: E402

LOGGING["loggers"].update({name: {"level": "WARNING", "propagate": True} for name in http_client_logger_names()})

# --- Backups (issue 17) -------------------------------------------------------------
# Fernet key(s) of `manage.py backup`/`restore` (comma-separated: the first encrypts, all
# decrypt, for rotation). Empty: archives are written unencrypted.
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")

# --- Field encryption at rest (issue 14; README "Encryption at rest") ---------------------
# Comma-separated urlsafe-base64 32-byte keys, newest first: the first encrypts, all decrypt.
# The blind-index key (HMACs for the patient-name search and the NHS-number filter) is separate.
# With DEBUG on a fixed development key is used when unset; with DEBUG off both are required.
from scribe.core import crypto as _crypto  # noqa: E402

FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_crypto.dev_key("field")] if DEBUG else [])
FIELD_BLIND_INDEX_KEYS = env.list("FIELD_BLIND_INDEX_KEYS", default=[_crypto.dev_key("index")] if DEBUG else [])
# Writes plain values: set only by bench/bench_encryption.py in its own process (not an
# environment variable; a DEBUG-off process refuses it).
FIELD_ENCRYPTION_PLAIN_FOR_BENCH = False
for _name, _keys in (
    ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
    ("FIELD_BLIND_INDEX_KEYS", FIELD_BLIND_INDEX_KEYS),
):
    if _keys:
        try:
            _crypto.parse_keys(_keys, name=_name)
        except _crypto.ImproperlyConfigured as _exc:
            sys.stderr.write(f"scribe: refusing to start: {_exc}\n")
            raise SystemExit(78) from None  # EX_CONFIG

# --- AI provider and NHS terminology server (see README "AI") ----------------------

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
AI_CHAT_MODEL = env.str("AI_CHAT_MODEL", default="gpt-4o")
AI_TRANSCRIBE_MODEL = env.str("AI_TRANSCRIBE_MODEL", default="whisper-1")
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=60.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=2)
# All provider calls of one request (retries, the parts of a long summary) share this
# budget; keep it below the server's request timeout (GUNICORN_TIMEOUT, 180 s).
AI_REQUEST_BUDGET_SECONDS = env.float("AI_REQUEST_BUDGET_SECONDS", default=150.0)
AI_MAX_INPUT_TOKENS = env.int("AI_MAX_INPUT_TOKENS", default=100_000)
AI_REDACT_IDENTIFIERS = env.bool("AI_REDACT_IDENTIFIERS", default=True)
AI_DAILY_QUOTA = env.int("AI_DAILY_QUOTA", default=200)

# --- Live transcription quota (f1, follow-up of issue 10) ---
# Live windows (one provider call per 4 s) and final passes count against a daily budget
# of their own, not AI_DAILY_QUOTA: 9,000 windows is about 10 hours of recording (0: no limit).
AI_LIVE_DAILY_QUOTA = env.int("AI_LIVE_DAILY_QUOTA", default=9_000)

# --- Demo AI provider (issue 12) ---
# "demo": every AI call is answered offline and deterministically by ai/demo_provider.py
# (the real SDK runs against an in-process transport). Development only: a clinic must
# never receive a demo note, so it is refused with DEBUG off. `make run` turns it on
# when no provider is configured.
AI_PROVIDER = env.str("AI_PROVIDER", default="").strip().lower()
if AI_PROVIDER not in ("", "openai", "demo"):
    sys.stderr.write(f"scribe: AI_PROVIDER must be empty, 'openai' or 'demo', not {AI_PROVIDER!r}\n")
    raise SystemExit(78)  # EX_CONFIG
if AI_PROVIDER == "demo" and not DEBUG:
    sys.stderr.write("scribe: refusing to start with AI_PROVIDER=demo and DEBUG off (demo answers are not clinical)\n")
    raise SystemExit(78)  # EX_CONFIG

NHS_AUTH_URL = env.str(
    "NHS_AUTH_URL",
    default="https://ontology.nhs.uk/authorisation/auth/realms/nhs-digital-terminology/protocol/openid-connect/token",
)
NHS_CLIENT_ID = env.str("NHS_CLIENT_ID", default="")
NHS_CLIENT_SECRET = env.str("NHS_CLIENT_SECRET", default="")
NHS_TERMINOLOGY_URL = env.str("NHS_TERMINOLOGY_URL", default="https://ontology.nhs.uk/production1/fhir")
NHS_VALUESET_URL = env.str("NHS_VALUESET_URL", default="http://snomed.info/sct?fhir_vs")
NHS_TIMEOUT_SECONDS = env.float("NHS_TIMEOUT_SECONDS", default=10.0)
NHS_CACHE_SECONDS = env.int("NHS_CACHE_SECONDS", default=300)
NHS_RESULT_COUNT = env.int("NHS_RESULT_COUNT", default=20)

# Image analysis: how many images, how large, and how Scribe fetches https URLs itself.
AI_IMAGE_MAX_COUNT = env.int("AI_IMAGE_MAX_COUNT", default=4)
AI_IMAGE_MAX_BYTES = env.int("AI_IMAGE_MAX_BYTES", default=5 * 1_048_576)
AI_IMAGE_FETCH_TIMEOUT_SECONDS = env.float("AI_IMAGE_FETCH_TIMEOUT_SECONDS", default=10.0)
AI_IMAGE_FETCH_MAX_REDIRECTS = env.int("AI_IMAGE_FETCH_MAX_REDIRECTS", default=3)
# Networks a fetched image may come from although not public (CIDRs; empty in production).
AI_IMAGE_FETCH_ALLOWED_NETWORKS = env.list("AI_IMAGE_FETCH_ALLOWED_NETWORKS", default=[])
# Extra CA bundle (PEM path) trusted when fetching images, e.g. behind an inspecting proxy.
AI_IMAGE_FETCH_CA_BUNDLE = env.str("AI_IMAGE_FETCH_CA_BUNDLE", default="")
AI_AUDIO_MAX_BYTES = env.int("AI_AUDIO_MAX_BYTES", default=25 * 1_048_576)
UPLOAD_BODY_LIMITS.update(
    {
        # Multipart overhead on top of the files themselves; images may also come as
        # JSON data URLs, whose base64 is a third larger than the bytes.
        "/api/v1/ai/images": AI_IMAGE_MAX_COUNT * AI_IMAGE_MAX_BYTES * 4 // 3 + 65_536,
        "/api/v1/ai/transcribe": AI_AUDIO_MAX_BYTES + 65_536,
    }
)
# --- Node.js compatibility surface (issue 9) ---
# Per IP: unauthenticated email-availability checks (GET /users/checkEmail, /api/v1/users/check-email).
RATELIMIT_CHECK_EMAIL_IP = env.str("RATELIMIT_CHECK_EMAIL_IP", default="30/m")
# The Node.js backend took JSON bodies up to 10 MB on /api/ai/analyze (base64 images);
# every other Node.js route keeps MAX_REQUEST_BODY_BYTES.
UPLOAD_BODY_LIMITS["/api/ai/analyze"] = env.int("NODE_ANALYZE_MAX_BODY_BYTES", default=10 * 1_000_000)
# CORS as the Node.js backend had it (the frontend's origins and credentials are set above).
CORS_ALLOW_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
# OpenAPI lists the Node.js routes without the trailing slash they also accept.
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("legacy_api.schema.node_paths_without_slash")


# --- Live transcription over WebSocket (issue 10) -----------------------------------
# /transcription-stream (ai/live/, mounted by scribe/asgi.py). See README "Live transcription".

# MediaRecorder slices per transcribed window (Node: 8, about 4 s).
LIVE_WINDOW_SLICES = env.int("LIVE_WINDOW_SLICES", default=8)
# Transcribe the whole recording once more at stop for the final message (doubles the
# provider's audio minutes and quota calls per recording).
LIVE_FINAL_PASS = env.bool("LIVE_FINAL_PASS", default=True)
# One slice larger than this is refused with an error (decoded bytes).
LIVE_MAX_CHUNK_BYTES = env.int("LIVE_MAX_CHUNK_BYTES", default=262_144)
# Audio a connection keeps in memory; beyond it the recording spills to a temporary file.
LIVE_MEMORY_BUFFER_BYTES = env.int("LIVE_MEMORY_BUFFER_BYTES", default=1_048_576)
# A recording stops (with an error, everything recognised stored) past either limit.
LIVE_MAX_RECORDING_BYTES = env.int("LIVE_MAX_RECORDING_BYTES", default=200 * 1_048_576)
LIVE_MAX_RECORDING_SECONDS = env.int("LIVE_MAX_RECORDING_SECONDS", default=4 * 3600)
# A socket with no message for this long is closed (its recording stored first).
LIVE_IDLE_SECONDS = env.float("LIVE_IDLE_SECONDS", default=120.0)
# Open sockets per user (counted in the cache; per process when the cache is down). 0: no limit.
LIVE_MAX_SOCKETS_PER_USER = env.int("LIVE_MAX_SOCKETS_PER_USER", default=4)
LIVE_SOCKET_COUNT_TTL_SECONDS = 900
# Threads per server process for live windows' database steps (the provider is awaited).
LIVE_WORKER_THREADS = env.int("LIVE_WORKER_THREADS", default=32)
# Runserver's (daphne's) own request lines repeat paths; scribe.request is the access log.
LOGGING["loggers"]["django.channels.server"] = {"level": "CRITICAL", "propagate": False, "handlers": []}


# BodySizeLimitMiddleware enforces the per-path limits; Django's own in-memory cap
# (checked when a view reads the body) must not undercut the larger upload limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = max([MAX_REQUEST_BODY_BYTES, *UPLOAD_BODY_LIMITS.values()])


# --- Documents and questionnaires (issue 15; see README "Documents and questionnaires") ---

# One-time questionnaire links: lifetime, the per-IP limit of their public endpoints, and
# the patient-facing URL the token is appended to (empty: the API's own link URL).
QUESTIONNAIRE_LINK_TTL_SECONDS = env.int("QUESTIONNAIRE_LINK_TTL_SECONDS", default=72 * 3600)
RATELIMIT_QUESTIONNAIRE_LINK_IP = env.str("RATELIMIT_QUESTIONNAIRE_LINK_IP", default="30/m")
QUESTIONNAIRE_LINK_BASE_URL = env.str("QUESTIONNAIRE_LINK_BASE_URL", default="")
# Printed on every PDF's letterhead.
PRACTICE_NAME = env.str("PRACTICE_NAME", default="Scribe Medical Practice")
PRACTICE_ADDRESS = env.str("PRACTICE_ADDRESS", default="")
# Google Drive upload with a service account (uploads answer 503 until both are set).
GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_DRIVE_FOLDER_ID = env.str("GOOGLE_DRIVE_FOLDER_ID", default="")
GOOGLE_DRIVE_API_ENDPOINT = env.str("GOOGLE_DRIVE_API_ENDPOINT", default="https://www.googleapis.com/")
GOOGLE_DRIVE_TIMEOUT_SECONDS = env.float("GOOGLE_DRIVE_TIMEOUT_SECONDS", default=30.0)
GOOGLE_DRIVE_MAX_RETRIES = env.int("GOOGLE_DRIVE_MAX_RETRIES", default=4)
# Backoff before retry n is random(0, 2**n) times this many seconds.
GOOGLE_DRIVE_BACKOFF_SECONDS = env.float("GOOGLE_DRIVE_BACKOFF_SECONDS", default=1.0)
# Extra CA bundle (PEM path) for the Drive endpoint, e.g. a private gateway.
GOOGLE_DRIVE_CA_BUNDLE = env.str("GOOGLE_DRIVE_CA_BUNDLE", default="")


# --- Refuse to run in production with development secrets ------------------------------


def _refuse_insecure_production() -> None:
    problems = []
    if SECRET_KEY in KNOWN_DEV_SECRETS or len(SECRET_KEY) < 32:
        problems.append("SECRET_KEY")
    if JWT_SECRET_KEY in KNOWN_DEV_SECRETS or len(JWT_SECRET_KEY) < 32:
        problems.append("JWT_SECRET_KEY")
    # Whoever knows this secret can sign a Node.js token for any legacy user. Its
    # length is the Node.js backend's choice, but a published value is never accepted.
    if LEGACY_JWT_SECRET_KEY != JWT_SECRET_KEY and LEGACY_JWT_SECRET_KEY in KNOWN_DEV_SECRETS:
        problems.append("LEGACY_JWT_SECRET_KEY")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS")
    if METRICS_TOKEN and (METRICS_TOKEN in KNOWN_DEV_SECRETS or len(METRICS_TOKEN) < 32):
        problems.append("METRICS_TOKEN")
    # Missing, malformed (refused at any DEBUG, below) or the published development key.
    for name, keys, purpose in (
        ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS, "field"),
        ("FIELD_BLIND_INDEX_KEYS", FIELD_BLIND_INDEX_KEYS, "index"),
    ):
        if not keys or _crypto.dev_key(purpose) in keys:
            problems.append(name)
    if FIELD_ENCRYPTION_PLAIN_FOR_BENCH:
        problems.append("FIELD_ENCRYPTION_PLAIN_FOR_BENCH")
    if problems:
        sys.stderr.write(
            "scribe: refusing to start with DEBUG off: set "
            + ", ".join(problems)
            + " (missing, a development value, or too short/too broad; see README 'Configuration')\n"
        )
        raise SystemExit(78)  # EX_CONFIG


if not DEBUG:
    _refuse_insecure_production()
