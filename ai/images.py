"""Images for analysis: fetched, decoded or uploaded, always checked the same way.

Every image ends as ``(mime_type, bytes)`` after the same checks: at most
``AI_IMAGE_MAX_BYTES`` and a type recognised from its magic bytes (PNG, JPEG,
GIF, WebP), whatever the sender claimed. The model only ever receives
``data:`` URLs built here, never a URL it would fetch itself.

Fetching an https URL guards against server-side request forgery where it
matters, on the address actually connected:

- https only, default or explicit port, no user info; the host must be a DNS
  name or a canonical IP literal (``2130706433``, ``0x7f.1``, ``017700000001``
  are refused before any lookup);
- the name is resolved once and *every* address must be public (not private,
  loopback, link-local such as 169.254.169.254, multicast, reserved, shared or
  unspecified; IPv4-mapped and 6to4 IPv6 are unwrapped first); the connection is then
  made to the validated address, with the TLS SNI, certificate check and Host
  header of the name, so a second, different DNS answer cannot be slipped in;
- redirects are followed by hand, at most ``AI_IMAGE_FETCH_MAX_REDIRECTS``,
  each hop checked again from the start;
- the body is read in chunks and abandoned past the size limit;
- one image may take ``AI_IMAGE_FETCH_TIMEOUT_SECONDS`` in all (connection,
  redirects and body), so a server dripping bytes cannot hold a worker.

``AI_IMAGE_FETCH_ALLOWED_NETWORKS`` (empty by default) lists networks exempt
from the public-address rule, for a hospital's own image server or tests.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import ipaddress
import re
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from scribe.core.exceptions import InvalidInput

_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_DATA_URL = re.compile(r"^data:([\w.+\-]+/[\w.+\-]+)?(;[\w\-]+=[\w.\-]+)*;base64,(.*)$", re.DOTALL | re.IGNORECASE)
_MIME_OF_EXTENSION = {"image/jpg": "image/jpeg"}


class ImageRefused(InvalidInput):
    code = "image_refused"


def image_type(data: bytes) -> str | None:
    """The image's MIME type from its first bytes, or None when it is not a supported image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_check(data: bytes, *, claimed_type: str | None = None, field: str = "images") -> tuple[str, bytes]:
    """Size and type checks shared by every source. Raises ``InvalidInput`` (400)."""
    if not data:
        raise ImageRefused("The image is empty.", errors={field: ["The image is empty."]})
    if len(data) > settings.AI_IMAGE_MAX_BYTES:
        message = f"Each image may be at most {settings.AI_IMAGE_MAX_BYTES} bytes."
        raise ImageRefused(message, errors={field: [message]})
    mime = image_type(data)
    if mime is None:
        message = "Only PNG, JPEG, GIF and WebP images are accepted."
        raise ImageRefused(message, errors={field: [message]})
    claimed = _MIME_OF_EXTENSION.get((claimed_type or "").lower(), (claimed_type or "").lower())
    if claimed and claimed not in ("application/octet-stream", mime):
        message = "The image's content does not match its declared type."
        raise ImageRefused(message, errors={field: [message]})
    return mime, data


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_from_data_url(url: str) -> tuple[str, bytes]:
    match = _DATA_URL.match(url)
    if not match:
        message = "Data URLs must be base64 encoded images (data:image/png;base64,...)."
        raise ImageRefused(message, errors={"images": [message]})
    try:
        data = base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError) as error:
        message = "The data URL is not valid base64."
        raise ImageRefused(message, errors={"images": [message]}) from error
    return image_check(data, claimed_type=match.group(1))


# --- fetching https URLs ------------------------------------------------------------------------


def _refuse(reason: str) -> ImageRefused:
    message = f"The image URL was refused: {reason}."
    return ImageRefused(message, errors={"images": [message]})


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS]


def address_check(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address if a fetch may connect to it; raises ``ImageRefused`` otherwise."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4-mapped and 6to4 (2002::/16) addresses carry an IPv4 address that a dual-stack
        # host or a 6to4 relay reaches: judge that one (Python calls 2002:7f00:1:: global).
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    if any(ip in network for network in _allowed_networks()):
        return ip
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local:
        raise _refuse("it points to a private or reserved address")
    return ip


def _host_check(host: str) -> tuple[str, bool]:
    """(host, is_ip_literal) for a host written in a canonical form; raises otherwise."""
    if host.startswith("["):
        try:
            return str(ipaddress.IPv6Address(host.strip("[]"))), True
        except ValueError as error:
            raise _refuse("the host is not valid") from error
    try:
        ipaddress.IPv4Address(host)  # only the dotted-quad form parses here
        return host, True
    except ValueError:
        pass
    lowered = host.lower()
    if not _HOSTNAME.match(lowered) or _NUMERIC_LABEL.match(lowered.rstrip(".").split(".")[-1]):
        # Decimal (2130706433), hex (0x7f000001) or octal forms reach private
        # addresses through resolvers that accept them: refuse them outright.
        raise _refuse("the host is not a valid name or address")
    return lowered, False


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise _refuse("the host name could not be resolved") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise _refuse("the host name could not be resolved")
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a validated address, with SNI, certificate check and Host of the name."""

    def __init__(self, host: str, address: str, port: int, *, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The peer we actually reached must be the address we validated.
        address_check(sock.getpeername()[0])
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.AI_IMAGE_FETCH_CA_BUNDLE:
        context.load_verify_locations(cafile=settings.AI_IMAGE_FETCH_CA_BUNDLE)
    return context


def _left(deadline: float) -> float:
    """Seconds left before ``deadline`` (a socket timeout); refuses once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _refuse("the image server did not answer in time")
    return left


def _read_body(response: http.client.HTTPResponse, sock: socket.socket, deadline: float) -> bytes:
    limit = settings.AI_IMAGE_MAX_BYTES
    body = bytearray()
    while True:
        sock.settimeout(_left(deadline))
        chunk = response.read1(64 * 1024)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise _refuse(f"the image is larger than {limit} bytes")


def _fetch_once(url: str, deadline: float) -> tuple[int, str | None, str, bytes]:
    """One GET before ``deadline``: (status, location, content type, body). Raises ``ImageRefused``."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise _refuse("only https URLs are fetched")
    if parts.username is not None or parts.password is not None:
        raise _refuse("URLs with user information are not fetched")
    try:
        port = parts.port or 443
    except ValueError as error:
        raise _refuse("the port is not valid") from error
    raw_host = parts.netloc.rsplit("@", 1)[-1]
    raw_host = raw_host[: raw_host.index("]") + 1] if raw_host.startswith("[") else raw_host.split(":", 1)[0]
    host, is_literal = _host_check(raw_host)
    addresses = [host] if is_literal else _resolve(host, port)
    for address in addresses:
        address_check(address)  # every answer must be acceptable, not just the first

    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection = _PinnedHTTPSConnection(host, addresses[0], port, timeout=_left(deadline), context=_ssl_context())
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        host_header = f"[{host}]" if ":" in host else host
        connection.putheader("Host", host_header if port == 443 else f"{host_header}:{port}")
        connection.putheader("Accept", "image/png, image/jpeg, image/gif, image/webp")
        connection.putheader("User-Agent", "Scribe-image-fetch/1")
        connection.endheaders()
        # Kept: the connection lets go of its socket once a closing response arrives.
        sock = connection.sock
        sock.settimeout(_left(deadline))
        response = connection.getresponse()
        if response.status in (301, 302, 303, 307, 308):
            return response.status, response.getheader("Location"), "", b""
        if response.status != 200:
            raise _refuse(f"the image server answered {response.status}")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > settings.AI_IMAGE_MAX_BYTES:
            raise _refuse(f"the image is larger than {settings.AI_IMAGE_MAX_BYTES} bytes")
        body = _read_body(response, sock, deadline)
        content_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip()
        return response.status, None, content_type, body
    except ImageRefused:
        raise
    except TimeoutError as error:
        raise _refuse("the image server did not answer in time") from error
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        raise _refuse("the image could not be fetched") from error
    finally:
        connection.close()


def image_from_url(url: str) -> tuple[str, bytes]:
    """Fetch an https image, re-checking every redirect hop. Raises ``ImageRefused`` (400)."""
    current = url
    deadline = time.monotonic() + float(settings.AI_IMAGE_FETCH_TIMEOUT_SECONDS)
    for _ in range(settings.AI_IMAGE_FETCH_MAX_REDIRECTS + 1):
        _status, location, content_type, body = _fetch_once(current, deadline)
        if location is None:
            if not content_type.lower().startswith("image/"):
                raise _refuse("the URL did not answer with an image")
            return image_check(body, claimed_type=content_type)
        current = urljoin(current, location)
    raise _refuse("too many redirects")


_BASE64_TAGGED = re.compile(r"^base64:([\w.+\-]+/[\w.+\-]+):(.*)$", re.DOTALL | re.IGNORECASE)
_BARE_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}\s*$")


def _image_from_base64(payload: str, *, claimed_type: str | None) -> tuple[str, bytes]:
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        message = "The image is not valid base64."
        raise ImageRefused(message, errors={"images": [message]}) from error
    return image_check(data, claimed_type=claimed_type)


def image_or_url(reference: str) -> tuple[str, bytes] | str:
    """A data URL, ``base64:<mime>:<payload>`` or bare base64 (taken as PNG, as the Node.js
    backend did; the bytes still decide the type) decoded and checked now; an https URL
    returned as it is, for ``image_fetch`` once the cheap checks of the request (provider,
    quota) have passed. Any other URL scheme (``http://``) is refused at once."""
    if reference[:5].lower() == "data:":
        return image_from_data_url(reference)
    tagged = _BASE64_TAGGED.match(reference)
    if tagged:
        return _image_from_base64(tagged.group(2), claimed_type=tagged.group(1))
    if "://" not in reference[:16] and _BARE_BASE64.match(reference[:4096]) and _BARE_BASE64.match(reference):
        return _image_from_base64(reference, claimed_type=None)
    if urlsplit(reference).scheme.lower() != "https":
        raise _refuse("only https URLs are fetched")
    return reference


def image_fetch(image: tuple[str, bytes] | str) -> tuple[str, bytes]:
    """The checked image, fetching it first when it is still a URL (see ``image_or_url``)."""
    return image_from_url(image) if isinstance(image, str) else image
