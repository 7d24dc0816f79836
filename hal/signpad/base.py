"""The SignaturePad interface: start/stop a pen stream, clear, show an image, read events.

A driver implements the primitives; the base gives `record()`, a context-managed stream of pen-sample
batches and button presses that always stops the pad when the caller is done.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from hal.device import Device, DeviceKind


class PenFlags(enum.IntFlag):
    """The flags of a pen sample: tip, in range, button, samples dropped."""

    TIP = 0x01
    IN_RANGE = 0x02
    BUTTON = 0x04
    SAMPLES_DROPPED = 0x08


@dataclass(frozen=True)
class PenSample:
    """One pen sample in device time: position, pressure and flags."""

    # Device clock, microseconds (wraps at 2**32 on the wire; drivers unwrap it).
    time_us: int
    x: int
    y: int
    # 0..max_pressure.
    pressure: int
    flags: PenFlags

    @property
    def tip(self) -> bool:
        return PenFlags.TIP in self.flags


class ButtonId(enum.IntEnum):
    """The pad's buttons."""

    OK = 1
    CLEAR = 2
    CANCEL = 3


@dataclass(frozen=True)
class ButtonPress:
    """A button was pressed on the pad."""

    button: ButtonId


@dataclass(frozen=True)
class PadInfo:
    """The pad's pen range, pressure levels, rate, resolution and screen size."""

    max_x: int
    max_y: int
    max_pressure: int
    rate_hz: int
    lpi: int
    screen_width: int
    screen_height: int


PadEvent = list[PenSample] | ButtonPress


class SignaturePad(Device):
    """The signature pad device kind: a pen stream, buttons and a small screen."""

    kind: ClassVar[DeviceKind] = DeviceKind.SIGNATURE_PAD

    @property
    @abstractmethod
    def pad_info(self) -> PadInfo:
        """Coordinate range, pressure range, rate and screen size, as the pad reported them."""

    @abstractmethod
    def start(self) -> None:
        """Starts the pen stream."""

    @abstractmethod
    def stop(self) -> None:
        """Stops the pen stream; harmless when stopped."""

    @abstractmethod
    def clear(self) -> None:
        """Clears the ink on the pad's screen."""

    @abstractmethod
    def show_image(self, image: NDArray[np.uint8]) -> None:
        """Shows an 8-bit grey image (screen size) on the pad."""

    @abstractmethod
    def read_event(self, timeout: float) -> PadEvent | None:
        """The next batch of pen samples or a button press; None when nothing came within `timeout` s."""

    def record(self, poll: float = 0.05) -> Iterator[PadEvent | None]:
        """Starts the pen stream and yields events (None on idle polls); stops the pad when closed."""
        self.start()
        try:
            while True:
                yield self.read_event(poll)
        finally:
            self.stop()
