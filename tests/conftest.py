from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings

# CI explores the same examples every run; locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Registry credentials: no test reads or writes the user's own (mfc login's file,
# Docker's config.json); tests that need some write them under these folders.
_CREDENTIALS = Path(tempfile.mkdtemp(prefix="mfc-test-credentials-"))
os.environ["MFC_CONFIG_DIR"] = str(_CREDENTIALS / "mfc")
os.environ["DOCKER_CONFIG"] = str(_CREDENTIALS / "docker")
