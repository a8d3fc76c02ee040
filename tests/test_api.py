"""The library calls under the ``mfc`` commands (fix, format, template check and load,
list, show, copy, remove, prune, verify, inspect): their results and their errors,
beyond what the docstring examples show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ggufs import write_gguf

import builder
import modelfile
from builder.cli.main import cli
from modelfile import template


@pytest.fixture
def store(tmp_path: Path) -> builder.Store:
    write_gguf(
        tmp_path / "tiny.gguf", {"general.architecture": "llama", "tokenizer.ggml.tokens": ["a", "b"]}, {"w": (8,)}
    )
    (tmp_path / "Modelfile").write_text("FROM ./tiny.gguf\nSYSTEM terse\n")
    the_store = builder.Store(tmp_path / "store")
    builder.build(tmp_path / "Modelfile", "tiny", store=the_store)
    return the_store


# ---- modelfile: fix and format ---------------------------------------------------------------


def test_fix_keeps_utf16_and_refuses_bytes_it_cannot_rewrite(tmp_path: Path) -> None:
    utf16 = b"\xff\xfe" + "FROM x\nSYSTEM a\u200bb\n".encode("utf-16-le")
    fixed = modelfile.fix(utf16)
    assert (fixed.applied, fixed.data) == (1, b"\xff\xfe" + "FROM x\nSYSTEM ab\n".encode("utf-16-le"))
    latin = b"FROM x\nSYSTEM caf\xe9 a\xe2\x80\x8bb\n"
    refused = modelfile.fix(latin, path="m.Modelfile")
    assert (refused.applied, refused.data, refused.changed) == (0, latin, False)
    assert isinstance(refused.error, modelfile.EncodingError)
    assert str(refused.error) == "m.Modelfile: not fixed: the file is not valid utf-8"
    assert "MF503" in [d.code for d in refused.diagnostics]


def test_fix_file_writes_only_when_asked_and_reports_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "Modelfile"
    path.write_text("FROM x\nSYSTEM a\u200bb\n")
    assert modelfile.fix_file(path, write=False).applied == 1
    assert path.read_text() == "FROM x\nSYSTEM a\u200bb\n"
    missing = modelfile.fix_file(tmp_path / "missing")
    assert [d.code for d in missing.diagnostics] == ["MF000"] and missing.data == b""


def test_format_reports_each_problem_in_the_result(tmp_path: Path) -> None:
    latin = modelfile.format_bytes(b"from x\nSYSTEM caf\xe9\n", path="b.Modelfile")
    assert isinstance(latin.error, modelfile.EncodingError) and latin.error.code == "MF507"
    assert not latin.changed and latin.to_dict()["error"]["code"] == "MF507"
    broken = modelfile.format_bytes(b'FROM x\nSYSTEM """never closed\n')
    assert isinstance(broken.error, modelfile.ModelfileError) and broken.error.code == "MF005"
    path = tmp_path / "Modelfile"
    path.write_text("from x\n")
    result = modelfile.format_file(path, write=False)
    assert result.changed and result.diff().startswith(f"--- {path}\n+++ {path} (formatted)\n")
    assert path.read_text() == "from x\n"
    assert modelfile.format_file(path).to_dict() == {"path": str(path), "changed": True, "error": None}
    assert path.read_text() == "FROM x\n"


# ---- modelfile.template: check and load ------------------------------------------------------


def test_check_collects_each_conversation() -> None:
    result = template.check("{{ range .Messages }}{{ .Nope.Deeper }}{{ end }}")
    assert not result.ok and set(template.CONVERSATIONS) == {r.conversation for r in result.renders}
    assert all(r.error and r.characters is None for r in result.renders)
    legacy = template.check("{{ .System }} {{ .Prompt }}")
    assert legacy.ok and legacy.path.startswith("legacy") and legacy.to_dict()["ok"] is True


def test_load_places_errors_in_the_modelfile() -> None:
    source = template.load('FROM x\nTEMPLATE """a\n{{ .Prompt | nope }}"""\n', "Modelfile")
    with pytest.raises(template.TemplateError) as caught:
        source.translate()
    error = caught.value
    assert (error.path, error.line) == ("Modelfile", 3)
    assert str(error).startswith(f"Modelfile:3:{error.column}: {error.code} ")
    assert error.to_dict()["path"] == "Modelfile"
    with pytest.raises(template.NoTemplateError) as missing:
        template.load("FROM x\n", "Modelfile")
    assert missing.value.exit_code == 2


def test_load_reads_plain_template_files(tmp_path: Path) -> None:
    (tmp_path / "chat.gotmpl").write_text("{{ .Prompt }}")
    source = template.load_file(tmp_path / "chat.gotmpl")
    assert (source.text, source.name) == ("{{ .Prompt }}", str(tmp_path / "chat.gotmpl"))
    assert source.render({"messages": [{"role": "user", "content": "hi"}]}) == "hi"


# ---- builder: list, show, copy, remove, prune, verify, inspect -------------------------------


def test_list_models_keeps_a_model_whose_config_is_damaged(store: builder.Store) -> None:
    (summary,) = builder.list_models(store)
    assert summary.details["family"] == "llama"
    store.blob_path(store.find("tiny").manifest.config.digest).write_bytes(b"not json")
    (damaged,) = builder.list_models(store.root)
    assert (damaged.name, damaged.details["family"]) == ("tiny:latest", "")


def test_show_parts_and_errors(store: builder.Store) -> None:
    assert builder.show_text("tiny", "template", store=store) == ""
    assert builder.show_text("tiny", "license", store=store) == ""
    assert builder.show_text("tiny", store=store).startswith("  Model\n    architecture    llama\n")
    with pytest.raises(ValueError, match="unknown part 'everything'"):
        builder.show_text("tiny", "everything", store=store)
    with pytest.raises(builder.ModelNotFound):
        builder.show_json("other", store=store)


def test_copy_remove_and_prune_results(store: builder.Store) -> None:
    with pytest.raises(builder.StoreError, match="destination 'bad name!' is invalid"):
        builder.copy_model("tiny", "bad name!", store=store)
    assert builder.copy_model("tiny", "copy", store=store).to_dict() == {
        "source": "tiny:latest",
        "destination": "copy:latest",
    }
    assert builder.remove_model("tiny", store=store).blobs == ()  # the copy uses them all
    manifest = store.find("copy").manifest
    removed = builder.remove_model("copy", store=store)
    assert len(removed.blobs) == 3 and list(store.blobs.iterdir()) == []
    digests = sorted(layer.digest for layer in (manifest.config, *manifest.layers))
    assert sorted(removed.to_dict()["blobs"]) == digests  # sha256:<hex>, as everywhere else
    orphan = store.blobs / ("sha256-" + "a" * 64)
    orphan.write_bytes(b"12345")
    assert builder.prune(store).to_dict() == {"removed": [], "freed": 0}  # within the grace period
    # blobs are named by digest, sha256:<hex>, everywhere (issue 10, defect 10)
    assert builder.prune(store, grace=0).to_dict() == {"removed": ["sha256:" + "a" * 64], "freed": 5}


def test_verify_names_each_kind_of_problem(store: builder.Store) -> None:
    model = store.find("tiny")
    model_blob, system_blob = (store.blob_path(layer.digest) for layer in model.manifest.layers)
    model_blob.write_bytes(model_blob.read_bytes()[:-1] + b"\x01")
    system_blob.unlink()
    (store.manifests / "registry.ollama.ai" / "library" / "broken").mkdir()
    (store.manifests / "registry.ollama.ai" / "library" / "broken" / "latest").write_text("{")
    problems = builder.verify(store)
    assert sorted(p.kind for p in problems) == ["corrupt-blob", "missing-blob", "unreadable-manifest"]
    corrupt = next(p for p in problems if p.kind == "corrupt-blob")
    assert corrupt.model == "tiny:latest" and str(corrupt).startswith("tiny:latest: blob sha256:")
    assert [p.kind for p in builder.verify(store, ["tiny"])] == ["corrupt-blob", "missing-blob"]
    with pytest.raises(builder.ModelNotFound):
        builder.verify(store, ["other"])


def test_inspect_summarises_arrays_and_refuses_truncated_files(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", {"tokenizer.ggml.tokens": ["a", "b", "c"]}, {"w": (8,)})
    info = builder.inspect_gguf(path)
    assert info.metadata == {"tokenizer.ggml.tokens": {"array": "string", "length": 3}}
    assert [t.to_dict() for t in info.tensors] == [{"name": "w", "type": "F32", "shape": [8], "offset": 0, "size": 32}]
    assert info.parameter_count == 8 and "tensors" not in info.to_dict(tensors=False)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(modelfile.MfcError, match="truncated"):
        builder.inspect_gguf(path)


# ---- the commands report the library's errors through the group ---------------------------------


def test_command_errors_are_the_librarys(store: builder.Store) -> None:
    result = CliRunner().invoke(cli, ["show", "other", "--json", "--store", str(store.root)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "model-not-found"
    result = CliRunner().invoke(cli, ["template", "check", "-"], input="FROM x\n")
    assert result.exit_code == 2 and "is a Modelfile without a TEMPLATE" in result.stderr


@pytest.mark.parametrize("package", ["modelfile", "builder"])
def test_every_export_resolves_and_is_declared_for_type_checkers(package: str) -> None:
    """``_EXPORTS`` (loaded on first use), ``__all__`` and the ``TYPE_CHECKING`` imports
    name the same things, and each name resolves to the object its module defines."""
    import ast
    import importlib

    module = importlib.import_module(package)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    declared: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            declared |= {
                alias.asname or alias.name for n in node.body if isinstance(n, ast.ImportFrom) for alias in n.names
            }
    exports = module._EXPORTS
    assert set(exports) | ({"format"} if package == "modelfile" else set()) == set(module.__all__)
    assert set(module.__all__) <= declared
    for name in module.__all__:
        assert getattr(module, name) is not None
