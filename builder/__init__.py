"""mfc's builder: the Ollama-compatible store, ``build``, ``quantize``, running, and the
``mfc`` CLI.  Each ``mfc`` command is a call here first (docs/api.md shows them).

>>> import builder, tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
>>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\nSYSTEM Be brief.\\n")
>>> result = builder.build(folder / "Modelfile", "me/tiny:v1", store=folder / "store")
>>> [(m.name, m.digest == result.digest) for m in builder.list_models(folder / "store")]
[('me/tiny:v1', True)]
>>> from builder import generate, Runner
>>> generate("mymodel", "Why is the sky blue?").response  # doctest: +SKIP

Names load on first use, so ``import builder`` (and ``mfc lint``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "build": "builder.create",
    "BuildResult": "builder.create",
    "ApiCreate": "builder.create.from_json",
    "parse_create": "builder.create.from_json",
    "create_model": "builder.create.from_json",
    "Event": "builder.events",
    "Progress": "builder.events",
    "Store": "builder.store",
    "default_root": "builder.store",
    "StoreLike": "builder.store",
    "verify": "builder.integrity",
    "Problem": "builder.integrity",
    "list_models": "builder.listing",
    "ModelSummary": "builder.listing",
    "copy_model": "builder.manage",
    "remove_model": "builder.manage",
    "prune": "builder.manage",
    "CopyResult": "builder.manage",
    "RemoveResult": "builder.manage",
    "PruneResult": "builder.manage",
    "show_text": "builder.show",
    "show_json": "builder.show",
    "inspect_gguf": "builder.gguf_info",
    "placeholder_gguf": "builder.placeholder",
    "GGUFInfo": "builder.gguf_info",
    "parse_name": "builder.names",
    "ModelName": "builder.names",
    "BuildError": "builder.errors",
    "ModelNameError": "builder.errors",
    "ModelNotFound": "builder.errors",
    "StoreError": "builder.errors",
    "InvalidDigest": "builder.errors",
    "DigestMismatch": "builder.errors",
    "ServeError": "builder.errors",
    "LspError": "builder.errors",
    "serve_lsp": "builder.lsp",
    "BlobUpload": "builder.uploads",
    "show_modelfile": "builder.show",
    "quantize": "builder.quantizer",
    "QuantizeResult": "builder.quantizer",
    "QuantizeOptions": "builder.quantizer",
    "quantize_options": "builder.quantizer",
    "quantization_types": "builder.quantizer",
    "QuantizeError": "builder.errors",
    "convert": "builder.conversion",
    "convert_lora": "builder.conversion",
    "ConvertResult": "builder.conversion",
    "convertible_architectures": "builder.conversion",
    "SupportedArchitecture": "builder.conversion",
    "ConvertError": "builder.errors",
    "generate": "builder.inference",
    "chat": "builder.inference",
    "embed": "builder.inference",
    "Runner": "builder.run",
    "GenerationStream": "builder.streaming",
    "Generation": "builder.generation",
    "TextChunk": "builder.generation",
    "Done": "builder.generation",
    "Embeddings": "builder.generation",
    "RunError": "builder.errors",
    "OptionError": "builder.errors",
    "CapabilityError": "builder.errors",
    "ChatSession": "builder.session",
    "parse_options": "builder.run_options",
    "parse_format": "builder.run_options",
    "Prompting": "builder.prompting",
    "load_prompting": "builder.prompting",
    "render_request": "builder.prompting",
    "pull": "builder.registry.pull",
    "push": "builder.registry.push",
    "PullResult": "builder.registry.pull",
    "PushResult": "builder.registry.push",
    "RegistryError": "builder.registry.errors",
    "login": "builder.registry.credentials",
    "logout": "builder.registry.credentials",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # the names, for type checkers (``X as X``: exported); at run time they load on first use
    from builder.conversion import ConvertResult as ConvertResult
    from builder.conversion import SupportedArchitecture as SupportedArchitecture
    from builder.conversion import convert as convert
    from builder.conversion import convert_lora as convert_lora
    from builder.conversion import convertible_architectures as convertible_architectures
    from builder.create import BuildResult as BuildResult
    from builder.create import build as build
    from builder.create.from_json import ApiCreate as ApiCreate
    from builder.create.from_json import create_model as create_model
    from builder.create.from_json import parse_create as parse_create
    from builder.errors import BuildError as BuildError
    from builder.errors import CapabilityError as CapabilityError
    from builder.errors import ConvertError as ConvertError
    from builder.errors import DigestMismatch as DigestMismatch
    from builder.errors import InvalidDigest as InvalidDigest
    from builder.errors import LspError as LspError
    from builder.errors import ModelNameError as ModelNameError
    from builder.errors import ModelNotFound as ModelNotFound
    from builder.errors import OptionError as OptionError
    from builder.errors import QuantizeError as QuantizeError
    from builder.errors import RunError as RunError
    from builder.errors import ServeError as ServeError
    from builder.errors import StoreError as StoreError
    from builder.events import Event as Event
    from builder.events import Progress as Progress
    from builder.generation import Done as Done
    from builder.generation import Embeddings as Embeddings
    from builder.generation import Generation as Generation
    from builder.generation import TextChunk as TextChunk
    from builder.gguf_info import GGUFInfo as GGUFInfo
    from builder.gguf_info import inspect_gguf as inspect_gguf
    from builder.inference import chat as chat
    from builder.inference import embed as embed
    from builder.inference import generate as generate
    from builder.integrity import Problem as Problem
    from builder.integrity import verify as verify
    from builder.listing import ModelSummary as ModelSummary
    from builder.listing import list_models as list_models
    from builder.lsp import serve_lsp as serve_lsp
    from builder.manage import CopyResult as CopyResult
    from builder.manage import PruneResult as PruneResult
    from builder.manage import RemoveResult as RemoveResult
    from builder.manage import copy_model as copy_model
    from builder.manage import prune as prune
    from builder.manage import remove_model as remove_model
    from builder.names import ModelName as ModelName
    from builder.names import parse_name as parse_name
    from builder.placeholder import placeholder_gguf as placeholder_gguf
    from builder.prompting import Prompting as Prompting
    from builder.prompting import load_prompting as load_prompting
    from builder.prompting import render_request as render_request
    from builder.quantizer import QuantizeOptions as QuantizeOptions
    from builder.quantizer import QuantizeResult as QuantizeResult
    from builder.quantizer import quantization_types as quantization_types
    from builder.quantizer import quantize as quantize
    from builder.quantizer import quantize_options as quantize_options
    from builder.registry.credentials import login as login
    from builder.registry.credentials import logout as logout
    from builder.registry.errors import RegistryError as RegistryError
    from builder.registry.pull import PullResult as PullResult
    from builder.registry.pull import pull as pull
    from builder.registry.push import PushResult as PushResult
    from builder.registry.push import push as push
    from builder.run import Runner as Runner
    from builder.run_options import parse_format as parse_format
    from builder.run_options import parse_options as parse_options
    from builder.session import ChatSession as ChatSession
    from builder.show import show_json as show_json
    from builder.show import show_modelfile as show_modelfile
    from builder.show import show_text as show_text
    from builder.store import Store as Store
    from builder.store import StoreLike as StoreLike
    from builder.store import default_root as default_root
    from builder.streaming import GenerationStream as GenerationStream
    from builder.uploads import BlobUpload as BlobUpload


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
