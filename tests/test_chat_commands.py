"""The slash commands of ``mfc run``'s chat on a terminal (issue 10, defect 8): what
``/show`` prints matches what the Modelfile says, and a short ``/set parameter`` says
what is missing.  Driven through a pty, on the SmolLM2 GGUF."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from models import REPO, smollm2_gguf

from builder import Store, build


class Terminal:
    """``mfc run NAME`` on a pseudo-terminal: send a line, read until the next prompt."""

    def __init__(self, *args: str) -> None:
        self.leader, follower = pty.openpty()
        env = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": "", "TERM": "dumb"}
        command = [sys.executable, "-m", "builder.cli.main", "run", *args]
        self.process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO)
        os.close(follower)
        self.read_until(b">>> ")

    def read_until(self, marker: bytes, timeout: float = 60) -> str:
        seen, deadline = b"", time.monotonic() + timeout
        while marker not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if select.select([self.leader], [], [], 0.5)[0]:
                seen += os.read(self.leader, 4096)
        return seen.decode(errors="replace").replace("\r\n", "\n")

    def send(self, line: str) -> str:
        os.write(self.leader, line.encode() + b"\r")
        return self.read_until(b">>> ")

    def close(self) -> None:
        os.write(self.leader, b"/bye\r")
        assert self.process.wait(timeout=30) == 0
        os.close(self.leader)


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal]:
    folder = tmp_path_factory.mktemp("chat")
    (folder / "Modelfile").write_text(
        f"FROM {smollm2_gguf()}\nPARAMETER temperature 0.1\nPARAMETER num_predict 8\nLICENSE Apache-2.0\n"
    )
    store = Store(folder / "store")
    build(folder / "Modelfile", "tiny", store=store)
    terminal = Terminal("tiny", "--store", str(store.root), "-p", "top_p", "0.3")
    yield terminal
    terminal.close()


def test_show_parameters_prints_the_modelfiles_values_and_only_those_set(chat: Terminal) -> None:
    chat.send("/set parameter repeat_penalty 1.3")
    shown = chat.send("/show parameters")
    assert "temperature                    0.1\n" in shown  # not 0.10000000149011612
    assert "top_p                          0.3\n" in shown  # mfc run -p
    assert "repeat_penalty                 1.3\n" in shown  # /set parameter
    assert "num_predict                    8\n" in shown
    assert "seed" not in shown and "top_k" not in shown  # defaults are not "set"


def test_show_modelfile_and_license(chat: Terminal) -> None:
    modelfile = chat.send("/show modelfile")
    assert "Unknown command" not in modelfile
    assert "FROM sha256:" in modelfile and "PARAMETER temperature 0.1" in modelfile
    assert "Apache-2.0" in chat.send("/show license")
    assert "Unknown command" in chat.send("/show nothing")


def test_set_parameter_without_a_value_says_what_is_missing(chat: Terminal) -> None:
    answer = chat.send("/set parameter seed")
    assert "Unknown command" not in answer
    assert "/set parameter needs a value for seed" in answer
    assert "needs a parameter name and value" in chat.send("/set parameter")
