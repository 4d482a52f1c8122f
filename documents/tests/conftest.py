from __future__ import annotations

import pytest

from scribe.testing.drive_stub import DriveStub


@pytest.fixture(scope="session")
def drive_stub_server():
    stub = DriveStub()
    yield stub
    stub.close()


@pytest.fixture
def drive_stub(drive_stub_server, settings, tmp_path):
    """The Drive stub, with the GOOGLE_DRIVE_* settings pointing at it (a fresh service
    account file whose token_uri is the stub; the stub's throwaway CA trusted)."""
    drive_stub_server.reset()
    settings.GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE = str(drive_stub_server.service_account_file(tmp_path))
    settings.GOOGLE_DRIVE_FOLDER_ID = "folder-clinic-1"
    settings.GOOGLE_DRIVE_API_ENDPOINT = drive_stub_server.root
    settings.GOOGLE_DRIVE_CA_BUNDLE = str(drive_stub_server.ca_path)
    settings.GOOGLE_DRIVE_TIMEOUT_SECONDS = 5.0
    settings.GOOGLE_DRIVE_BACKOFF_SECONDS = 0.01
    yield drive_stub_server
    drive_stub_server.reset()
