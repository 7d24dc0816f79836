"""What the self-test asks the technician to do, as stable identities with plain-language texts.

A check that needs a hand (a finger on the reader, pen taps, the chart in front of the camera) yields one
of these; the runner turns it into `Progress.prompt`. Front ends show the text; the simulated technician
of `kit-selftest --sim` recognises the text and plays the step on the simulators. The texts are the
wire contract between the two, so they change only together with `Prompt.from_text` users.
"""

from __future__ import annotations

import enum


class Prompt(enum.Enum):
    """What a self-test asks the technician to do."""

    SHOW_CHART = (
        "show_chart",
        "Hold the printed self-test chart flat in front of the camera where the face would be, "
        "filling about half of the picture",
    )
    CLEAR_PLATEN = (
        "clear_platen",
        "Keep the fingerprint reader's glass free: no finger on it",
    )
    PLACE_FINGER = ("place_finger", "Put a finger flat on the fingerprint reader")
    REMOVE_FINGER = ("remove_finger", "Lift the finger from the fingerprint reader")
    TAP_CORNERS = (
        "tap_corners",
        "Tap the four targets on the signature pad with the pen: top left, top right, "
        "bottom right, bottom left",
    )

    def __init__(self, key: str, text: str) -> None:
        self.key = key
        self.text = text

    @classmethod
    def from_text(cls, text: str) -> Prompt | None:
        for prompt in cls:
            if prompt.text == text:
                return prompt
        return None
