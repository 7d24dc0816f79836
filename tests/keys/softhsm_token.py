"""Where SoftHSM2 lives and what a test token is: the harness's (kitharness.softhsm)."""

from kitharness.softhsm import (
    Token,
    find_softhsm_module,
)

__all__ = [
    "Token",
    "find_softhsm_module",
]
