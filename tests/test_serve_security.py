"""``mfc serve`` applies its configuration and security as Ollama does, end to end: the
address from ``OLLAMA_HOST``, the Host-header check when bound to loopback, CORS per
``OLLAMA_ORIGINS``, and the optional API key (``--api-key`` / ``MFC_API_KEY``), against
a real server process on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import ollama
import pytest
from serving import free_port, running, tiny_model


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve-security")
    tiny_model(root / "m", root / "store", "tiny")
    return root / "store"


def test_the_host_header_check_refuses_a_foreign_host_on_loopback(store: Path, tmp_path: Path) -> None:
    with running(store, tmp_path / "log") as url:
        assert httpx.get(url + "/api/tags").status_code == 200
        assert httpx.get(url + "/api/tags", headers={"Host": "localhost"}).status_code == 200
        assert httpx.get(url + "/api/tags", headers={"Host": "evil.example"}).status_code == 403


def test_cors_answers_allowed_origins_and_refuses_others(store: Path, tmp_path: Path) -> None:
    env = {"OLLAMA_ORIGINS": "https://app.example"}
    with running(store, tmp_path / "log", env=env) as url:
        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        allowed = httpx.options(url + "/api/chat", headers=preflight)
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = httpx.get(url + "/api/tags", headers={"Origin": "https://other.example"})
        assert refused.status_code == 403


def test_an_api_key_is_required_everywhere_and_never_echoed(store: Path, tmp_path: Path) -> None:
    key = "s3cret-key"
    with running(store, tmp_path / "log", "--api-key", key, key=key) as url:
        plain = httpx.get(url + "/api/tags")
        assert plain.status_code == 401 and key not in plain.text
        openai_shaped = httpx.get(url + "/v1/models").json()
        assert "error" in openai_shaped and key not in str(openai_shaped)
        wrong = httpx.get(url + "/api/tags", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        client = ollama.Client(host=url, headers={"Authorization": f"Bearer {key}"})
        assert [m.model for m in client.list().models] == ["tiny:latest"]
    assert key not in (tmp_path / "log").read_text()


def test_the_key_can_come_from_the_environment(store: Path, tmp_path: Path) -> None:
    with running(store, tmp_path / "log", env={"MFC_API_KEY": "from-env"}, key="from-env") as url:
        assert httpx.get(url + "/api/tags").status_code == 401
        assert httpx.get(url + "/api/tags", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_ollama_host_or_host_sets_the_address(store: Path, tmp_path: Path) -> None:
    """OLLAMA_HOST as Ollama reads it (MFC_HOST first), and --host over both."""
    address = f"127.0.0.1:{free_port()}"
    with running(store, tmp_path / "log", env={"OLLAMA_HOST": address}, address=address) as url:
        assert httpx.get(url + "/").text == "Ollama is running"
    assert f"listening on http://{address}" in (tmp_path / "log").read_text()
    address = f"127.0.0.1:{free_port()}"
    env = {"OLLAMA_HOST": "127.0.0.1:1", "MFC_HOST": address}
    with running(store, tmp_path / "log", env=env, address=address) as url:
        assert httpx.get(url + "/").text == "Ollama is running"
    address = f"127.0.0.1:{free_port()}"
    with running(store, tmp_path / "log", "--host", address, env=env, address=address) as url:
        assert httpx.get(url + "/").text == "Ollama is running"
