"""``mfc template translate|render|check``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from ggufs import write_gguf

import builder
from builder.cli.main import cli
from modelfile.template.named import index

CHATML = next(t for t in index() if t.name == "chatml").template
JINJA_CHATML = next(t for t in index() if t.name == "chatml").fingerprint  # a chat template Named() knows


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


# ---- render: the prompt of a request body (issue 10, defect 1) -------------------------------

CHATML_PROMPT = (
    "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhy is the sky blue?<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def render(tmp_path: Path, target: str, body: object, *options: str) -> tuple[int, str, str]:
    (tmp_path / "body.json").write_text(json.dumps(body))
    return invoke("template", "render", target, "--values", str(tmp_path / "body.json"), *options)


def test_render_builds_the_generate_prompt_from_prompt_and_system(tmp_path: Path) -> None:
    """It printed only ``<|im_start|>assistant``: prompt and system were ignored."""
    (tmp_path / "t.gotmpl").write_text(CHATML)
    body = {"prompt": "Why is the sky blue?", "system": "You are terse."}
    assert render(tmp_path, str(tmp_path / "t.gotmpl"), body) == (0, CHATML_PROMPT, "")


def test_render_gives_a_prompt_template_its_prompt(tmp_path: Path) -> None:
    (tmp_path / "t.gotmpl").write_text("Q: {{ .Prompt }}")
    assert render(tmp_path, str(tmp_path / "t.gotmpl"), {"prompt": "hi"})[:2] == (0, "Q: hi")
    messages = {"messages": [{"role": "user", "content": "hi"}]}
    assert render(tmp_path, str(tmp_path / "t.gotmpl"), messages)[:2] == (0, "Q: hi")


def test_render_applies_the_modelfiles_system_and_messages(tmp_path: Path) -> None:
    """As ``mfc run`` (and Ollama) do: SYSTEM first, then the MESSAGEs, then the request."""
    (tmp_path / "Modelfile").write_text(
        f'FROM x\nSYSTEM You are terse.\nMESSAGE user Hi\nMESSAGE assistant Hello.\nTEMPLATE """{CHATML}"""\n'
    )
    code, out, _ = render(tmp_path, str(tmp_path / "Modelfile"), {"prompt": "Why is the sky blue?"})
    assert code == 0
    assert out == CHATML_PROMPT.replace(
        "<|im_start|>user\nWhy",
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nWhy",
    )
    chat = {"messages": [{"role": "system", "content": "Be loud."}, {"role": "user", "content": "Why?"}]}
    code, out, _ = render(tmp_path, str(tmp_path / "Modelfile"), chat)
    assert code == 0 and out.startswith("<|im_start|>user\nHi<|im_end|>") and "Be loud." in out
    assert "You are terse." not in out  # the request's own system message replaces SYSTEM


def test_render_rejects_unknown_keys_with_a_did_you_mean(tmp_path: Path) -> None:
    """``"Messages"`` and ``"Prompt"`` were ignored silently."""
    (tmp_path / "t.gotmpl").write_text(CHATML)
    code, _, err = render(tmp_path, str(tmp_path / "t.gotmpl"), {"Messages": [{"role": "user", "content": "hi"}]})
    assert code == 2
    assert err == 'error: unknown key "Messages" in the request body: did you mean "messages"?\n'
    code, out, _ = render(tmp_path, str(tmp_path / "t.gotmpl"), {"Prompt": "hi"}, "--json")
    assert code == 2
    assert json.loads(out) == {
        "ok": False,
        "error": {
            "code": "invalid-request",
            "message": 'unknown key "Prompt" in the request body: did you mean "prompt"?',
        },
    }
    code, _, err = render(tmp_path, str(tmp_path / "t.gotmpl"), {"prompt": "hi", "raw": "yes"})
    assert code == 2 and "raw: expected true or false" in err


def test_render_reads_a_stored_models_template_system_and_messages(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama", "tokenizer.chat_template": JINJA_CHATML})
    (tmp_path / "Modelfile").write_text("FROM ./m.gguf\nSYSTEM You are terse.\n")
    builder.build(tmp_path / "Modelfile", "me/terse", store=tmp_path / "store")
    body = {"prompt": "Why is the sky blue?"}
    code, out, _ = render(tmp_path, "me/terse", body, "--store", str(tmp_path / "store"))
    assert (code, out) == (0, CHATML_PROMPT)
    code, out, _ = render(tmp_path, str(tmp_path / "Modelfile"), body, "--json")  # the same, before building
    assert code == 0 and json.loads(out)["prompt"] == CHATML_PROMPT
    assert json.loads(out)["template"] == "Ollama's chatml template (autodetected)"


def test_render_uses_a_ggufs_own_jinja_when_no_template_matches(tmp_path: Path) -> None:
    jinja = "{% for m in messages %}{{ m['role'] }}={{ m['content'] }};{% endfor %}{{ bos_token }}"
    metadata = {
        "general.architecture": "llama",
        "tokenizer.chat_template": jinja,
        "tokenizer.ggml.tokens": ["<s>", "</s>"],
        "tokenizer.ggml.bos_token_id": 0,
    }
    write_gguf(tmp_path / "m.gguf", metadata)
    (tmp_path / "Modelfile").write_text("FROM ./m.gguf\nMESSAGE user a\n")
    code, out, _ = render(tmp_path, str(tmp_path / "Modelfile"), {"prompt": "b", "system": "S"})
    assert (code, out) == (0, "system=S;user=a;user=b;<s>")


def test_render_without_any_template_is_ollamas_default(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"})
    (tmp_path / "Modelfile").write_text("FROM ./m.gguf\nSYSTEM ignored by {{ .Prompt }}\n")
    assert render(tmp_path, str(tmp_path / "Modelfile"), {"prompt": "hi"})[:2] == (0, "hi")


def test_render_refuses_an_embedding_model_as_ollama_does(tmp_path: Path) -> None:
    write_gguf(tmp_path / "e.gguf", {"general.architecture": "bert", "bert.pooling_type": 1})
    (tmp_path / "Modelfile").write_text("FROM ./e.gguf\n")
    builder.build(tmp_path / "Modelfile", "bert", store=tmp_path / "store")
    code, _, err = render(tmp_path, "bert", {"prompt": "hi"}, "--store", str(tmp_path / "store"))
    assert (code, err) == (1, 'error: "bert" does not support generate\n')


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


def test_a_ggufs_template_is_read_from_its_header_not_the_whole_file(tmp_path: Path) -> None:
    """``template check model.gguf`` read the whole file (gigabytes of weights) into
    memory to find ``tokenizer.chat_template``; the header is enough."""
    import tracemalloc

    from modelfile import template

    gguf = tmp_path / "big.gguf"
    write_gguf(gguf, {"general.architecture": "llama", "tokenizer.chat_template": JINJA_CHATML})
    with gguf.open("r+b") as handle:  # 256 MB of (sparse) weights after the header
        handle.truncate(gguf.stat().st_size + 256 * 2**20)
    tracemalloc.start()
    try:
        source = template.load_file(gguf)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.text == JINJA_CHATML
    assert peak < 16 * 2**20
    code, out, _ = invoke("template", "check", str(gguf))
    assert code == 0, out
