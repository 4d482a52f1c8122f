"""An HTTPS image server on a loopback address, with a throwaway CA made at test time.

Serves ``/image.png`` (a real 1x1 PNG), ``/not-an-image.png`` (HTML bytes sent as
image/png), ``/page`` (text/html), ``/big.png`` (past the size limit) and
``/redirect?to=URL`` (302 to URL) and ``/slow.png`` (the PNG one byte at a time,
``drip_seconds`` apart). It records each request's Host header and the
TLS SNI name it was reached with.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import struct
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scribe.testing.http import StubHandler, serve, stop


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = png_1x1()


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) for localhost, 127.0.0.1 and 127.0.0.2."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Scribe test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.2")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


class ImageServer:
    def __init__(self, host: str, cert_path: Path, key_path: Path, *, big_bytes: int = 6 * 1_048_576) -> None:
        self.host = host
        self.requests: list[dict[str, str | None]] = []
        self.big_bytes = big_bytes
        self.drip_seconds = 0.05
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)

        def remember_sni(ssl_socket, server_name, _context):
            self._last_sni = server_name

        self._last_sni: str | None = None
        context.sni_callback = remember_sni
        self._server = serve(self._handler(), host=host, tls=context)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str, host: str | None = None) -> str:
        return f"https://{host or self.host}:{self.port}{path}"

    def close(self) -> None:
        stop(self._server)

    def _handler(self):
        server = self

        class Handler(StubHandler):
            protocol_version = "HTTP/1.0"  # one request per connection, as before

            def do_GET(self):
                server.requests.append({"path": self.path, "host": self.headers.get("Host"), "sni": server._last_sni})
                parts = urlsplit(self.path)
                if parts.path == "/image.png":
                    return self._send(200, PNG, content_type="image/png")
                if parts.path == "/not-an-image.png":
                    return self._send(200, b"<html>hello</html>", content_type="image/png")
                if parts.path == "/page":
                    return self._send(200, b"<html>hello</html>", content_type="text/html")
                if parts.path == "/big.png":
                    return self._send(200, PNG + b"\0" * server.big_bytes, content_type="image/png")
                if parts.path == "/slow.png":
                    return self._drip(PNG)
                if parts.path == "/redirect":
                    target = parse_qs(parts.query)["to"][0]
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._send(404, b"not found", content_type="text/plain")

            def _drip(self, body):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for index in range(len(body)):
                        self.wfile.write(body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(server.drip_seconds)
                except OSError:
                    pass  # the client gave up

        return Handler


def image_servers() -> tuple[ImageServer, ImageServer, Path, tempfile.TemporaryDirectory]:
    """Two servers with one certificate from one throwaway CA, on 127.0.0.1 and 127.0.0.2;
    returns them, the CA's PEM path and the directory holding it (delete when done)."""
    directory = tempfile.TemporaryDirectory()
    ca_path, cert_path, key_path = _certificates(Path(directory.name))
    first = ImageServer("127.0.0.1", cert_path, key_path)
    second = ImageServer("127.0.0.2", cert_path, key_path)
    return first, second, ca_path, directory
