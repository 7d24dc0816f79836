"""The citizen's finger on the simulated reader while the operator captures it in the page."""

from __future__ import annotations

from typing import Any

from support.kit import KitUnderTest

# A print every policy accepts.
GOOD = {"quality": 0.9}


def capture_finger(page: Any, kit: KitUnderTest, finger: int, **placement: Any) -> None:
    """The citizen puts `finger` on the glass (a good print unless `placement` says otherwise), the
    operator clicks, the finger is lifted after."""
    kit.ctl("fingerprint", "place", finger=finger, **{**GOOD, **placement})
    try:
        page.click("#finger-capture")
        # The click opened the capture's stream; it closes once the attempt is captured.
        page.wait_for_function("() => window.kitConsole.state.finger === null")
    finally:
        kit.ctl("fingerprint", "remove")
