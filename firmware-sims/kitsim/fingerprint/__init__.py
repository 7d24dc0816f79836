"""The simulated KFP1 fingerprint reader: its firmware, behind a simulated USB function (kitsim.usb), with
synthetic fingers (kitsim.prints).
"""
