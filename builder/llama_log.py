"""llama.cpp's log, routed: everything to standard error with ``verbose``; otherwise its
errors are kept, to become the reason in our own one-line error message (or, when no
call failed, to be shown as warnings by the caller).

llama-cpp-python's own callback reads ggml's log levels with their old numbering
(it prints warnings and hides errors when quiet); ggml.h now numbers them DEBUG=1,
INFO=2, WARN=3, ERROR=4, with 5 continuing the previous line.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

INFO, WARN, ERROR, CONTINUE = 2, 3, 4, 5

_state: dict[str, Any] = {"verbose": False, "last": 0, "callback": None, "listener": None}
recent_errors: deque[str] = deque(maxlen=20)


def install(*, verbose: bool | None = None) -> None:
    """Route llama.cpp's log (call before loading a model or quantizing); ``None``
    keeps the verbosity already chosen (quiet at first)."""
    import llama_cpp

    if verbose is not None:
        _state["verbose"] = verbose
    if _state["callback"] is None:

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
        def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            level = _state["last"] if level == CONTINUE else level
            _state["last"] = level
            message = text.decode("utf-8", errors="replace")
            if _state["listener"] is not None:
                _state["listener"](level, message)
            if _state["verbose"]:
                sys.stderr.write(message)
            elif level == ERROR and message.strip():
                recent_errors.append(message.strip())

        _state["callback"] = callback  # keep a reference: C holds only a pointer
    llama_cpp.llama_log_set(_state["callback"], ctypes.c_void_p(0))


@contextlib.contextmanager
def listening(listener: Callable[[int, str], None]) -> Iterator[None]:
    """Also hand every log fragment (level, text) to ``listener`` meanwhile: how
    quantization progress and reports are read."""
    _state["listener"] = listener
    try:
        yield
    finally:
        _state["listener"] = None


def take_errors() -> list[str]:
    """The error lines llama.cpp logged since the last call, oldest first."""
    errors = list(recent_errors)
    recent_errors.clear()
    return errors


def reason(fallback: object) -> str:
    """Why a llama.cpp call failed: its first logged error since the last take, else ``fallback``."""
    errors = take_errors()
    return errors[0] if errors else str(fallback)
