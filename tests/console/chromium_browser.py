"""Where the console's browser tests find Chromium: Debian's package, never a downloaded browser."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "Debian's Chromium (/usr/bin/chromium) is not installed"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)
