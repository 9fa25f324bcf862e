"""A local HTTPS git server for the clone tests: dulwich's smart-HTTP WSGI app over TLS with a
self-signed certificate for `repo.test`, or a server that only redirects."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HOST = "repo.test"


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def https_server(app, directory: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """Serve `app` over TLS on a free loopback port: (port, the CA file, the Host headers seen)."""
    cert, key = self_signed(directory)
    hosts: list[str] = []

    def recording(environ, start_response):
        hosts.append(environ.get("HTTP_HOST", ""))
        return app(environ, start_response)

    server: WSGIServer = make_server("127.0.0.1", 0, recording, handler_class=_Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, cert, hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def git_app(repo_path: Path):
    from dulwich.repo import Repo
    from dulwich.server import DictBackend
    from dulwich.web import make_wsgi_chain

    return make_wsgi_chain(DictBackend({"/org/repo": Repo(str(repo_path))}))


def redirecting_app(location: str):
    def app(environ, start_response):
        start_response("302 Found", [("Location", location), ("Content-Length", "0")])
        return [b""]

    return app
