"""Opening the signature pad's serial port (any pyserial URL), with errors a technician can act on.

No pyserial or OS exception leaves this module: a port that cannot be opened is DeviceBusy (another
program holds it) or DeviceGone (absent, or nothing listening), with a hint.
"""

from __future__ import annotations

import errno

import serial

from hal.errors import DeviceBusy, DeviceGone

# How long a read waits for a first byte before the reader checks the heartbeat and its stop flag.
READ_SLICE_S = 0.1


def open_port(target: str, *, baud: int, device: str) -> serial.Serial:
    """The port at `target`, opened exclusively, its stale input dropped."""
    try:
        port = serial.serial_for_url(
            target,
            baudrate=baud,
            timeout=READ_SLICE_S,
            write_timeout=2.0,
            exclusive=True,
            do_not_open=True,
        )
        port.open()
    except serial.SerialException as exc:
        text = str(exc)
        if "exclusively lock" in text:
            raise DeviceBusy(
                f"{target} is held by another program; stop it (e.g. a second kitd) and retry",
                device=device,
            ) from exc
        hint = (
            "is the pad plugged in and the udev rule installed?"
            if getattr(exc, "errno", None) in (errno.ENOENT, errno.ENXIO, errno.ENODEV)
            or "://" not in target
            else "is the pad (or its simulator) listening?"
        )
        raise DeviceGone(f"cannot open {target}: {text}; {hint}", device=device) from exc
    except (OSError, ValueError) as exc:
        raise DeviceGone(f"cannot open {target}: {exc}", device=device) from exc
    try:
        port.reset_input_buffer()
    except (serial.SerialException, OSError) as exc:
        port.close()
        raise DeviceGone(f"{target} failed right after opening: {exc}", device=device) from exc
    return port
