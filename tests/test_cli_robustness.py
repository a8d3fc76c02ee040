"""No input, however malformed, gets a traceback out of ``mfc parse``, ``mfc lint``
or ``mfc fmt``: only exit 0 or 1 and a message; nor does a path a Modelfile names that
the system will not open (too long, under a file, a loop, a FIFO, no permission)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from models import mfc
from strategies import modelfile_bytes

import modelfile
from builder.cli.main import cli

EXAMPLES = int(os.environ.get("MFC_FUZZ_EXAMPLES", "150")) // 3
COMMANDS = [["parse", "--json", "-"], ["lint", "--json", "-"], ["fmt", "-"], ["lint", "-"], ["parse", "-"]]


def invoke(args: list[str], data: bytes) -> int:
    result = CliRunner().invoke(cli, args, input=data, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(modelfile_bytes())
def test_generated_input_never_crashes(data: bytes) -> None:
    for args in COMMANDS:
        assert invoke(args, data) in (0, 1)


NASTY = {
    "nul": b"FROM x\x00\nSYSTEM a\x00b\x00\n\x00",
    "megabyte-line": b"FROM x\nSYSTEM " + b"a" * 1_000_000 + b"\n",
    "megabyte-quote": b'FROM x\nSYSTEM """' + b"x\n" * 500_000,
    "truncated-utf8": b"FROM x\nSYSTEM caf\xc3",
    "truncated-utf16": b"\xff\xfe" + "FROM x\nSYSTEM hi".encode("utf-16-le")[:-1],
    "utf16-no-bom": "FROM x\n".encode("utf-16-le"),
    "lone-surrogates": b"\xff\xfe\x00\xdc\x00\xdcF\x00",
    "only-bom": b"\xef\xbb\xbf",
    "random": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", NASTY)
def test_nasty_input(name: str) -> None:
    for args in COMMANDS:
        assert invoke(args, NASTY[name]) in (0, 1)


def test_nasty_files(tmp_path: Path) -> None:
    for name, data in NASTY.items():
        (tmp_path / f"{name}.Modelfile").write_bytes(data)
    assert invoke(["lint", str(tmp_path)], b"") == 1
    assert invoke(["fmt", "--check", str(tmp_path)], b"") == 1


# ---- paths a Modelfile names that the system will not open ----------------------------------


def _fifo(folder: Path, name: str) -> None:
    os.mkfifo(folder / name)


def _loop(folder: Path) -> None:
    (folder / "loop.gguf").symlink_to("loop.gguf")


def _safetensors_folder_with(folder: Path, make: Callable[[Path], None]) -> None:
    (folder / "model").mkdir()
    (folder / "model" / "config.json").write_text("{}")
    make(folder / "model" / "model.safetensors")


#: name -> (set-up, Modelfile, expected code, words of its message, exit code of ``mfc lint``)
OS_PATHS: dict[str, tuple[Callable[[Path], None], str, str, str, int]] = {
    "name-too-long": (lambda f: None, f"FROM ./{'x' * 300}.gguf\n", "MF103", ".gguf: file name too long", 0),
    "path-under-a-file": (
        lambda f: (f / "file.gguf").write_bytes(b"GGUF"),
        "FROM ./file.gguf/model.gguf\n",
        "MF103",
        "FROM ./file.gguf/model.gguf: not a directory",
        0,
    ),
    "dangling-symlink": (
        lambda f: (f / "lora.gguf").symlink_to("gone.gguf"),
        "FROM llama3.2\nADAPTER ./lora.gguf\n",
        "MF107",
        "does not exist (a symbolic link to 'gone.gguf', which does not exist)",
        0,
    ),
    "symlink-loop": (_loop, "FROM llama3.2\nDRAFT ./loop.gguf\n", "MF111", "too many levels of symbolic links", 0),
    "fifo": (
        lambda f: _fifo(f, "pipe.gguf"),
        "FROM ./pipe.gguf\n",
        "MF103",
        "FROM ./pipe.gguf: is a named pipe (FIFO), not a regular file",
        0,
    ),
    "fifo-adapter": (
        lambda f: _fifo(f, "pipe.gguf"),
        "FROM llama3.2\nADAPTER ./pipe.gguf\n",
        "MF107",
        "ADAPTER ./pipe.gguf: is a named pipe (FIFO), not a regular file",
        0,
    ),
    "fifo-in-a-folder": (
        lambda f: _safetensors_folder_with(f, os.mkfifo),
        "FROM ./model\n",
        "MF104",
        "model.safetensors: is a named pipe (FIFO), not a regular file",
        1,
    ),
    "directory-where-a-file-is-expected": (
        lambda f: _safetensors_folder_with(f, Path.mkdir),
        "FROM ./model\n",
        "MF104",
        "FROM ./model: model.safetensors: is a directory",
        1,
    ),
}


def _crashed(stderr: str) -> bool:
    return "Traceback" in stderr or "internal error" in stderr or "error:" in stderr


@pytest.mark.parametrize("case", OS_PATHS)
def test_os_errors_on_named_paths_are_findings(case: str, tmp_path: Path) -> None:
    setup, text, code, words, exit_code = OS_PATHS[case]
    setup(tmp_path)
    (tmp_path / "Modelfile").write_text(text)
    found = [d for d in modelfile.lint(tmp_path / "Modelfile") if d.code == code]
    assert len(found) == 1 and words in found[0].message and "\n" not in found[0].message
    text_run = mfc("lint", "Modelfile", cwd=tmp_path, timeout=60)  # a FIFO opened would hang here
    assert text_run.returncode == exit_code and not _crashed(text_run.stderr)
    assert code in text_run.stdout and words in text_run.stdout
    json_run = mfc("lint", "Modelfile", "--format", "json", cwd=tmp_path, timeout=60)
    assert json_run.returncode == exit_code and not _crashed(json_run.stderr)
    assert [(d["code"], d["message"]) for d in json.loads(json_run.stdout) if d["code"] == code] == [
        (code, found[0].message)
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; the monkeypatched tests cover it")
def test_a_file_without_read_permission_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "locked.gguf").write_bytes(b"GGUF")
    (tmp_path / "locked.gguf").chmod(0)
    (tmp_path / "Modelfile").write_text("FROM ./locked.gguf\n")
    run = mfc("lint", "Modelfile", "--format", "json", cwd=tmp_path, timeout=60)
    assert run.returncode == 0
    assert [d["message"] for d in json.loads(run.stdout)] == ["FROM ./locked.gguf: permission denied"]


@pytest.mark.parametrize("call", ["stat", "open"])
def test_permission_denied_on_stat_or_open_is_a_finding(
    call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked.gguf").write_bytes(b"GGUF" + bytes(12))
    (tmp_path / "Modelfile").write_text("FROM ./locked.gguf\nADAPTER ./locked.gguf\n")
    real = getattr(os, call)

    def refuse(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("locked.gguf"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, call, refuse)
    found = {d.code: d.message for d in modelfile.lint(tmp_path / "Modelfile")}
    assert found["MF103"] == "FROM ./locked.gguf: permission denied"
    assert found["MF107"] == "ADAPTER ./locked.gguf: permission denied"
    assert "MF104" not in found and "MF108" not in found
