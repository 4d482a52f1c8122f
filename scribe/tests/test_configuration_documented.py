"""Every environment variable settings.py reads is in the README's table and in .env.example."""

from __future__ import annotations

import re

from scribe.testing.processes import BASE_DIR

SETTINGS = (BASE_DIR / "scribe" / "settings.py").read_text()


def variables() -> list[str]:
    names = re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS)
    return sorted(set(names))


def test_it_finds_the_variables_it_checks():
    assert {
        "DEBUG",
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "MONGODB_URI",
        "REDIS_URL",
        "CORS_ALLOWED_ORIGINS",
        "LOG_LEVEL",
    } <= set(variables())


def test_it_documents_every_variable_in_the_readme_table():
    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("<!-- BEGIN foundation -->")[1].split("<!-- END foundation -->")[0]
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.M))
    assert sorted(set(variables()) - rows) == []


def test_it_lists_every_variable_in_the_env_example():
    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.M))
    assert sorted(set(variables()) - listed) == []
