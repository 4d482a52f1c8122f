"""Google Drive client: the only module importing the Google API client libraries.

Uploads use a service account (``GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE``), the
library's bundled Drive v3 discovery document (no discovery fetch) and the
resumable upload protocol; requests answered 429 or 5xx are retried with
randomised exponential backoff (``GOOGLE_DRIVE_MAX_RETRIES``,
``GOOGLE_DRIVE_BACKOFF_SECONDS``), resuming an interrupted upload where Drive
says it stopped.
"""

from __future__ import annotations

import io
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import google_auth_httplib2
import httplib2
from django.conf import settings
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from scribe.core.exceptions import ServiceUnavailable, UpstreamError, UpstreamTimeout

logger = logging.getLogger("scribe.documents")

SCOPES = ["https://www.googleapis.com/auth/drive.file"]
# Whole PDFs are a few hundred KiB: one chunk; Drive requires multiples of 256 KiB.
CHUNK_BYTES = 4 * 256 * 1024


@dataclass(frozen=True)
class DriveFile:
    id: str
    web_view_link: str


def drive_check() -> None:
    """503 naming the missing setting before anything is rendered or claimed."""
    for name in ("GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE", "GOOGLE_DRIVE_FOLDER_ID"):
        if not getattr(settings, name):
            raise ServiceUnavailable(f"Google Drive upload is not configured: set {name}.", code="drive_not_configured")


def _retriable(error: Exception) -> bool:
    if isinstance(error, HttpError):
        return error.resp.status == 429 or error.resp.status >= 500
    # A dropped connection (not a timeout: that already took the whole timeout).
    return isinstance(error, ConnectionError)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, settings.GOOGLE_DRIVE_BACKOFF_SECONDS * 2**attempt))  # noqa: S311 (jitter, not a secret)


def _service() -> Any:
    try:
        with open(settings.GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE) as handle:
            info = json.load(handle)
        credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (OSError, ValueError, GoogleAuthError) as error:
        raise ServiceUnavailable(
            "Google Drive upload is misconfigured: GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE is not a readable "
            "service account key.",
            code="drive_not_configured",
        ) from error
    http = httplib2.Http(
        timeout=settings.GOOGLE_DRIVE_TIMEOUT_SECONDS, ca_certs=settings.GOOGLE_DRIVE_CA_BUNDLE or None
    )
    # Drive answers "308 Resume Incomplete" during resumable uploads: not a redirect
    # (googleapiclient.http.build_http does the same for the clients it builds).
    http.redirect_codes = http.redirect_codes - {308}
    authorised = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    return build(
        "drive",
        "v3",
        http=authorised,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": urljoin(settings.GOOGLE_DRIVE_API_ENDPOINT, "drive/v3/")},
    )


def _send(request: Any) -> dict[str, Any]:
    """Drive the resumable upload to the end. A 429/5xx (or a dropped connection) is
    retried after a randomised exponential backoff, up to GOOGLE_DRIVE_MAX_RETRIES
    times: a failed session start starts a new session; a failed byte upload first
    asks Drive how much it has (the client does that after an error) and resumes
    from there. The library's own per-request retries are not used: they resend an
    already-read stream slice on a byte upload."""
    attempt = 0
    response = None
    while response is None:
        try:
            _progress, response = request.next_chunk(num_retries=0)
        except Exception as error:
            if not _retriable(error) or attempt >= settings.GOOGLE_DRIVE_MAX_RETRIES:
                raise
            attempt += 1
            logger.warning(
                "drive upload retry",
                extra={"attempt": attempt, "status": getattr(getattr(error, "resp", None), "status", None)},
            )
            _backoff(attempt)
    return response


def drive_find(*, document_id: str) -> DriveFile | None:
    """The Drive file an earlier, interrupted upload of this document made, if any
    (found by its ``scribeDocumentId`` app property in the folder)."""
    drive_check()
    service = _service()
    query = (
        f"appProperties has {{ key='scribeDocumentId' and value='{document_id}' }} "
        f"and '{settings.GOOGLE_DRIVE_FOLDER_ID}' in parents and trashed = false"
    )
    try:
        found = (
            service.files()
            .list(
                q=query,
                fields="files(id,webViewLink)",
                pageSize=1,
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
            )
            .execute(num_retries=settings.GOOGLE_DRIVE_MAX_RETRIES)
        )
    except (HttpError, GoogleAuthError, OSError, httplib2.HttpLib2Error) as error:
        logger.warning("drive lookup failed", extra={"error": type(error).__name__})
        raise ServiceUnavailable(
            "Google Drive is unavailable; please try again later.", code="drive_unavailable"
        ) from error
    files = found.get("files") or []
    if not files:
        return None
    return DriveFile(id=str(files[0]["id"]), web_view_link=str(files[0].get("webViewLink") or ""))


def drive_upload(*, name: str, data: bytes, app_properties: dict[str, str]) -> DriveFile:
    """Upload ``data`` (a PDF) as ``name`` into GOOGLE_DRIVE_FOLDER_ID; resumable, retried.

    Raises ``ServiceUnavailable`` (not configured, or Drive still failing after
    the retries), ``UpstreamTimeout`` and ``UpstreamError``.
    """
    drive_check()
    service = _service()
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="application/pdf", chunksize=CHUNK_BYTES, resumable=True)
    metadata = {
        "name": name,
        "parents": [settings.GOOGLE_DRIVE_FOLDER_ID],
        "mimeType": "application/pdf",
        "appProperties": app_properties,
    }
    request = service.files().create(body=metadata, media_body=media, fields="id,webViewLink", supportsAllDrives=True)
    started = time.monotonic()
    try:
        response = _send(request)
    except HttpError as error:
        status = error.resp.status
        logger.warning("drive upload failed", extra={"status": status})
        if status == 429 or status >= 500:
            raise ServiceUnavailable(
                "Google Drive is unavailable; please try again later.", code="drive_unavailable"
            ) from error
        raise UpstreamError(f"Google Drive refused the upload ({status}).", code="drive_error") from error
    except GoogleAuthError as error:
        logger.warning("drive token failed", extra={"error": type(error).__name__})
        raise UpstreamError("Google refused the service account's credentials.", code="drive_auth_failed") from error
    except TimeoutError as error:
        raise UpstreamTimeout("Google Drive did not answer in time.", code="drive_timeout") from error
    except (OSError, httplib2.HttpLib2Error) as error:
        logger.warning("drive unreachable", extra={"error": type(error).__name__})
        raise ServiceUnavailable("Google Drive is unreachable.", code="drive_unavailable") from error
    logger.info(
        "drive upload done",
        extra={"drive_file_id": response.get("id"), "ms": round((time.monotonic() - started) * 1000)},
    )
    return DriveFile(id=str(response["id"]), web_view_link=str(response.get("webViewLink") or ""))
