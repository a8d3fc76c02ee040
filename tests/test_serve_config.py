"""``mfc serve``'s configuration and security checks, as pure library code.

* ``builder.serve.config``: every vector of ``../shared/vectors/api/envconfig.json``
  about a variable the server reads (``OLLAMA_HOST`` server and client side, origins,
  keep-alive, the integers, ``Var``'s trimming) runs here; the others are listed as
  skipped with their reason.  Then Go's duration syntax, mfc's own variables and the
  values Ollama would refuse to start with.
* ``builder.serve.security``: CORS, the Host check and the API key over tables of
  cases from ollama-api.md §11.2-11.3, then ``SecurityMiddleware`` driven by hand
  with ASGI scope, receive and send around a tiny app (no server, no framework).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from vectors import find

from builder.serve.config import (
    DEFAULT_ORIGINS,
    FOREVER,
    DurationError,
    ServerConfig,
    ServerConfigError,
    env_value,
    format_duration,
    parse_duration,
    parse_host,
    parse_uint,
)

ENVCONFIG = "api/envconfig.json"
#: Vector groups this module does not read, and why.
NOT_HERE = {
    "bool": "no boolean variable is read by mfc serve's configuration yet",
    "load_timeout": "OLLAMA_LOAD_TIMEOUT belongs to the scheduler (a later sitting)",
    "context_length": "OLLAMA_CONTEXT_LENGTH belongs to the scheduler's option merging",
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
    read = {"host", "connectable_host", "origins", "keep_alive", "uint", "var"}
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
    assert "s3cret" not in repr(config) + str(config)
    assert ServerConfig.from_env({"MFC_API_KEY": "  "}).api_key is None


def test_an_api_key_a_header_cannot_carry_is_refused_without_showing_it() -> None:
    with pytest.raises(ServerConfigError) as caught:
        ServerConfig.from_env({"MFC_API_KEY": "two words"})
    assert str(caught.value) == "MFC_API_KEY holds a space or a character an HTTP header cannot carry"
