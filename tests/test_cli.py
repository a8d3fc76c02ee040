"""The ``mfc`` command line: output, formats and exit codes (0 ok, 1 findings or
failure, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from builder.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
SHOWCASE = REPO / "fixtures" / "lint" / "showcase.Modelfile"
SARIF_SCHEMA = json.loads((REPO / "fixtures" / "sarif-2.1.0-subset.schema.json").read_text())


def run(*args: str, stdin: bytes | str | None = None) -> tuple[int, str]:
    """Exit code and standard output (plus standard error for usage errors)."""
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout if result.exit_code != 2 else result.output


@pytest.fixture
def showcase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    Path("Modelfile").write_bytes(SHOWCASE.read_bytes())
    return "Modelfile"


@pytest.mark.parametrize("command", [[], ["parse"], ["lint"], ["fmt"], ["rule"]])
def test_help_everywhere(command: list[str]) -> None:
    code, out = run(*command, "--help")
    assert code == 0 and "Usage:" in out


def test_parse_json_ok() -> None:
    code, out = run("parse", "--json", "-", stdin="from x\nMESSAGE user hi\n")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "commands": [{"name": "model", "args": "x"}, {"name": "message", "args": "user: hi"}],
    }


def test_parse_json_error() -> None:
    code, out = run("parse", "--json", "-", stdin="FROM x\nPARAMTER a b\n")
    assert code == 1
    error = json.loads(out)["error"]
    assert (error["line"], error["column"], error["code"]) == (2, 1, "MF001")
    assert error["ollama"].startswith("(line 2): command must be one of")


def test_parse_text_error_has_a_caret() -> None:
    result = CliRunner().invoke(cli, ["parse", "-"], input="FROM x\nMESSAGE User hi\n")
    code, out = result.exit_code, result.stderr
    assert code == 1
    assert "<stdin>:2:9: MF002 invalid MESSAGE role 'User'" in out
    assert "^^^^" in out


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("parse", str(tmp_path / "nope"))
    assert code == 2 and "cannot read" in out
    code, out = run("lint", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in out


def test_lint_text_snapshot(showcase: str, snapshot: SnapshotAssertion) -> None:
    code, out = run("lint", showcase)
    assert code == 1
    assert out == snapshot


@pytest.mark.parametrize("fmt", ["json", "github", "sarif"])
def test_lint_format_snapshots(fmt: str, showcase: str, snapshot: SnapshotAssertion) -> None:
    code, out = run("lint", "--format", fmt, showcase)
    assert code == 1
    if fmt != "github":
        json.loads(out)
    if fmt == "sarif":
        data = json.loads(out)
        data["runs"][0]["tool"]["driver"]["version"] = "X"
        jsonschema.validate(data, SARIF_SCHEMA)
        out = json.dumps(data, indent=2)
    assert out == snapshot


def test_lint_json_fields(showcase: str) -> None:
    _, out = run("lint", "--json", showcase)
    first = json.loads(out)["diagnostics"][0]
    assert set(first) >= {"path", "line", "column", "code", "severity", "message", "hint"}


def test_lint_exit_codes(tmp_path: Path) -> None:
    clean = tmp_path / "clean.Modelfile"
    clean.write_text("FROM llama3.2\nPARAMETER temperature 0.5\n")
    warned = tmp_path / "warned.Modelfile"
    warned.write_text("FROM llama3.2\nSYSTEM a\nSYSTEM b\n")
    assert run("lint", str(clean))[0] == 0
    assert run("lint", str(warned))[0] == 0
    assert run("lint", "--strict", str(warned))[0] == 1
    assert run("lint", "--ignore", "MF303", "--strict", str(warned))[0] == 0
    assert run("lint", "--format", "yaml", str(clean))[0] == 2


def test_lint_finds_modelfiles_in_folders(tmp_path: Path) -> None:
    for name in ("Modelfile", "chat.Modelfile", "Modelfile.dev", "notes.txt", ".hidden/Modelfile"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("FROM x\nPARAMETER tempo 1\n")
    _, out = run("lint", "--json", str(tmp_path))
    paths = sorted({Path(d["path"]).name for d in json.loads(out)["diagnostics"]})
    assert paths == ["Modelfile", "Modelfile.dev", "chat.Modelfile"]


def test_lint_fix_applies_only_safe_fixes(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text("FROM x\nSYSTEM a\u200bb\nPARAMETER Temperature 1\n", encoding="utf-8")
    code, _ = run("lint", "--fix", str(path))
    assert path.read_text(encoding="utf-8") == "FROM x\nSYSTEM ab\nPARAMETER Temperature 1\n"
    assert code == 1  # the unknown parameter remains: its fix is unsafe
    code, _ = run("lint", "--fix", "--unsafe-fixes", str(path))
    assert code == 0 and path.read_text() == "FROM x\nSYSTEM ab\nPARAMETER temperature 1\n"


def test_lint_stdin_uses_the_given_filename(tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(b"not gguf")
    code, out = run("lint", "--json", "--stdin-filename", str(tmp_path / "Modelfile"), "-", stdin="FROM ./m.gguf\n")
    assert code == 1 and [d["code"] for d in json.loads(out)["diagnostics"]] == ["MF104"]


def test_fmt_in_place_check_and_diff(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text('  from x\n\n\n\nparameter stop   " a"\nsystem "line1\nline2"\n')
    assert run("fmt", "--check", str(path))[0] == 1
    code, out = run("fmt", "--diff", str(path))
    assert code == 1 and "+FROM x" in out
    assert run("fmt", str(path))[0] == 0
    assert path.read_text() == 'FROM x\n\nPARAMETER stop " a"\nSYSTEM """line1\nline2"""\n'
    assert run("fmt", "--check", str(path))[0] == 0


def test_fmt_stdin_to_stdout() -> None:
    code, out = run("fmt", "-", stdin="from x\n# c\nsystem hi  \n")
    assert (code, out) == (0, "FROM x\n# c\nSYSTEM hi\n")


def test_fmt_keeps_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_bytes(b"\xff\xfe" + "from x\n".encode("utf-16-le"))
    assert run("fmt", str(path))[0] == 0
    assert path.read_bytes() == b"\xff\xfe" + "FROM x\n".encode("utf-16-le")


def test_fmt_refuses_what_it_cannot_rewrite(tmp_path: Path) -> None:
    broken = tmp_path / "a.Modelfile"
    broken.write_text('FROM x\nSYSTEM """never closed\n')
    latin = tmp_path / "b.Modelfile"
    latin.write_bytes(b"FROM x\nSYSTEM caf\xe9\n")
    code, out = run("fmt", "--json", str(broken), str(latin))
    assert code == 1
    files = json.loads(out)["files"]
    assert files[0]["error"]["code"] == "MF005" and "not valid utf-8" in files[1]["error"]["message"]
    assert latin.read_bytes() == b"FROM x\nSYSTEM caf\xe9\n"


def test_rule_command() -> None:
    code, out = run("rule")
    assert code == 0 and "MF201  unknown-parameter" in out
    code, out = run("rule", "unknown-parameter")
    assert code == 0 and out.startswith("MF201 unknown-parameter (error)")
    assert run("rule", "MF999")[0] == 2


def test_unreadable_files_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").symlink_to(tmp_path / "missing")
    code, out = run("lint", str(tmp_path))
    assert code == 1 and "MF000 cannot read Modelfile" in out
    assert run("fmt", "--check", str(tmp_path))[0] == 1
