"""The registry clients' TLS: made on first use, and exactly httpx2's verification.

A real HTTPS server on 127.0.0.1 with a certificate from a certificate authority made here
(no public one can be reached); ``SSL_CERT_FILE`` names the authority, as an operator with a
private one would.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hatch_stage.errors import RegistryError
from hatch_stage.http import client, send
from hatch_stage.tls import TLSOnFirstUse


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
                 signer: ec.EllipticCurvePrivateKey, *, authority: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if not authority:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


def _pem(path: Path, *parts: bytes) -> Path:
    path.write_bytes(b"".join(parts))
    return path


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URL, authority's certificate file) of an HTTPS server answering 200 to any GET."""
    directory = tmp_path_factory.mktemp("tls")
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hatch-stage test CA")])
    authority = _certificate("hatch-stage test CA", authority_key, authority_name,
                             authority_key, authority=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", server_key, authority_name, authority_key,
                          authority=False)
    chain = _pem(directory / "server.pem", server.public_bytes(serialization.Encoding.PEM))
    key = _pem(directory / "server.key", server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    authority_file = _pem(directory / "ca.pem",
                          authority.public_bytes(serialization.Encoding.PEM))

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"over TLS"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", authority_file
    finally:
        httpd.shutdown()
        httpd.server_close()


def _context(http: httpx2.Client) -> TLSOnFirstUse:
    """The TLS context of the client's default transport (httpx2 keeps it in its pool)."""
    context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, TLSOnFirstUse)
    return context


def test_tls_is_verified_against_the_configured_authority(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, authority = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(authority))
    with client(url) as http:
        context = _context(http)
        assert not context.made  # nothing asked for TLS yet
        response = send(http, "GET", "/", error=RegistryError, what="read the page")
        assert response.status_code == 200 and response.text == "over TLS"
        assert context.made


def test_a_certificate_from_an_unknown_authority_is_refused(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the test authority, the system's authorities do not vouch for the server."""
    url, _authority = https_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    waits: list[float] = []
    with client(url) as http, pytest.raises(RegistryError) as refused:
        send(http, "GET", "/", error=RegistryError, what="read the page", sleep=waits.append)
    assert f"the TLS certificate of {url} is not trusted" in str(refused.value)
    assert "SSL_CERT_FILE" in str(refused.value)
    assert waits == []  # not tried again: another try meets the same certificate


def test_a_plain_http_registry_never_makes_the_tls_context() -> None:
    """The local registry and test servers speak plain http: no certificates are loaded."""
    with client("http://127.0.0.1:9") as http:
        context = _context(http)
        with pytest.raises(RegistryError):
            send(http, "GET", "/", error=RegistryError, what="reach it", sleep=lambda _: None)
        assert not context.made
