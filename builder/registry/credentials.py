"""The credentials for a registry host, found where users keep them:

1. mfc's own file (``mfc login``): ``$MFC_CONFIG_DIR/auth.json``, else
   ``~/.config/mfc/auth.json``, written 0600, in Docker's ``auths`` format;
2. Docker's ``config.json`` (``$DOCKER_CONFIG``, else ``~/.docker``): ``credHelpers`` for
   the host, then ``auths`` (``auth`` is base64 ``user:password``; ``identitytoken``),
   then ``credsStore``.  A helper is the program ``docker-credential-<name>``, asked
   with ``get`` and the host on its input, answering ``{"Username", "Secret"}``
   (Username ``<token>``: the secret is an identity token).

``Credentials`` never shows its secret in ``repr`` or ``str``.

>>> Credentials("ci", "s3cret")
Credentials(username='ci')
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.registry.errors import RegistryError


@dataclass(frozen=True)
class Credentials:
    """A user name and its secret (a password, or an identity token for the token
    server when ``identity_token`` is set)."""

    username: str
    secret: str = field(repr=False)
    identity_token: bool = field(default=False, repr=False)

    def __str__(self) -> str:
        return f"credentials of {self.username}"

    def basic(self) -> str:
        """The ``Authorization`` value for HTTP Basic."""
        pair = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def mfc_auth_file() -> Path:
    """Where ``mfc login`` keeps credentials."""
    folder = os.environ.get("MFC_CONFIG_DIR") or Path.home() / ".config" / "mfc"
    return Path(folder) / "auth.json"


def docker_config_file() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"


def find_credentials(host: str) -> Credentials | None:
    """The credentials for ``host`` (``None``: go anonymous)."""
    own = _read_json(mfc_auth_file())
    found = _from_auths(own.get("auths", {}), host)
    if found is not None:
        return found
    docker = _read_json(docker_config_file())
    helper = docker.get("credHelpers", {}).get(host)
    if isinstance(helper, str) and helper:
        return helper_get(helper, host)
    found = _from_auths(docker.get("auths", {}), host)
    if found is not None:
        return found
    store = docker.get("credsStore")
    if isinstance(store, str) and store:
        return helper_get(store, host, missing_ok=True)
    return None


def _host_keys(host: str) -> list[str]:
    keys = [host, f"https://{host}", f"http://{host}", f"https://{host}/v2/", f"https://{host}/v1/"]
    if host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        keys.append("https://index.docker.io/v1/")
    return keys


def _from_auths(auths: Any, host: str) -> Credentials | None:
    if not isinstance(auths, dict):
        return None
    for key in _host_keys(host):
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("identitytoken"):
            return Credentials(str(entry.get("username", "<token>")), str(entry["identitytoken"]), True)
        if entry.get("auth"):
            try:
                user, _, secret = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise RegistryError(f"the saved credentials for {host} are not base64 user:password") from None
            return Credentials(user, secret)
        if entry.get("username") and entry.get("password"):
            return Credentials(str(entry["username"]), str(entry["password"]))
    return None


def helper_get(helper: str, host: str, *, missing_ok: bool = False) -> Credentials | None:
    """Ask ``docker-credential-<helper>`` for ``host``'s credentials."""
    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run([program, "get"], input=host.encode(), capture_output=True, timeout=30, check=False)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise RegistryError(f"credential helper {program} (configured for {host}) is not installed") from None
    except subprocess.TimeoutExpired:
        raise RegistryError(f"credential helper {program} did not answer for {host} within 30 s") from None
    if done.returncode != 0:
        if b"credentials not found" in done.stdout.lower() or b"credentials not found" in done.stderr.lower():
            return None
        raise RegistryError(f"credential helper {program} failed for {host} (exit {done.returncode})")
    try:
        answer = json.loads(done.stdout)
        user, secret = str(answer["Username"]), str(answer["Secret"])
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"credential helper {program} gave an unreadable answer for {host}") from None
    return Credentials(user, secret, identity_token=user == "<token>")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise RegistryError(f"{path}: cannot read credentials: {error}") from None
    return data if isinstance(data, dict) else {}


def save_credentials(host: str, credentials: Credentials) -> Path:
    """Remember ``credentials`` for ``host`` in mfc's file (0600, written atomically)."""
    path = mfc_auth_file()
    data = _read_json(path)
    pair = f"{credentials.username}:{credentials.secret}".encode()
    data.setdefault("auths", {})[host] = {"auth": base64.b64encode(pair).decode("ascii")}
    _write_private(path, data)
    return path


def login(host: str, username: str, secret: str) -> Path:
    """Save ``username`` and ``secret`` for ``host`` (``mfc login``): the file written.

    >>> import os, tempfile
    >>> os.environ["MFC_CONFIG_DIR"] = tempfile.mkdtemp()
    >>> login("registry.example", "ci", "s3cret").name, find_credentials("registry.example")
    ('auth.json', Credentials(username='ci'))
    >>> logout("registry.example"), find_credentials("registry.example")
    (True, None)
    """
    return save_credentials(host, Credentials(username, secret))


def logout(host: str) -> bool:
    """Forget what ``login`` saved for ``host``; whether there was something."""
    return forget_credentials(host)


def forget_credentials(host: str) -> bool:
    """Remove ``host`` from mfc's file; whether it was there."""
    path = mfc_auth_file()
    data = _read_json(path)
    auths = data.get("auths", {})
    if not isinstance(auths, dict) or host not in auths:
        return False
    del auths[host]
    _write_private(path, data)
    return True


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".auth-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            json.dump(data, file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
