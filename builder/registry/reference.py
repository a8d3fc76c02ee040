"""Where a model lives in a registry: ``Reference.parse("host/namespace/model:tag")``.

Names are Ollama's (``builder.names``: default host ``registry.ollama.ai``, namespace
``library``, tag ``latest``); the repository is ``namespace/model``.  ``insecure`` means
plain HTTP, as in Ollama; a name written ``http://…`` needs it.  The repository is
sent in lower case: OCI registries require it, and Ollama's own registry matches names
without regard to case, as the store does (the tag keeps its case: OCI tags have one).

>>> ref = Reference.parse("127.0.0.1:5000/team/tiny:v1", insecure=True)
>>> ref.base_url, ref.repository, ref.tag
('http://127.0.0.1:5000', 'team/tiny', 'v1')
>>> ref.manifest_url()
'http://127.0.0.1:5000/v2/team/tiny/manifests/v1'
>>> Reference.parse("tiny").base_url
'https://registry.ollama.ai'
>>> Reference.parse("127.0.0.1:5000/Team/Tiny:V1").manifest_url()
'https://127.0.0.1:5000/v2/team/tiny/manifests/V1'
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.names import ModelName, parse_name
from builder.registry.errors import RegistryError


@dataclass(frozen=True)
class Reference:
    """A model's place in a registry: host, repository (``namespace/model``), tag."""

    name: ModelName
    insecure: bool = False

    @classmethod
    def parse(cls, text: str | ModelName, *, insecure: bool = False) -> Reference:
        """The reference for a model name (``ModelNameError`` if it is not one)."""
        name = parse_name(text) if isinstance(text, str) else text
        if name.scheme == "http" and not insecure:
            raise RegistryError(f"insecure protocol http ({name}): pass --insecure to use plain HTTP")
        return cls(name, insecure or name.scheme == "http")

    @property
    def host(self) -> str:
        return self.name.host

    @property
    def repository(self) -> str:
        return f"{self.name.namespace}/{self.name.model}".lower()

    @property
    def tag(self) -> str:
        return self.name.tag

    @property
    def base_url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.host}"

    def manifest_url(self, reference: str | None = None) -> str:
        """The manifest's URL, by tag (default) or digest."""
        return f"{self.base_url}/v2/{self.repository}/manifests/{reference or self.tag}"

    def blob_url(self, digest: str) -> str:
        return f"{self.base_url}/v2/{self.repository}/blobs/{digest}"

    def uploads_url(self) -> str:
        return f"{self.base_url}/v2/{self.repository}/blobs/uploads/"

    def scope(self, *actions: str) -> str:
        """The token scope for ``actions`` (``pull``, ``push``) on this repository."""
        return f"repository:{self.repository}:{','.join(actions)}"

    def __str__(self) -> str:
        return f"{self.host}/{self.repository}:{self.tag}"
