"""Real registries for tests: Debian's ``docker-registry`` (Distribution 2.8) on
loopback with a temporary root, without auth, with htpasswd Basic auth, or with
Distribution's token auth served by a small token server of our own on another port;
and a front that serves blobs by redirect (as S3-backed registries do).

``.ci/run`` installs ``docker-registry`` and ``skopeo`` where they are missing (the
README says so); these helpers fail, not skip, when the binary is absent."""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import http.server
import json
import shutil
import socketserver
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from serving import free_port

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
USER, PASSWORD = "ci-user", "ci-pass-1"


@dataclass
class Registry:
    """A running registry: ``host`` (``127.0.0.1:port``) and what it logged."""

    host: str
    root: Path
    log: Path
    requests: list[str] = field(default_factory=list)  # for fronts: what they saw


def _config(root: Path, port: int, auth: str) -> str:
    lines = [
        "version: 0.1",
        "log:",
        "  level: info",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {root / 'data'}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
    ]
    return "\n".join(lines) + "\n" + auth


@contextlib.contextmanager
def registry(root: Path, *, auth: str = "") -> Iterator[Registry]:
    """``docker-registry serve`` on a free port with ``auth`` (YAML of the ``auth:`` section)."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yml"
    config.write_text(_config(root, port, auth), encoding="utf-8")
    log = root / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{port}/v2/", process, log)
        yield Registry(f"127.0.0.1:{port}", root, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code in (200, 401):
                return
        time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not answer at {url}")


def htpasswd(root: Path) -> str:
    """The ``auth:`` section for Basic auth with ``USER``/``PASSWORD`` (bcrypt, as
    Distribution requires)."""
    import bcrypt

    path = root / "htpasswd"
    root.mkdir(parents=True, exist_ok=True)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{USER}:{hashed}\n", encoding="utf-8")
    return f"auth:\n  htpasswd:\n    realm: test-realm\n    path: {path}\n"


# ---- a token server (Docker's token flow) -------------------------------------------------


class TokenServer:
    """Issues JWTs that Distribution's ``token`` auth accepts: ES256, signed by a
    self-signed certificate that the registry trusts (``x5c`` in the header).  Access is
    granted to ``USER`` with ``PASSWORD`` (any action) and, anonymously, ``pull`` on
    repositories under ``public/``."""

    service = "mfc-test-registry"
    issuer = "mfc-test-token-server"

    def __init__(self, root: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mfc test token issuer")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = root / "token-ca.pem"
        root.mkdir(parents=True, exist_ok=True)
        self.bundle.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.x5c = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        self.port = free_port()
        self.requests: list[dict[str, Any]] = []  # what was asked (never the password)
        self.issued = 0

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def auth_section(self) -> str:
        return (
            "auth:\n  token:\n"
            f"    realm: {self.realm}\n    service: {self.service}\n    issuer: {self.issuer}\n"
            f"    rootcertbundle: {self.bundle}\n"
        )

    def token(self, subject: str, scopes: list[str], authenticated: bool) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            repository, _, actions = rest.rpartition(":")
            wanted = [action for action in actions.split(",") if action]
            granted = (
                wanted if authenticated else [a for a in wanted if a == "pull" and repository.startswith("public/")]
            )
            access.append({"type": kind, "name": repository, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": hashlib.sha256(f"{now}{self.issued}".encode()).hexdigest()[:16],
            "access": access,
        }
        header = {"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]}
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        der = self.key.sign(signing.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        self.issued += 1
        return f"{signing}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    @contextlib.contextmanager
    def serving(self) -> Iterator[TokenServer]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                header = self.headers.get("Authorization", "")
                user = ""
                if header.startswith("Basic "):
                    given = base64.b64decode(header[6:]).decode()
                    if given != f"{USER}:{PASSWORD}":
                        self.send_response(401)
                        self.end_headers()
                        return
                    user = USER
                scopes = query.get("scope", [])
                server.requests.append({"scope": scopes, "service": query.get("service"), "user": user})
                body = json.dumps({"token": server.token(user, scopes, bool(user))}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        with _threaded(Handler, self.port):
            yield self


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@contextlib.contextmanager
def _threaded(handler: type[http.server.BaseHTTPRequestHandler], port: int) -> Iterator[None]:
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


# ---- a front that serves blobs by redirect ------------------------------------------------


@contextlib.contextmanager
def redirecting_front(backend: Registry) -> Iterator[Registry]:
    """A registry front on another port: blob GETs are answered ``307`` with the
    backend's URL (another host:port, as a registry redirecting to S3 does); the rest is
    passed through."""
    port = free_port()
    seen: list[str] = []
    base = f"http://{backend.host}"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _pass(self) -> None:
            seen.append(f"{self.command} {self.path}")
            if self.command == "GET" and "/blobs/sha256:" in self.path:
                self.send_response(307)
                self.send_header("Location", base + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = httpx.request(self.command, base + self.path, headers=headers, content=body)
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(key, value.replace(base, f"http://127.0.0.1:{port}"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.content)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _pass

    with _threaded(Handler, port):
        yield Registry(f"127.0.0.1:{port}", backend.root, backend.log, seen)


@contextlib.contextmanager
def dropping_front(backend: Registry, *, drops: int) -> Iterator[Registry]:
    """A registry front whose first ``drops`` blob answers break off half way (the
    headers promise the whole length; the connection closes after half of it)."""
    port = free_port()
    seen: list[str] = []
    base = f"http://{backend.host}"
    left = [drops]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(f"GET {self.path} {self.headers.get('Range', '')}")
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("range", "accept", "authorization")}
            answer = httpx.get(base + self.path, headers=headers)
            body = answer.content
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            if "/blobs/sha256:" in self.path and left[0] > 0 and len(body) > 1:
                left[0] -= 1
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.end_headers()
            self.wfile.write(body)

    with _threaded(Handler, port):
        yield Registry(f"127.0.0.1:{port}", backend.root, backend.log, seen)
