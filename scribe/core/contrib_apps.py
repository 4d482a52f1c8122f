"""App configs: Scribe's shared core, and the contrib apps with models.

The contrib apps hard-code ``AutoField`` as their primary key; these subclasses
give them Scribe's engine-neutral key so their migrations (in
``scribe/contrib_migrations``, via ``MIGRATION_MODULES``) are the same on SQLite,
PostgreSQL and MongoDB.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

PORTABLE_AUTO_FIELD = "scribe.core.fields.PortableAutoField"


class ScribeAdminConfig(AdminConfig):
    default_auto_field = PORTABLE_AUTO_FIELD
    default_site = "scribe.core.admin_site.ScribeAdminSite"


class ScribeAuthConfig(AuthConfig):
    default_auto_field = PORTABLE_AUTO_FIELD


class ScribeContentTypesConfig(ContentTypesConfig):
    default_auto_field = PORTABLE_AUTO_FIELD
