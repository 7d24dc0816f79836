"""The firmware simulators: a camera, a fingerprint reader and a signature pad that speak the real
devices' wire protocols (MJPEG over HTTP, KFP1 over a simulated USB link, framed serial), each in
its own process, with a control API to play a citizen and inject faults.

The daemon never imports this package; it reaches the simulators only through their sources.
"""
