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


# ---- template check agrees with lint (issue 10, defect 2) --------------------------------


def test_check_reports_unknown_fields_as_lint_does(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text('FROM x\nTEMPLATE """{{ .System }}{{ .Promt }}"""\n')
    lint = CliRunner().invoke(cli, ["lint", "--select", "MF403", str(path)])
    code, out, _ = invoke("template", "check", str(path))
    assert code == 1
    finding = f"{path}:2:29: MF403 .Promt is not a field of the template's data"
    assert finding in out and finding in lint.stdout
    assert "Ollama prints it as <no value>" in out and "help: did you mean .Prompt?" in out
    code, out, _ = invoke("template", "check", "--json", str(path))
    found = json.loads(out)["findings"]
    assert code == 1 and [(f["code"], f["line"], f["column"]) for f in found] == [("MF403", 2, 29)]


def test_mf403_says_what_ollama_does(tmp_path: Path) -> None:
    """Render prints <no value> for an unknown root field and fails on a message's."""
    root, message = "{{ .Promt }}", "{{ range .Messages }}{{ .Contnet }}{{ end }}"
    for text, rendered in ((root, "<no value>"), (message, None)):
        (tmp_path / "t.gotmpl").write_text(text)
        (tmp_path / "v.json").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
        result = CliRunner().invoke(
            cli, ["template", "render", str(tmp_path / "t.gotmpl"), "--values", str(tmp_path / "v.json")]
        )
        if rendered is None:
            assert result.exit_code == 1 and "can't evaluate field Contnet" in result.stderr
        else:
            assert result.exit_code == 0 and result.stdout == rendered
        (tmp_path / "Modelfile").write_text(f'FROM x\nTEMPLATE """{text}"""\n')
        lint = CliRunner().invoke(cli, ["lint", "--select", "MF403", str(tmp_path / "Modelfile")]).stdout
        assert "renders it as nothing" not in lint
        assert ("prints it as <no value>" if rendered else "fails to render the prompt") in lint


def test_check_reads_a_gguf_chat_template(tmp_path: Path) -> None:
    from tests.ggufs import write_gguf

    jinja = "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m['content'] }}{% endfor %}<assistant>"
    gguf = write_gguf(
        tmp_path / "m.gguf",
        {
            "general.architecture": "llama",
            "tokenizer.ggml.tokens": ["<unk>", "<s>", "</s>"],
            "tokenizer.ggml.bos_token_id": 1,
            "tokenizer.ggml.eos_token_id": 2,
            "tokenizer.chat_template": jinja,
        },
    )
    code, out, err = invoke("template", "check", str(gguf))
    assert code == 0, err
    assert "a Jinja chat template (tokenizer.chat_template)" in out
    assert "user               ok (26 characters)" in out  # <s><user>Hello!<assistant>: BOS from the GGUF
    code, out, _ = invoke("template", "check", "--json", str(gguf))
    assert code == 0 and json.loads(out)["language"] == "jinja"
    write_gguf(gguf, {"general.architecture": "llama", "tokenizer.chat_template": "{% for m in messages %}"})
    code, _, err = invoke("template", "check", str(gguf))
    assert code == 1 and f"{gguf}:1:1: MF401 Jinja syntax error" in err
    write_gguf(gguf, {"general.architecture": "llama"})
    code, _, err = invoke("template", "check", str(gguf))
    assert code == 2 and "without a tokenizer.chat_template" in err and "\\x00" not in err
    write_gguf(gguf, {"tokenizer.chat_template": jinja})
    code, _, err = invoke("template", "translate", str(gguf))
    assert code == 2 and "holds a Jinja chat template" in err
