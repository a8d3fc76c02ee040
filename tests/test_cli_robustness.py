"""No input, however malformed, gets a traceback out of ``mfc parse``, ``mfc lint``
or ``mfc fmt``: only exit 0 or 1 and a message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from strategies import modelfile_bytes

from builder.cli.main import cli

EXAMPLES = int(os.environ.get("MFC_FUZZ_EXAMPLES", "150")) // 3
COMMANDS = [["parse", "--json", "-"], ["lint", "--json", "-"], ["fmt", "-"], ["lint", "-"], ["parse", "-"]]


def invoke(args: list[str], data: bytes) -> int:
    result = CliRunner().invoke(cli, args, input=data, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(modelfile_bytes())
def test_generated_input_never_crashes(data: bytes) -> None:
    for args in COMMANDS:
        assert invoke(args, data) in (0, 1)


NASTY = {
    "nul": b"FROM x\x00\nSYSTEM a\x00b\x00\n\x00",
    "megabyte-line": b"FROM x\nSYSTEM " + b"a" * 1_000_000 + b"\n",
    "megabyte-quote": b'FROM x\nSYSTEM """' + b"x\n" * 500_000,
    "truncated-utf8": b"FROM x\nSYSTEM caf\xc3",
    "truncated-utf16": b"\xff\xfe" + "FROM x\nSYSTEM hi".encode("utf-16-le")[:-1],
    "utf16-no-bom": "FROM x\n".encode("utf-16-le"),
    "lone-surrogates": b"\xff\xfe\x00\xdc\x00\xdcF\x00",
    "only-bom": b"\xef\xbb\xbf",
    "random": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", NASTY)
def test_nasty_input(name: str) -> None:
    for args in COMMANDS:
        assert invoke(args, NASTY[name]) in (0, 1)


def test_nasty_files(tmp_path: Path) -> None:
    for name, data in NASTY.items():
        (tmp_path / f"{name}.Modelfile").write_bytes(data)
    assert invoke(["lint", str(tmp_path)], b"") == 1
    assert invoke(["fmt", "--check", str(tmp_path)], b"") == 1
