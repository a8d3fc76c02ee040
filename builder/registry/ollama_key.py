"""Ollama's own token flow, for ``registry.ollama.ai``: no password, a signature.

Ollama answers its registry's ``Bearer`` challenge by asking the realm (which must be on
the registry's own host) for a token with ``ts`` and ``nonce`` added to the query, and an
``Authorization`` header ``<public key>:<signature>``: the base64 SSH wire form of the
user's ed25519 public key (``~/.ollama/id_ed25519``, the key registered on ollama.com),
and the base64 ed25519 signature of ``GET,<url>,<base64 of the hex sha256 of the empty
body>``.  The key is read with ``cryptography`` (the ``registry`` extra).

>>> sorted(OLLAMA_HOSTS)
['ollama.com', 'registry.ollama.ai']
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from pathlib import Path

import httpx

from builder.registry.errors import RegistryError

OLLAMA_HOSTS = frozenset({"registry.ollama.ai", "ollama.com"})


def key_path() -> Path:
    """Where Ollama keeps the user's key."""
    return Path.home() / ".ollama" / "id_ed25519"


def has_key() -> bool:
    return key_path().is_file()


def signed_request(realm: str, service: str, scope: str, registry_host: str) -> tuple[str, dict[str, str]]:
    """The URL and headers of Ollama's token request for ``scope``."""
    url = httpx.URL(realm)
    if url.host != registry_host.split(":")[0]:
        raise RegistryError(f'realm host "{url.host}" does not match original host "{registry_host}"')
    query = {
        "service": service,
        "scope": scope,
        "ts": str(int(time.time())),
        "nonce": base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode(),
    }
    signed_url = str(url.copy_merge_params(query))
    empty = base64.b64encode(hashlib.sha256(b"").hexdigest().encode()).decode()
    return signed_url, {"Authorization": sign(f"GET,{signed_url},{empty}".encode())}


def sign(data: bytes) -> str:
    """``<public key>:<signature>`` of ``data`` with the user's Ollama key."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise RegistryError(
            "signing in to registry.ollama.ai needs cryptography: pip install 'mfc[registry]'"
        ) from None
    path = key_path()
    try:
        key = serialization.load_ssh_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise RegistryError(f"{path}: cannot read the Ollama key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise RegistryError(f"{path}: not an ed25519 key")
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = public.split()[1].decode()  # the base64 SSH wire form, as in authorized_keys
    return f"{blob}:{base64.b64encode(key.sign(data)).decode()}"
