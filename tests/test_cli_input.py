"""What commands read, as users meet it.

Standard input, one rule for every command that reads a Modelfile or a template: ``-``
means standard input, ``--stdin-filename`` implies it (and names it), no argument means
``./Modelfile``, and data piped to a command that would ignore it is an error.  A closed
standard input (``<&-``) is a clear usage error, never a traceback.  ``fmt --json``
changes only the output format.  Only Modelfiles are read: folder discovery and the
pre-commit pattern agree on names, and binary input is "not a text file" at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ggufs import write_gguf
from models import mfc

import modelfile
from builder.cli.main import cli


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


# ---- the one rule: -, --stdin-filename, ./Modelfile, no ignored pipe -----------------------


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder (the current one) with ./Modelfile and sub/Modelfile, both unformatted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    for path in ("Modelfile", "sub/Modelfile"):
        (tmp_path / path).write_text("from x\n")
    return tmp_path


def test_piped_fmt_without_dash_rewrites_nothing(project: Path) -> None:
    """``printf 'from x' | mfc fmt`` used to rewrite every Modelfile under the folder."""
    result = mfc("fmt", cwd=project, input="from x\n")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: standard input would be ignored: pass - to read it\n"
    assert [(project / p).read_text() for p in ("Modelfile", "sub/Modelfile")] == ["from x\n", "from x\n"]
    assert invoke("fmt", "-", stdin="from x\n").output == "FROM x\n"


@pytest.mark.parametrize(
    ("args", "dash"),
    [
        (["lint"], "-"),
        (["lint", "Modelfile"], "-"),
        (["parse"], "-"),
        (["template", "check"], "-"),
        (["build", "-t", "m", "--dry-run"], "-f -"),
        (["create", "m", "-f", "Modelfile", "--dry-run"], "-f -"),
    ],
)
def test_piped_input_that_would_be_ignored_is_refused(project: Path, args: list[str], dash: str) -> None:
    result = invoke(*args, "--json", stdin="FROM y\n")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": "stdin-ignored",
        "message": f"standard input would be ignored: pass {dash} to read it",
    }


def test_no_argument_means_dot_modelfile(project: Path) -> None:
    """lint, fmt, parse and template read ./Modelfile, not the folder's tree nor stdin."""
    (project / "Modelfile").write_text('from x\nTEMPLATE "{{ .Prompt }}"\n')
    (project / "sub" / "Modelfile").write_text("PARAMTER broken\n")
    assert invoke("lint").exit_code == 0  # sub/Modelfile is not read
    assert invoke("fmt").exit_code == 0
    assert (project / "Modelfile").read_text() == 'FROM x\nTEMPLATE "{{ .Prompt }}"\n'
    assert (project / "sub" / "Modelfile").read_text() == "PARAMTER broken\n"
    parsed = invoke("parse", "--json")
    assert json.loads(parsed.stdout)["commands"][0] == {"name": "model", "args": "x"}
    translated = invoke("template", "translate", "--json")
    assert translated.exit_code == 0 and "prompt" in json.loads(translated.stdout)["variables"]
    assert invoke("lint", ".").exit_code == 1  # a folder argument still searches it


def test_no_modelfile_here_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mfc parse`` with no file used to wait on the terminal, or report a missing FROM."""
    monkeypatch.chdir(tmp_path)
    for args in (["parse"], ["lint"], ["fmt"], ["template", "check"]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "error: no ./Modelfile here: name a file (or a folder to search), or - for standard input" in (
            result.stderr
        )


def test_stdin_filename_implies_stdin(project: Path) -> None:
    """``mfc lint --stdin-filename sub/Modelfile`` used to lint the tree, not stdin."""
    (project / "sub" / "m.gguf").write_bytes(b"")
    result = invoke("lint", "--json", "--stdin-filename", "sub/Modelfile", stdin="FROM ./m.gguf\nPARAMTER x\n")
    found = json.loads(result.stdout)["diagnostics"]
    assert {(d["path"], d["code"]) for d in found} == {("sub/Modelfile", "MF001"), ("sub/Modelfile", "MF104")}
    parsed = invoke("parse", "--stdin-filename", "sub/Modelfile", stdin="FROM x\nPARAMTER x\n")
    assert parsed.exit_code == 1 and parsed.stderr.startswith("sub/Modelfile:2:1: MF001")
    formatted = invoke("fmt", "--stdin-filename", "sub/Modelfile", stdin="from x\n")
    assert formatted.output == "FROM x\n" and (project / "sub" / "Modelfile").read_text() == "from x\n"
    both = invoke("lint", "--stdin-filename", "sub/Modelfile", "Modelfile")
    assert both.exit_code == 2 and "--stdin-filename reads standard input: give - or no file" in both.stderr


def test_build_reads_the_modelfile_from_stdin(project: Path) -> None:
    """``mfc build -f -`` used to be refused; relative paths start at the current
    folder, or at --stdin-filename's folder."""
    write_gguf(project / "here.gguf", {"general.architecture": "test"})
    write_gguf(project / "sub" / "there.gguf", {"general.architecture": "test"})
    store = ["--store", str(project / "store"), "--json"]
    built = invoke("build", "-f", "-", "-t", "me/a", *store, stdin="FROM ./here.gguf\n")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["name"] == "me/a:latest"
    placed = invoke("create", "me/b", "--stdin-filename", "sub/Modelfile", *store, stdin="FROM ./there.gguf\n")
    assert placed.exit_code == 0, placed.output
    missing = invoke("build", "-f", "-", "-t", "me/c", *store, stdin="FROM ./there.gguf\n")
    assert missing.exit_code == 1
    error = json.loads(missing.stdout)["error"]  # the place in fields of its own (issue 10, defect 10)
    assert (error["path"], error["line"], error["column"]) == ("<stdin>", 1, 1)


# ---- fmt --json: only the output format changes --------------------------------------------


def test_fmt_json_rewrites_like_fmt(project: Path) -> None:
    """``mfc fmt --json FILE`` used to turn into --check: file untouched, exit 1."""
    result = invoke("fmt", "--json", "Modelfile")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "ok": True,
        "files": [{"path": "Modelfile", "changed": True, "error": None}],
    }
    assert (project / "Modelfile").read_text() == "FROM x\n"
    again = json.loads(invoke("fmt", "--json", "Modelfile").stdout)
    assert again["files"][0]["changed"] is False


def test_fmt_json_with_check_and_diff_changes_nothing(project: Path) -> None:
    checked = invoke("fmt", "--json", "--check", "Modelfile")
    assert checked.exit_code == 1 and json.loads(checked.stdout)["ok"] is False
    diffed = invoke("fmt", "--json", "--diff", "Modelfile")
    assert diffed.exit_code == 1
    assert "+FROM x" in json.loads(diffed.stdout)["files"][0]["diff"]
    assert (project / "Modelfile").read_text() == "from x\n"


def test_fmt_json_of_stdin_carries_the_text() -> None:
    """``mfc fmt --json -`` used to return no formatted text."""
    result = invoke("fmt", "--json", "-", stdin="from x\nsystem  hi\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files"] == [
        {"path": "<stdin>", "changed": True, "error": None, "text": "FROM x\nSYSTEM hi\n"}
    ]
    broken = json.loads(invoke("fmt", "--json", "-", stdin="fom x\n").stdout)["files"][0]
    assert (broken["text"], broken["error"]["code"]) == (None, "MF001")


# ---- only Modelfiles: names, and text --------------------------------------------------------

NAMES = {
    "Modelfile": True,
    "modelfile": True,
    "MODELFILE": True,
    "chat.Modelfile": True,
    "llama3.2.modelfile": True,
    "Modelfile.dev": True,
    "Modelfile.qwen2.5": True,
    "Modelfile.llama3-8b": True,
    "modelfile.py": False,
    "Modelfile.md": False,
    "Modelfile.j2": False,
    "Modelfile.dev.md": False,
    "Modelfile.JSON": False,
    "Modelfile.gguf": False,
    "Modelfile.orig": False,
    "Modelfile.": False,
    "Modelfile..": False,
    "Modelfiles": False,
    "my-Modelfile": False,
    "notes.txt": False,
    "test_modelfile.py": False,
}


def hook_patterns() -> dict[str, str]:
    """The ``files:`` pattern of each hook in .pre-commit-hooks.yaml."""
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook["files"] for hook in hooks}


@pytest.mark.parametrize("name", NAMES)
def test_discovery_and_pre_commit_agree_on_names(name: str) -> None:
    assert modelfile.is_modelfile_name(name) is NAMES[name]
    for hook, pattern in hook_patterns().items():  # pre-commit matches the path from the repository root
        for path in (name, f"models/{name}"):
            assert (re.search(pattern, path) is not None) is NAMES[name], (hook, path)


def test_lint_of_a_folder_skips_what_is_not_a_modelfile(project: Path) -> None:
    """``mfc lint .`` used to lint modelfile.py and fail the build on ``import``."""
    (project / "Modelfile").write_text("FROM x\n")
    (project / "sub" / "Modelfile").write_text("FROM x\n")
    for name in ("modelfile.py", "Modelfile.md", "Modelfile.j2"):
        (project / name).write_text("import modelfile\n")
    result = invoke("lint", ".")
    assert (result.exit_code, result.stdout) == (0, "All checks passed (2 files).\n")
    assert invoke("fmt", "--check", ".").exit_code == 0


@pytest.mark.parametrize(
    ("data", "where", "why"),
    [
        (b"GGUF\x03\x00\x00\x00" + bytes(4_000_000), "1:1", "GGUF model weights"),
        ((64).to_bytes(8, "little") + b'{"__metadata__": {}}' + bytes(4_000_000), "1:1", "safetensors weights"),
        (b"FROM x\nSYSTEM hi\x00there\n" + bytes(range(256)) * 16_000, "2:10", "a NUL character"),
    ],
)
def test_binary_input_is_not_a_text_file(tmp_path: Path, data: bytes, where: str, why: str) -> None:
    """``mfc lint model.gguf`` used to take 18 s and print 30 KB of escaped NULs."""
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    message = f"{path}:{where}: MF000 not a text file ({why})"
    linted = invoke("lint", "--format", "json", str(path))
    assert linted.exit_code == 1
    assert [(d["code"], d["message"]) for d in json.loads(linted.stdout)] == [("MF000", f"not a text file ({why})")]
    text = invoke("lint", str(path))
    assert text.exit_code == 1 and text.stdout.startswith(message) and len(text.stdout) < 500
    formatted = invoke("fmt", str(path))
    assert formatted.exit_code == 1 and formatted.stderr.startswith(message)
    assert path.read_bytes() == data
    parsed = invoke("parse", str(path))
    assert (parsed.exit_code, parsed.stderr.splitlines()[0]) == (1, message)
    piped = invoke("parse", "--json", "-", stdin=data)
    assert piped.exit_code == 1 and json.loads(piped.stdout)["error"]["code"] == "MF000"


def test_utf16_with_a_bom_is_text(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_bytes(b"\xff\xfe" + "FROM x\n".encode("utf-16-le"))
    assert invoke("lint", str(path)).exit_code == 0
    assert invoke("parse", str(path)).exit_code == 0


def test_parse_on_a_terminal_does_not_wait(tmp_path: Path) -> None:
    """``mfc parse`` with no file used to wait for a Modelfile typed on the terminal."""
    import pty

    leader, follower = pty.openpty()
    try:
        result = mfc("parse", cwd=tmp_path, stdin=follower, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert "no ./Modelfile here" in result.stderr
    (tmp_path / "Modelfile").write_text("FROM x\n")
    leader, follower = pty.openpty()
    try:
        result = mfc("parse", cwd=tmp_path, stdin=follower, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert (result.returncode, result.stdout) == (0, '1:1\tmodel\t"x"\n')


def test_an_open_pipe_with_nothing_written_is_not_waited_for(project: Path) -> None:
    """A pipe nobody writes to (some CI runners) is no data: nothing is refused or awaited."""
    reader, writer = os.pipe()
    try:
        result = mfc("fmt", "--check", "sub", cwd=project, stdin=reader, timeout=60)
    finally:
        os.close(reader)
        os.close(writer)
    assert result.returncode == 1 and "would reformat sub/Modelfile" in result.stderr
    assert mfc("lint", cwd=project, stdin=subprocess.DEVNULL).returncode == 0
