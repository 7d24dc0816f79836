"""What a test token is: the harness's (kitharness.softhsm)."""

from kitharness.softhsm import (
    Token,
)

__all__ = [
    "Token",
]
