"""Timing whole processes as a user runs them, for the start-up and build benchmarks: the
``mfc`` console script installed beside this Python (else ``python -m builder.cli.main``),
with bytecode cached as ``pip install`` leaves it (``PYTHONDONTWRITEBYTECODE`` dropped,
so the warm-up run writes what an edit made stale)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def mfc() -> list[str]:
    """The command that starts mfc."""
    script = Path(sys.executable).with_name("mfc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "builder.cli.main"]


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["MFC_MODELS"] = env["OLLAMA_MODELS"] = ""  # never the user's store
    return env


def wall(argv: Sequence[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> float:
    """Seconds from starting ``argv`` to its exit (output captured, not shown)."""
    start = time.perf_counter()
    result = subprocess.run(list(argv), cwd=cwd, env=environment(), capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


def load() -> str:
    """The machine's load, to read the numbers by (other processes share the cores)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"
