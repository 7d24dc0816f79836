"""A simulated USB function and the Unix socket that carries its transfers to hal/usb's simulator
backend (docs/protocols/usb-sim.md). Generic: it knows descriptors and endpoints, no device protocol.
"""
