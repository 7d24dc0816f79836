"""The simulated signature pad: framed serial firmware, a pty or TCP link, stroke scripts, handwriting."""
