"""Image analysis: every image is checked and sent to the model as a data URL.

URL fetching is tested against real HTTPS servers on 127.0.0.1 and 127.0.0.2
(a throwaway CA made with ``cryptography``): the public-address rule is
lifted for exactly one of them through ``AI_IMAGE_FETCH_ALLOWED_NETWORKS``
where a test needs a successful fetch; the other stays private, so refusing
it proves the check runs on every redirect hop. Addresses such as
169.254.169.254 or [::1] are refused before any connection is attempted.
"""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ai.tests.image_server import PNG

URL = "/api/v1/ai/images"
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def sent_image_urls(openai_stub) -> list[str]:
    content = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


def test_it_analyses_a_data_url_image(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append("A small green square.")
    response = client_for(clinician).post(
        URL, {"prompt": "Describe this rash.", "images": [PNG_DATA_URL]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"answer": "A small green square.", "model": "gpt-4o"}
    assert sent_image_urls(openai_stub) == [PNG_DATA_URL]
    content = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    assert content[0] == {"type": "text", "text": "Describe this rash."}


def test_it_analyses_uploaded_image_files(openai_stub, clinician, client_for):
    files = [SimpleUploadedFile(f"photo{n}.png", PNG, content_type="image/png") for n in range(2)]
    response = client_for(clinician).post(URL, {"prompt": "Compare these.", "images": files}, format="multipart")
    assert response.status_code == 200, response.content
    assert sent_image_urls(openai_stub) == [PNG_DATA_URL, PNG_DATA_URL]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("fake.png", b"<script>alert(1)</script>", content_type="image/png"),
        SimpleUploadedFile("doc.pdf", b"%PDF-1.7 ...", content_type="application/pdf"),
        SimpleUploadedFile("liar.jpg", PNG, content_type="image/jpeg"),
        SimpleUploadedFile("empty.png", b"", content_type="image/png"),
    ],
)
def test_it_refuses_uploads_that_are_not_the_images_they_claim(openai_stub, clinician, client_for, upload):
    response = client_for(clinician).post(URL, {"prompt": "Look.", "images": [upload]}, format="multipart")
    assert response.status_code == 400
    assert "images" in response.json()["errors"]
    assert openai_stub.requests == []


@pytest.mark.parametrize(
    "reference",
    [
        "data:image/png;base64," + base64.b64encode(b"not an image").decode(),
        "data:image/png;base64,@@@not-base64@@@",
        "data:text/html,<h1>hi</h1>",
        "data:image/gif;base64," + base64.b64encode(PNG).decode(),  # declared gif, is png
    ],
)
def test_it_refuses_data_urls_that_are_not_images(openai_stub, clinician, client_for, reference):
    response = client_for(clinician).post(URL, {"prompt": "Look.", "images": [reference]}, format="json")
    assert response.status_code == 400
    assert openai_stub.requests == []


def test_it_limits_image_count_and_size(openai_stub, settings, clinician, client_for):
    client = client_for(clinician)
    settings.AI_IMAGE_MAX_COUNT = 2
    too_many = client.post(URL, {"prompt": "Look.", "images": [PNG_DATA_URL] * 3}, format="json")
    assert too_many.status_code == 400
    settings.AI_IMAGE_MAX_BYTES = 50
    big = PNG + b"\0" * 100
    upload = SimpleUploadedFile("big.png", big, content_type="image/png")
    too_big = client.post(URL, {"prompt": "Look.", "images": [upload]}, format="multipart")
    assert too_big.status_code == 400
    assert openai_stub.requests == []


def test_it_requires_a_prompt_and_an_image(openai_stub, clinician, client_for):
    client = client_for(clinician)
    assert client.post(URL, {"images": [PNG_DATA_URL]}, format="json").status_code == 400
    assert client.post(URL, {"prompt": "Look.", "images": []}, format="json").status_code == 400
    assert client.post(URL, {"prompt": "Look."}, format="multipart").status_code == 400
    assert client.post(URL, "prompt=x", content_type="text/plain").status_code == 415


PRIVATE = "private or reserved address"
NOT_A_HOST = "not a valid name or address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/x.png", "only https"),
        ("https://127.0.0.1/x.png", PRIVATE),
        ("https://169.254.169.254/latest/meta-data/", PRIVATE),
        ("https://[::1]/x.png", PRIVATE),
        ("https://[::ffff:127.0.0.1]/x.png", PRIVATE),
        ("https://[::ffff:a9fe:a9fe]/x.png", PRIVATE),  # 169.254.169.254, mapped
        ("https://[2002:7f00:1::]/x.png", PRIVATE),  # 6to4 wrapping 127.0.0.1
        ("https://[2002:a9fe:a9fe::1]/x.png", PRIVATE),  # 6to4 wrapping 169.254.169.254
        ("https://[fe80::1%25eth0]/x.png", PRIVATE),
        ("https://2130706433/x.png", NOT_A_HOST),  # 127.0.0.1 as a decimal
        ("https://0x7f000001/x.png", NOT_A_HOST),
        ("https://0177.0.0.1/x.png", NOT_A_HOST),
        ("https://127.1/x.png", NOT_A_HOST),
        ("https://127.0.0.1./x.png", NOT_A_HOST),
        ("https://10.0.0.5/x.png", PRIVATE),
        ("https://192.168.1.1/x.png", PRIVATE),
        ("https://100.64.0.1/x.png", PRIVATE),  # carrier-grade NAT
        ("https://0.0.0.0/x.png", PRIVATE),
        ("https://localhost/x.png", PRIVATE),  # a name resolving to loopback
        ("https://user:pw@example.com/x.png", "user information"),
        ("file:///etc/passwd", "only https"),
        ("ftp://example.com/x.png", "only https"),
    ],
)
def test_it_refuses_urls_to_private_or_malformed_addresses(
    openai_stub, clinician, client_for, url, reason, image_servers
):
    response = client_for(clinician).post(URL, {"prompt": "Look.", "images": [url]}, format="json")
    assert response.status_code == 400, url
    if reason == "only https":
        # Refused by the input's pattern, the one the OpenAPI schema shows (^(https://|data:)).
        assert response.json()["errors"]["images.0"] == ["Must be an https URL or a data: URL."]
    else:
        assert response.json()["code"] == "image_refused"
        assert reason in response.json()["detail"], url  # refused for that reason, not a failed connection
    assert openai_stub.requests == []
    first, second = image_servers
    assert first.requests == []
    assert second.requests == []


def test_it_fetches_an_https_image_itself_and_sends_a_data_url(
    openai_stub, settings, clinician, client_for, image_servers
):
    first, _ = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    url = first.url("/image.png", host="localhost")
    response = client_for(clinician).post(URL, {"prompt": "Describe.", "images": [url]}, format="json")
    assert response.status_code == 200, response.content
    assert sent_image_urls(openai_stub) == [PNG_DATA_URL]  # the model never sees the URL
    # Connected to the validated address, speaking to it by name (SNI and Host).
    assert first.requests[-1]["sni"] == "localhost"
    assert first.requests[-1]["host"] == f"localhost:{first.port}"


def test_it_rechecks_every_redirect_hop(openai_stub, settings, clinician, client_for, image_servers):
    first, second = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32"]  # only the second server counts as public
    private_target = first.url("/image.png")
    url = second.url(f"/redirect?to={private_target}")
    response = client_for(clinician).post(URL, {"prompt": "Describe.", "images": [url]}, format="json")
    assert response.status_code == 400
    assert "private" in response.json()["detail"]
    assert [r["path"] for r in second.requests] == [f"/redirect?to={private_target}"]
    assert first.requests == []  # the private hop was never contacted
    # A redirect between allowed addresses is followed.
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32", "127.0.0.1/32"]
    followed = client_for(clinician).post(URL, {"prompt": "Describe.", "images": [url]}, format="json")
    assert followed.status_code == 200
    assert first.requests[-1]["path"] == "/image.png"


def test_it_refuses_fetched_content_that_is_not_an_acceptable_image(
    openai_stub, settings, clinician, client_for, image_servers
):
    first, _ = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    client = client_for(clinician)
    for path, reason in (
        ("/not-an-image.png", "Only PNG"),
        ("/page", "did not answer with an image"),
        ("/big.png", "larger than"),
        ("/missing.png", "answered 404"),
    ):
        response = client.post(URL, {"prompt": "Look.", "images": [first.url(path)]}, format="json")
        assert response.status_code == 400, path
        assert reason in response.json()["detail"], path
    settings.AI_IMAGE_FETCH_MAX_REDIRECTS = 1
    loop = first.url("/redirect?to=" + first.url("/redirect?to=" + first.url("/image.png")))
    assert client.post(URL, {"prompt": "Look.", "images": [loop]}, format="json").status_code == 400
    assert openai_stub.requests == []


def test_it_gives_up_on_a_server_that_drips_the_image(openai_stub, settings, clinician, client_for, image_servers):
    # Every byte comes well within the timeout, the whole image (about 3.5 s) does not.
    first, _ = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.AI_IMAGE_FETCH_TIMEOUT_SECONDS = 1.0
    response = client_for(clinician).post(URL, {"prompt": "Look.", "images": [first.url("/slow.png")]}, format="json")
    assert response.status_code == 400
    assert "in time" in response.json()["detail"]
    assert openai_stub.requests == []


def test_it_refuses_a_server_whose_certificate_is_not_trusted(
    openai_stub, settings, clinician, client_for, image_servers
):
    first, _ = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.AI_IMAGE_FETCH_CA_BUNDLE = ""
    response = client_for(clinician).post(URL, {"prompt": "Look.", "images": [first.url("/image.png")]}, format="json")
    assert response.status_code == 400
    assert openai_stub.requests == []


def test_it_takes_a_json_body_of_the_most_images_as_data_urls():
    # The body limit must not refuse what the image limits allow: AI_IMAGE_MAX_COUNT
    # images of AI_IMAGE_MAX_BYTES each, base64 encoded in data URLs.
    import math

    from django.conf import settings as live

    largest = len('{"prompt": "", "images": []}') + live.AI_IMAGE_MAX_COUNT * (
        len('"data:image/jpeg;base64,", ') + 4 * math.ceil(live.AI_IMAGE_MAX_BYTES / 3)
    )
    assert live.UPLOAD_BODY_LIMITS["/api/v1/ai/images"] >= largest
