"""``mfc lint``, ``fmt`` and ``parse`` run where POSIX-only modules do not exist
(Windows, where many Ollama users are): with ``pwd``, ``grp``, ``fcntl``, ``termios``,
``resource`` … made unimportable, the language package imports and every command gives
the same output and exit code as on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
POSIX_ONLY = ("pwd", "grp", "fcntl", "termios", "tty", "pty", "resource", "syslog", "readline")

# Runs each command in this process with the POSIX-only modules blocked (None in
# sys.modules makes ``import`` raise ImportError), printing [exit code, stdout, stderr].
SCRIPT = """
import contextlib, io, json, sys
for name in {blocked!r}:
    sys.modules[name] = None
from builder.cli.main import cli
results = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args=args, prog_name="mfc", standalone_mode=False)
        except SystemExit as stop:
            code = stop.code
    results.append([code or 0, out.getvalue(), err.getvalue()])
loaded = sorted(name for name in {blocked!r} if sys.modules.get(name) is not None)
print(json.dumps({{"results": results, "loaded": loaded}}))
"""


def _run(commands: list[list[str]], blocked: tuple[str, ...], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(blocked=blocked), json.dumps(commands)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Modelfiles that reach the path rules (``~user`` expansion needs ``pwd`` on POSIX),
    the template rules and the syntax errors."""
    (tmp_path / "Modelfile").write_text(
        "from ~nobody-such-user/model.gguf\nPARAMETER temprature 0.7\n"
        'TEMPLATE """{{ .System }}{{ .Prompt }}"""\nADAPTER ~/adapter.gguf\n'
    )
    (tmp_path / "bad.Modelfile").write_text('FROM x\nSYSTEM """open\n')
    (tmp_path / "ok.Modelfile").write_text("FROM llama3.2\nPARAMETER temperature 0.7\n")
    showcase = REPO / "fixtures" / "lint" / "showcase.Modelfile"
    (tmp_path / "showcase.Modelfile").write_bytes(showcase.read_bytes())
    return tmp_path


def test_lint_fmt_parse_behave_the_same_without_posix_modules(project: Path) -> None:
    commands = [
        ["lint", "."],
        ["lint", "--format", "json", "."],
        ["fmt", "--check", "."],
        ["fmt", "--diff", "Modelfile"],
        ["parse", "--json", "Modelfile"],
        ["parse", "bad.Modelfile"],
        ["parse", "--json", "ok.Modelfile"],
    ]
    here = _run(commands, (), project)
    there = _run(commands, POSIX_ONLY, project)
    assert there["loaded"] == []
    assert there["results"] == here["results"]
    codes = [result[0] for result in here["results"]]  # type: ignore[attr-defined]
    assert codes == [1, 1, 1, 1, 0, 1, 0]  # the findings are real: the comparison is not of empty runs


def test_the_language_api_imports_without_posix_modules() -> None:
    script = (
        f"import sys\nfor n in {POSIX_ONLY!r}: sys.modules[n] = None\n"
        "import modelfile\n"
        "mf = modelfile.parse('FROM ~/m.gguf\\nPARAMETER seed 1\\n', path='Modelfile')\n"
        "print(modelfile.format(mf), end='')\n"
        "print(len(modelfile.lint('Modelfile')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("FROM ~/m.gguf\nPARAMETER seed 1\n")
