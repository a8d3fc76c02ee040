"""An embedding as OpenAI's ``encoding_format: base64`` sends it: the float32 values in
little-endian order, in standard base64 with padding.

>>> floats_to_base64([0.1, -0.2, 0.3])
'zczMPc3MTL6amZk+'
>>> floats_to_base64([])
''
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence


def floats_to_base64(values: Sequence[float]) -> str:
    """The base64 of ``values`` as little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
