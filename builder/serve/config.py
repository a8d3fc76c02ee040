"""The server's configuration, read from the environment as Ollama's ``envconfig`` reads it.

``ServerConfig.from_env(environ)`` gives one frozen value: where to listen
(``MFC_HOST``, else ``OLLAMA_HOST``), the allowed browser origins (``OLLAMA_ORIGINS``),
the default keep-alive (``OLLAMA_KEEP_ALIVE``), the scheduler's limits
(``OLLAMA_NUM_PARALLEL``, ``OLLAMA_MAX_QUEUE``, ``OLLAMA_MAX_LOADED_MODELS``,
``OLLAMA_LOAD_TIMEOUT``, ``OLLAMA_CONTEXT_LENGTH``), the optional API key
(``MFC_API_KEY``) and the request body limit (``MFC_MAX_BODY``), which Ollama does not
have, and how long a stopping server lets the open requests finish
(``MFC_SHUTDOWN_GRACE``: a Go duration or seconds, 10 s unless set; negative waits for
them however long they take).

Ollama's rules, kept here: every value is trimmed of spaces, then of quote characters;
an integer that does not parse falls back to its default (with a warning, in
``warnings``); a keep-alive that does not parse is 5 minutes (``durations`` reads
Go's durations).  Where Ollama refuses to start (an origin that is not one),
``ServerConfigError`` names the variable and value.

>>> from builder.serve.durations import format_duration
>>> config = ServerConfig.from_env({"OLLAMA_HOST": "0.0.0.0:8080", "OLLAMA_KEEP_ALIVE": "90"})
>>> config.url, config.bind_host, config.port, config.loopback
('http://0.0.0.0:8080', '0.0.0.0', 8080, False)
>>> format_duration(config.keep_alive), config.num_parallel, config.max_queue, config.max_loaded_models
('1m30s', 4, 512, 3)
>>> ServerConfig.from_env({"MFC_API_KEY": "s3cret"})  # the key is never shown
ServerConfig(scheme='http', host='127.0.0.1', port=11434, path='', ...)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from builder.serve.durations import DEFAULT_KEEP_ALIVE, FOREVER, parse_keep_alive
from modelfile.errors import MfcError


class ServerConfigError(MfcError):
    """An environment variable (or ``mfc serve`` option) the server cannot start with;
    the message names the variable and the value (never an API key's value)."""

    code = "invalid-server-config"
    exit_code = 2


def env_value(environ: Mapping[str, str], key: str) -> str:
    """A variable as Ollama's ``envconfig.Var`` reads it: spaces trimmed, then every
    leading and trailing quote character (``"`` or ``'``); unset is ``""``.

    >>> env_value({"OLLAMA_HOST": ' "1.2.3.4" '}, "OLLAMA_HOST"), env_value({}, "OLLAMA_HOST")
    ('1.2.3.4', '')
    """
    return environ.get(key, "").strip().strip("\"'")


# ---- OLLAMA_HOST ------------------------------------------------------------------------------

DEFAULT_PORT = 11434


@dataclass(frozen=True)
class HostURL:
    """``OLLAMA_HOST`` parsed: ``host`` is empty for "every interface" (``:1234``),
    ``path`` has no leading ``/``.  ``str()`` is Ollama's URL form."""

    scheme: str
    host: str
    port: int
    path: str = ""

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        path = f"/{self.path}" if self.path else ""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def connectable(self) -> HostURL:
        """Where a client on this machine connects: an unspecified address (``0.0.0.0``,
        ``::``, or none) becomes loopback, as Ollama's ``ConnectableHost`` does.

        >>> str(parse_host("0.0.0.0:1234").connectable()), str(parse_host("[::]").connectable())
        ('http://127.0.0.1:1234', 'http://[::1]:11434')
        """
        if self.host == "":
            return HostURL(self.scheme, "127.0.0.1", self.port, self.path)
        address = _ip_address(self.host)
        if address is None or not address.is_unspecified:
            return self
        loopback = "127.0.0.1" if address.version == 4 else "::1"
        return HostURL(self.scheme, loopback, self.port, self.path)


def parse_host(value: str) -> HostURL:
    """``OLLAMA_HOST`` (or ``mfc serve --host``) parsed exactly as Ollama's
    ``envconfig.Host``: an optional ``http://``/``https://`` (default ports 80 and 443,
    11434 without a scheme), default host 127.0.0.1, a bare IPv6 address, a path; a
    port outside 0-65535 falls back to the default; ``ollama.com`` means its HTTPS site.

    >>> [str(parse_host(text)) for text in ("", ":1234", "::1", "https://example.com/ollama")]
    ['http://127.0.0.1:11434', 'http://:1234', 'http://[::1]:11434', 'https://example.com:443/ollama']
    """
    text = value.strip().strip("\"'").strip()
    scheme, found, hostport = text.partition("://")
    default_port = str(DEFAULT_PORT)
    if not found:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    elif scheme == "http":
        default_port = "80"
    elif scheme == "https":
        default_port = "443"
    hostport, _, path = hostport.partition("/")
    split = _split_host_port(hostport)
    if split is None:
        host, port = "127.0.0.1", default_port
        address = _ip_address(hostport.strip("[]"))
        if address is not None:
            host = _go_ip_string(address)
        elif hostport:
            host = hostport
    else:
        host, port = split
    number = _port_number(port)
    if number is None:
        number = int(default_port)
    return HostURL(scheme, host, number, path)


def _port_number(text: str) -> int | None:
    """Go's ``strconv.ParseInt(port, 10, 32)`` within 0-65535, else None."""
    if re.fullmatch(r"[+-]?[0-9]{1,20}", text) is None:  # longer overflows Go's int32 anyway
        return None
    number = int(text)
    return number if 0 <= number <= 65535 else None


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """Go's ``net.SplitHostPort``; None where it returns an error."""
    last = hostport.rfind(":")
    if last < 0:
        return None
    start, end = 0, 0
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0 or close + 1 != last:
            return None
        host = hostport[1:close]
        start, end = 1, close + 1
    else:
        host = hostport[:last]
        if ":" in host:
            return None
    if "[" in hostport[start:] or "]" in hostport[end:]:
        return None
    return host, hostport[last + 1 :]


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Go's ``net.ParseIP``: no zone (``%eth0``), else as Python reads it."""
    if "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _go_ip_string(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Go prints an IPv4-mapped IPv6 address as plain IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


# ---- OLLAMA_ORIGINS -----------------------------------------------------------------------------

#: Always allowed after the user's origins (Ollama's ``AllowedOrigins``).
DEFAULT_ORIGINS = (
    *(
        f"{scheme}://{host}{port}"
        for host in ("localhost", "127.0.0.1", "0.0.0.0")
        for port in ("", ":*")
        for scheme in ("http", "https")
    ),
    "app://*",
    "file://*",
    "tauri://*",
    "vscode-webview://*",
    "vscode-file://*",
)
#: What an origin without a ``*`` must start with (gin-contrib/cors with browser extensions).
ORIGIN_SCHEMES = (
    "http://",
    "https://",
    "chrome-extension://",
    "safari-extension://",
    "moz-extension://",
    "ms-browser-extension://",
)


def allowed_origins(value: str) -> tuple[str, ...]:
    """``OLLAMA_ORIGINS`` (comma-separated) followed by Ollama's default origins.  An
    entry that Ollama's CORS set-up rejects at start-up (no scheme and no ``*``, or two
    ``*``) is a ``ServerConfigError``.

    >>> allowed_origins("https://app.example,http://*.example")[:3]
    ('https://app.example', 'http://*.example', 'http://localhost')
    >>> allowed_origins("app.example")
    Traceback (most recent call last):
    builder.serve.config.ServerConfigError: OLLAMA_ORIGINS: 'app.example' is not an origin: ...
    """
    entries = value.split(",") if value else []
    for entry in entries:
        if "*" not in entry and not entry.startswith(ORIGIN_SCHEMES):
            raise ServerConfigError(
                f"OLLAMA_ORIGINS: {entry!r} is not an origin: start it with http:// or https:// or use a *"
            )
        if entry.count("*") > 1:
            raise ServerConfigError(f"OLLAMA_ORIGINS: {entry!r} has more than one *")
    return (*entries, *DEFAULT_ORIGINS)


# ---- integers -------------------------------------------------------------------------------------


def parse_uint(value: str) -> int | None:
    """Go's ``strconv.ParseUint(value, 10, 64)``: decimal digits only, else None.

    >>> parse_uint("1337"), parse_uint("-1"), parse_uint("0x10")
    (1337, None, None)
    """
    if re.fullmatch(r"[0-9]{1,40}", value) is None or int(value) >= 2**64:
        return None
    return int(value)


#: The largest request body a JSON route reads (``MFC_MAX_BODY``): room for a chat
#: request carrying several base64 images.  Blob uploads are not limited by it.
DEFAULT_MAX_BODY = 32 * 1024 * 1024
_BYTE_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}


def parse_byte_size(value: str) -> int | None:
    """A size in bytes: digits with an optional unit (``KB``, ``KiB``, ``MB``, ``MiB``,
    ``GB``, ``GiB``, any case); None if it is not one.

    >>> parse_byte_size("1048576"), parse_byte_size("32MiB"), parse_byte_size("2 kb"), parse_byte_size("x")
    (1048576, 33554432, 2000, None)
    """
    match = re.fullmatch(r"([0-9]{1,19})\s*([a-zA-Z]*)", value.strip())
    if match is None or match.group(2).lower() not in _BYTE_UNITS:
        return None
    return int(match.group(1)) * _BYTE_UNITS[match.group(2).lower()]


# ---- the configuration --------------------------------------------------------------------------

#: How long a stopping server lets the open requests finish (nanoseconds).
DEFAULT_SHUTDOWN_GRACE = 10 * 10**9


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``mfc serve`` reads from the environment.  ``keep_alive`` and
    ``load_timeout`` are in nanoseconds (``FOREVER`` for "never unload" and "no
    timeout"); ``context_length`` (the default ``num_ctx``) 0 is mfc's default, 4096;
    ``num_parallel`` is at least 1 and
    ``max_loaded_models`` is resolved (0 means 3 on a CPU, as in Ollama); ``max_body`` is
    the request body limit in bytes (0: none); ``warnings``
    says which values were ignored.  The API key never appears in ``repr``."""

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str = ""
    origins: tuple[str, ...] = DEFAULT_ORIGINS
    keep_alive: int = DEFAULT_KEEP_ALIVE
    load_timeout: int = DEFAULT_KEEP_ALIVE
    context_length: int = 0
    num_parallel: int = 4
    max_queue: int = 512
    max_loaded_models: int = 3
    max_body: int = DEFAULT_MAX_BODY
    shutdown_grace: int = DEFAULT_SHUTDOWN_GRACE
    api_key: str | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        host: str | None = None,
        port: int | None = None,
        api_key: str | None = None,
    ) -> ServerConfig:
        """Read ``environ`` (``os.environ``); ``host``, ``port`` and ``api_key`` are
        ``mfc serve``'s options, which win over the variables."""
        warnings: list[str] = []
        variable = "MFC_HOST" if env_value(environ, "MFC_HOST") else "OLLAMA_HOST"
        address = parse_host(environ.get(variable, "") if host is None else host)
        if port is not None and not 0 <= port <= 65535:
            raise ServerConfigError(f"port {port} is outside 0-65535")

        def duration(key: str) -> int:
            text = env_value(environ, key)
            parsed = parse_keep_alive(text) if text else DEFAULT_KEEP_ALIVE
            if parsed is None:
                warnings.append(f"invalid {key} {text!r}, using the default 5m0s")
            return DEFAULT_KEEP_ALIVE if parsed is None else parsed

        def number(key: str, default: int) -> int:
            text = env_value(environ, key)
            parsed = parse_uint(text) if text else default
            if parsed is None:
                warnings.append(f"invalid {key} {text!r}, using the default {default}")
            return default if parsed is None else parsed

        max_body = parse_byte_size(env_value(environ, "MFC_MAX_BODY") or str(DEFAULT_MAX_BODY))
        if max_body is None:
            warnings.append(f"invalid MFC_MAX_BODY {env_value(environ, 'MFC_MAX_BODY')!r}, using the default 32MiB")
        return cls(
            scheme=address.scheme,
            host=address.host,
            port=address.port if port is None else port,
            path=address.path,
            origins=allowed_origins(env_value(environ, "OLLAMA_ORIGINS")),
            keep_alive=duration("OLLAMA_KEEP_ALIVE"),
            load_timeout=duration("OLLAMA_LOAD_TIMEOUT") or FOREVER,
            context_length=number("OLLAMA_CONTEXT_LENGTH", 0),
            num_parallel=max(number("OLLAMA_NUM_PARALLEL", 4), 1),
            max_queue=number("OLLAMA_MAX_QUEUE", 512),
            max_loaded_models=number("OLLAMA_MAX_LOADED_MODELS", 0) or 3,
            max_body=DEFAULT_MAX_BODY if max_body is None else max_body,
            shutdown_grace=_grace(env_value(environ, "MFC_SHUTDOWN_GRACE"), warnings),
            api_key=_api_key(environ.get("MFC_API_KEY", "") if api_key is None else api_key),
            warnings=tuple(warnings),
        )

    @property
    def url(self) -> str:
        """The server's address as Ollama prints it (``http://127.0.0.1:11434``)."""
        return str(HostURL(self.scheme, self.host, self.port, self.path))

    @property
    def connect_url(self) -> str:
        """Where a client on this machine reaches the server (loopback for ``0.0.0.0``)."""
        return str(HostURL(self.scheme, self.host, self.port, self.path).connectable())

    @property
    def bind_host(self) -> str:
        """The address to listen on: every IPv4 interface where ``OLLAMA_HOST`` names none."""
        return self.host or "0.0.0.0"

    @property
    def loopback(self) -> bool:
        """Whether the server listens on loopback only (then the Host check applies)."""
        if self.host.lower() == "localhost":
            return True
        address = _ip_address(self.host)
        return address is not None and address.is_loopback

    @property
    def shutdown_grace_seconds(self) -> int | None:
        """``shutdown_grace`` in whole seconds, rounded up (what uvicorn takes); ``None``
        for "as long as they take".

        >>> ServerConfig().shutdown_grace_seconds, ServerConfig(shutdown_grace=1).shutdown_grace_seconds
        (10, 1)
        """
        return None if self.shutdown_grace >= FOREVER else -(-self.shutdown_grace // 10**9)

    @property
    def keep_alive_seconds(self) -> float:
        """``keep_alive`` in seconds; ``math.inf`` for ``FOREVER``."""
        return float("inf") if self.keep_alive >= FOREVER else self.keep_alive / 10**9


def _grace(text: str, warnings: list[str]) -> int:
    """``MFC_SHUTDOWN_GRACE`` as ``OLLAMA_KEEP_ALIVE`` is read (a Go duration, else
    seconds; negative is ``FOREVER``); 10 s when unset or invalid (with a warning).

    >>> _grace("30s", []), _grace("2", []), _grace("-1", []) == FOREVER, _grace("soon", [])
    (30000000000, 2000000000, True, 10000000000)
    """
    parsed = parse_keep_alive(text) if text else DEFAULT_SHUTDOWN_GRACE
    if parsed is None:
        warnings.append(f"invalid MFC_SHUTDOWN_GRACE {text!r}, using the default 10s")
        return DEFAULT_SHUTDOWN_GRACE
    return parsed


def _api_key(value: str) -> str | None:
    """``MFC_API_KEY`` trimmed; it must be visible ASCII, which a header can carry."""
    key = value.strip()
    if any(not 0x21 <= ord(char) <= 0x7E for char in key):
        raise ServerConfigError("MFC_API_KEY holds a space or a character an HTTP header cannot carry")
    return key or None
