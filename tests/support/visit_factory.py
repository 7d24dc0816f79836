"""Synthetic visits for the package tests: the harness's (kitharness.contents)."""

from kitharness.contents import (
    audit_stretch,
    finger_pixels,
    make_visit,
    make_waived_visit,
)

__all__ = [
    "audit_stretch",
    "finger_pixels",
    "make_visit",
    "make_waived_visit",
]
