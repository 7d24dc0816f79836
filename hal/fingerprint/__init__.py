"""Fingerprint scanners: the FingerprintScanner interface and its drivers."""

from hal.fingerprint.base import (
    FingerOff,
    FingerOn,
    FingerprintImage,
    FingerprintScanner,
    ImageKind,
    ScanEvent,
)

__all__ = [
    "FingerOff",
    "FingerOn",
    "FingerprintImage",
    "FingerprintScanner",
    "ImageKind",
    "ScanEvent",
]
