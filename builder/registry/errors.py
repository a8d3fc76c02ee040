"""``RegistryError``: one line that names what failed (the manifest or blob, the
registry), the HTTP status and the registry's own error code and message.

>>> str(RegistryError.from_response("pull model manifest", "127.0.0.1:5000/library/m:latest", 404,
...     b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'))
'pull model manifest: 127.0.0.1:5000/library/m:latest: 404 MANIFEST_UNKNOWN: manifest unknown'
"""

from __future__ import annotations

import json

from modelfile.errors import MfcError


class RegistryError(MfcError):
    """A registry refused a request, or could not be reached."""

    code = "registry-error"

    def __init__(self, message: str, *, status: int = 0, registry_code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.registry_code = registry_code

    @classmethod
    def from_response(cls, action: str, what: str, status: int, body: bytes) -> RegistryError:
        """The error for an HTTP answer ``status`` with ``body`` (the distribution API's
        ``{"errors": [{"code", "message"}]}``, or any text, shortened)."""
        code, message = _registry_error(body)
        detail = f"{status} {code}: {message}" if code else f"{status} {message}".rstrip()
        return cls(f"{action}: {what}: {detail}", status=status, registry_code=code)


def _registry_error(body: bytes) -> tuple[str, str]:
    try:
        errors = json.loads(body).get("errors")
        first = errors[0]
        return str(first.get("code", "")), str(first.get("message", ""))
    except (ValueError, AttributeError, LookupError, TypeError):
        text = body.decode("utf-8", errors="replace").strip().splitlines()
        return "", (text[0][:200] if text else "")
