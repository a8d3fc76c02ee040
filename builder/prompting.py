"""What a model brings to its prompts (TEMPLATE, SYSTEM, MESSAGEs), gathered from a
template file, a Modelfile or a stored model, and the prompt an ``/api/generate`` or
``/api/chat`` request body gets from it (``render_request``: ``mfc template render``).

The template is chosen as ``mfc run`` chooses it: the TEMPLATE (the Modelfile's last,
else the base model's), else the GGUF's own Jinja ``tokenizer.chat_template`` (the
built-in Go template that Ollama's ``Named()`` recognises in it, as a build would add,
else the Jinja itself), else Ollama's default ``{{ .Prompt }}``.  A Modelfile's SYSTEM
and MESSAGEs replace its base model's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import ModelNameError, ModelNotFound, StoreError
from builder.manifest import MODEL
from builder.prompts import DEFAULT_TEMPLATE, JinjaChatTemplate
from builder.show import capabilities, load
from builder.store import Store, StoreLike, as_store
from modelfile.errors import ModelfileError, TemplateError
from modelfile.gguf_metadata import GGUFError, read_metadata
from modelfile.go.decoding import decode
from modelfile.ir import From, Message, Modelfile, System, Template
from modelfile.parser import parse
from modelfile.template import ChatFormat, TemplateSource, match_named, request_prompt
from modelfile.template.loading import load as load_template

THINK_FILTERED_FAMILIES = ("qwen3",)  # Ollama strips <think> from their earlier turns (and deepseek-r1's)


@dataclass(frozen=True)
class Prompting:
    """A model's part in its prompts: its template (Go text, or a GGUF's Jinja as a
    ``ChatFormat``), SYSTEM and MESSAGEs, and where the template came from."""

    name: str
    template: str | ChatFormat = DEFAULT_TEMPLATE
    system: str | None = None
    messages: tuple[dict[str, Any], ...] = ()
    description: str = "Ollama's default template"
    source: TemplateSource | None = None  # places the Go template's errors in its file
    filter_think: bool = False
    capabilities: frozenset[str] | None = None  # None: what the Go template shows

    def render(self, body: Mapping[str, Any], *, kind: str | None = None) -> str:
        """The prompt Ollama builds for ``body`` (``modelfile.template.request_prompt``)."""
        try:
            return request_prompt(
                body,
                template=self.template,
                system=self.system,
                messages=self.messages,
                kind=kind,
                model=self.name,
                capabilities=self.capabilities,
                filter_think=self.filter_think,
            )
        except TemplateError as error:
            if self.source is None or (isinstance(body, Mapping) and body.get("template")):
                raise
            raise self.source.locate(error) from None


def render_request(
    target: str | os.PathLike[str],
    body: Mapping[str, Any],
    *,
    store: StoreLike = None,
    kind: str | None = None,
    data: bytes | None = None,
) -> str:
    """The prompt Ollama's handler builds from the request ``body`` for ``target``: a Go
    template file, a Modelfile, or the name of a model in ``store``.  ``data`` is the
    file's content when it was read already (standard input); ``kind`` is ``generate``
    or ``chat`` (else told by the body's keys).

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "Modelfile").write_text(
    ...     'FROM x\\nSYSTEM You are terse.\\nTEMPLATE "{{ if .System }}[{{ .System }}] {{ end }}{{ .Prompt }}"\\n')
    >>> render_request(folder / "Modelfile", {"prompt": "Why is the sky blue?"})
    '[You are terse.] Why is the sky blue?'
    """
    return load_prompting(target, store=store, data=data).render(body, kind=kind)


def load_prompting(target: str | os.PathLike[str], *, store: StoreLike = None, data: bytes | None = None) -> Prompting:
    """What ``target`` (a template file, a Modelfile, or a stored model's name) brings
    to a prompt; ``data`` is the file's content when it was read already (``-``: stdin).

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "Modelfile"
    >>> _ = path.write_text("FROM x\\nSYSTEM Be brief.\\nMESSAGE user Hi\\nTEMPLATE {{ .Prompt }}\\n")
    >>> found = load_prompting(path)
    >>> found.template, found.system, found.messages, found.description
    ('{{ .Prompt }}', 'Be brief.', ({'role': 'user', 'content': 'Hi'},), "the Modelfile's TEMPLATE")
    """
    path = Path(target)
    if data is None and not path.is_file():
        return from_store(as_store(store), os.fspath(target))
    stdin = os.fspath(target) == "-"
    name = "<stdin>" if stdin else os.fspath(target)
    content = data if data is not None else path.read_bytes()
    try:
        modelfile = parse(content, path=name)
    except ModelfileError:
        return Prompting(
            name, decode(content), description="the template file", source=TemplateSource(decode(content), name)
        )
    folder = Path.cwd() if stdin else path.parent
    return from_modelfile(modelfile, name, content, folder, store)


def from_store(store: Store, name: str) -> Prompting:
    """A stored model's TEMPLATE, SYSTEM and MESSAGEs; refusals name it as ``name`` says it."""
    view = load(store, name)
    family = view.config.model_family
    filter_think = family in THINK_FILTERED_FAMILIES or view.model.name.model == "deepseek-r1"
    if view.template is not None:
        template: Prompting = Prompting(view.name, view.template, description="the model's TEMPLATE")
    else:
        models = view.model.manifest.layers_of(MODEL)
        template = from_gguf(store.blob_path(models[-1].digest), view.name) if models else Prompting(view.name)
    found = capabilities(store, view)
    return Prompting(
        name,
        template.template,
        view.system,
        tuple(view.messages),
        description=template.description,
        filter_think=filter_think,
        capabilities=template.capabilities if "completion" in found else frozenset(found),  # an embedding model
    )


def from_modelfile(modelfile: Modelfile, name: str, content: bytes, folder: Path, store: StoreLike = None) -> Prompting:
    """A Modelfile's last TEMPLATE and SYSTEM and its MESSAGEs, over its base model's."""
    templates, systems = modelfile.of_type(Template), modelfile.of_type(System)
    messages = tuple({"role": m.role, "content": m.content} for m in modelfile.of_type(Message))
    base = _base(modelfile, folder, store, required=not templates)
    if templates:
        source = load_template(content, name)
        template: str | ChatFormat = source.text
        description, capabilities = "the Modelfile's TEMPLATE", None
    else:
        source, template, description, capabilities = None, base.template, base.description, base.capabilities
    return Prompting(
        name,
        template,
        systems[-1].value.text if systems else base.system,
        messages or base.messages,
        description=description,
        source=source,
        filter_think=base.filter_think,
        capabilities=capabilities,
    )


def _base(modelfile: Modelfile, folder: Path, store: StoreLike, *, required: bool) -> Prompting:
    """The FROM model's part: a GGUF file, a Hugging Face folder, or a stored model."""
    froms = modelfile.of_type(From)
    if not froms:
        return Prompting("<no FROM>")
    value = froms[-1].value.text
    path = Path(os.path.expanduser(value))
    path = path if path.is_absolute() else folder / path
    if path.is_file():
        return from_gguf(path, value)
    if path.is_dir():
        return _from_folder(path, value)
    try:
        return from_store(as_store(store), value)
    except (StoreError, ModelNameError):
        if not required:
            return Prompting(value)
        raise ModelNotFound(
            f"FROM {value}: no such file or stored model, so its TEMPLATE is unknown (add a TEMPLATE, or --store DIR)"
        ) from None


def from_gguf(path: Path, name: str) -> Prompting:
    """A GGUF's chat template: the built-in Go template Ollama's ``Named()`` recognises
    in it, else the Jinja itself; without one, Ollama's default."""
    try:
        meta = read_metadata(path, arrays=("tokenizer.ggml.tokens",))
    except (GGUFError, OSError):
        return Prompting(name)
    chat_template = meta.metadata.get("tokenizer.chat_template")
    if not isinstance(chat_template, str):
        return Prompting(name)
    tokens = meta.metadata.get("tokenizer.ggml.tokens")

    def token(key: str) -> str:
        index = meta.metadata.get(key)
        ok = isinstance(index, int) and isinstance(tokens, list) and 0 <= index < len(tokens)
        return str(tokens[index]) if ok and tokens is not None and isinstance(index, int) else ""

    return _chat_template(
        name, chat_template, token("tokenizer.ggml.bos_token_id"), token("tokenizer.ggml.eos_token_id")
    )


def _from_folder(folder: Path, name: str) -> Prompting:
    """A Hugging Face folder's chat template (``chat_template.jinja`` or
    ``tokenizer_config.json``), as a conversion would put it in the GGUF."""
    jinja = folder / "chat_template.jinja"
    config: dict[str, Any] = {}
    if (folder / "tokenizer_config.json").is_file():
        loaded = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        config = loaded if isinstance(loaded, dict) else {}
    text = jinja.read_text(encoding="utf-8") if jinja.is_file() else config.get("chat_template")
    if not isinstance(text, str):
        return Prompting(name)

    def token(key: str) -> str:
        value = config.get(key)
        return value.get("content", "") if isinstance(value, dict) else value if isinstance(value, str) else ""

    return _chat_template(name, text, token("bos_token"), token("eos_token"))


def _chat_template(name: str, text: str, bos: str, eos: str) -> Prompting:
    named = match_named(text)
    if named is not None:
        return Prompting(name, named.template, description=f"Ollama's {named.name} template (autodetected)")
    capabilities = {"completion"}
    if "tools" in text or "tool_call" in text:
        capabilities.add("tools")
    if "<think>" in text and "</think>" in text:
        capabilities.add("thinking")
    jinja = JinjaChatTemplate(text, bos, eos)
    return Prompting(name, jinja, description=jinja.description, capabilities=frozenset(capabilities))
