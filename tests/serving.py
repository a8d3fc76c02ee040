"""A real ``mfc serve`` process on loopback for tests, and the small stores it serves.

``running(store)`` starts ``mfc serve --port <free port> --store <store>`` as a
subprocess, waits until ``/`` answers, yields its base URL (a ``Served``: a ``str``
that also knows the server's ``pid``), and terminates it (SIGTERM) at the end,
checking that it stopped cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from ggufs import write_gguf

import builder

REPO = Path(__file__).resolve().parent.parent


class Served(str):
    """A running server's base URL, with the server process's id in ``pid``."""

    pid: int

    def __new__(cls, url: str, pid: int) -> Served:
        served = super().__new__(cls, url)
        served.pid = pid
        return served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tiny_model(folder: Path, store: Path, name: str, modelfile: str = "", **metadata: Any) -> str:
    """Build ``name`` from a GGUF with no tensors (``general.architecture=test`` unless
    given) and the Modelfile lines ``modelfile``; its digest."""
    folder.mkdir(parents=True, exist_ok=True)
    write_gguf(folder / "test.gguf", {"general.architecture": "test", **metadata})
    (folder / "Modelfile").write_text(f"FROM ./test.gguf\n{modelfile}", encoding="utf-8")
    return builder.build(folder / "Modelfile", name, store=store).digest


@contextlib.contextmanager
def running(
    store: Path,
    log: Path,
    *options: str,
    env: dict[str, str] | None = None,
    key: str | None = None,
    address: str | None = None,
) -> Iterator[Served]:
    """``mfc serve`` on ``store`` (with ``options`` and the variables ``env`` added to
    this process's; ``key``: the API key it requires, for the readiness probe): its
    base URL while the block runs.  ``address``: where the server is told (by ``env`` or
    ``options``) to listen; else ``--port`` a free port on 127.0.0.1."""
    with serving_process(store, log, *options, env=env, key=key, address=address) as (url, process):
        yield Served(url, process.pid)
    assert process.returncode == 0, f"mfc serve ended with {process.returncode} after SIGTERM: {log.read_text()}"


@contextlib.contextmanager
def serving_process(
    store: Path,
    log: Path,
    *options: str,
    env: dict[str, str] | None = None,
    key: str | None = None,
    address: str | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``running``, yielding the process too (to signal it); at the end it is sent
    SIGTERM unless it has ended, and waited for (its ``returncode`` is then set)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    where = [] if address else ["--port", str(port)]
    command = [sys.executable, "-m", "builder.cli.main", "serve", *where, "--store", str(store), *options]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        url = f"http://{address or f'127.0.0.1:{port}'}"
        try:
            _wait(process, url, log, {"Authorization": f"Bearer {key}"} if key else {})
            yield url, process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def _wait(process: subprocess.Popen[bytes], url: str, log: Path, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mfc serve exited with {process.returncode}: {log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/", timeout=1, headers=headers).text == "Ollama is running":
                return
        time.sleep(0.1)
    raise AssertionError(f"mfc serve did not answer within 30 s: {log.read_text()}")
