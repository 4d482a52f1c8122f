"""Clinic staff use the admin from a real browser: headless Chromium (Debian's chromium +
chromium-driver, through Selenium) against a live server, over HTTP and over HTTPS behind
a TLS-terminating proxy with secure cookies.

It logs in, opens a consultation, saves a user and logs out: each of them a form POST
that Django's CSRF origin check must accept from what Chromium really sends (with
``Referrer-Policy: no-referrer`` on the admin, Chromium sent ``Origin: null`` and every
one of them ended on the CSRF error page). Skipped, with the reason, where Chromium or
chromedriver is missing (``make browser-deps`` installs them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.models import User
from consultations.tests.factories import consultation_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "Quiet-Harbour-42-admin"
PATIENT = "Zebedee Quartermaine"

_missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(_missing),
        reason=f"headless Chromium is not installed ({', '.join(_missing)} missing): run `make browser-deps`",
    ),
]


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="scribe-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.accept_insecure_certs = True  # the test proxy's self-signed certificate
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for the docs pages
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def clinic(transactional_db, clinician):
    admin = User.objects.create_superuser(email="admin@example-clinic.nhs.uk", password=PASSWORD, username="Ada Admin")
    consultation = consultation_for(clinician, PATIENT, nhs_number="9434765919")
    return admin, consultation


def _submit(driver, selector: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(old_page))


def _refused_by_csrf(driver) -> bool:
    return "CSRF" in driver.page_source or "csrf" in driver.title.lower()


def _work_in_the_admin(driver, base_url: str, consultation, clinician) -> None:
    from selenium.webdriver.common.by import By

    # Log in.
    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys("admin@example-clinic.nhs.uk")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    _submit(driver, "input[type=submit]")
    assert not _refused_by_csrf(driver), driver.page_source[:500]
    assert driver.current_url.rstrip("/").endswith("/admin"), driver.current_url
    assert "Clinic data" in driver.page_source

    # Open a consultation: read-only, its patient data readable.
    driver.get(f"{base_url}/admin/consultations/consultation/{consultation.pk}/change/")
    page = driver.page_source
    assert PATIENT in page
    assert f"/admin/consultations/transcript/{consultation.transcript.pk}/change/" in page
    assert not driver.find_elements(By.NAME, "_save")

    # Save a user (a change of username).
    driver.get(f"{base_url}/admin/accounts/user/{clinician.pk}/change/")
    username = driver.find_element(By.NAME, "username")
    username.clear()
    username.send_keys("dr-renamed")
    _submit(driver, "input[name=_save]")
    assert not _refused_by_csrf(driver), driver.page_source[:500]
    assert "was changed successfully" in driver.page_source
    clinician.refresh_from_db()
    assert clinician.username == "dr-renamed"

    # Log out (a POST form in the header since Django 5).
    _submit(driver, "#logout-form button[type=submit]")
    assert not _refused_by_csrf(driver), driver.page_source[:500]
    assert "Logged out" in driver.page_source
    driver.get(f"{base_url}/admin/")
    assert "/admin/login/" in driver.current_url


def test_staff_log_in_read_a_consultation_save_a_user_and_log_out(browser, live_server, clinic, clinician):
    _admin, consultation = clinic
    _work_in_the_admin(browser, live_server.url, consultation, clinician)


def test_the_admin_works_over_https_behind_a_proxy_with_secure_cookies(
    browser, live_server, clinic, clinician, settings
):
    from scribe.testing.tls_proxy import TLSProxy

    # Production's cookie and proxy settings (DEBUG is on in tests, which leaves them off).
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _admin, consultation = clinic
    proxy = TLSProxy(live_server.url)
    try:
        _work_in_the_admin(browser, proxy.url, consultation, clinician)
        cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
        assert cookies["csrftoken"]["secure"] is True
        posts = [h for h in proxy.forwarded if h.get("Content-Type", "").startswith("application/x-www-form")]
        assert posts, "no form was posted through the proxy"
        # What Chromium sent on the admin's forms: its real origin, never "null".
        assert {h.get("Origin") for h in posts} == {proxy.url}
        assert all(h["X-Forwarded-Proto"] == "https" for h in posts)
    finally:
        proxy.close()


@pytest.mark.parametrize("path", ["/redoc", "/docs"])
def test_the_api_docs_load_nothing_from_the_internet(browser, live_server, path):
    """No console error: nothing refused by the page's CSP, nothing fetched from a CDN."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server.url}{path}")
    # The schema has loaded when its operations are listed (tag groups on both pages).
    WebDriverWait(browser, 60).until(lambda d: "consultations" in d.find_element(By.TAG_NAME, "body").text)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    requested = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")] == []
