"""Choosing lint rules: codes, prefixes and rule names are accepted wherever a code is
(``--select``/``--ignore``, ``[tool.mfc.lint]``, pragmas), and one that names no rule
is an error, never a lint that silently checks nothing (issue 10, defect 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli.main import cli
from modelfile.linter import ConfigError, UnknownRuleError, lint_bytes, resolve_selectors

TYPO = "FROM x\nPARAMETER temprature 1\n"


@pytest.fixture
def modelfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "Modelfile"
    path.write_text(TYPO)
    return path


def mfc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("option", "value", "guess"),
    [("--select", "MF9999", "MF901"), ("--select", "unknown-paramter", "unknown-parameter"), ("--ignore", "XYZ", "")],
)
def test_unknown_selector_is_a_usage_error(modelfile: Path, option: str, value: str, guess: str) -> None:
    code, out, err = mfc("lint", option, value, str(modelfile))
    assert code == 2
    assert "All checks passed" not in out
    assert err.count("\n") == 1 and f"{option}: no rule {value!r}" in err
    assert f"did you mean {guess}?" in err if guess else "mfc rule" in err


def test_unknown_selector_under_json(modelfile: Path) -> None:
    code, out, _ = mfc("lint", "--select", "MF99", "--json", str(modelfile))
    assert code == 2
    assert json.loads(out)["error"]["code"] == "unknown-rule"


@pytest.mark.parametrize("selector", ["unknown-parameter", "MF201", "mf2", "MF", "ALL", "MF201,empty-stop"])
def test_rule_names_and_prefixes_select(modelfile: Path, selector: str) -> None:
    code, out, _ = mfc("lint", "--select", selector, str(modelfile))
    assert code == 1 and "MF201" in out


def test_ignore_by_name(modelfile: Path) -> None:
    assert mfc("lint", "--ignore", "unknown-parameter", str(modelfile))[0] == 0


def test_unknown_code_in_pyproject_names_file_and_key(modelfile: Path) -> None:
    (modelfile.parent / "pyproject.toml").write_text('[tool.mfc.lint]\nselect = ["MF999"]\n')
    code, out, err = mfc("lint", str(modelfile))
    assert code == 2 and "All checks passed" not in out
    assert "pyproject.toml: [tool.mfc.lint] select: no rule 'MF999'" in err


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('ignore = ["nope"]', "ignore"),
        ('extend-select = ["MF0x"]', "extend-select"),
        ("severity = { XY1 = 'info' }", "severity"),
    ],
)
def test_every_pyproject_key_is_checked(modelfile: Path, table: str, key: str) -> None:
    (modelfile.parent / "pyproject.toml").write_text(f"[tool.mfc.lint]\n{table}\n")
    with pytest.raises(ConfigError, match=rf"pyproject.toml: \[tool.mfc.lint\] {key}"):
        lint_bytes(TYPO.encode(), path=str(modelfile))


def test_names_in_pyproject(modelfile: Path) -> None:
    (modelfile.parent / "pyproject.toml").write_text(
        '[tool.mfc.lint]\nselect = ["unknown-parameter"]\nseverity = { unknown-parameter = "info" }\n'
    )
    assert [(d.code, d.severity.value) for d in lint_bytes(TYPO.encode(), path=str(modelfile))] == [("MF201", "info")]


def test_names_in_pragmas(tmp_path: Path) -> None:
    text = "FROM x\n# mfc: ignore[unknown-parameter]\nPARAMETER tempo 1\n"
    assert lint_bytes(text.encode(), path=str(tmp_path / "Modelfile")) == []


def test_unknown_name_in_pragma_is_mf901_with_a_guess(tmp_path: Path) -> None:
    text = "FROM x\n# mfc: ignore[unknown-paramter]\nPARAMETER tempo 1\n"
    found = lint_bytes(text.encode(), path=str(tmp_path / "Modelfile"))
    assert [d.code for d in found] == ["MF901", "MF201"]
    assert "did you mean unknown-parameter?" in found[0].message


def test_library_api_resolves_too(tmp_path: Path) -> None:
    assert resolve_selectors(["unknown-parameter", "mf2"]) == ("MF201", "MF2")
    with pytest.raises(UnknownRuleError):
        lint_bytes(TYPO.encode(), path=str(tmp_path / "Modelfile"), select=("MF9999",))
