"""Settings read from the environment: database engines, cache, log level, CORS origins."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from scribe.testing.processes import settings_under

sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="the suite runs on another engine"
)


def test_it_defaults_to_an_sqlite_file_configured_for_concurrent_writers():
    values = settings_under(["DATABASES", "BASE_DIR", "IS_MONGODB"], DEBUG="true")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == f"{values['BASE_DIR']}/db.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5
    assert values["IS_MONGODB"] is False


@sqlite_only
@pytest.mark.django_db
def test_it_opens_sqlite_connections_with_immediate_transactions_and_a_busy_timeout():
    connection.ensure_connection()
    assert connection.transaction_mode == "IMMEDIATE"
    # SQLite-only test of the driver's own setting, not application code.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() in {"wal", "memory"}  # the test database lives in memory


def test_it_parses_a_postgres_database_url():
    values = settings_under(
        ["DATABASES", "IS_MONGODB"], DEBUG="true", DATABASE_URL="postgres://scribe:s3cret@db.internal:6543/clinic"
    )
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], int(db["PORT"])) == (
        "clinic",
        "scribe",
        "s3cret",
        "db.internal",
        6543,
    )
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert "transaction_mode" not in db.get("OPTIONS", {})
    assert values["IS_MONGODB"] is False


def test_it_uses_redis_as_the_cache_when_redis_url_is_set():
    values = settings_under(["CACHES"], DEBUG="true", REDIS_URL="redis://cache.internal:6379/3")
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/3"


def test_it_uses_local_memory_cache_without_redis_url():
    values = settings_under(["CACHES", "SILENCED_SYSTEM_CHECKS"], DEBUG="true")
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # The ratelimit checks that insist on a shared cache are silenced only here.
    assert "django_ratelimit.E003" in values["SILENCED_SYSTEM_CHECKS"]


def test_it_keeps_ratelimit_checks_on_with_redis():
    values = settings_under(["SILENCED_SYSTEM_CHECKS"], DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/0")
    assert "django_ratelimit.E003" not in values["SILENCED_SYSTEM_CHECKS"]


def test_it_reads_the_log_level():
    values = settings_under(["LOG_LEVEL", "LOGGING"], DEBUG="true", LOG_LEVEL="warning")
    assert values["LOG_LEVEL"] == "WARNING"
    assert values["LOGGING"]["root"]["level"] == "WARNING"


def test_it_reads_cors_origins_with_the_frontend_as_default():
    default = settings_under(["CORS_ALLOWED_ORIGINS"], DEBUG="true")["CORS_ALLOWED_ORIGINS"]
    assert default == [
        "http://localhost:3000",
        "http://localhost:3001",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3001",
        "https://scribe-project-nextjs.vercel.app",
    ]
    custom = settings_under(
        ["CORS_ALLOWED_ORIGINS"], DEBUG="true", CORS_ALLOWED_ORIGINS="https://a.example,https://b.example"
    )["CORS_ALLOWED_ORIGINS"]
    assert custom == ["https://a.example", "https://b.example"]


def test_it_reads_ssl_redirect_off_by_default():
    assert settings_under(["SECURE_SSL_REDIRECT"], DEBUG="true")["SECURE_SSL_REDIRECT"] is False
    assert (
        settings_under(["SECURE_SSL_REDIRECT"], DEBUG="true", SECURE_SSL_REDIRECT="true")["SECURE_SSL_REDIRECT"] is True
    )


def test_it_reads_a_dot_env_file_below_the_real_environment(tmp_path):
    env_file = tmp_path / "scribe.env"
    env_file.write_text("LOG_LEVEL=ERROR\nCORS_ALLOWED_ORIGINS=https://from-file.example\n")
    values = settings_under(
        ["LOG_LEVEL", "CORS_ALLOWED_ORIGINS"], DEBUG="true", ENV_FILE=str(env_file), LOG_LEVEL="debug"
    )
    assert values["LOG_LEVEL"] == "DEBUG"  # the environment wins
    assert values["CORS_ALLOWED_ORIGINS"] == ["https://from-file.example"]


def test_it_keeps_third_party_loggers_at_warning_even_at_debug_level():
    values = settings_under(["LOGGING"], DEBUG="true", LOG_LEVEL="DEBUG")
    loggers = values["LOGGING"]["loggers"]
    assert values["LOGGING"]["root"]["level"] == "DEBUG"
    for name in ("httpx", "httpcore", "openai", "django.db.backends"):
        assert loggers[name]["level"] == "WARNING", name


def test_sqlite_commits_are_normal_by_default_and_full_on_request():
    default = settings_under(["DATABASES"], DEBUG="true")["DATABASES"]["default"]["OPTIONS"]["init_command"]
    assert "PRAGMA journal_mode=WAL;" in default
    assert "PRAGMA synchronous=NORMAL;" in default
    full = settings_under(["DATABASES"], DEBUG="true", SQLITE_SYNCHRONOUS="full")
    assert "PRAGMA synchronous=FULL;" in full["DATABASES"]["default"]["OPTIONS"]["init_command"]


def test_an_unknown_sqlite_synchronous_mode_stops_start_up():
    from scribe.testing.processes import manage

    done = manage("check", DEBUG="true", SQLITE_SYNCHRONOUS="OFF")
    assert done.returncode != 0
    assert "SQLITE_SYNCHRONOUS must be NORMAL or FULL, not 'OFF'" in done.stderr


@sqlite_only
@pytest.mark.django_db
def test_it_opens_sqlite_connections_with_normal_synchronous_commits():
    connection.ensure_connection()
    # SQLite-only test of the driver's own setting, not application code.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL (FULL is 2)
