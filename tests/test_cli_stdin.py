"""Standard input, one rule for every command that reads a Modelfile or a template:
``-`` means standard input, ``--stdin-filename`` implies it (and names it), no argument
means ``./Modelfile``, and data piped to a command that would ignore it is an error.
A closed standard input (``<&-``) is a clear usage error, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from models import mfc


def closed_stdin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``mfc ARGS <&-``: the process starts with no file descriptor 0."""
    return mfc(*args, cwd=cwd, stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))


@pytest.mark.parametrize(
    "args",
    [["parse", "-"], ["lint", "-"], ["fmt", "-"], ["template", "translate", "-"], ["template", "check", "-"]],
)
def test_closed_stdin_is_a_usage_error(args: list[str]) -> None:
    result = closed_stdin(*args)
    assert (result.returncode, result.stderr) == (2, "error: standard input is closed: give a file instead of -\n")
    result = closed_stdin(*args, "--json")
    assert result.returncode == 2 and result.stderr == ""
    assert json.loads(result.stdout) == {
        "ok": False,
        "error": {"code": "stdin-closed", "message": "standard input is closed: give a file instead of -"},
    }


def test_run_with_closed_stdin_is_no_internal_error(tmp_path: Path) -> None:
    result = closed_stdin("run", "nosuch", "--store", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: model 'nosuch:latest' not found")
    assert "internal error" not in result.stderr
