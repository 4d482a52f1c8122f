"""Static files: looked up live in development (no collectstatic, no warning), collected in production."""

from __future__ import annotations

import warnings

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware

from scribe.testing.processes import PRODUCTION_ENV, settings_under


def test_it_starts_whitenoise_without_a_collected_static_folder_in_development():
    assert settings.WHITENOISE_AUTOREFRESH is True  # the suite runs with DEBUG=true settings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # whitenoise warns "No directory at: .../staticfiles/"
        middleware = WhiteNoiseMiddleware(lambda request: None)
    assert middleware.autorefresh
    assert middleware.find_file("/static/admin/css/base.css") is not None


def test_it_serves_the_collected_files_in_production():
    values = settings_under(["WHITENOISE_AUTOREFRESH", "STATIC_ROOT", "BASE_DIR"], **PRODUCTION_ENV)
    assert values["WHITENOISE_AUTOREFRESH"] is False
    assert values["STATIC_ROOT"] == f"{values['BASE_DIR']}/staticfiles"  # the image's collectstatic target
