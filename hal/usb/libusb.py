"""The libusb-1.0 pyusb backend: the system library first, the `libusb-package` wheel as the fallback.

The board image ships libusb-1.0; a developer machine or a minimal image may not, and the wheel carries a
copy of the library so the driver still works there. This module must never open a device.
"""

from __future__ import annotations

import usb.backend
import usb.backend.libusb1

from hal.errors import DeviceFault


def libusb1_backend() -> usb.backend.IBackend:
    """The libusb-1.0 backend; DeviceFault when neither the system nor the wheel has the library."""
    backend = usb.backend.libusb1.get_backend()
    if backend is None:
        try:
            import libusb_package
        except ImportError:
            pass
        else:
            backend = usb.backend.libusb1.get_backend(find_library=libusb_package.find_library)
    if backend is None:
        raise DeviceFault(
            "libusb-1.0 is not available: install the system package (libusb-1.0-0) or the "
            "libusb-package wheel"
        )
    return backend
