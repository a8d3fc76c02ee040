"""The prompt of an ``/api/generate`` or ``/api/chat`` request body, as Ollama's
handlers build it (``modelfile.template.request_prompt``), against every request in
the vectors that carries a prompt:

* ``../shared/vectors/api/routes_generate.json`` (``expect.prompt``: what the backend
  receives) and ``routes_debug.json`` (``_debug_render_only``'s ``rendered_template``),
  with the models their fixtures describe;
* ``../shared/vectors/templates/cases.json``: the debug-render tests (request-shaped:
  the messages a request body gives) and ``TestChatPrompt`` (truncation to ``num_ctx``
  with Ollama's test tokenizer, one token per whitespace-separated word).

Requests whose vector checks something other than the prompt (status codes, load and
unload, the runner's answers) are not collected here: every case of those files runs
end to end through the app in ``test_serve_standin_vectors.py`` (which lists the few it
skips, and why).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from vectors import find, load_json

from builder.cli.main import cli
from modelfile.errors import RequestError, UnsupportedRequestError
from modelfile.template import request_prompt

IMAGE_TOKENS = 768  # Ollama's tokens per image for a model with a projector


def whitespace_words(text: str) -> int:
    return len(text.split())


# ---- ../shared/vectors/api -------------------------------------------------------------------


def api_models(file: str) -> dict[str, dict[str, dict[str, Any]]]:
    """fixture -> model name -> {template, system, capabilities}, from a file's
    ``fixtures`` (a model "created from this file" has the fixture's capabilities)."""
    fixtures = load_json(f"api/{file}").get("fixtures") or {}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for fixture, described in fixtures.items():
        if isinstance(described, dict) and "models" in described:
            models: dict[str, dict[str, Any]] = {}
            for name, model in described["models"].items():
                if not isinstance(model, dict):
                    models[name] = {"capabilities": described.get("capabilities", ["completion"])}
                    continue
                base = dict(models.get(model.get("from", ""), {}))
                base.update({k: v for k, v in model.items() if k in ("template", "system")})
                models[name] = base
            found[fixture] = models
        elif isinstance(described, str) and (quoted := re.search(r'with template "((?:[^"\\]|\\.)*)"', described)):
            found[fixture] = {"test-model": {"template": json.loads(f'"{quoted.group(1)}"')}}
    return found


def expectation(vector: dict[str, Any]) -> tuple[str, str] | None:
    """What the vector says about the prompt: ``("prompt", text)``, ``("suffix", text)``
    (the prompt ends with it), ``("refused", text)`` (a capability refusal), or None."""
    expect = vector.get("expect") or {}
    rendered = (expect.get("json") or {}).get("_debug_info", {}).get("rendered_template")
    if "prompt" in expect:
        return "prompt", expect["prompt"]
    if rendered is not None:
        return "prompt", rendered
    if "prompt_suffix" in expect:
        return "suffix", expect["prompt_suffix"]
    if expect.get("status") == 400 and "does not support" in (expect.get("body_exact") or ""):
        error = json.loads(expect["body_exact"])["error"]
        return "refused", error
    return None


def api_cases() -> list[Any]:
    cases: list[Any] = []
    for file in ("routes_generate.json", "routes_debug.json"):
        if find(f"api/{file}") is None:
            reason = f"vector api/{file} not found (set MFC_VECTORS)"
            cases.append(pytest.param(None, None, marks=pytest.mark.skip(reason=reason), id=file))
            continue
        models = api_models(file)
        for vector in load_json(f"api/{file}")["vectors"]:
            request = vector.get("request") or {}
            body = request.get("body")
            if request.get("path") not in ("/api/generate", "/api/chat") or not isinstance(body, dict):
                continue
            if not ("prompt" in body or "messages" in body or "refused" in str(expectation(vector))):
                continue
            model = models.get(vector.get("fixture") or "", {}).get(body.get("model", ""))
            expected = expectation(vector)
            ident = f"{file}:{vector['id']}"
            reason = None
            if expected is None:
                continue  # not a prompt check: test_serve_standin_vectors.py runs it
            if model is None:
                reason = f"{ident}: model {body.get('model')!r} of fixture {vector.get('fixture')!r} is not described"
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            cases.append(pytest.param(vector, model, marks=marks, id=ident))
    return cases


@pytest.mark.parametrize(("vector", "model"), api_cases())
def test_api_requests_render_like_ollama(vector: dict[str, Any], model: dict[str, Any]) -> None:
    body = vector["request"]["body"]
    kind = "chat" if vector["request"]["path"] == "/api/chat" else "generate"
    given = {
        "template": model.get("template", "{{ .Prompt }}"),
        "system": model.get("system"),
        "capabilities": model.get("capabilities"),
    }
    what, text = expectation(vector) or ("", "")
    if what == "refused":
        with pytest.raises(UnsupportedRequestError) as refused:
            request_prompt(body, kind=kind, model=body["model"], **given)
        assert str(refused.value).endswith(text.split(" does not support ")[1])
        return
    prompt = request_prompt(body, kind=kind, **given)
    assert prompt.endswith(text) if what == "suffix" else prompt == text


def rendered_cases() -> list[Any]:
    """The api cases that check a prompt (the others are listed as skipped above), but
    for the embedding model: a Modelfile cannot say it (test_cli_template builds one)."""
    cases = [case for case in api_cases() if not case.marks and "capabilities" not in case.values[1]]
    reason = "no api vectors with a prompt found (set MFC_VECTORS)"
    return cases or [pytest.param(None, None, marks=pytest.mark.skip(reason=reason), id="api")]


@pytest.mark.parametrize(("vector", "model"), rendered_cases())
def test_api_requests_through_mfc_template_render(
    vector: dict[str, Any], model: dict[str, Any], tmp_path: Path
) -> None:
    """The same requests, as a user gives them to ``mfc template render``: the model is
    a Modelfile with the fixture's TEMPLATE and SYSTEM."""
    lines = ["FROM x", f'TEMPLATE """{model.get("template", "{{ .Prompt }}")}"""']
    if model.get("system"):
        lines.append(f'SYSTEM """{model["system"]}"""')
    (tmp_path / "Modelfile").write_text("\n".join(lines) + "\n")
    (tmp_path / "body.json").write_text(json.dumps(vector["request"]["body"]))
    kind = "chat" if vector["request"]["path"] == "/api/chat" else "generate"
    args = ["template", "render", str(tmp_path / "Modelfile"), "--values", str(tmp_path / "body.json")]
    result = CliRunner().invoke(cli, [*args, "--api", kind, "--store", str(tmp_path / "store")])
    what, text = expectation(vector) or ("", "")
    if what == "refused":
        assert result.exit_code == 1
        assert text.split(" does not support ")[1] in result.stderr
    elif what == "suffix":
        assert result.exit_code == 0 and result.stdout.endswith(text)
    else:
        assert (result.exit_code, result.stdout) == (0, text)


# ---- ../shared/vectors/templates/cases.json --------------------------------------------------

REQUEST_SHAPED = {"TestChatDebugRenderOnly", "TestGenerateDebugRenderOnly", "TestChatPrompt"}


def template_cases() -> list[Any]:
    if find("templates/cases.json") is None:
        reason = "vector templates/cases.json not found (set MFC_VECTORS)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="cases.json")]
    cases = load_json("templates/cases.json")
    return [pytest.param(c, id=c["id"]) for c in cases if c["source"] in REQUEST_SHAPED]


def generate_body(case: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The /api/generate body the debug-render test sent, and the model's template:
    ``messages`` is ``[system?, user{prompt, images}]`` (no MESSAGEs in these models)."""
    *system, user = case["input"]["messages"]
    body: dict[str, Any] = {"prompt": user["content"]}
    if system:
        body["system"] = system[0]["content"]
    if user.get("images"):
        body["images"] = user["images"]
    if case["kind"] == "render":  # the request's own template, over a "{{ .Prompt }}" model
        return {**body, "template": case["template"]}, "{{ .Prompt }}"
    return body, case["template"]


@pytest.mark.parametrize("case", template_cases())
def test_request_shaped_template_cases(case: dict[str, Any]) -> None:
    given = case["input"]
    if case["source"] == "TestGenerateDebugRenderOnly":
        body, model_template = generate_body(case)
        assert request_prompt(body, template=model_template) == case["expected"]
        return
    body = {"messages": given["messages"], "truncate": given["truncate"]}
    if given["tools"] is not None:
        body["tools"] = given["tools"]
    prompt = request_prompt(
        body,
        template=case["template"],
        count=whitespace_words,
        num_ctx=given["num_ctx"],
        image_tokens=IMAGE_TOKENS if given["has_projector"] else 0,
    )
    assert prompt == case["expected"]


# ---- the body's keys and types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Messages": []}, 'unknown key "Messages" in the request body: did you mean "messages"?'),
        ({"Prompt": "hi"}, 'unknown key "Prompt" in the request body: did you mean "prompt"?'),
        ({"promt": "hi"}, 'did you mean "prompt"?'),
        ({"prompt": 3}, "prompt: expected a string, got a number (3)"),
        ({"prompt": "hi", "raw": "yes"}, "raw: expected true or false, got a string ('yes')"),
        ({"messages": [{"role": "user", "Content": "hi"}]}, 'unknown key "Content" in messages[0]: did you mean'),
        ({"messages": "hi"}, "messages: expected an array of messages"),
        ({"prompt": "hi", "messages": []}, "mixes /api/chat keys (messages) with /api/generate keys (prompt)"),
        ({"prompt": "hi", "images": ["not base64!"]}, "images[0]: expected standard base64"),
        ({"prompt": "hi", "think": "hard"}, 'invalid think value: "hard"'),
        ({"prompt": "hi", "raw": True, "system": "x"}, "raw mode does not support template, system, or context"),
        ({"prompt": ""}, "prompt is empty"),
        ({}, "no prompt (/api/generate) and no messages (/api/chat)"),
    ],
)
def test_bad_bodies_name_the_key(body: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError) as error:
        request_prompt(body)
    assert message in str(error.value)
    assert error.value.exit_code == 2


def test_generate_applies_system_and_model_messages() -> None:
    template = "{{ range .Messages }}{{ .Role }}={{ .Content }};{{ end }}"
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    got = request_prompt({"prompt": "c"}, template=template, system="S", messages=history)
    assert got == "system=S;user=a;assistant=b;user=c;"
    got = request_prompt({"prompt": "c", "system": "T"}, template=template, system="S", messages=history)
    assert got.startswith("system=T;")
    assert request_prompt({"messages": [{"role": "System", "content": "U"}]}, template=template, system="S") == (
        "system=U;"
    )


def test_thinking_models_think_unless_told_not_to() -> None:
    template = "{{ range .Messages }}{{ .Thinking }}{{ .Content }}{{ end }}{{ if .Think }}<think>{{ end }}"
    assert request_prompt({"prompt": "x"}, template=template) == "x<think>"
    assert request_prompt({"prompt": "x", "think": False}, template=template) == "x"


def test_capabilities_the_template_lacks_are_refused_as_ollama_refuses_them() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    with pytest.raises(UnsupportedRequestError, match="m does not support tools"):
        request_prompt({"messages": [{"role": "user", "content": "x"}], "tools": tools}, model="m")
    with pytest.raises(UnsupportedRequestError, match="m does not support insert"):
        request_prompt({"prompt": "def f(", "suffix": "return 1"}, model="m")
    with pytest.raises(UnsupportedRequestError, match='"m" does not support thinking'):
        request_prompt({"prompt": "x", "think": "high"}, model="m")
    assert request_prompt({"prompt": "x", "think": False}, model="m") == "x"
