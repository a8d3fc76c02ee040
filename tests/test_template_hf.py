"""``mfc template translate --target hf``: a self-contained chat template.

What the translation prints must run, unchanged, in transformers' ``apply_chat_template``
and in llama-cpp-python's ``Jinja2ChatFormatter``, and give Ollama's prompt (mfc's own
``render``, verified against Ollama) byte for byte.  Templates it cannot express are
refused with every construct and its line:column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builder.cli.main import cli
from modelfile import template
from modelfile.errors import UnsupportedTemplateError
from tests.vectors import find, params

DATA = Path(template.__file__).parent / "data"

#: Shipped templates the target cannot express, and the constructs named (line, column).
REFUSED = {"command-r": [(58, 23)]}  # {{ .Function.Arguments }}: Go JSON of a map

CONVERSATIONS: dict[str, Mapping[str, Any]] = {
    **template.CONVERSATIONS,
    "collation": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "User", "content": "One"},
            {"role": "user", "content": "Two"},
            {"role": "assistant", "content": "Ok."},
            {"role": "system", "content": "Now in French."},
            {"role": "user", "content": "Three"},
        ]
    },
}

TOOLS_TEMPLATE = """\
{{- if .Tools }}Tools:{{ range .Tools }}
- {{ .Function.Name }}: {{ .Function.Description }}
{{- range $name, $p := .Function.Parameters.Properties }} {{ $name }} ({{ $p.Type }}){{ end }}
{{- end }}
{{ end }}
{{- range $i, $m := .Messages }}{{ $i }}
{{- if eq .Role "assistant" }}{{ if .ToolCalls }}{{ range .ToolCalls }} call {{ .Function.Name }}{{ end }}
{{- else }} A: {{ .Content }}{{ end }}
{{ else if eq .Role "tool" }} T({{ .ToolName }}): {{ .Content }}
{{ else }} {{ .Role }}: {{ printf "%s!" .Content }}
{{ end }}{{ end }}A:"""


def shipped() -> list[Any]:
    found: dict[str, str] = {}
    vectors = find("templates/ollama")
    for folder in (DATA, *([vectors] if vectors else [])):
        for path in sorted(folder.glob("*.gotmpl")):
            found.setdefault(path.stem, path.read_text(encoding="utf-8"))
    return [pytest.param(name, text, id=name) for name, text in sorted(found.items())]


def translate_cli(tmp_path: Path, go: str) -> tuple[int, str, str]:
    path = tmp_path / "chat.gotmpl"
    path.write_text(go, encoding="utf-8")
    result = CliRunner().invoke(cli, ["template", "translate", "--target", "hf", str(path)])
    return result.exit_code, result.stdout, result.stderr


def transformers_renderer(chat_template: str) -> Callable[[Mapping[str, Any]], str]:
    """A tokenizer built here (no download) whose ``chat_template`` is the translation."""
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    vocabulary = {"<unk>": 0, "<s>": 1, "</s>": 2}
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizers.Tokenizer(tokenizers.models.WordLevel(vocabulary, unk_token="<unk>")),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    tokenizer.chat_template = chat_template

    def render(conversation: Mapping[str, Any]) -> str:
        extra = {k: v for k, v in conversation.items() if k not in ("messages", "tools")}
        text = tokenizer.apply_chat_template(
            json.loads(json.dumps(conversation["messages"])),
            tools=conversation.get("tools"),
            tokenize=False,
            add_generation_prompt=True,
            **extra,
        )
        assert isinstance(text, str)
        return text

    return render


def llama_cpp_renderer(chat_template: str) -> Callable[[Mapping[str, Any]], str]:
    chat_format = pytest.importorskip("llama_cpp.llama_chat_format")
    formatter = chat_format.Jinja2ChatFormatter(chat_template, eos_token="</s>", bos_token="<s>")

    def render(conversation: Mapping[str, Any]) -> str:
        extra = {k: v for k, v in conversation.items() if k not in ("messages", "tools")}
        response = formatter(
            messages=json.loads(json.dumps(conversation["messages"])), tools=conversation.get("tools"), **extra
        )
        return str(response.prompt)

    return render


RENDERERS = {"transformers": transformers_renderer, "llama-cpp-python": llama_cpp_renderer}


@pytest.mark.parametrize("runner", sorted(RENDERERS))
@pytest.mark.parametrize(("name", "go"), shipped())
def test_shipped_template_renders_like_ollama_or_is_refused(tmp_path: Path, name: str, go: str, runner: str) -> None:
    code, out, err = translate_cli(tmp_path, go)
    if name in REFUSED:
        assert code == 1 and "MF402" in err
        for line, column in REFUSED[name]:
            assert f"  {line}:{column}: " in err
        return
    assert code == 0, err
    render = RENDERERS[runner](out)  # as printed: Jinja drops the final newline of a source
    for conversation in CONVERSATIONS.values():
        assert render(conversation) == template.render(go, conversation)


#: A legacy template (.System/.Prompt/.Response): Ollama renders it turn by turn.
LEGACY_TEMPLATE = """{{ if .System }}<|system|>
{{ .System }}</s>
{{ end }}{{ if .Prompt }}<|user|>
{{ .Prompt }}</s>
{{ end }}<|assistant|>
{{ .Response }}</s>
"""


def ollama_cases() -> list[Any]:
    """Ollama's own template tests whose input is a conversation (not chatPrompt's
    truncation and images, not the suffix or prompt paths)."""

    def wanted(case: Mapping[str, Any]) -> bool:
        given = case.get("input") or {}
        return (
            case.get("kind") != "chat_prompt"
            and "template" in case
            and isinstance(case.get("expected"), str)
            and not given.get("prompt")
            and not given.get("suffix")
        )

    return params("templates/cases.json", wanted, lambda case: case["id"])


@pytest.mark.parametrize("runner", sorted(RENDERERS))
@pytest.mark.parametrize("case", ollama_cases())
def test_ollama_test_cases_render_as_ollama_expects_or_are_refused(case: Mapping[str, Any], runner: str) -> None:
    try:
        chat_template = template.translate(case["template"], target="hf")
    except UnsupportedTemplateError as error:
        assert error.constructs
        return
    conversation = {"messages": [], **case["input"]}
    conversation.pop("prompt", None), conversation.pop("suffix", None)
    assert RENDERERS[runner](chat_template)(conversation) == case["expected"]


@pytest.mark.parametrize("runner", sorted(RENDERERS))
def test_legacy_template_renders_turn_by_turn_like_ollama(tmp_path: Path, runner: str) -> None:
    code, out, err = translate_cli(tmp_path, LEGACY_TEMPLATE)
    assert code == 0, err
    render = RENDERERS[runner](out)
    for conversation in CONVERSATIONS.values():
        assert render(conversation) == template.render(LEGACY_TEMPLATE, conversation)


@pytest.mark.parametrize("runner", sorted(RENDERERS))
def test_tools_render_like_ollama(tmp_path: Path, runner: str) -> None:
    code, out, err = translate_cli(tmp_path, TOOLS_TEMPLATE)
    assert code == 0, err
    render = RENDERERS[runner](out)
    tools = template.CONVERSATIONS["tools"]
    assert render(tools) == template.render(TOOLS_TEMPLATE, tools)
    assert "get_weather: Current weather city (string)" in render(tools)
    for conversation in CONVERSATIONS.values():
        assert render(conversation) == template.render(TOOLS_TEMPLATE, conversation)


@pytest.mark.parametrize(
    ("go", "where", "what"),
    [
        ("{{ range .Messages }}{{ json .ToolCalls }}{{ end }}", "1:25", "encoding/json"),
        ('{{ range .Messages }}{{ printf "%q" .Content }}{{ end }}', "1:25", "printf verbs"),
        ("{{ range .Messages }}{{ slice .Content 1 }}{{ end }}", "1:25", "slice"),
        ("{{ range .Messages }}{{ len .Content }}{{ end }}", "1:25", "len of a string"),
        ("{{ range .Messages }}{{ .Images }}{{ end }}", "1:22", "printing a list"),
        ("{{ range .Messages }}{{ .Prompt }}{{ end }}", "1:25", "not a field of a message"),
        ("{{ .System }}{{ .Messages }}", "1:14", "printing a list"),
        ("{{ currentDate }}{{ .Prompt }}", "1:4", "last turn of a legacy template"),
        ("{{ if .Prompt }}{{ .Response }}{{ else }}x{{ end }}", "1:1", "Ollama panics"),
        ("{{ .Prompt }}{{ .Suffix }}", "1:17", "not set on Ollama's legacy path"),
        ("{{ range .Messages }}{{ .Content }}{{ end }}{{ .Prompt }}", "1:48", "Ollama prints <no value>"),
        ("{{ range .Messages }}{{ if eq .Role 1 }}x{{ end }}{{ end }}", "1:28", "comparison"),
        ("{{ range .Messages }}{{ index .Images 0 }}{{ end }}", "1:25", "index"),
        ("{{ range .Messages }}{{ range .ToolCalls }}{{ if .Function }}x{{ end }}{{ end }}{{ end }}", "1:50", "struct"),
    ],
)
def test_constructs_plain_jinja_cannot_express_are_refused(go: str, where: str, what: str) -> None:
    with pytest.raises(UnsupportedTemplateError) as raised:
        template.translate(go, target="hf")
    listed = {f"{line}:{column}": message for line, column, message in raised.value.constructs}
    assert where in listed and what in listed[where], raised.value.constructs


def test_every_construct_is_listed_at_its_place_in_a_modelfile(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text('FROM x\nTEMPLATE """{{ range .Messages }}{{ json .Content }}\n{{ .Images }}{{ end }}"""\n')
    result = CliRunner().invoke(cli, ["template", "translate", "--target", "hf", "--json", str(path)])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "MF402" and (error["line"], error["column"]) == (2, 37)
    assert [(c["line"], c["column"]) for c in error["constructs"]] == [(2, 37), (3, 1)]


@pytest.mark.parametrize("runner", sorted(RENDERERS))
def test_current_date_uses_the_strftime_now_both_provide(runner: str) -> None:
    go = "{{- range .Messages }}{{ .Content }}{{ end }} Today is {{ currentDate }}"
    conversation = {"messages": [{"role": "user", "content": "Hello"}]}
    assert RENDERERS[runner](template.translate(go, target="hf"))(conversation) == template.render(go, conversation)


def test_a_translation_as_a_gguf_chat_template_renders_like_ollama(tmp_path: Path) -> None:
    """Stored as tokenizer.chat_template, it is what mfc run (and template check) render."""
    from modelfile.template.chat_jinja import gguf_chat_template
    from tests.ggufs import write_gguf

    go = (DATA / "gemma3-instruct.gotmpl").read_text(encoding="utf-8")
    code, out, err = translate_cli(tmp_path, go)
    assert code == 0, err
    gguf = write_gguf(tmp_path / "m.gguf", {"general.architecture": "gemma3", "tokenizer.chat_template": out})
    check = CliRunner().invoke(cli, ["template", "check", str(gguf)])
    assert check.exit_code == 0 and "a Jinja chat template" in check.stdout
    chat = gguf_chat_template(gguf.read_bytes(), str(gguf))
    for conversation in CONVERSATIONS.values():
        assert chat.render(conversation["messages"], conversation.get("tools")) == template.render(go, conversation)


@pytest.mark.parametrize("runner", sorted(RENDERERS))
def test_thinking_fields_render_like_ollama(runner: str) -> None:
    go = (
        "{{ if .Think }}<think on {{ .ThinkLevel }}>{{ end }}{{ if .IsThinkSet }}(set){{ end }}"
        "{{ range .Messages }}{{ .Role }}:{{ .Content }}{{ if .Thinking }}[{{ .Thinking }}]{{ end }}\n{{ end }}"
    )
    render = RENDERERS[runner](template.translate(go, target="hf"))
    conversations = [
        *CONVERSATIONS.values(),
        {"messages": [{"role": "assistant", "content": "4", "thinking": "2+2"}], "think": True, "is_think_set": True},
    ]
    for conversation in conversations:
        assert render(conversation) == template.render(go, conversation)
