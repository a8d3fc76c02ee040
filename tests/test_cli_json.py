"""One JSON and exit-code contract for every command (issue 10, defect 10).

Every command that has ``--json`` is run here, on success and on failure, and what it
prints on standard output must be one JSON document that validates against the schema
shipped in ``docs/cli-output.schema.json``: the command's own ``$defs`` entry, or the
shared failure shape ``{"ok": false, "error": {code, message, ...}}``.  Click's own usage
errors count too.  Beside it: the exit codes (``build -f FOLDER`` is a usage error, a
closed pipe is a normal end) and the "Exit" paragraph of every command's ``--help``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from ggufs import write_gguf
from models import REPO
from test_build import CHATML_JINJA

from builder.cli.main import COMMANDS, cli

SCHEMA = json.loads((REPO / "docs" / "cli-output.schema.json").read_text(encoding="utf-8"))


def validator(definition: str) -> jsonschema.Draft202012Validator:
    """A validator for one ``$defs`` entry of the schema (its references resolved)."""
    return jsonschema.Draft202012Validator({**SCHEMA, "anyOf": [{"$ref": f"#/$defs/{definition}"}]})


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Modelfile over a tiny GGUF, a broken one, a request body, and a store holding
    ``tiny``; the tests run in this folder."""
    root = tmp_path_factory.mktemp("json")
    write_gguf(root / "tiny.gguf", {"general.architecture": "llama", "general.name": "Tiny"}, {"w": (8,)})
    (root / "Modelfile").write_text(
        'FROM ./tiny.gguf\nSYSTEM Be brief.\nPARAMETER temperature 0.2\nTEMPLATE """{{ .Prompt }}"""\n'
    )
    (root / "Broken").write_text("FROM ./tiny.gguf\nPARAMTER temperature 0.2\n")
    (root / "Messy").write_text("from ./tiny.gguf\nsystem   terse\n")
    (root / "BadValue").write_text("FROM ./tiny.gguf\nPARAMETER num_ctx big\n")
    (root / "body.json").write_text('{"prompt": "Why is the sky blue?"}')
    (root / "Own").write_text("FROM tiny\nSYSTEM only this model has this system prompt\n")
    (root / "promt.tmpl").write_text("{{ .Promt }}")
    (root / "bad.tmpl").write_text("{{ .Prompt }")
    (root / "folder").mkdir()
    before = os.getcwd()
    os.chdir(root)
    try:
        assert invoke("build", "tiny", "--store", "store").exit_code == 0
        yield root
    finally:
        os.chdir(before)


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def printed(args: list[str], exit_code: int, definition: str) -> dict[str, Any]:
    """Run ``mfc ARGS``; check its exit code and that standard output is one JSON
    object valid against ``definition`` ("failure" for the shared error shape)."""
    result = invoke(*args)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    data = json.loads(result.stdout)  # the whole output: one document, nothing else
    errors = sorted(validator(definition).iter_errors(data), key=str)
    assert not errors, f"{args}: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert data["ok"] is (exit_code == 0)
    return data


STORE = ["--store", "store"]

#: (command line, exit code, the schema's $defs entry)
CASES = [
    (["parse", "--json", "Modelfile"], 0, "parse"),
    (["parse", "--json", "Broken"], 1, "failure"),
    (["lint", "--json", "Modelfile"], 0, "lint"),
    (["lint", "--json", "Broken"], 1, "lint"),
    (["lint", "--json", str(REPO / "fixtures" / "lint" / "showcase.Modelfile")], 1, "lint"),  # fixes too
    (["lint", "--json", "--select", "MF9999", "Modelfile"], 2, "failure"),
    (["fmt", "--json", "--check", "Modelfile"], 0, "fmt"),
    (["fmt", "--json", "--diff", "Broken"], 1, "fmt"),
    (["fmt", "--json", "--diff", "Messy"], 1, "fmt"),
    (["rule", "--json"], 0, "rule_list"),
    (["rule", "--json", "MF201"], 0, "rule"),
    (["rule", "--json", "MF999"], 2, "failure"),
    (["template", "translate", "--json", "Modelfile"], 0, "template_translate"),
    (["template", "translate", "--json", "bad.tmpl"], 1, "failure"),
    (["template", "render", "--json", "Modelfile", "--values", "body.json"], 0, "template_render"),
    (["template", "render", "--json", "Modelfile"], 2, "failure"),  # click: --values is required
    (["template", "check", "--json", "Modelfile"], 0, "template_check"),
    (["template", "check", "--json", "promt.tmpl"], 1, "template_check"),  # MF403, as lint finds
    (["build", "tiny", "--json", *STORE], 0, "build"),
    (["build", "-t", "tiny", "--dry-run", "--json", *STORE], 0, "build"),
    (["create", "tiny2", "-f", "Modelfile", "--json", *STORE], 0, "build"),
    (["create", "bad name!", "-f", "Modelfile", "--json", *STORE], 2, "failure"),
    (["build", "x", "-f", "BadValue", "--json", *STORE], 1, "failure"),
    (["build", "x", "-f", "folder", "--json", *STORE], 2, "failure"),
    (["build", "x", "-f", "missing", "--json", *STORE], 2, "failure"),
    (["build", "--json", *STORE], 2, "failure"),  # no name
    (["build", "x", "--bogus", "--json", *STORE], 2, "failure"),  # click: no such option
    (["list", "--json", *STORE], 0, "list"),
    (["list", "--json", "--all", *STORE], 2, "failure"),  # click: no such option
    (["show", "tiny", "--json", *STORE], 0, "show"),
    (["show", "nothing", "--json", *STORE], 1, "failure"),
    (["show", "--json", *STORE], 2, "failure"),  # click: missing NAME
    (["cp", "tiny", "copy", "--json", *STORE], 0, "cp"),
    (["cp", "tiny", "a:b:c", "--json", *STORE], 1, "failure"),
    (["rm", "copy", "--json", *STORE], 0, "rm"),
    (["rm", "nothing", "--json", *STORE], 1, "failure"),
    (["prune", "--json", *STORE], 0, "prune"),
    (["prune", "--json", "--later", *STORE], 2, "failure"),  # click: no such option
    (["verify", "--json", *STORE], 0, "verify"),
    (["verify", "--json", "--store", "no-such-store"], 1, "failure"),
    (["inspect", "tiny", "--json", *STORE], 0, "inspect"),
    (["inspect", "tiny.gguf", "--json", "--no-tensors"], 0, "inspect"),
    (["inspect", "Modelfile", "--json"], 1, "failure"),
    (["run", "nothing", "hello", "--json", *STORE], 1, "failure"),
    (["run", "tiny", "hello", "-p", "temperature", "hot", "--json", *STORE], 2, "failure"),
    (["embed", "nothing", "hello", "--json", *STORE], 1, "failure"),
    (["embed", "--json", *STORE], 2, "failure"),  # click: missing NAME
    (["quantize", "tiny.gguf", "out.gguf", "q9_z", "--json"], 1, "failure"),
    (["quantize", "--json"], 2, "failure"),
    (["quantize", "--list", "--json"], 0, "quantize_list"),
    (["convert", "nothing", "-o", "out.gguf", "--json"], 1, "failure"),
    (["convert", "-o", "out.gguf", "--json"], 2, "failure"),
    (["convert", "--list", "--json"], 0, "convert_list"),
    (["convert", "nothing", "--json"], 2, "failure"),  # no -o
    (["pull", "127.0.0.1:9/library/nothing", "--insecure", "--json", *STORE], 1, "failure"),
    (["pull", "http://127.0.0.1:9/library/plain", "--json", *STORE], 1, "failure"),  # needs --insecure
    (["push", "127.0.0.1:9/library/nothing", "--json", *STORE], 1, "failure"),
    (["push", "--json", *STORE], 2, "failure"),
    (["login", "127.0.0.1:9", "-u", "ci", "--password-stdin", "--json"], 2, "failure"),  # empty password
    (["logout", "127.0.0.1:9", "--json"], 0, "logout"),
    (["logout", "--json"], 2, "failure"),  # click: missing HOST
    (["biuld", "--json"], 2, "failure"),  # click: no such command
]


@pytest.mark.parametrize(
    ("args", "exit_code", "definition"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_every_command_prints_json_the_schema_allows(
    folder: Path, args: list[str], exit_code: int, definition: str
) -> None:
    printed(args, exit_code, definition)


def test_every_command_with_json_is_covered() -> None:
    """A command added with --json must be added to CASES (success and failure)."""
    covered = {args[0] for args, _, _ in CASES}
    with_json = set()
    for name in COMMANDS:
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        subcommands = getattr(command, "commands", {}).values() or [command]
        if any("--json" in p.opts for c in subcommands for p in c.params):
            with_json.add(name)
    assert with_json == covered - {"biuld"}
    assert {"run", "embed"} <= with_json
    for name in with_json:
        outcomes = {code == 0 for args, code, _ in CASES if args[0] == name}
        # run, embed and convert succeed in test_models_convert_quantize_run_and_embed_in_json;
        # pull, push and login against a real registry in test_registry_cli.py
        assert outcomes == {True, False} or name in ("run", "embed", "convert", "pull", "push", "login"), name


def test_schema_has_an_entry_per_command_and_the_error_object() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    definitions = set(SCHEMA["$defs"])
    assert set(SCHEMA["x-mfc-commands"].values()) <= definitions
    assert {"error", "failure"} <= definitions
    error = SCHEMA["$defs"]["error"]
    assert error["required"] == ["code", "message"] and {"path", "line", "column", "hint"} <= set(error["properties"])
    assert "## JSON output" in (REPO / "README.md").read_text(encoding="utf-8")


def test_a_non_json_line_or_a_shape_outside_the_schema_fails_validation() -> None:
    """The check is not vacuous: the shapes defect 10 found are refused."""
    with pytest.raises(json.JSONDecodeError):
        json.loads('{"ok": true}\nbuilt tiny (abc)\n')
    bare_lint = [{"path": "Modelfile", "line": 1, "column": 1, "code": "MF201"}]
    assert list(validator("lint").iter_errors(bare_lint))
    build_error = {"ok": False, "error": {"message": "Modelfile:1:1: no FROM"}}  # no code
    assert list(validator("failure").iter_errors(build_error))
    verify_text = {"ok": False, "models": 1, "problems": ["tiny:latest: blob sha256:00 is missing"]}
    assert list(validator("verify").iter_errors(verify_text))
    rm_dash = {"ok": True, "removed": [{"name": "tiny:latest", "blobs": ["sha256-" + "0" * 64]}]}
    assert list(validator("rm").iter_errors(rm_dash))


def test_build_errors_carry_path_line_and_column(folder: Path) -> None:
    data = printed(["build", "x", "-f", "BadValue", "--json", *STORE], 1, "failure")
    assert {k: data["error"][k] for k in ("code", "path", "line", "column")} == {
        "code": "build-failed",
        "path": "BadValue",
        "line": 2,
        "column": 1,
    }
    assert "invalid int value [big]" in data["error"]["message"]
    assert not data["error"]["message"].startswith("BadValue:")  # the place is in its own fields
    text = invoke("build", "x", "-f", "BadValue", *STORE)
    assert text.exit_code == 1 and "BadValue:2:1: " in text.stderr  # the line on a terminal keeps it


def test_verify_problems_are_objects_and_rm_names_blobs_by_digest(folder: Path, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "store")]
    assert invoke("build", "tiny", "-f", "Modelfile", *store).exit_code == 0
    assert invoke("build", "own", "-f", "Own", *store).exit_code == 0
    model = json.loads(invoke("show", "own", "--json", *store).stdout)
    system = next(layer for layer in model["layers"] if layer["mediaType"].endswith(".system"))
    blob = tmp_path / "store" / "blobs" / system["digest"].replace(":", "-")
    blob.write_bytes(b"changed!" * 10)
    data = printed(["verify", "--json", *store], 1, "verify")
    (problem,) = data["problems"]
    assert problem == {
        "kind": "wrong-size",
        "model": "own:latest",
        "digest": system["digest"],
        "message": problem["message"],
    }
    removed = printed(["rm", "own", "--json", *store], 0, "rm")["removed"]
    assert system["digest"] in removed[0]["blobs"]  # sha256:<hex>, not the file's sha256-<hex>


def test_usage_errors_under_json_are_json(folder: Path) -> None:
    data = printed(["lint", "--json", "--no-such-option"], 2, "failure")
    assert data["error"]["code"] == "usage-error" and "--no-such-option" in data["error"]["message"]
    text = invoke("lint", "--no-such-option")  # without --json: click's text, as before
    assert text.exit_code == 2 and text.stdout == "" and "No such option" in text.stderr


def test_build_of_a_folder_is_a_usage_error_like_a_missing_file(folder: Path) -> None:
    """``build -f folder`` exited 1 where a missing file exited 2: both name something
    that is not a Modelfile."""
    for target in ("folder", "missing", "Modelfile.missing"):
        result = invoke("build", "x", "-f", target, *STORE)
        assert result.exit_code == 2, (target, result.stderr)
        assert result.stderr.count("\n") == 1 and target in result.stderr


@pytest.mark.parametrize("args", [["rule"], ["rule", "--json"], ["lint", "--help"]])
def test_a_closed_pipe_is_a_normal_end(args: list[str]) -> None:
    """``mfc rule | head -1`` exited 1 with an internal error: the reader leaving is the
    end of the output, not a failure (exit 0, nothing on standard error)."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first write
    try:
        done = subprocess.run(
            [sys.executable, "-m", "builder.cli.main", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, "")


def run_on_a_terminal(*args: str) -> subprocess.CompletedProcess[str]:
    """``mfc ARGS`` with a terminal (a pty) as standard input, its output captured."""
    import pty

    controller, terminal = pty.openpty()
    try:
        return subprocess.run(
            [sys.executable, "-m", "builder.cli.main", *args],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)


def help_texts() -> Iterator[tuple[str, str]]:
    for name in sorted(COMMANDS):
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        yield name, invoke(name, "--help").stdout
        for sub in sorted(getattr(command, "commands", {})):
            yield f"{name} {sub}", invoke(name, sub, "--help").stdout


def exit_paragraph(text: str) -> str:
    """The paragraph of a help text that starts with "Exit" ("" when there is none)."""
    found = re.search(r"^ *(Exit\b.*?)(?:\n *\n|\Z)", text, re.M | re.S)
    return found.group(1) if found else ""


def test_every_help_states_its_exit_codes() -> None:
    texts = [("mfc", invoke("--help").stdout), *help_texts()]
    missing = [name for name, text in texts if not re.search(r"\b[012]\b", exit_paragraph(text))]
    assert missing == []


def test_models_convert_quantize_run_and_embed_in_json(tmp_path: Path) -> None:
    """The commands that need real weights, on tiny random checkpoints: convert, quantize,
    then run and embed what was built."""
    pytest.importorskip("transformers")
    pytest.importorskip("llama_cpp")
    from hf_fixtures import tiny_model

    llama, bert = tiny_model("llama", tmp_path / "llama"), tiny_model("bert", tmp_path / "bert")
    printed(["convert", str(llama), "-o", str(tmp_path / "llama.gguf"), "--json"], 0, "convert")
    quantized = str(tmp_path / "llama-q8.gguf")
    printed(["quantize", str(tmp_path / "llama.gguf"), quantized, "q8_0", "--json"], 0, "quantize")
    store = ["--store", str(tmp_path / "store")]
    (tmp_path / "Llama").write_text(f"FROM {quantized}\nPARAMETER num_predict 4\nPARAMETER seed 1\n")
    (tmp_path / "Bert").write_text(f"FROM {bert}\n")
    printed(["build", "llama", "-f", str(tmp_path / "Llama"), "--json", *store], 0, "build")
    printed(["build", "bert", "-f", str(tmp_path / "Bert"), "--json", *store], 0, "build")
    printed(["run", "llama", "hello", "--json", *store], 0, "run")
    no_prompt = run_on_a_terminal("run", "llama", "--json", *store)  # a chat would not be JSON
    assert no_prompt.returncode == 2, no_prompt.stderr
    assert json.loads(no_prompt.stdout)["error"]["code"] == "invalid-input"
    assert (
        printed(["run", "bert", "hello", "--json", *store], 1, "failure")["error"]["code"] == "unsupported-capability"
    )
    printed(["embed", "bert", "hello", "--json", *store], 0, "embed")
    plain = invoke("embed", "bert", "hello", *store)  # without --json: /api/embed's shape, as before
    assert plain.exit_code == 0 and "ok" not in json.loads(plain.stdout)
    assert (
        printed(["embed", "llama", "hello", "--json", *store], 1, "failure")["error"]["code"]
        == "unsupported-capability"
    )


def test_build_json_names_no_built_in_template_when_the_modelfile_replaced_it(tmp_path: Path) -> None:
    """``build --json`` said "template": "chatml" (and the progress "using autodetected
    template chatml") after the Modelfile's TEMPLATE had replaced it."""
    write_gguf(tmp_path / "chat.gguf", {"general.architecture": "llama", "tokenizer.chat_template": CHATML_JINJA})
    (tmp_path / "Own").write_text("FROM ./chat.gguf\nTEMPLATE {{ .Prompt }}\n")
    (tmp_path / "Auto").write_text("FROM ./chat.gguf\n")
    store = ["--store", str(tmp_path / "store")]
    own = printed(["build", "own", "-f", str(tmp_path / "Own"), "--json", *store], 0, "build")
    assert own["template"] is None
    auto = printed(["build", "auto", "-f", str(tmp_path / "Auto"), "--json", *store], 0, "build")
    assert auto["template"] == "chatml"


@pytest.mark.parametrize(
    ("raised", "exit_code", "code", "text"),
    [
        ("RuntimeError('boom')", 1, "internal-error", "mfc: internal error: RuntimeError: boom"),
        ("KeyboardInterrupt()", 130, "interrupted", "mfc: interrupted"),
    ],
)
def test_a_bug_or_an_interrupt_under_json_is_json_too(
    tmp_path: Path, raised: str, exit_code: int, code: str, text: str
) -> None:
    """What no command foresaw still ends in one JSON record under --json (one line of
    text without it), with its exit code."""

    def mfc_list(*args: str) -> subprocess.CompletedProcess[str]:
        program = (
            "import builder, sys\n"
            f"def broken(*args, **kwargs):\n    raise {raised}\n"
            "builder.list_models = broken\n"
            "from builder.cli.main import main\n"
            "main(sys.argv[1:])\n"
        )
        return subprocess.run(
            [sys.executable, "-c", program, "list", "--store", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "MFC_DEBUG": ""},
        )

    as_json = mfc_list("--json")
    assert as_json.returncode == exit_code and as_json.stderr.strip() == ""  # click ends a ^C's line
    assert not list(validator("failure").iter_errors(json.loads(as_json.stdout)))
    assert json.loads(as_json.stdout)["error"]["code"] == code
    plain = mfc_list()
    assert plain.returncode == exit_code and plain.stdout == ""
    assert plain.stderr.strip().startswith(text) and plain.stderr.strip().count("\n") == 0
