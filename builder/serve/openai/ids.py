"""The ids and timestamps of OpenAI answers, as Ollama makes them: ``chatcmpl-`` or
``cmpl-`` and a random number below 999 (not unique across requests, ollama-api.md
§10.2), and ``created`` in Unix seconds from an Ollama line's ``created_at``.

>>> completion_id("chatcmpl-").startswith("chatcmpl-")
True
>>> unix_seconds("2009-02-13T23:31:30Z"), unix_seconds("2023-11-14T22:13:20.123456789Z")
(1234567890, 1700000000)
>>> unix_seconds("0001-01-01T00:00:00Z") > 1700000000  # the zero time: now
True
"""

from __future__ import annotations

import random
import re
import time
from datetime import datetime

#: Go's zero time, which Ollama answers with when a line has no ``created_at``.
ZERO_TIME = "0001-01-01T00:00:00Z"

_FRACTION = re.compile(r"\.(\d+)")


def completion_id(prefix: str) -> str:
    """``prefix`` and a random integer 0–998, as Ollama numbers its completions."""
    return f"{prefix}{random.randrange(999)}"


def unix_seconds(created_at: str | None) -> int:
    """An RFC 3339 timestamp (up to nanoseconds) in whole Unix seconds; missing, the zero
    time or unreadable: now."""
    if not created_at or created_at == ZERO_TIME:
        return int(time.time())
    text = _FRACTION.sub(lambda match: "." + match.group(1)[:6], created_at.replace("Z", "+00:00"), count=1)
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return int(time.time())
