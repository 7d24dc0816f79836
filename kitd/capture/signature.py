"""The signature capture flow: shows "Sign here" on the pad in the citizen's language, streams pen samples as they come, ends on
the pad's OK button, a pause after some ink, or the timeout, then renders, checks and records.

The operator can clear during a capture (ClearSignature, or the pad's CLEAR button): the ink so far is
discarded and the citizen signs again within the same attempt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from hal.signpad.base import ButtonId, ButtonPress, PadInfo, PenSample, SignaturePad
from hal.supervisor import DeviceSupervisor
from kitd.capture.events import PenBatch, SignatureCleared, SignatureEvent, SignatureResult
from kitd.errors import CapabilityMissing
from kitd.locale.catalogs import Catalogs
from kitd.locale.message import Message
from kitd.quality.signature import SignatureThresholds, assess_signature
from kitd.records.iso19794_7 import encode_iso19794_7
from kitd.session.model import CaptureKind, SignaturePayload
from kitd.session.session import Session

# The prompt on the pad's screen, rendered in the citizen's language.
SIGN_HERE = Message("pad.sign_here")


def sign_here_screen(info: PadInfo, name: str, prompt: str = "Sign here") -> NDArray[np.uint8]:
    """The pad's screen: a signing line, the prompt ("Sign here") and the citizen's name."""
    width, height = max(info.screen_width, 64), max(info.screen_height, 32)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    line_y = int(height * 0.72)
    draw.line([(int(width * 0.08), line_y), (int(width * 0.92), line_y)], fill=0, width=2)
    draw.text((int(width * 0.08), line_y + 6), prompt, fill=0, font=font)
    if name:
        draw.text((int(width * 0.08), int(height * 0.08)), name, fill=0, font=font)
    return np.asarray(image, dtype=np.uint8)


class SignatureCapture:
    """The signature step's capture flow: the pen stream, clearing, the signature and its checks."""

    def __init__(self, pad: DeviceSupervisor | None, catalogs: Catalogs | None = None) -> None:
        self._pad = pad
        self._catalogs = catalogs or Catalogs.builtin()
        self._clear = threading.Event()

    def request_clear(self) -> None:
        self._clear.set()

    def run(self, session: Session, timeout_s: float = 0.0) -> Iterator[SignatureEvent]:
        """Shows the prompt, streams the pen until the citizen is done, then records the attempt."""
        if self._pad is None:
            raise CapabilityMissing(Message("error.no_signature_pad"))
        policy = session.policy.signature
        step = session.step_for(CaptureKind.SIGNATURE)
        session.begin(step)
        recorded = False
        self._clear.clear()
        try:
            with self._pad.acquire(timeout=1.0) as device:
                assert isinstance(device, SignaturePad)
                info = device.pad_info
                prompt = self._catalogs.render(SIGN_HERE, session.languages.citizen)
                device.show_image(sign_here_screen(info, session.display_name, prompt))
                device.clear()
                deadline = time.monotonic() + (timeout_s or policy.timeout_s)
                samples = yield from self._pen_stream(device, info, deadline, policy.idle_end_s)
            thresholds = SignatureThresholds.from_dict(policy.thresholds)
            assessment = assess_signature(
                samples, info, thresholds, width=policy.image_width, height=policy.image_height
            )
            iso = encode_iso19794_7(samples, info)
            attempt = session.record_attempt(
                step,
                SignaturePayload(assessment.png, iso, policy.image_width, policy.image_height),
                assessment.quality,
                assessment.checks,
            )
            recorded = True
            yield SignatureResult(
                attempt, assessment.png, policy.image_width, policy.image_height, iso
            )
        finally:
            if not recorded:
                session.abandon(step)

    def _pen_stream(
        self, device: SignaturePad, info: PadInfo, deadline: float, idle_end_s: float
    ) -> Generator[SignatureEvent, None, list[PenSample]]:
        """The pen's samples as they come, until the OK or CANCEL button, a pause of `idle_end_s`
        after some ink, or the deadline; a clear (the operator's or the pad's button) starts the
        signature again. Returns the samples of the signature as it stands at the end.
        """
        samples: list[PenSample] = []
        clears = 0
        last_ink = 0.0
        for event in device.record(poll=0.05):
            now = time.monotonic()
            if self._clear.is_set() or (
                isinstance(event, ButtonPress) and event.button is ButtonId.CLEAR
            ):
                self._clear.clear()
                device.clear()
                samples.clear()
                last_ink = 0.0
                clears += 1
                yield SignatureCleared(clears)
                continue
            if isinstance(event, ButtonPress):
                if event.button in (ButtonId.OK, ButtonId.CANCEL):
                    break
            elif event:
                samples.extend(event)
                if any(s.tip for s in event):
                    last_ink = now
                yield PenBatch(tuple(event), info.max_x, info.max_y)
            if (last_ink and now - last_ink >= idle_end_s) or now >= deadline:
                break
        return samples
