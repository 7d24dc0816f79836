"""The one error the finger assessment raises: the image cannot be assessed at all.

A poor fingerprint is not an error (it gets a low score and feedback); this is for input the measures are
not defined on: a resolution other than 500 ppi, a pixel type other than 8-bit grey, an image too small or,
after its white margins are trimmed, too large for a single flat finger.
"""

from __future__ import annotations


class FingerprintImageError(ValueError):
    """The image is not a fingerprint image this assessment supports; the message says why."""
