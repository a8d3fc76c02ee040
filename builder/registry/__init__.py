"""Models in OCI registries: ``pull`` and ``push`` over the distribution API (Docker
Registry HTTP API v2), with the authentication registries actually use.

The data flow: a model name (``builder.names``) becomes a ``Reference`` (the registry's
base URL, the repository, the tag); a ``RegistryClient`` sends the requests and answers
the registry's ``401`` challenges (``challenge.py``: Basic, or a Bearer token fetched
from the realm) with the credentials found for the host (``credentials.py``: ``mfc
login`` and Docker's ``config.json`` with its credential helpers); ``pull.py`` fetches the
manifest, downloads each missing blob into the store verified against its digest, and
writes the manifest last; ``push.py`` uploads each blob the registry lacks and puts the
manifest last.  Every failure is a ``RegistryError`` naming the status, the registry's
error code and message, and the blob or manifest concerned; credentials never appear in
it.
"""

from builder.registry.errors import RegistryError

try:
    import httpx  # noqa: F401 - every module here talks HTTP through it
except ImportError:  # pragma: no cover - an install without the extra
    raise RegistryError("registries (push, pull, build caches) need httpx: pip install 'mfc[registry]'") from None

from builder.registry.pull import pull
from builder.registry.push import push
from builder.registry.reference import Reference

__all__ = ["Reference", "RegistryError", "pull", "push"]
