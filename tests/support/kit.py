"""A whole kit for integration tests: the harness's (kitharness.kit)."""

from kitharness.kit import (
    ALL_DEVICES,
    ENROLLMENT_PHOTO,
    KitUnderTest,
)

__all__ = [
    "ALL_DEVICES",
    "ENROLLMENT_PHOTO",
    "KitUnderTest",
]
