"""What each command imports, measured in a fresh interpreter: ``mfc --help``, a lint and
a build from a GGUF must not load what they never use (numpy, gguf-py, the converter,
the quantizer, llama-cpp-python, torch ...), since every import is start-up time paid on
each run.  A failure prints the chain of importers that brought the module in.

Also here: the summaries ``mfc --help`` lists without importing the commands agree with
their docstrings; the GGML type table that replaces gguf-py's import agrees with it; a
command whose optional extra is missing fails with one line naming the extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ggufs import write_gguf
from models import REPO, smollm2_gguf

from builder.cli.main import COMMANDS

# Never needed to lint, format or build from a GGUF.
HEAVY = (
    "numpy",
    "gguf",
    "tokenizers",
    "sentencepiece",
    "llama_cpp",
    "torch",
    "transformers",
    "safetensors",
    "builder.conversion",
    "builder.quantizer",
)
# Linting a TEMPLATE parses and translates it, but renders nothing: no Jinja2.  Nor does
# lint touch the store, or read package metadata (only SARIF output names mfc's version).
LINT_NEVER = (*HEAVY, "builder.store", "builder.create", "filelock", "jinja2", "importlib.metadata")
# A build translates a TEMPLATE and matches a GGUF's chat template by name; it renders none.
BUILD_NEVER = (*HEAVY, "jinja2")

# Runs in the child: records which module first imported each new module, runs the code,
# then writes {module: importer} for every module imported after start-up.
RECORDER = textwrap.dedent(
    """
    import json, sys
    importers = {}

    class Recorder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            frame = sys._getframe(1)
            while frame is not None and (  # skip the import machinery: find who asked
                frame.f_code.co_filename.startswith("<frozen")
                or frame.f_code.co_filename == __file__
                or frame.f_globals.get("__name__") == "importlib"  # importlib.import_module
            ):
                frame = frame.f_back
            importers.setdefault(name, frame.f_globals.get("__name__", "?") if frame is not None else "?")
            return None  # the ordinary finders do the work

    sys.meta_path.insert(0, Recorder)
    out, code = sys.argv[1], sys.argv[2]
    try:
        exec(compile(code, "<test>", "exec"), {"__name__": "__test__"})
    except SystemExit:
        pass
    finally:
        new = {name: importers.get(name, "?") for name in sys.modules if name in importers}
        with open(out, "w") as handle:
            json.dump(new, handle)
    """
)


def imported(tmp_path: Path, code: str, *, cwd: Path = REPO) -> dict[str, str]:
    """The modules ``code`` imports in a fresh interpreter, each with its importer."""
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    out = tmp_path / "imported.json"
    env = {"MFC_MODELS": "", "OLLAMA_MODELS": "", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(script), str(out), code], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )
    assert out.exists(), result.stderr
    found: dict[str, str] = json.loads(out.read_text())
    return found


def cli_code(*args: str) -> str:
    """Python that runs ``mfc ARGS``."""
    return f"from builder.cli.main import main\nmain({list(args)!r})"


def chain(modules: dict[str, str], name: str) -> str:
    """``name <- its importer <- ...`` back to the code that ran."""
    links = [name]
    while links[-1] in modules and modules[links[-1]] not in links:
        links.append(modules[links[-1]])
    return " <- ".join(links)


def assert_none_of(modules: dict[str, str], never: tuple[str, ...]) -> None:
    loaded = [m for m in modules if any(m == n or m.startswith(n + ".") for n in never)]
    roots = [m for m in loaded if modules.get(m) not in loaded]  # the first of each chain
    assert not loaded, "imported what the command never uses:\n" + "\n".join(chain(modules, m) for m in roots)


def test_recorder_sees_imports(tmp_path: Path) -> None:
    """The recorder itself works: a module the code imports is reported, with its importer."""
    modules = imported(tmp_path, "import modelfile.go.semver")
    assert "modelfile.go.semver" in modules
    with pytest.raises(AssertionError, match=r"modelfile\.go\.semver <- "):
        assert_none_of(modules, ("modelfile.go",))


def test_help_imports_no_command(tmp_path: Path) -> None:
    modules = imported(tmp_path, cli_code("--help"))
    assert_none_of(modules, (*{entry.module for entry in COMMANDS.values()}, "modelfile", "importlib.metadata"))


def test_help_lists_every_command() -> None:
    from click.testing import CliRunner

    from builder.cli.main import cli

    listing = CliRunner().invoke(cli, ["--help"]).output.split("Commands:")[1].splitlines()
    names = [line.split()[0] for line in listing if line.startswith("  ") and not line.startswith("   ")]
    assert names == sorted(COMMANDS)
    assert "  lint      Check Modelfiles for what Ollama rejects and for what it..." in listing


def test_version_read_when_asked(tmp_path: Path) -> None:
    """``-V`` reads the installed version; no other command pays for package metadata."""
    from importlib.metadata import version

    from click.testing import CliRunner

    from builder.cli.main import cli

    for flag in ("-V", "--version"):
        assert CliRunner().invoke(cli, [flag]).output == f"mfc, version {version('mfc')}\n"
    assert "importlib.metadata" in imported(tmp_path, cli_code("-V"))


def test_only_an_mfc_process_freezes_its_imports(tmp_path: Path) -> None:
    """``main`` (a process that is one command) leaves the objects the command's imports
    made out of garbage collection; a caller of the click group in its own process does
    not get its objects frozen."""
    import gc

    from click.testing import CliRunner

    from builder.cli.main import cli

    before = gc.get_freeze_count()
    CliRunner().invoke(cli, ["rule", "MF201"])
    assert gc.get_freeze_count() == before
    code = "import atexit, gc\natexit.register(lambda: print(gc.get_freeze_count()))\n" + cli_code("rule", "MF201")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert int(result.stdout.strip().splitlines()[-1]) > 10000, result.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_summary_is_the_docstring(name: str) -> None:
    """``mfc --help`` shows ``COMMANDS[name].summary``: it must be what click would show."""
    import click

    from builder.cli.main import cli

    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert COMMANDS[name].summary == command.get_short_help_str(limit=10**6)


def test_lint_cli(tmp_path: Path) -> None:
    modules = imported(tmp_path, cli_code("lint", "examples/smollm2/Modelfile"))
    assert "modelfile.template.translate" in modules  # the file's TEMPLATE was checked
    assert_none_of(modules, LINT_NEVER)


def test_lint_api(tmp_path: Path) -> None:
    code = "import modelfile\nmodelfile.lint('examples/smollm2/Modelfile')"
    modules = imported(tmp_path, code)
    assert "modelfile.linter.engine" in modules
    assert_none_of(modules, (*LINT_NEVER, "builder", "click"))


def test_fmt_cli(tmp_path: Path) -> None:
    modules = imported(tmp_path, cli_code("fmt", "--check", "examples/smollm2/Modelfile"))
    assert_none_of(modules, LINT_NEVER)


def test_gguf_build(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"}, {"token_embd.weight": (32, 2)})
    (tmp_path / "Modelfile").write_text(
        'FROM ./m.gguf\nTEMPLATE """{{ .System }}{{ .Prompt }}"""\nPARAMETER temperature 0.2\nSYSTEM terse\n'
    )
    code = cli_code("build", "-f", str(tmp_path / "Modelfile"), "-t", "m", "--store", str(tmp_path / "store"))
    modules = imported(tmp_path, code)
    assert "builder.store" in modules and (tmp_path / "store" / "manifests").is_dir()  # it built
    assert_none_of(modules, BUILD_NEVER)


def test_smollm2_build(tmp_path: Path) -> None:
    """The real model: its GGUF's chat template is matched to Ollama's chatml."""
    (tmp_path / "Modelfile").write_text(f"FROM {smollm2_gguf()}\n")
    code = cli_code("build", "-f", str(tmp_path / "Modelfile"), "-t", "s", "--store", str(tmp_path / "store"))
    modules = imported(tmp_path, code)
    assert "modelfile.template.named" in modules and (tmp_path / "store" / "manifests").is_dir()
    assert_none_of(modules, BUILD_NEVER)


def test_ggml_types_agree_with_gguf_py() -> None:
    """builder.ggml_types keeps its own copy of gguf-py's type table (see HEAVY)."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    from builder.ggml_types import GGML_TYPES

    theirs = {int(t): (t.name, *GGML_QUANT_SIZES[t]) for t in GGMLQuantizationType if t in GGML_QUANT_SIZES}
    assert {number: GGML_TYPES[number] for number in theirs if number in GGML_TYPES} == theirs
    assert set(theirs) <= set(GGML_TYPES), "gguf-py knows GGML types that builder.ggml_types lacks"


# ---- a missing extra ------------------------------------------------------------------


def without(modules: tuple[str, ...], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``mfc ARGS`` in a fresh interpreter where ``modules`` cannot be imported."""
    code = f"import sys\nsys.modules.update(dict.fromkeys({list(modules)!r}))\n{cli_code(*args)}"
    env = {"MFC_MODELS": "", "OLLAMA_MODELS": "", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def checkpoint(folder: Path) -> Path:
    """A Hugging Face folder the build recognises as one (it would fail to convert later)."""
    folder.mkdir()
    (folder / "config.json").write_text('{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}')
    header = b'{"model.embed_tokens.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}'
    (folder / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + bytes(16))
    return folder


@pytest.mark.parametrize("module", ["numpy", "gguf"])
def test_convert_without_extra(tmp_path: Path, module: str) -> None:
    folder = checkpoint(tmp_path / "hf")
    result = without((module,), "convert", str(folder), "-o", str(tmp_path / "out.gguf"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: converting Hugging Face checkpoints to GGUF needs the {module} package: pip install 'mfc[convert]'"
    )
    assert "Traceback" not in result.stderr and not (tmp_path / "out.gguf").exists()


def test_build_from_folder_without_extra(tmp_path: Path) -> None:
    checkpoint(tmp_path / "hf")
    (tmp_path / "Modelfile").write_text("FROM ./hf\n")
    result = without(("numpy",), "build", "-t", "m", "--store", str(tmp_path / "store"), "--json", cwd=tmp_path)
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["message"].endswith("needs the numpy package: pip install 'mfc[convert]'"), error
    assert not (tmp_path / "store" / "manifests").exists()


def test_gguf_build_needs_no_extra(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"})
    (tmp_path / "Modelfile").write_text("FROM ./m.gguf\n")
    result = without(HEAVY[:6], "build", "-t", "m", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "built m:latest" in result.stdout


def test_lint_and_fmt_need_no_extra(tmp_path: Path) -> None:
    modelfile = REPO / "examples" / "smollm2" / "Modelfile"
    for args in (("lint", str(modelfile)), ("fmt", "--check", str(modelfile))):
        result = without(HEAVY[:6], *args, cwd=tmp_path)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
        assert "needs the" not in result.stderr


def test_run_without_extra(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"})
    (tmp_path / "Modelfile").write_text("FROM ./m.gguf\n")
    store = str(tmp_path / "store")
    assert without((), "build", "-t", "m", "--store", store, cwd=tmp_path).returncode == 0
    result = without(("llama_cpp",), "run", "m", "hi", "--store", store, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("pip install 'mfc[run]'")


# ---- Lark's tables, cached between runs -----------------------------------------------


def test_grammar_tables_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first parser built writes its tables to the cache folder; the next one reads
    them back and parses the same; a damaged file is rebuilt and replaced."""
    from lark import Lark

    from modelfile import grammars
    from modelfile.grammars import lalr_parser

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    options = {"lexer": "contextual", "maybe_placeholders": False}
    built = lalr_parser("modelfile.lark", **options)
    [cached] = (tmp_path / "mfc").glob("modelfile-*.lark")

    class NoBuild(Lark):
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("the tables were built again instead of read from the cache")

    with monkeypatch.context() as patch:
        patch.setattr(grammars, "Lark", NoBuild)
        loaded = lalr_parser("modelfile.lark", **options)
    text = "FROM llama3.2\nPARAMETER temperature 0.7\n"
    assert loaded.parse(text) == built.parse(text)
    cached.write_bytes(b"not a pickle")
    assert lalr_parser("modelfile.lark", **options).parse(text) == built.parse(text)
    assert cached.read_bytes() != b"not a pickle"
    assert [p.name for p in (tmp_path / "mfc").iterdir()] == [cached.name]  # no temporary file left


def test_grammar_cache_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelfile.grammars import lalr_parser

    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # mkdir fails: not a folder
    parser = lalr_parser("gotemplate.lark", lexer="contextual", maybe_placeholders=False, propagate_positions=True)
    assert parser.parse("{{ .Prompt }}")
