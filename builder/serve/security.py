"""What the server checks before a request reaches a route: Ollama's CORS rules
(``OLLAMA_ORIGINS``), its Host-header check against DNS rebinding, and mfc's optional
API key.  Pure functions over a request's method, path and headers, and
``SecurityMiddleware``, a plain ASGI middleware that applies them in Ollama's order
(CORS, then Host; then the key).

>>> from builder.serve.config import ServerConfig
>>> policy = SecurityPolicy.from_config(ServerConfig.from_env({"MFC_API_KEY": "s3cret"}), hostname="box")
>>> policy.check("GET", "/api/tags", {"host": "localhost:11434", "authorization": "Bearer s3cret"}).status is None
True
>>> policy.check("GET", "/api/tags", {"host": "evil.example:11434"}).status  # DNS rebinding
403
>>> verdict = policy.check("POST", "/v1/chat/completions", {"host": "127.0.0.1:11434"})
>>> verdict.status, json.loads(verdict.body)["error"]["code"]  # OpenAI's error shape under /v1/
(401, 'invalid_api_key')
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from builder.serve.config import ServerConfig

Headers = tuple[tuple[str, str], ...]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

#: A preflight's answer (gin-contrib/cors as Ollama configures it).
ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
ALLOW_HEADERS = ",".join(
    [
        "Authorization",
        "Content-Type",
        "User-Agent",
        "Accept",
        "X-Requested-With",
        "Openai-Beta",  # the OpenAI SDKs' headers, in Go's canonical spelling
        *(
            "X-Stainless-" + name
            for name in (
                "Arch",
                "Async",
                "Custom-Poll-Interval",
                "Helper-Method",
                "Lang",
                "Os",
                "Package-Version",
                "Poll-Helper",
                "Retry-Count",
                "Runtime",
                "Runtime-Version",
                "Timeout",
            )
        ),
    ]
)
MAX_AGE = "43200"  # 12 hours
#: Host names a loopback server answers besides its own name and addresses.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


@dataclass(frozen=True)
class Verdict:
    """The outcome of the checks: ``status`` None lets the request through (adding
    ``headers`` to the app's response); otherwise answer ``status`` with ``headers``
    and ``body`` (empty for Ollama's 403 and 204)."""

    status: int | None = None
    headers: Headers = ()
    body: bytes = b""


# ---- CORS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorsPolicy:
    """Allowed origins compiled as gin-contrib/cors does: exact entries are compared
    trimmed and lower-cased (the request's Origin as sent); an entry with a ``*`` is a
    prefix and a suffix; an entry ``*`` allows every origin."""

    allow_all: bool
    exact: frozenset[str]
    wildcards: tuple[tuple[str, str], ...]

    @classmethod
    def from_origins(cls, origins: Iterable[str]) -> CorsPolicy:
        """From ``ServerConfig.origins`` (validated there)."""
        listed = list(origins)
        wildcards = []
        for entry in listed:
            star = entry.find("*")
            if star == 0:
                wildcards.append(("*", entry[1:]))
            elif star == len(entry) - 1:
                wildcards.append((entry[:star], "*"))
            elif star > 0:
                wildcards.append((entry[:star], entry[star + 1 :]))
        exact = frozenset(entry.strip().lower() for entry in listed)
        return cls("*" in listed, exact, tuple(wildcards))

    def allows(self, origin: str) -> bool:
        """Whether a request from ``origin`` may be answered.

        >>> from builder.serve.config import allowed_origins
        >>> policy = CorsPolicy.from_origins(allowed_origins("https://*.example.com"))
        >>> [policy.allows(o) for o in ("http://localhost:3000", "https://app.example.com", "https://evil.com")]
        [True, True, False]
        """
        if self.allow_all or origin in self.exact:
            return True
        for prefix, suffix in self.wildcards:
            if prefix == "*" and origin.endswith(suffix):
                return True
            if suffix == "*" and origin.startswith(prefix):
                return True
            if origin.startswith(prefix) and origin.endswith(suffix):
                return True
        return False


def cors_verdict(policy: CorsPolicy, method: str, origin: str, host: str) -> Verdict:
    """CORS for one request: no ``Origin`` (or the server's own, ``http(s)://<Host>``)
    is not a CORS request; a disallowed origin is 403 with an empty body; a preflight
    (``OPTIONS``) from an allowed one is 204 with the allowed methods and headers;
    other requests go on, answered with the origin echoed (``*`` when all are allowed).

    >>> policy = CorsPolicy.from_origins(["http://localhost"])
    >>> cors_verdict(policy, "GET", "http://localhost", "127.0.0.1:11434")
    Verdict(status=None, headers=(('Vary', 'Origin'), ('Access-Control-Allow-Origin', 'http://localhost')), body=b'')
    >>> cors_verdict(policy, "POST", "https://evil.example", "127.0.0.1:11434").status
    403
    """
    if not origin or origin in (f"http://{host}", f"https://{host}"):
        return Verdict()
    if not policy.allows(origin):
        return Verdict(403)
    echoed: Headers = () if policy.allow_all else (("Access-Control-Allow-Origin", origin),)
    if method == "OPTIONS":
        preflight: Headers = (
            ("Access-Control-Allow-Methods", ALLOW_METHODS),
            ("Access-Control-Allow-Headers", ALLOW_HEADERS),
            ("Access-Control-Max-Age", MAX_AGE),
        )
        if policy.allow_all:
            return Verdict(204, (*preflight, ("Access-Control-Allow-Origin", "*")))
        vary = tuple(
            ("Vary", name) for name in ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
        )
        return Verdict(204, (*preflight, *vary, *echoed))
    if policy.allow_all:
        return Verdict(None, (("Access-Control-Allow-Origin", "*"),))
    return Verdict(None, (("Vary", "Origin"), *echoed))


# ---- Host header --------------------------------------------------------------------------------

_PRIVATE = tuple(ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def host_allowed(host_header: str, *, hostname: str, local_addresses: frozenset[str] = frozenset()) -> bool:
    """Whether a server bound to loopback answers a request with this Host header
    (Ollama's ``allowedHostsMiddleware``): empty, ``localhost``, the machine's
    ``hostname``, a name under ``.localhost``/``.local``/``.internal``, or an address
    that is loopback, private, unspecified or one of ``local_addresses``.  Unlike
    Ollama, a bracketed IPv6 address without a port (``[::1]``) is read as an address.

    >>> [host_allowed(h, hostname="box") for h in ("localhost:11434", "box", "10.1.2.3", "[::1]:80", "evil.com")]
    [True, True, True, True, False]
    """
    host = _host_part(host_header)
    address = _address(host)
    if address is None:
        name = host.lower()
        return name in ("", "localhost", hostname.lower()) or name.endswith(LOCAL_SUFFIXES)
    plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
    return (
        plain.is_loopback
        or any(plain in network for network in _PRIVATE if network.version == plain.version)
        or address.is_unspecified
        or str(address) in local_addresses
    )


def host_verdict(
    method: str, host_header: str, *, hostname: str, local_addresses: frozenset[str] = frozenset()
) -> Verdict:
    """The Host check of a loopback-bound server: 403 (empty body) for a foreign host;
    an ``OPTIONS`` request naming an allowed host *name* is answered 204 at once."""
    if not host_allowed(host_header, hostname=hostname, local_addresses=local_addresses):
        return Verdict(403)
    if method == "OPTIONS" and _address(_host_part(host_header)) is None:
        return Verdict(204)
    return Verdict()


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address (brackets around IPv6 allowed), else None."""
    try:
        return ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    except ValueError:
        return None


def _host_part(host_header: str) -> str:
    """The host of a ``host:port`` header, as Go's ``net.SplitHostPort`` splits it."""
    if host_header.startswith("["):
        close = host_header.find("]")
        if close > 0 and host_header[close + 1 : close + 2] == ":":
            return host_header[1:close]
        return host_header
    head, colon, _ = host_header.rpartition(":")
    return head if colon and ":" not in head else host_header


def machine_addresses(hostname: str) -> frozenset[str]:
    """This machine's own addresses, as far as its host name resolves (empty if not)."""
    try:
        return frozenset(str(info[4][0]) for info in socket.getaddrinfo(hostname, None))
    except OSError:
        return frozenset()


# ---- API key --------------------------------------------------------------------------------------


def api_key_matches(authorization: str | None, api_key: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <api_key>``, compared in
    constant time (``hmac.compare_digest``).

    >>> api_key_matches("Bearer s3cret", "s3cret"), api_key_matches("bearer s3cret", "s3cret")
    (True, True)
    >>> api_key_matches("Bearer guess", "s3cret"), api_key_matches(None, "s3cret")
    (False, False)
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    same = hmac.compare_digest(token.strip().encode("utf-8", "replace"), api_key.encode("utf-8"))
    return same and scheme.lower() == "bearer"


def unauthorized(path: str, *, sent: bool) -> Verdict:
    """The 401 for a missing (``sent`` False) or wrong key, in the error shape of the
    path's API: OpenAI's under ``/v1/``, Ollama's elsewhere.  The key is never echoed.

    >>> unauthorized("/api/chat", sent=True).body
    b'{"error":"invalid API key"}'
    """
    message = "invalid API key" if sent else "missing API key: send Authorization: Bearer <key>"
    challenge = ("WWW-Authenticate", "Bearer")
    if path.startswith("/v1/"):
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
        body = json.dumps({"error": error}, separators=(",", ":")).encode() + b"\n"
        return Verdict(401, (("Content-Type", "application/json"), challenge), body)
    body = json.dumps({"error": message}, separators=(",", ":")).encode()
    return Verdict(401, (("Content-Type", "application/json; charset=utf-8"), challenge), body)


# ---- all of them ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityPolicy:
    """The checks one server applies.  ``loopback``: the server listens on loopback
    only, so the Host check applies.  The API key never appears in ``repr``."""

    cors: CorsPolicy
    loopback: bool
    hostname: str = ""
    local_addresses: frozenset[str] = frozenset()
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_config(
        cls,
        config: ServerConfig,
        *,
        bound: str | None = None,
        hostname: str | None = None,
        local_addresses: frozenset[str] | None = None,
    ) -> SecurityPolicy:
        """The policy for ``config``.  ``bound`` is the address the server's socket
        actually listens on, where known (Ollama checks that one: a host name in
        ``OLLAMA_HOST`` may resolve to loopback); else ``config.loopback`` decides.
        ``hostname`` and ``local_addresses`` default to this machine's
        (``socket.gethostname()`` and what it resolves to)."""
        loopback = config.loopback if bound is None else replace(config, host=bound.strip("[]")).loopback
        name = socket.gethostname() if hostname is None else hostname
        addresses = machine_addresses(name) if local_addresses is None else local_addresses
        return cls(CorsPolicy.from_origins(config.origins), loopback, name, addresses, config.api_key)

    def check(self, method: str, path: str, headers: Mapping[str, str]) -> Verdict:
        """Apply CORS, the Host check (bound to loopback only) and the API key to a
        request whose ``headers`` have lower-case names."""
        origin, host = headers.get("origin", ""), headers.get("host", "")
        cors = cors_verdict(self.cors, method, origin, host)
        if cors.status is not None:
            return cors
        if self.loopback:
            checked = host_verdict(method, host, hostname=self.hostname, local_addresses=self.local_addresses)
            if checked.status is not None:
                return Verdict(checked.status, cors.headers)
        if self.api_key is not None and not api_key_matches(headers.get("authorization"), self.api_key):
            refused = unauthorized(path, sent="authorization" in headers)
            return Verdict(401, (*refused.headers, *cors.headers), refused.body)
        return cors


class SecurityMiddleware:
    """An ASGI middleware applying a ``SecurityPolicy`` to every HTTP request; other
    scopes (lifespan) pass through.  It needs no framework."""

    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        verdict = self.policy.check(scope["method"], scope["path"], headers)
        extra = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in verdict.headers]
        if verdict.status is not None:
            length = [(b"content-length", str(len(verdict.body)).encode())] if verdict.status != 204 else []
            await send({"type": "http.response.start", "status": verdict.status, "headers": [*extra, *length]})
            body = b"" if scope["method"] == "HEAD" else verdict.body  # a HEAD answer has no body
            await send({"type": "http.response.body", "body": body})
            return
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
