"""The server's configuration, read from the environment as Ollama's ``envconfig`` reads it.

``ServerConfig.from_env(environ)`` gives one frozen value: where to listen
(``MFC_HOST``, else ``OLLAMA_HOST``), the allowed browser origins (``OLLAMA_ORIGINS``),
the default keep-alive (``OLLAMA_KEEP_ALIVE``), the scheduler's limits
(``OLLAMA_NUM_PARALLEL``, ``OLLAMA_MAX_QUEUE``, ``OLLAMA_MAX_LOADED_MODELS``) and the
optional API key (``MFC_API_KEY``, which Ollama does not have).

Ollama's rules, kept here: every value is trimmed of spaces, then of quote characters;
an integer that does not parse falls back to its default (with a warning, in
``warnings``); a keep-alive that does not parse is 5 minutes.  Where Ollama refuses to
start (an origin that is not one), ``ServerConfigError`` names the variable and value.

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
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
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


# ---- Go durations (OLLAMA_KEEP_ALIVE, and keep_alive in requests) -----------------------------

#: "Forever": Go's ``math.MaxInt64`` nanoseconds (about 292 years).
FOREVER = 2**63 - 1
DEFAULT_KEEP_ALIVE = 5 * 60 * 10**9
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class DurationError(MfcError):
    """Text that Go's ``time.ParseDuration`` refuses; the message is Go's
    (``time: missing unit in duration "300"``), which Ollama answers with a 400."""

    code = "invalid-duration"


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds from ``"1h30m"``, ``"1.5s"``, ``"-1m"``,
    ``"0"``; a number without a unit is an error, as in Ollama.

    >>> parse_duration("1h2m3.5s"), parse_duration("-1m"), parse_duration("0")
    (3723500000000, -60000000000, 0)
    >>> parse_duration("300")
    Traceback (most recent call last):
    builder.serve.config.DurationError: time: missing unit in duration "300"
    """
    rest, negative = text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    invalid = DurationError(f"time: invalid duration {_go_quote(text)}")
    if rest == "":
        raise invalid
    total = 0
    while rest:
        match = re.match(r"([0-9]*)(?:\.([0-9]*))?", rest)
        assert match is not None  # the pattern matches the empty string
        whole, fraction = match.group(1), match.group(2)
        if not whole and not fraction:
            raise invalid
        rest = rest[match.end() :]
        unit_text = re.split(r"[0-9.]", rest, maxsplit=1)[0]
        if not unit_text:
            raise DurationError(f"time: missing unit in duration {_go_quote(text)}")
        rest = rest[len(unit_text) :]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise DurationError(f"time: unknown unit {_go_quote(unit_text)} in duration {_go_quote(text)}")
        value = int(whole or "0")
        if value > 2**63 // unit:
            raise invalid
        value *= unit
        digits, scale = _leading_fraction(fraction or "")
        if digits:
            value += int(digits * (unit / scale))
        total += value
        if value > 2**63 or total > 2**63:
            raise invalid
    if negative:
        return -total
    if total > FOREVER:
        raise invalid
    return total


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's ``leadingFraction``: the digits as an integer and its scale, ignoring digits
    past the point where the integer would overflow."""
    value, scale = 0, 1.0
    for char in digits:
        if value > FOREVER // 10 or value * 10 + int(char) > 2**63:
            break
        value, scale = value * 10 + int(char), scale * 10
    return value, scale


def _go_quote(text: str) -> str:
    """The ``time`` package's quoting in its error messages."""
    parts = []
    for char in text:
        if ord(char) >= 0x80 or ord(char) < 0x20:
            parts.append("".join(f"\\x{byte:02x}" for byte in char.encode()))
        else:
            parts.append("\\" + char if char in '"\\' else char)
    return '"' + "".join(parts) + '"'


def format_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String``.

    >>> [format_duration(n) for n in (0, 1500, 300 * 10**9, 3723500000000, -10**9)]
    ['0s', '1.5µs', '5m0s', '1h2m3.5s', '-1s']
    """
    sign, value = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if value == 0:
        return "0s"
    if value < 10**3:
        return f"{sign}{value}ns"
    if value < 10**6:
        return f"{sign}{_decimal(value, 3)}µs"
    if value < 10**9:
        return f"{sign}{_decimal(value, 6)}ms"
    seconds = _decimal(value % (60 * 10**9), 9) + "s"
    minutes, hours = value // (60 * 10**9) % 60, value // (3600 * 10**9)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if minutes else f"{sign}{seconds}"


def _decimal(value: int, places: int) -> str:
    whole, fraction = divmod(value, 10**places)
    digits = f"{fraction:0{places}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def parse_keep_alive(value: str) -> int | None:
    """``OLLAMA_KEEP_ALIVE`` as Ollama reads it: a Go duration, else an integer number of
    seconds; negative is ``FOREVER``; ``None`` when neither parses (the caller uses
    the default, 5 minutes).

    >>> [parse_keep_alive(text) for text in ("10m", "60", "-1", "1d")] == [600 * 10**9, 60 * 10**9, FOREVER, None]
    True
    """
    try:
        nanoseconds = parse_duration(value)
    except DurationError:
        if re.fullmatch(r"[+-]?[0-9]+", value) is None or not -(2**63) <= int(value) < 2**63:
            return None
        nanoseconds = int(value) * 10**9  # Go would wrap around past 292 years: forever here
    return FOREVER if nanoseconds < 0 or nanoseconds > FOREVER else nanoseconds


def _seconds_to_nanoseconds(seconds: float) -> int:
    """Go's ``time.Duration(seconds * float64(time.Second))``, at most ``FOREVER``."""
    try:
        nanoseconds = float(seconds) * 1e9
    except OverflowError:
        return FOREVER
    return FOREVER if nanoseconds >= FOREVER else int(nanoseconds)


#: Go's names for JSON value types, in ``Unsupported type: '…'``.
_GO_TYPES = {bool: "bool", list: "[]interface {}", dict: "map[string]interface {}"}


def keep_alive_from_json(value: object) -> int | None:
    """A request's ``keep_alive`` as Ollama decodes it (ollama-api.md §6.3): a number is
    seconds (fractions too), a string a Go duration (``"300"`` is an error), anything
    negative ``FOREVER``; ``None`` when absent or null (the server's default applies).
    Other types are a ``DurationError`` with Go's text, which Ollama answers with a 400.

    >>> [keep_alive_from_json(v) for v in (42.5, "42m", 0, None)]
    [42500000000, 2520000000000, 0, None]
    >>> keep_alive_from_json(True)
    Traceback (most recent call last):
    builder.serve.config.DurationError: Unsupported type: 'bool'
    """
    if value is None:
        return None
    if isinstance(value, str):
        nanoseconds = parse_duration(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        nanoseconds = FOREVER if value < 0 else _seconds_to_nanoseconds(value)
    else:
        raise DurationError(f"Unsupported type: {_GO_TYPES.get(type(value), type(value).__name__)!r}")
    return FOREVER if nanoseconds < 0 else nanoseconds


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
    if re.fullmatch(r"[0-9]+", value) is None or int(value) >= 2**64:
        return None
    return int(value)


# ---- the configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``mfc serve`` reads from the environment.  ``keep_alive`` is in
    nanoseconds (``FOREVER`` for "never unload"); ``num_parallel`` is at least 1 and
    ``max_loaded_models`` is resolved (0 means 3 on a CPU, as in Ollama); ``warnings``
    says which values were ignored.  The API key never appears in ``repr``."""

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str = ""
    origins: tuple[str, ...] = DEFAULT_ORIGINS
    keep_alive: int = DEFAULT_KEEP_ALIVE
    num_parallel: int = 4
    max_queue: int = 512
    max_loaded_models: int = 3
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
        keep_alive_text = env_value(environ, "OLLAMA_KEEP_ALIVE")
        keep_alive = parse_keep_alive(keep_alive_text) if keep_alive_text else DEFAULT_KEEP_ALIVE
        if keep_alive is None:
            warnings.append(f"invalid OLLAMA_KEEP_ALIVE {keep_alive_text!r}, using the default 5m0s")

        def number(key: str, default: int) -> int:
            text = env_value(environ, key)
            parsed = parse_uint(text) if text else default
            if parsed is None:
                warnings.append(f"invalid {key} {text!r}, using the default {default}")
            return default if parsed is None else parsed

        return cls(
            scheme=address.scheme,
            host=address.host,
            port=address.port if port is None else port,
            path=address.path,
            origins=allowed_origins(env_value(environ, "OLLAMA_ORIGINS")),
            keep_alive=DEFAULT_KEEP_ALIVE if keep_alive is None else keep_alive,
            num_parallel=max(number("OLLAMA_NUM_PARALLEL", 4), 1),
            max_queue=number("OLLAMA_MAX_QUEUE", 512),
            max_loaded_models=number("OLLAMA_MAX_LOADED_MODELS", 0) or 3,
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
    def keep_alive_seconds(self) -> float:
        """``keep_alive`` in seconds; ``math.inf`` for ``FOREVER``."""
        return float("inf") if self.keep_alive >= FOREVER else self.keep_alive / 10**9


def _api_key(value: str) -> str | None:
    """``MFC_API_KEY`` trimmed; it must be visible ASCII, which a header can carry."""
    key = value.strip()
    if any(not 0x21 <= ord(char) <= 0x7E for char in key):
        raise ServerConfigError("MFC_API_KEY holds a space or a character an HTTP header cannot carry")
    return key or None
