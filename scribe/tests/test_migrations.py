"""The committed migrations match the models (one history for every engine)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.skipif(settings.IS_MONGODB, reason="checked without a server in test_mongodb_engine")
@pytest.mark.django_db
def test_it_has_no_missing_migrations():
    # --check exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_it_gives_contrib_models_the_portable_primary_key_in_their_migrations():
    from django.db.migrations.loader import MigrationLoader

    from scribe.core.fields import PortableAutoField

    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state()
    for app_label in ("admin", "auth", "contenttypes", "accounts", "consultations"):
        assert settings.MIGRATION_MODULES.get(app_label, app_label).endswith(app_label)
        models = [m for (label, _), m in state.models.items() if label == app_label]
        assert models, app_label
        for model in models:
            assert isinstance(model.fields["id"], PortableAutoField), model.name
