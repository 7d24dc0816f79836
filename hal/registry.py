"""Which driver opens which source: a table of driver names, loaded lazily (the python-can pattern).

Adding a driver = one line here plus the driver module. Importing a driver module must be cheap and
must not touch hardware; only `Device.open()` does.
"""

from __future__ import annotations

import importlib
from typing import Any

from hal.device import Device, DeviceKind
from hal.source import Source, SourceError, parse_source

# driver name -> (module, class, transports it accepts; "" = the driver's own default transport)
DRIVERS: dict[str, tuple[str, str, frozenset[str]]] = {
    "opencv": ("hal.camera.opencv", "OpenCVCamera", frozenset({""})),
    "kfp1": ("hal.fingerprint.driver", "KFP1Scanner", frozenset({"usb", "sim"})),
    "framed": ("hal.signpad.driver", "FramedSignaturePad", frozenset({""})),
}


def driver_class(source: Source) -> type[Device]:
    """The driver class a source names; SourceError for an unknown driver or a foreign transport."""
    try:
        module_name, class_name, transports = DRIVERS[source.driver]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise SourceError(
            f"{source.text!r}: unknown driver {source.driver!r} (known: {known})"
        ) from None
    if source.transport not in transports:
        accepted = ", ".join(
            sorted(f"{source.driver}+{t}" if t else source.driver for t in transports)
        )
        raise SourceError(f"{source.text!r}: transport not supported (use {accepted})")
    module = importlib.import_module(module_name)
    cls: Any = getattr(module, class_name)
    if not (isinstance(cls, type) and issubclass(cls, Device)):
        raise TypeError(f"{module_name}.{class_name} is not a Device")
    return cls


def resolve(text: str | Source, *, name: str = "", kind: DeviceKind | None = None) -> Device:
    """Builds (does not open) the device for a source; checks the kind when one is expected.

    This is the whole check of a source: the scheme, the driver's target syntax (`check_source`) and
    its options (read by the constructor). The configuration check and the daemon both call it, so a
    source the check accepts is one the supervisor can build.
    """
    source = text if isinstance(text, Source) else parse_source(text)
    cls = driver_class(source)
    if kind is not None and cls.kind is not kind:
        raise SourceError(f"{source.text!r} opens a {cls.kind.value}, not a {kind.value}")
    cls.check_source(source)
    return cls(source, name=name)
