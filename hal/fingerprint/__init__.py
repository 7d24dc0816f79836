"""Fingerprint scanners: the FingerprintScanner interface and its drivers."""

from hal.fingerprint.base import (
    FingerImage,
    FingerOff,
    FingerOn,
    FingerprintScanner,
    ImageKind,
    ScanEvent,
)

__all__ = ["FingerImage", "FingerOff", "FingerOn", "FingerprintScanner", "ImageKind", "ScanEvent"]
