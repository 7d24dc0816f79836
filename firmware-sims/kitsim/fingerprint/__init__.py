"""The simulated KFP1 fingerprint reader: USB function over a Unix socket, firmware, synthetic fingers."""
