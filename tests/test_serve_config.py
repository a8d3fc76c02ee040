"""``mfc serve``'s configuration and security checks, as pure library code.

* ``builder.serve.config`` and ``builder.serve.durations``: every vector of ``../shared/vectors/api/envconfig.json``
  about a variable the server reads (``OLLAMA_HOST`` server and client side, origins,
  keep-alive, the integers, ``Var``'s trimming) runs here; the others are listed as
  skipped with their reason.  Then Go's duration syntax, mfc's own variables and the
  values Ollama would refuse to start with; a request's ``keep_alive`` (ollama-api.md
  §6.3, ``api_types.json keep_alive_json.*``).
* ``builder.serve.security``: CORS, the Host check and the API key over tables of
  cases from ollama-api.md §11.2-11.3, then ``SecurityMiddleware`` driven by hand
  with ASGI scope, receive and send around a tiny app (no server, no framework).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest
from vectors import find

from builder.serve import security
from builder.serve.config import (
    DEFAULT_ORIGINS,
    ServerConfig,
    ServerConfigError,
    env_value,
    parse_host,
    parse_uint,
)
from builder.serve.durations import FOREVER, DurationError, format_duration, keep_alive_from_json, parse_duration
from builder.serve.security import (
    ALLOW_HEADERS,
    CorsPolicy,
    SecurityMiddleware,
    SecurityPolicy,
    Verdict,
    api_key_matches,
    cors_verdict,
    host_allowed,
    host_verdict,
    unauthorized,
)

ENVCONFIG = "api/envconfig.json"
#: Vector groups this module does not read, and why.
NOT_HERE = {
    "bool": "no boolean variable is read by mfc serve's configuration yet",
    "log_level": "OLLAMA_DEBUG: mfc serve's logging is --verbose",
}


def envconfig(group: str) -> list[Any]:
    path = find(ENVCONFIG)
    if path is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"vector {ENVCONFIG} not found (set MFC_VECTORS)"))]
    vectors = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return [pytest.param(v, id=v["id"]) for v in vectors if v["id"].split(".", 1)[0] == group]


def test_every_vector_group_is_read_or_listed() -> None:
    path = find(ENVCONFIG)
    if path is None:
        pytest.skip(f"vector {ENVCONFIG} not found")
    groups = {v["id"].split(".", 1)[0] for v in json.loads(path.read_text(encoding="utf-8"))["vectors"]}
    read = {"host", "connectable_host", "origins", "keep_alive", "load_timeout", "context_length", "uint", "var"}
    assert groups == read | set(NOT_HERE)


@pytest.mark.parametrize("group", sorted(NOT_HERE))
def test_vectors_not_read_here(group: str) -> None:
    pytest.skip(f"envconfig.json {group}.*: {NOT_HERE[group]}")


# ---- OLLAMA_HOST ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", envconfig("host"))
def test_ollama_host(vector: dict[str, Any]) -> None:
    assert str(parse_host(vector["env"]["OLLAMA_HOST"])) == vector["expect"]
    assert ServerConfig.from_env(vector["env"]).url == vector["expect"]


@pytest.mark.parametrize("vector", envconfig("connectable_host"))
def test_ollama_host_for_a_client(vector: dict[str, Any]) -> None:
    assert ServerConfig.from_env(vector["env"]).connect_url == vector["expect"]


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"MFC_HOST": "0.0.0.0:8080", "OLLAMA_HOST": "1.2.3.4"}, "http://0.0.0.0:8080"),
        ({"MFC_HOST": " ", "OLLAMA_HOST": "1.2.3.4"}, "http://1.2.3.4:11434"),
        ({"MFC_HOST": "'[::1]:9'"}, "http://[::1]:9"),
        ({}, "http://127.0.0.1:11434"),
    ],
)
def test_mfc_host_comes_first(environ: dict[str, str], url: str) -> None:
    assert ServerConfig.from_env(environ).url == url


@pytest.mark.parametrize(
    ("text", "bind", "port", "loopback"),
    [
        ("", "127.0.0.1", 11434, True),
        (":1234", "0.0.0.0", 1234, False),
        ("[::1]:1337", "::1", 1337, True),
        ("localhost", "localhost", 11434, True),
        ("0.0.0.0", "0.0.0.0", 11434, False),
        ("192.168.1.5:8080", "192.168.1.5", 8080, False),
        ("::ffff:127.0.0.1", "127.0.0.1", 11434, True),
        ("1.2.3.4:", "1.2.3.4", 11434, False),  # an empty port is the default
        ("1.2.3.4:+80", "1.2.3.4", 80, False),  # Go's ParseInt takes a sign
    ],
)
def test_where_the_server_listens(text: str, bind: str, port: int, loopback: bool) -> None:
    config = ServerConfig.from_env({"OLLAMA_HOST": text})
    assert (config.bind_host, config.port, config.loopback) == (bind, port, loopback)


def test_options_win_over_the_environment() -> None:
    config = ServerConfig.from_env({"OLLAMA_HOST": "1.2.3.4:5"}, host="0.0.0.0", port=8000, api_key="k")
    assert (config.host, config.port, config.api_key) == ("0.0.0.0", 8000, "k")
    with pytest.raises(ServerConfigError, match=r"^port 70000 is outside 0-65535$"):
        ServerConfig.from_env({}, port=70000)


@pytest.mark.parametrize("vector", envconfig("var"))
def test_values_are_trimmed_as_ollama_trims_them(vector: dict[str, Any]) -> None:
    assert env_value(vector["env"], "OLLAMA_VAR") == vector["expect"]


# ---- OLLAMA_ORIGINS -----------------------------------------------------------------------------


@pytest.mark.parametrize("vector", envconfig("origins"))
def test_ollama_origins(vector: dict[str, Any]) -> None:
    assert list(ServerConfig.from_env(vector["env"]).origins) == vector["expect"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("example.com", "OLLAMA_ORIGINS: 'example.com' is not an origin: start it with http:// or https:// or use a *"),
        ("http://a.example, http://b.example", "OLLAMA_ORIGINS: ' http://b.example' is not an origin"),
        ("http://a.example,", "OLLAMA_ORIGINS: '' is not an origin"),
        ("http://*.example:*", "OLLAMA_ORIGINS: 'http://*.example:*' has more than one *"),
    ],
)
def test_an_origin_ollama_refuses_to_start_with(value: str, message: str) -> None:
    with pytest.raises(ServerConfigError) as caught:
        ServerConfig.from_env({"OLLAMA_ORIGINS": value})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert (caught.value.code, caught.value.exit_code) == ("invalid-server-config", 2)


def test_origins_ollama_accepts() -> None:
    config = ServerConfig.from_env({"OLLAMA_ORIGINS": "*,chrome-extension://abc,moz-extension://*"})
    assert config.origins == ("*", "chrome-extension://abc", "moz-extension://*", *DEFAULT_ORIGINS)


# ---- OLLAMA_KEEP_ALIVE and Go durations ---------------------------------------------------------


@pytest.mark.parametrize("vector", envconfig("keep_alive"))
def test_ollama_keep_alive(vector: dict[str, Any]) -> None:
    keep_alive = ServerConfig.from_env(vector["env"]).keep_alive
    if vector["expect"].startswith("forever"):
        assert keep_alive == FOREVER
    else:
        assert format_duration(keep_alive) == vector["expect"]


@pytest.mark.parametrize("vector", envconfig("load_timeout"))
def test_ollama_load_timeout(vector: dict[str, Any]) -> None:
    load_timeout = ServerConfig.from_env(vector["env"]).load_timeout
    if vector["expect"].startswith("forever"):
        assert load_timeout == FOREVER
    else:
        assert format_duration(load_timeout) == vector["expect"]


@pytest.mark.parametrize("vector", envconfig("context_length"))
def test_ollama_context_length(vector: dict[str, Any]) -> None:
    assert ServerConfig.from_env(vector["env"]).context_length == vector["expect"]


def test_keep_alive_in_seconds_and_the_warning_for_a_bad_one() -> None:
    assert ServerConfig.from_env({}).keep_alive_seconds == 300
    assert ServerConfig.from_env({"OLLAMA_KEEP_ALIVE": "-1"}).keep_alive_seconds == float("inf")
    assert ServerConfig.from_env({"OLLAMA_KEEP_ALIVE": "99999999999999"}).keep_alive == FOREVER  # Go would wrap
    config = ServerConfig.from_env({"OLLAMA_KEEP_ALIVE": "1d"})
    assert config.warnings == ("invalid OLLAMA_KEEP_ALIVE '1d', using the default 5m0s",)


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("-0", 0),
        ("+5s", 5 * 10**9),
        ("1.5h", 5400 * 10**9),
        (".5s", 5 * 10**8),
        ("1.s", 10**9),
        ("-1.5m", -90 * 10**9),
        ("1h1h", 7200 * 10**9),
        ("1µs", 1000),
        ("1μs", 1000),
        ("1us2ns", 1002),
        ("0.000000001s", 1),
        ("9223372036854775807ns", FOREVER),
        ("-9223372036854775808ns", -(2**63)),
        ("2562047h47m16.854775807s", FOREVER),
    ],
)
def test_go_durations(text: str, nanoseconds: int) -> None:
    assert parse_duration(text) == nanoseconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("-", 'time: invalid duration "-"'),
        ("300", 'time: missing unit in duration "300"'),
        ("1h30", 'time: missing unit in duration "1h30"'),
        ("5 m", 'time: unknown unit " m" in duration "5 m"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("2562048h", 'time: invalid duration "2562048h"'),
    ],
)
def test_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (1, "1ns"),
        (1100, "1.1µs"),
        (2_200_000, "2.2ms"),
        (3_500_000_000, "3.5s"),
        (245 * 10**9, "4m5s"),
        (3600 * 10**9, "1h0m0s"),
        (-90 * 10**9, "-1m30s"),
        (FOREVER, "2562047h47m16.854775807s"),
    ],
)
def test_go_duration_strings(nanoseconds: int, text: str) -> None:
    assert format_duration(nanoseconds) == text


# ---- the integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", envconfig("uint"))
@pytest.mark.parametrize(
    ("key", "attribute", "default"),
    [("OLLAMA_MAX_QUEUE", "max_queue", 512), ("OLLAMA_NUM_PARALLEL", "num_parallel", 4)],
)
def test_integers(vector: dict[str, Any], key: str, attribute: str, default: int) -> None:
    text = vector["env"]["OLLAMA_UINT"]
    parsed = parse_uint(text) if text else None
    assert (11434 if parsed is None else parsed) == vector["expect"]
    config = ServerConfig.from_env({key: text})
    expected = default if parsed is None else parsed
    assert getattr(config, attribute) == (max(expected, 1) if attribute == "num_parallel" else expected)
    assert bool(config.warnings) == (text != "" and parsed is None)


def test_numbers_too_long_for_python_to_read_are_invalid_not_a_crash() -> None:
    digits = "9" * 5000  # int() refuses more than 4300 digits
    config = ServerConfig.from_env(
        {"OLLAMA_HOST": f":{digits}", "OLLAMA_NUM_PARALLEL": digits, "OLLAMA_KEEP_ALIVE": digits}
    )
    assert (config.port, config.num_parallel, config.keep_alive) == (11434, 4, 5 * 60 * 10**9)
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(digits + "s")


def test_scheduler_defaults_and_zeroes() -> None:
    config = ServerConfig.from_env({})
    assert (config.num_parallel, config.max_queue, config.max_loaded_models) == (4, 512, 3)
    zero = ServerConfig.from_env({"OLLAMA_NUM_PARALLEL": "0", "OLLAMA_MAX_LOADED_MODELS": "0", "OLLAMA_MAX_QUEUE": "0"})
    assert (zero.num_parallel, zero.max_queue, zero.max_loaded_models) == (1, 0, 3)
    warned = ServerConfig.from_env({"OLLAMA_MAX_LOADED_MODELS": "two"})
    assert warned.warnings == ("invalid OLLAMA_MAX_LOADED_MODELS 'two', using the default 0",)


# ---- MFC_API_KEY ----------------------------------------------------------------------------------


def test_the_api_key_is_read_but_never_shown() -> None:
    config = ServerConfig.from_env({"MFC_API_KEY": " s3cret-Key_1 "})
    assert config.api_key == "s3cret-Key_1"
    policy = SecurityPolicy.from_config(config, hostname="box", local_addresses=frozenset())
    assert "s3cret" not in repr(config) + str(config) + repr(policy)
    assert ServerConfig.from_env({"MFC_API_KEY": "  "}).api_key is None


def test_an_api_key_a_header_cannot_carry_is_refused_without_showing_it() -> None:
    with pytest.raises(ServerConfigError) as caught:
        ServerConfig.from_env({"MFC_API_KEY": "two words"})
    assert str(caught.value) == "MFC_API_KEY holds a space or a character an HTTP header cannot carry"


# ---- CORS ---------------------------------------------------------------------------------------------

DEFAULT_POLICY = CorsPolicy.from_origins(DEFAULT_ORIGINS)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("https://localhost", True),
        ("http://localhost:3000", True),
        ("https://127.0.0.1:8443", True),
        ("http://0.0.0.0:8080", True),
        ("app://obsidian.md", True),
        ("file://", True),
        ("tauri://localhost", True),
        ("vscode-webview://1234", True),
        ("vscode-file://vscode-app", True),
        ("chrome-extension://abcdef", False),  # allowed in OLLAMA_ORIGINS, not by default
        ("http://example.com", False),
        ("http://localhost.evil.com", False),
        ("http://127.0.0.2", False),
        ("null", False),
    ],
)
def test_default_origins(origin: str, allowed: bool) -> None:
    assert DEFAULT_POLICY.allows(origin) is allowed


@pytest.mark.parametrize(
    ("entries", "origin", "allowed"),
    [
        ("https://*.example.com", "https://app.example.com", True),
        ("https://*.example.com", "https://example.org", False),
        ("chrome-extension://*", "chrome-extension://abcdef", True),
        ("http://App.Example", "http://app.example", True),  # entries are lower-cased
        ("*", "https://anything.example", True),
    ],
)
def test_ollama_origins_entries(entries: str, origin: str, allowed: bool) -> None:
    assert CorsPolicy.from_origins(ServerConfig.from_env({"OLLAMA_ORIGINS": entries}).origins).allows(origin) is allowed


PREFLIGHT_HEADERS = (
    "Authorization,Content-Type,User-Agent,Accept,X-Requested-With,Openai-Beta,X-Stainless-Arch,"
    "X-Stainless-Async,X-Stainless-Custom-Poll-Interval,X-Stainless-Helper-Method,X-Stainless-Lang,"
    "X-Stainless-Os,X-Stainless-Package-Version,X-Stainless-Poll-Helper,X-Stainless-Retry-Count,"
    "X-Stainless-Runtime,X-Stainless-Runtime-Version,X-Stainless-Timeout"
)


def test_a_preflight_from_an_allowed_origin() -> None:
    assert ALLOW_HEADERS == PREFLIGHT_HEADERS
    verdict = cors_verdict(DEFAULT_POLICY, "OPTIONS", "http://localhost:5173", "127.0.0.1:11434")
    assert verdict == Verdict(
        204,
        (
            ("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"),
            ("Access-Control-Allow-Headers", PREFLIGHT_HEADERS),
            ("Access-Control-Max-Age", "43200"),
            ("Vary", "Origin"),
            ("Vary", "Access-Control-Request-Method"),
            ("Vary", "Access-Control-Request-Headers"),
            ("Access-Control-Allow-Origin", "http://localhost:5173"),
        ),
    )


@pytest.mark.parametrize(
    ("method", "origin", "host", "expected"),
    [
        ("GET", "", "127.0.0.1:11434", Verdict()),  # not a CORS request
        ("POST", "http://127.0.0.1:11434", "127.0.0.1:11434", Verdict()),  # the server's own origin
        ("POST", "https://evil.example", "127.0.0.1:11434", Verdict(403)),
        ("OPTIONS", "https://evil.example", "127.0.0.1:11434", Verdict(403)),
        (
            "POST",
            "app://obsidian.md",
            "127.0.0.1:11434",
            Verdict(None, (("Vary", "Origin"), ("Access-Control-Allow-Origin", "app://obsidian.md"))),
        ),
    ],
)
def test_cors_answers(method: str, origin: str, host: str, expected: Verdict) -> None:
    assert cors_verdict(DEFAULT_POLICY, method, origin, host) == expected


def test_every_origin_allowed_answers_star() -> None:
    policy = CorsPolicy.from_origins(("*", *DEFAULT_ORIGINS))
    assert cors_verdict(policy, "GET", "https://x.example", "h") == Verdict(
        None, (("Access-Control-Allow-Origin", "*"),)
    )
    preflight = cors_verdict(policy, "OPTIONS", "https://x.example", "h")
    assert preflight.status == 204
    assert ("Access-Control-Allow-Origin", "*") in preflight.headers
    assert all(name != "Vary" for name, _ in preflight.headers)


# ---- the Host check -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("", True),
        ("localhost", True),
        ("localhost:11434", True),
        ("LOCALHOST:11434", True),
        ("box", True),  # the machine's name
        ("Box:11434", True),
        ("printer.local", True),
        ("app.localhost:3000", True),
        ("svc.internal", True),
        ("127.0.0.1:11434", True),
        ("127.9.9.9", True),
        ("[::1]:11434", True),
        ("[::1]", True),  # Ollama refuses this one (no port); mfc reads it as the address it is
        ("10.1.2.3", True),
        ("172.16.0.1:80", True),
        ("172.32.0.1", False),
        ("192.168.0.10", True),
        ("[fd00::1]:11434", True),
        ("0.0.0.0:11434", True),
        ("[::]:11434", True),
        ("[::ffff:127.0.0.1]:80", True),
        ("203.0.113.7", True),  # one of the machine's addresses (below)
        ("8.8.8.8", False),
        ("169.254.1.1", False),
        ("example.com", False),
        ("localhost.evil.com", False),
        ("evil.local.com:11434", False),
        ("box.evil.com", False),
    ],
)
def test_host_check_when_bound_to_loopback(host: str, allowed: bool) -> None:
    assert host_allowed(host, hostname="BOX", local_addresses=frozenset({"203.0.113.7"})) is allowed


def test_host_check_answers() -> None:
    assert host_verdict("GET", "evil.example", hostname="box") == Verdict(403)
    assert host_verdict("OPTIONS", "localhost:11434", hostname="box") == Verdict(204)
    assert host_verdict("OPTIONS", "127.0.0.1:11434", hostname="box") == Verdict()  # an address goes on
    assert host_verdict("GET", "localhost:11434", hostname="box") == Verdict()


@pytest.mark.parametrize(
    ("bind", "status"),
    [
        ("127.0.0.1", 403),
        ("[::1]", 403),
        ("0.0.0.0", None),
        ("10.0.0.2", None),
        ("localhost", 403),
        (":11434", None),
        ("", 403),
    ],
)
def test_the_host_check_applies_only_on_loopback(bind: str, status: int | None) -> None:
    policy = SecurityPolicy.from_config(ServerConfig.from_env({"OLLAMA_HOST": bind}), hostname="box")
    assert policy.check("GET", "/api/tags", {"host": "attacker.example:11434"}).status == status


def test_the_host_check_follows_the_address_actually_bound() -> None:
    config = ServerConfig.from_env({"OLLAMA_HOST": "myhost.example"})
    foreign = {"host": "attacker.example"}
    assert SecurityPolicy.from_config(config, hostname="box").check("GET", "/", foreign).status is None
    assert (
        SecurityPolicy.from_config(config, bound="127.0.0.1", hostname="box").check("GET", "/", foreign).status == 403
    )
    assert SecurityPolicy.from_config(config, bound="[::1]", hostname="box").check("GET", "/", foreign).status == 403


# ---- the API key ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("  Bearer   s3cret ", True),
        ("Bearer s3cre", False),
        ("Bearer s3cret2", False),
        ("Basic s3cret", False),
        ("s3cret", False),
        ("Bearer", False),
        ("", False),
        (None, False),
        ("Bearer sé", False),
    ],
)
def test_api_key_matching(header: str | None, matches: bool) -> None:
    assert api_key_matches(header, "s3cret") is matches


def test_the_api_key_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = security.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    assert api_key_matches("Bearer guess", "s3cret") is False
    assert calls == [(b"guess", b"s3cret")]


KEYED = SecurityPolicy.from_config(ServerConfig.from_env({"MFC_API_KEY": "s3cret"}), hostname="box")


@pytest.mark.parametrize(
    ("path", "headers", "body", "content_type"),
    [
        (
            "/api/chat",
            {},
            {"error": "missing API key: send Authorization: Bearer <key>"},
            "application/json; charset=utf-8",
        ),
        (
            "/api/tags",
            {"authorization": "Bearer nope"},
            {"error": "invalid API key"},
            "application/json; charset=utf-8",
        ),
        ("/", {"authorization": "Bearer nope"}, {"error": "invalid API key"}, "application/json; charset=utf-8"),
        (
            "/v1/chat/completions",
            {"authorization": "Bearer nope"},
            {
                "error": {
                    "message": "invalid API key",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            "application/json",
        ),
        (
            "/v1/models",
            {},
            {
                "error": {
                    "message": "missing API key: send Authorization: Bearer <key>",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            "application/json",
        ),
    ],
)
def test_a_missing_or_wrong_key_is_401_in_the_shape_of_the_api(
    path: str, headers: dict[str, str], body: object, content_type: str
) -> None:
    verdict = KEYED.check("POST", path, {"host": "localhost:11434", **headers})
    assert verdict.status == 401
    assert json.loads(verdict.body) == body
    assert ("Content-Type", content_type) in verdict.headers
    assert ("WWW-Authenticate", "Bearer") in verdict.headers
    assert verdict.body.endswith(b"\n") == path.startswith("/v1/")  # Go's encoder vs c.JSON


def test_the_right_key_passes_and_a_preflight_needs_none() -> None:
    assert KEYED.check("GET", "/api/tags", {"host": "localhost", "authorization": "Bearer s3cret"}) == Verdict()
    preflight = KEYED.check("OPTIONS", "/api/chat", {"host": "localhost", "origin": "http://localhost:3000"})
    assert preflight.status == 204


# ---- the ASGI middleware ------------------------------------------------------------------------------------


class Recorder:
    """A tiny ASGI app that answers 200 ``ok`` and remembers what it saw."""

    def __init__(self) -> None:
        self.scopes: list[Mapping[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def request(
    policy: SecurityPolicy, method: str, path: str, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes, int]:
    """Drive the middleware with one HTTP request: status, headers, body, app calls."""
    app = Recorder()
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(SecurityMiddleware(app, policy)(scope, receive, send))
    start, *bodies = sent
    assert start["type"] == "http.response.start"
    response_headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]]
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in bodies), len(app.scopes)


OPEN = SecurityPolicy.from_config(ServerConfig.from_env({}), hostname="box", local_addresses=frozenset())


def test_middleware_lets_a_good_request_through_with_cors_headers() -> None:
    status, headers, body, calls = request(
        OPEN, "POST", "/api/chat", {"Host": "localhost:11434", "Origin": "http://localhost:3000"}
    )
    assert (status, body, calls) == (200, b"ok", 1)
    assert headers == [
        ("content-type", "text/plain"),
        ("vary", "Origin"),
        ("access-control-allow-origin", "http://localhost:3000"),
    ]


def test_middleware_without_origin_changes_nothing() -> None:
    status, headers, body, calls = request(OPEN, "GET", "/api/tags", {"host": "127.0.0.1:11434"})
    assert (status, headers, body, calls) == (200, [("content-type", "text/plain")], b"ok", 1)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {"host": "rebind.attacker.example:11434"}),
        ("POST", {"host": "localhost:11434", "origin": "https://evil.example"}),
        ("OPTIONS", {"host": "localhost:11434", "origin": "https://evil.example"}),
    ],
)
def test_middleware_forbids_with_an_empty_body(method: str, headers: dict[str, str]) -> None:
    status, response_headers, body, calls = request(OPEN, method, "/api/generate", headers)
    assert (status, body, calls) == (403, b"", 0)
    assert response_headers == [("content-length", "0")]


def test_middleware_answers_a_preflight_itself() -> None:
    status, headers, body, calls = request(
        OPEN, "OPTIONS", "/v1/chat/completions", {"host": "localhost:11434", "origin": "http://localhost:3000"}
    )
    assert (status, body, calls) == (204, b"", 0)
    assert ("access-control-allow-headers", PREFLIGHT_HEADERS) in headers
    assert ("access-control-allow-origin", "http://localhost:3000") in headers


def test_middleware_refuses_a_wrong_key_readably_by_the_browser() -> None:
    status, headers, body, calls = request(
        KEYED,
        "POST",
        "/v1/embeddings",
        {"host": "localhost:11434", "origin": "http://localhost:3000", "authorization": "Bearer x"},
    )
    assert (status, calls) == (401, 0)
    assert json.loads(body)["error"]["message"] == "invalid API key"
    assert ("access-control-allow-origin", "http://localhost:3000") in headers
    assert ("content-length", str(len(body))) in headers
    assert b"s3cret" not in body


def test_middleware_answers_head_without_a_body() -> None:
    status, headers, body, calls = request(KEYED, "HEAD", "/api/tags", {"host": "localhost:11434"})
    assert (status, body, calls) == (401, b"", 0)
    assert ("content-length", str(len(unauthorized("/api/tags", sent=False).body))) in headers


def test_middleware_passes_other_scopes_through() -> None:
    app = Recorder()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(SecurityMiddleware(app, KEYED)({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete"}]
    assert len(app.scopes) == 1


# ---- keep_alive in a request body (ollama-api.md §6.3) ------------------------------------------


def api_types_keep_alive() -> list[Any]:
    path = find("api/api_types.json")
    if path is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="vector api/api_types.json not found"))]
    vectors = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return [pytest.param(v, id=v["id"]) for v in vectors if v["id"].startswith("keep_alive_json.")]


@pytest.mark.parametrize("vector", api_types_keep_alive())
def test_keep_alive_in_a_request(vector: dict[str, Any]) -> None:
    body = json.loads(vector["json"])
    expected = vector["expect"]["keep_alive"]
    keep_alive = keep_alive_from_json(body.get("keep_alive"))
    if expected.startswith("<unset"):
        assert keep_alive is None
    elif expected.startswith("forever"):
        assert keep_alive == FOREVER
    else:
        assert keep_alive is not None and format_duration(keep_alive) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("300", 'time: missing unit in duration "300"'),
        (True, "Unsupported type: 'bool'"),
        ([1], "Unsupported type: '[]interface {}'"),
        ({"s": 1}, "Unsupported type: 'map[string]interface {}'"),
        (float("nan"), "keep_alive must be a number of seconds or a duration, not NaN"),
    ],
)
def test_a_keep_alive_ollama_refuses(value: object, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        keep_alive_from_json(value)
    assert str(caught.value) == message


def test_keep_alive_zero_and_huge_numbers() -> None:
    assert [keep_alive_from_json(v) for v in (0, "0", "0s", 0.0)] == [0, 0, 0, 0]
    assert keep_alive_from_json(1e300) == keep_alive_from_json(10**400) == keep_alive_from_json(float("inf")) == FOREVER
    assert keep_alive_from_json(0.5e-9) == 0  # Go truncates below a nanosecond
