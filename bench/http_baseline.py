"""The bare-Django baseline of ``bench_http.py``: Scribe's settings and middleware (it is
imported as a settings module, ``DJANGO_SETTINGS_MODULE=bench.http_baseline``), and a
URLconf of plain function views doing the same query as the endpoint each stands for,
without authentication, DRF or serializers. Benchmark only: never in the product's URLs."""

from scribe.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_baseline_urls"
