"""Go's durations, as Ollama reads and prints them: ``time.ParseDuration`` and
``Duration.String``, ``OLLAMA_KEEP_ALIVE`` (a duration or a number of seconds) and a
request's ``keep_alive`` (ollama-api.md §6.3).  Durations are integer nanoseconds, as
in Go; ``FOREVER`` (Go's ``math.MaxInt64``) is "never unload".

>>> format_duration(parse_duration("90s")), parse_keep_alive("-1") == FOREVER
('1m30s', True)
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

from modelfile.errors import MfcError

#: "Forever": Go's ``math.MaxInt64`` nanoseconds (about 292 years).
FOREVER = 2**63 - 1
DEFAULT_KEEP_ALIVE = 5 * 60 * 10**9
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class DurationError(MfcError):
    """Text that Go's ``time.ParseDuration`` refuses; the message is Go's
    (``time: missing unit in duration "300"``), which Ollama answers with a 400."""

    code = "invalid-duration"
    exit_code = 2


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds from ``"1h30m"``, ``"1.5s"``, ``"-1m"``,
    ``"0"``; a number without a unit is an error, as in Ollama.

    >>> parse_duration("1h2m3.5s"), parse_duration("-1m"), parse_duration("0")
    (3723500000000, -60000000000, 0)
    >>> parse_duration("300")
    Traceback (most recent call last):
    builder.serve.durations.DurationError: time: missing unit in duration "300"
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
        if len(whole) > 40:  # Go's leadingInt overflows long before
            raise invalid
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
        if re.fullmatch(r"[+-]?[0-9]{1,40}", value) is None or not -(2**63) <= int(value) < 2**63:
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
    builder.serve.durations.DurationError: Unsupported type: 'bool'
    """
    if value is None:
        return None
    if isinstance(value, str):
        nanoseconds = parse_duration(value)
    elif isinstance(value, float) and value != value:  # NaN: not JSON, though Python's json reads it
        raise DurationError("keep_alive must be a number of seconds or a duration, not NaN")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        nanoseconds = FOREVER if value < 0 else _seconds_to_nanoseconds(value)
    else:
        raise DurationError(f"Unsupported type: {_GO_TYPES.get(type(value), type(value).__name__)!r}")
    return FOREVER if nanoseconds < 0 else nanoseconds


def request_timings(started: float, ready: float, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` (a final line, an embed answer) with Ollama's ``load_duration`` and
    ``total_duration`` where it has them: from the request's start (``started``,
    ``time.perf_counter()``) until its model was ready (``ready``: the load, the queue,
    a reload's wait; next to nothing when the model was loaded), and until now.  The
    runner's own figures would repeat its load on every request.

    >>> timed_record = request_timings(1.0, 1.5, {"total_duration": 7, "load_duration": 7, "eval_count": 1})
    >>> timed_record["load_duration"], timed_record["total_duration"] >= timed_record["load_duration"]
    (500000000, True)
    >>> request_timings(1.0, 1.5, {"done": True})
    {'done': True}
    """
    if "load_duration" not in record:
        return record
    finished = time.perf_counter()
    load = max(int((ready - started) * 1e9), 1)
    return {**record, "total_duration": max(int((finished - started) * 1e9), load), "load_duration": load}


async def timed(lines: AsyncIterator[dict[str, Any]], started: float, ready: float) -> AsyncIterator[dict[str, Any]]:
    """``lines``, the final one's durations as ``request_timings`` gives them."""
    async for line in lines:
        yield request_timings(started, ready, line) if line.get("done") else line
