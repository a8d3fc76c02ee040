"""Ollama's signed token flow for registry.ollama.ai (no network: httpx's MockTransport
plays the registry and its token server, and checks the signature with the public key)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from builder.registry import RegistryError
from builder.registry.client import RegistryClient


def _key(home: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    folder = home / ".ollama"
    folder.mkdir(parents=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    (folder / "id_ed25519").write_bytes(pem)
    return key


def _verify(header: str, url: str, key: Ed25519PrivateKey) -> None:
    blob, signature = header.split(":")
    public = serialization.load_ssh_public_key(b"ssh-ed25519 " + blob.encode())
    assert isinstance(public, Ed25519PublicKey)
    assert public.public_bytes_raw() == key.public_key().public_bytes_raw()
    empty = base64.b64encode(hashlib.sha256(b"").hexdigest().encode()).decode()
    public.verify(base64.b64decode(signature), f"GET,{url},{empty}".encode())  # raises if wrong


def test_the_token_request_is_signed_with_the_ollama_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    key = _key(tmp_path)
    seen: list[str] = []

    def registry(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            _verify(request.headers["Authorization"], str(request.url), key)
            query = request.url.params
            assert query["scope"] == "repository:library/m:pull" and query["ts"] and query["nonce"]
            seen.append("token")
            return httpx.Response(200, json={"token": "signed-token"})
        if request.headers.get("Authorization") != "Bearer signed-token":
            challenge = (
                'Bearer realm="https://registry.ollama.ai/token",service="ollama.com",scope="repository:library/m:pull"'
            )
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        seen.append("manifest")
        return httpx.Response(200, content=b"{}")

    with RegistryClient("registry.ollama.ai", transport=httpx.MockTransport(registry)) as client:
        answer = client.request(
            "GET", "https://registry.ollama.ai/v2/library/m/manifests/latest", scope="repository:library/m:pull"
        )
    assert answer.status_code == 200 and seen == ["token", "manifest"]


def test_a_realm_on_another_host_is_refused_as_ollama_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    _key(tmp_path)

    def registry(request: httpx.Request) -> httpx.Response:
        challenge = 'Bearer realm="https://elsewhere.example/token",service="s",scope="repository:library/m:pull"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    refused = r'realm host "elsewhere\.example" does not match original host'
    with (
        RegistryClient("registry.ollama.ai", transport=httpx.MockTransport(registry)) as client,
        pytest.raises(RegistryError, match=refused),
    ):
        client.request("GET", "https://registry.ollama.ai/v2/library/m/manifests/latest", scope="x")
