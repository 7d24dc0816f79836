"""USB transports for pyusb-based drivers: libusb-1.0 on the board, a Unix-socket backend for simulators.

Drivers above this package speak their device protocol through an unmodified `usb.core.Device`; which
backend carries the transfers is decided by the source (`kfp1+usb://...` or `kfp1+sim:unix:...`).
"""
