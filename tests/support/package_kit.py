"""The kit and back office the package and back-office tests share: the harness's
(kitharness.package_kit)."""

from kitharness.package_kit import Kit, make_kit

__all__ = [
    "Kit",
    "make_kit",
]
