"""``mfc pull``, ``mfc push``, ``mfc login`` and ``mfc logout`` as CI runs them, against a
real registry with Basic auth: exit codes, one JSON object on standard output, Ollama's
statuses as JSON lines on standard error, and a password that appears nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from registries import PASSWORD, USER, Registry, htpasswd, registry
from serving import REPO, tiny_model

SCHEMA = json.loads((REPO / "docs" / "cli-output.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("cli-registry")
    with registry(root, auth=htpasswd(root)) as running:
        yield running


def mfc(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "builder.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        check=False,
        timeout=120,
    )


def valid(output: str, definition: str) -> dict[str, object]:
    document = json.loads(output)
    jsonschema.validate(document, {**SCHEMA, "anyOf": [{"$ref": f"#/$defs/{definition}"}]})
    assert isinstance(document, dict)
    return document


def test_login_push_pull_logout(tmp_path: Path, basic: Registry) -> None:
    env = {"MFC_CONFIG_DIR": str(tmp_path / "config"), "DOCKER_CONFIG": str(tmp_path / "docker")}
    name = f"{basic.host}/team/cli:v1"
    digest = tiny_model(tmp_path / "src", tmp_path / "a", name, "SYSTEM cli\n")

    refused = mfc("push", name, "--insecure", "--json", "--store", str(tmp_path / "a"), env=env)
    assert refused.returncode == 1
    assert valid(refused.stdout, "failure")["error"]["code"] == "registry-error"  # type: ignore[index]

    login = mfc("login", basic.host, "-u", USER, "--password-stdin", "--json", env=env, stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert valid(login.stdout, "login")["username"] == USER

    pushed = mfc("push", name, "--insecure", "--json", "--store", str(tmp_path / "a"), env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert valid(pushed.stdout, "push")["digest"] == digest
    statuses = [json.loads(line)["status"] for line in pushed.stderr.splitlines()]
    assert statuses[0] == "retrieving manifest" and statuses[-1] == "success"

    pulled = mfc("pull", name, "--insecure", "--json", "--store", str(tmp_path / "b"), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert valid(pulled.stdout, "pull")["digest"] == digest
    lines = [json.loads(line) for line in pulled.stderr.splitlines()]
    assert lines[0] == {"status": "pulling manifest"} and lines[-1] == {"status": "success"}
    assert any(line.get("digest") and line.get("total") == line.get("completed") for line in lines)

    plain = mfc("pull", name, "--insecure", "--store", str(tmp_path / "b"), env=env)
    assert plain.returncode == 0 and "0 blobs downloaded, 3 already here" in plain.stdout

    for result in (refused, login, pushed, pulled, plain):
        assert PASSWORD not in result.stdout + result.stderr

    out = mfc("logout", basic.host, "--json", env=env)
    assert valid(out.stdout, "logout") == {"ok": True, "host": basic.host, "removed": True}
    again = mfc("push", name, "--insecure", "--store", str(tmp_path / "a"), env=env)
    assert again.returncode == 1 and f"mfc login {basic.host}" in again.stderr
