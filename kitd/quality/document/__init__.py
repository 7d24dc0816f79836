"""Document mode: the checks of a photo of a paper document (a doctor's certificate) instead of ICAO."""

from kitd.quality.document.checks import DocumentLimits, assess_document

__all__ = ["DocumentLimits", "assess_document"]
