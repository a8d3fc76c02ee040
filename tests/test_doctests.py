"""The examples in the library's docstrings and in docs/api.md run, and print what they
say they print.

Every module of ``modelfile`` and ``builder`` whose source holds an example (``>>>``)
is run with ``doctest``; so is docs/api.md.  Examples make their files in temporary
folders, which here live under the test's own ``tmp_path``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tempfile
from pathlib import Path

import pytest

import builder
import modelfile
from modelfile import template

REPO = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: The API the CLI is built on: each has a docstring with an example.
API = {
    modelfile: [
        "discover",
        "fix",
        "fix_file",
        "format_bytes",
        "format_file",
        "is_modelfile_name",
    ],
    builder: [
        "copy_model",
        "create_model",
        "inspect_gguf",
        "list_models",
        "load_prompting",
        "parse_create",
        "prune",
        "remove_model",
        "render_request",
        "show_json",
        "show_text",
        "verify",
    ],
    template: ["chat_prompt", "check", "load", "load_file", "parse_request", "request_prompt"],
}


def modules_with_examples() -> list[str]:
    found = []
    for package in (modelfile, builder):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            spec = info.module_finder.find_spec(info.name, None)
            origin = spec.origin if spec else None
            if origin and origin.endswith(".py") and ">>>" in Path(origin).read_text(encoding="utf-8"):
                found.append(info.name)
    return sorted({"modelfile", "builder", *found})


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("MFC_MODELS", str(tmp_path / "default-store"))  # never the user's store
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("name", modules_with_examples())
def test_module_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_api_md_examples() -> None:
    result = doctest.testfile(str(REPO / "docs" / "api.md"), module_relative=False, optionflags=FLAGS)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in docs/api.md failed"


@pytest.mark.parametrize(("package", "name"), [(p, n) for p, names in API.items() for n in names])
def test_the_api_is_exported_with_an_example(package: object, name: str) -> None:
    function = getattr(package, name)
    assert name in getattr(package, "__all__", ())
    assert ">>>" in (function.__doc__ or ""), f"{name} has no example"
    finder = doctest.DocTestFinder(recurse=False)
    (test,) = finder.find(function, name, globs={})
    assert test.examples
