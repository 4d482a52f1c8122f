import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
application = get_wsgi_application()

# A wrong or missing FIELD_ENCRYPTION_KEYS stops the worker here, not at a patient's first read.
from scribe.core.crypto_fields import startup_key_check  # noqa: E402

startup_key_check()
