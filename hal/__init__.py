"""The hardware abstraction layer: one small interface per device kind, drivers named by URL-shaped
sources (`hal.registry`), protocols above replaceable transports, and a supervisor per device.

It knows nothing of the daemon or the simulators: a simulated device is reached through the same
driver code over another transport.
"""
