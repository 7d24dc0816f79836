"""Quality assessment of captures: face (ICAO), finger (NFIQ 2-style) and signature checks.

Everything here is pure computation on images and samples: no devices, no I/O, no gRPC.
"""
