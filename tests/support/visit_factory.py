"""Synthetic visits for the package tests: the harness's (kitharness.contents)."""

from kitharness.contents import (
    FINISHED,
    STARTED,
    audit_stretch,
    face_jpeg,
    finger_pixels,
    make_visit,
    make_waived_visit,
    signature_png,
)

__all__ = [
    "FINISHED",
    "STARTED",
    "audit_stretch",
    "face_jpeg",
    "finger_pixels",
    "make_visit",
    "make_waived_visit",
    "signature_png",
]
