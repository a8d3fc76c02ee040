"""How much memory a model needs and how much the machine has, for the scheduler's
"does it fit" rule (ollama-api.md §11.4).

A model needs its GGUF file (llama.cpp maps it) plus its KV cache: for every layer, a
key and a value vector of ``n_head_kv × head_dim`` numbers per context position, in
f16 (2 bytes).  The machine has ``MemAvailable`` plus ``SwapFree`` (``/proc/meminfo``),
what Ollama compares a CPU model's size with on Linux.

>>> kv_cache_bytes(layers=30, context=4096, kv_heads=3, head_dim=64)
94371840
>>> human_bytes(94371840), human_bytes(5 * 2**30), human_bytes(512)
('90.0 MiB', '5.0 GiB', '512 B')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelfile.gguf_metadata import GGUFError, read_metadata

#: Bytes per cached number: llama.cpp's default KV cache type is f16.
KV_BYTES = 2
#: ``num_ctx`` when neither the request nor the model sets it (``builder.run``'s default).
DEFAULT_CONTEXT = 4096


def kv_cache_bytes(*, layers: int, context: int, kv_heads: int, head_dim: int) -> int:
    """The KV cache of ``context`` positions: keys and values of every layer, f16."""
    return layers * context * kv_heads * head_dim * 2 * KV_BYTES


def model_bytes(path: Path, num_ctx: int) -> int:
    """The memory a loaded GGUF model needs: the file plus its KV cache for ``num_ctx``
    (0: the default, 4096) positions, cut to the model's trained context as the runner
    cuts it.  The file's size alone where its metadata says too little (or it cannot be
    read: 0 if it is not there at all)."""
    try:
        size = path.stat().st_size
        meta = read_metadata(path)
    except (OSError, GGUFError):
        return _size(path)
    context = num_ctx or DEFAULT_CONTEXT
    trained = meta.context_length
    if trained:
        context = min(context, trained)
    return size + kv_cache_bytes(context=context, **_kv_shape(meta.metadata, meta.architecture or ""))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _kv_shape(metadata: Mapping[str, Any], arch: str) -> dict[str, int]:
    """Layers, KV heads and the head size from a GGUF's ``<arch>.*`` keys (0 layers when
    they are missing: the KV cache is then not counted).

    >>> _kv_shape({"a.block_count": 2, "a.embedding_length": 64, "a.attention.head_count": 4}, "a")
    {'layers': 2, 'kv_heads': 4, 'head_dim': 16}
    """

    def number(key: str) -> int:
        value = metadata.get(f"{arch}.{key}")
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    heads = number("attention.head_count")
    kv_heads = number("attention.head_count_kv") or heads
    head_dim = max(number("attention.key_length"), number("attention.value_length"))
    if not head_dim and heads:
        head_dim = number("embedding_length") // heads
    layers = number("block_count") if kv_heads and head_dim else 0
    return {"layers": layers, "kv_heads": kv_heads, "head_dim": head_dim}


def stored_model_bytes(
    store: Any, name: str, options: dict[str, Any], *, context_length: int = 0, parallel: int = 1
) -> int:
    """The memory the stored model ``name`` needs with these load-time options: its
    GGUF file and KV cache for the ``num_ctx`` it would load with (the options', its
    PARAMETERs', else ``context_length``, ``OLLAMA_CONTEXT_LENGTH``, else 4096:
    ``run_options.effective_options``) in each of its ``parallel`` sequence slots (one
    for an embedding model); 0 when it has no model file to measure."""
    from builder.manifest import MODEL
    from builder.run_options import effective_options
    from builder.show import capabilities, load

    try:
        view = load(store, name)
    except Exception:  # noqa: BLE001 - the load itself reports what is wrong
        return 0
    layers = view.model.manifest.layers_of(MODEL)
    if not layers:
        return 0
    num_ctx = int(effective_options(view.parameters, options, context_length=context_length)["num_ctx"])
    slots = 1 if "embedding" in capabilities(store, view) else max(1, parallel)
    return model_bytes(store.blob_path(layers[-1].digest), num_ctx * slots)


def available_bytes(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """``MemAvailable`` plus ``SwapFree`` in bytes; None where ``meminfo`` cannot be read
    (not Linux): then nothing is refused or evicted for memory."""
    try:
        text = Path(meminfo).read_text(encoding="ascii")
    except OSError:
        return None
    return parse_meminfo(text)


def parse_meminfo(text: str) -> int | None:
    """``MemAvailable + SwapFree`` (bytes) of ``/proc/meminfo``'s text.

    >>> parse_meminfo("MemTotal: 100 kB\\nMemAvailable:  2048 kB\\nSwapFree: 1024 kB\\n")
    3145728
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[key.strip()] = int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
    if "MemAvailable" not in values:
        return None
    return values["MemAvailable"] + values.get("SwapFree", 0)


def human_bytes(count: int) -> str:
    """Go Ollama's ``format.HumanBytes2``: binary units, one decimal."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"
