"""A real back office for the outbox and receiver tests: the harness's (kitharness.back_office)."""

from kitharness.back_office import (
    BackOffice,
    make_back_office,
)

__all__ = [
    "BackOffice",
    "make_back_office",
]
