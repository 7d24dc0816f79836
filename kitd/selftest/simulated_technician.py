"""The technician played by the simulators, for `kit-selftest --sim` and the tests.

It answers each prompt of the self-test with the matching simulator control command: the chart shown to
the simulated camera, a finger placed on and lifted from the simulated reader, four pen taps on the
simulated pad. It only calls the `control(device, command, **args)` function it is given (kitsim's
SimulatorSet.control); it never imports the simulators, and the daemon never uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kitd.selftest.chart import write_chart
from kitd.selftest.prompts import Prompt
from kitd.selftest.signature_pad import CORNER_TARGETS

Control = Callable[..., Any]

# A tap: pen down this long, a small movement while down (a real tap is never a single point).
TAP_MS = 150.0
GAP_MS = 100.0
# The chart fills this fraction of the frame's height (or width), like a hand-held chart would.
CHART_FILL = 0.85


class SimulatedTechnician:
    """A technician played through the simulators: answers the self-test's prompts."""

    def __init__(self, control: Control, workdir: Path) -> None:
        self._control = control
        self._workdir = workdir
        self.answered: list[Prompt] = []

    def __call__(self, prompt: Prompt) -> None:
        self.answered.append(prompt)
        if prompt is Prompt.SHOW_CHART:
            self.show_chart()
        elif prompt is Prompt.TAP_CORNERS:
            self._control("signature_pad", "sign", script=corner_taps_script())
        elif prompt is Prompt.CLEAR_PLATEN:
            self._control("fingerprint", "remove")
        elif prompt is Prompt.PLACE_FINGER:
            self._control("fingerprint", "place")
        elif prompt is Prompt.REMOVE_FINGER:
            self._control("fingerprint", "remove")

    def show_chart(self) -> None:
        path = self._workdir / "selftest-chart.png"
        if not path.exists():
            write_chart(path, dpi=150.0)
        stats = self._control("camera", "stats")
        scene = stats.get("scene", {})
        frame_w, frame_h = float(scene.get("width", 1280)), float(scene.get("height", 720))
        from PIL import Image

        with Image.open(path) as image:
            chart_w, chart_h = image.size
        # The simulator scales a picture to cover the frame; `scale` shrinks it to fit instead.
        cover = max(frame_w / chart_w, frame_h / chart_h)
        fit = CHART_FILL * min(frame_w / chart_w, frame_h / chart_h)
        self._control("camera", "scene", image=str(path), scale=fit / cover)


def corner_taps_script() -> dict[str, Any]:
    """Four taps on the corner targets, in normalised pad units (0..1) as kitsim stroke scripts take."""
    strokes = []
    t = 0.0
    for fx, fy in CORNER_TARGETS:
        points = [[t + TAP_MS * k / 4, fx + 0.002 * k, fy + 0.002 * k, 0.55] for k in range(5)]
        strokes.append({"points": points})
        t += TAP_MS + GAP_MS
    return {"strokes": strokes, "hover_ms": 80.0}
