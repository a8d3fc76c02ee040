"""Quoting mistakes Ollama accepts silently (issue 10, defect 9): several stop strings
on one PARAMETER line (MF508) and values in single quotes (MF509), as a user meets them
through ``mfc lint`` and ``mfc lint --fix --unsafe-fixes``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli.main import cli


def mfc(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_two_stop_strings_on_one_line_warn_and_split(folder: Path) -> None:
    Path("Modelfile").write_text('FROM x\nPARAMETER stop "<|im_end|>" "<|eot_id|>"\n')
    _, parsed = mfc("parse", "--json", "Modelfile")
    assert json.loads(parsed)["commands"][1]["args"] == '<|im_end|>" "<|eot_id|>'  # what Ollama reads
    code, out = mfc("lint", "Modelfile")
    assert code == 0 and "MF508 one stop sequence" in out and "2 PARAMETER stop lines" in out
    assert mfc("lint", "--strict", "Modelfile")[0] == 1
    mfc("lint", "--fix", "--unsafe-fixes", "Modelfile")
    assert Path("Modelfile").read_text() == 'FROM x\nPARAMETER stop "<|im_end|>"\nPARAMETER stop "<|eot_id|>"\n'
    stops = [c["args"] for c in json.loads(mfc("parse", "--json", "Modelfile")[1])["commands"][1:]]
    assert stops == ["<|im_end|>", "<|eot_id|>"]


def test_single_quoted_template_warns_and_requotes(folder: Path) -> None:
    Path("Modelfile").write_text("FROM x\nTEMPLATE '''{{ .Prompt }}'''\nSYSTEM 'Be brief.'\n")
    code, out = mfc("lint", "Modelfile")
    assert code == 0 and out.count("MF509 single quotes are kept") == 2
    mfc("lint", "--fix", "--unsafe-fixes", "Modelfile")
    assert Path("Modelfile").read_text() == 'FROM x\nTEMPLATE """{{ .Prompt }}"""\nSYSTEM "Be brief."\n'


def test_triple_single_quotes_over_lines_are_explained(folder: Path) -> None:
    Path("Modelfile").write_text("FROM x\nTEMPLATE '''{{ .System }}\n{{ .Prompt }}'''\n")
    found = [d for d in json.loads(mfc("lint", "--json", "Modelfile")[1])["diagnostics"] if d["code"] != "MF404"]
    assert [(d["code"], d["line"]) for d in found] == [("MF509", 2), ("MF001", 3)]
    assert "ends with this line" in found[0]["message"] and found[0]["fix"] is None
