"""Ollama's habits at the command line (issue 10, defect 8): a mistyped command gets a
did-you-mean, ``show`` refuses two parts at once, and ``inspect`` takes a model name
as well as a GGUF file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ggufs import write_gguf

from builder.cli.main import cli


def mfc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    write_gguf(tmp_path / "tiny.gguf", {"general.architecture": "llama", "general.name": "Tiny"})
    (tmp_path / "Modelfile").write_text("FROM ./tiny.gguf\nSYSTEM Be brief.\nTEMPLATE {{ .Prompt }}\n")
    assert mfc("build", "-f", str(tmp_path / "Modelfile"), "-t", "tiny", "--store", str(tmp_path / "store"))[0] == 0
    return tmp_path / "store"


@pytest.mark.parametrize(("typo", "meant"), [("biuld", "build"), ("verfy", "verify"), ("templte", "template")])
def test_a_mistyped_command_gets_a_did_you_mean(typo: str, meant: str) -> None:
    code, _, err = mfc(typo)
    assert code == 2
    assert f"No such command '{typo}'" in err and f"'{meant}'" in err


def test_show_refuses_two_parts(store: Path) -> None:
    code, out, err = mfc("show", "tiny", "--template", "--system", "--store", str(store))
    assert code == 2 and out == ""
    assert "only one of '--license', '--modelfile', '--parameters', '--system', or '--template'" in err
    assert mfc("show", "tiny", "--system", "--store", str(store))[1] == "Be brief.\n"
    assert mfc("show", "tiny", "--system", "--system", "--store", str(store))[0] == 0


def test_inspect_takes_a_model_name(store: Path) -> None:
    code, out, _ = mfc("inspect", "tiny", "--json", "--store", str(store))
    assert code == 0
    assert json.loads(out)["metadata"]["general.name"] == "Tiny"
    assert mfc("inspect", "tiny", "--store", str(store))[1].startswith("tiny: GGUF v3")


def test_inspect_of_neither_a_file_nor_a_model(store: Path) -> None:
    code, _, err = mfc("inspect", "nothing.gguf", "--store", str(store))
    assert code == 1
    assert "nothing.gguf: no such file, nor a model of that name in" in err
