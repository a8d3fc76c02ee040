"""``mfc template translate|render|check``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from builder.cli.main import cli
from modelfile.template.named import index

CHATML = next(t for t in index() if t.name == "chatml").template


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_render_prints_the_prompt_exactly(tmp_path: Path) -> None:
    (tmp_path / "t.gotmpl").write_text(CHATML)
    (tmp_path / "v.json").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    code, out, _ = invoke("template", "render", str(tmp_path / "t.gotmpl"), "--values", str(tmp_path / "v.json"))
    assert code == 0
    assert out == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_translate_prints_jinja_from_a_modelfile(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").write_text('FROM x\nTEMPLATE """{{ .Prompt }}"""\n')
    code, out, _ = invoke("template", "translate", str(tmp_path / "Modelfile"))
    assert code == 0 and "_turn" in out and '_f(_root, "Prompt")' in out


def test_check_reports_errors_at_the_modelfile_position(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").write_text('FROM x\nTEMPLATE """a\n{{ if .Prompt }}b"""\n')
    code, _, err = invoke("template", "check", str(tmp_path / "Modelfile"))
    assert code == 1
    assert f"{tmp_path / 'Modelfile'}:3:1: MF401 unexpected EOF" in err


def test_check_renders_standard_conversations() -> None:
    code, out, _ = invoke("template", "check", "--json", "-", stdin=CHATML)
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["path"] == "messages"
    assert {r["conversation"] for r in result["renders"]} >= {"user", "tools", "prefill"}


def test_check_fails_on_an_execution_error() -> None:
    code, out, _ = invoke("template", "check", "-", stdin="{{ range .Messages }}{{ .Nope.Deeper }}{{ end }}")
    assert code == 1 and "FAILED" in out


def test_bad_values_and_modelfiles_without_template_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").write_text("FROM x\n")
    (tmp_path / "bad.json").write_text("[1, 2")
    assert invoke("template", "check", str(tmp_path / "Modelfile"))[0] == 2
    assert invoke("template", "render", "-", "--values", str(tmp_path / "bad.json"), stdin="x")[0] == 2
