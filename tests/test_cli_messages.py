"""Smaller slips in what commands say (issue 10, defect 11), each as a user meets it:
a missing store, MF003's message, bad ``cp`` names, ``fmt``'s count, what ``prune``
keeps, ``quantize --list``'s columns, and NO_COLOR/FORCE_COLOR for lint's colours."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from ggufs import write_gguf
from models import REPO

from builder.cli.main import cli


def mfc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    write_gguf(tmp_path / "tiny.gguf", {"general.architecture": "llama"})
    (tmp_path / "Modelfile").write_text("FROM ./tiny.gguf\n")
    assert mfc("build", "-f", str(tmp_path / "Modelfile"), "-t", "tiny", "--store", str(tmp_path / "store"))[0] == 0
    return tmp_path / "store"


def test_verify_of_a_missing_store_is_an_error(tmp_path: Path) -> None:
    code, out, err = mfc("verify", "--store", str(tmp_path / "no" / "such" / "dir"))
    assert code == 1 and "ok" not in out
    assert err == f"error: {tmp_path / 'no' / 'such' / 'dir'}: no store there (no such folder)\n"


def test_mf003_names_the_invisible_character_and_escapes_it(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_bytes("FROM x\nPARAMETER temperature\u00a00.7\n".encode())
    _, out, _ = mfc("lint", str(path))
    first = out.splitlines()[0]
    assert first.endswith(
        "MF003 invisible character U+00A0 NO-BREAK SPACE in PARAMETER name 'temperature\\u00a00.7'"
    ), first
    path.write_bytes(b"FROM x\nPARAMETER temp\x01erature 0.7\n")
    assert "U+0001 (a control character) in PARAMETER name 'temp\\u0001erature'" in mfc("lint", str(path))[1]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a:b:c", "2 ':' after the last '/', where one at most may be (before the tag)"),
        ("bad name!", "it may contain only letters, digits, _ . -"),
    ],
)
def test_cp_to_a_bad_name_says_it_once(store: Path, name: str, problem: str) -> None:
    code, _, err = mfc("cp", "tiny", name, "--store", str(store))
    assert code == 1
    assert err == f"error: destination {name!r} is invalid: {problem}\n"


def test_fmt_does_not_count_a_broken_file_as_unchanged(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").write_text("FROM x\nPARAMTER a 1\n")
    (tmp_path / "b.Modelfile").write_text("from y\n")
    (tmp_path / "c.Modelfile").write_text("FROM z\n")
    code, _, err = mfc("fmt", str(tmp_path))
    assert code == 1
    assert err.splitlines()[-1] == "1 file(s) reformatted, 1 unchanged, 1 not formatted (error above)"


def test_prune_says_what_the_grace_period_kept(store: Path) -> None:
    (store / "blobs" / ("sha256-" + "0" * 64)).write_bytes(b"orphan")
    _, out, _ = mfc("prune", "--store", str(store))
    assert (
        out
        == "removed 0 file(s), 0 B freed; kept 1 unused file(s) (6 B) changed in the last hour (--now prunes them)\n"
    )
    assert mfc("prune", "--now", "--store", str(store))[1] == "removed 1 file(s), 6 B freed\n"


def test_quantize_list_columns_never_run_together() -> None:
    code, out, _ = mfc("quantize", "--list")
    assert code == 0
    header, *rows = out.splitlines()
    assert re.split(r"\s{2,}", header) == ["TYPE", "BPW", "TENSORS", "IMATRIX", "ALIASES"]
    q3km = next(row for row in rows if row.startswith("Q3_K_M "))
    assert re.split(r"\s{2,}", q3km) == ["Q3_K_M", "3.4375", "Q3_K", "optional, improves quality", "Q3_K"]


def lint_output(folder: Path, env: dict[str, str], *, terminal: bool) -> bytes:
    """``mfc lint`` of a Modelfile with an error, its output on a pty or a pipe."""
    (folder / "Modelfile").write_text("FROM x\nPARAMETER temprature 1\n")
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env
    command = [sys.executable, "-m", "builder.cli.main", "lint", str(folder / "Modelfile")]
    if not terminal:
        return subprocess.run(command, env=environment, cwd=REPO, capture_output=True, check=False).stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=subprocess.DEVNULL, env=environment, cwd=REPO)
    os.close(follower)
    output = b""
    while chunk := _read(leader):
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    return output


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the other end closed
        return b""


def test_lint_colours_honour_no_color_and_force_color(tmp_path: Path) -> None:
    assert b"\x1b[" in lint_output(tmp_path, {}, terminal=True)
    assert b"\x1b[" not in lint_output(tmp_path, {"NO_COLOR": "1"}, terminal=True)
    assert b"MF201" in lint_output(tmp_path, {"NO_COLOR": "1"}, terminal=True)
    assert b"\x1b[" not in lint_output(tmp_path, {}, terminal=False)
    assert b"\x1b[31m\x1b[1mMF201" in lint_output(tmp_path, {"FORCE_COLOR": "1"}, terminal=False)
