"""Visits with no devices behind them, for tests of sessions and their registry alone."""

from __future__ import annotations

from typing import Any

from kitd.capture.face import FaceCapture
from kitd.capture.finger import FingerCapture
from kitd.capture.signature import SignatureCapture
from kitd.quality.finger import FingerQuality
from kitd.session.manager import SessionManager
from kitd.session.model import Receipt
from kitd.session.session import Session
from kitd.visits import Visits


class NoSealing:
    """A sealing step with room for every visit that never seals one."""

    def check_space(self) -> None:
        return None

    def committed(self, session: Session) -> Receipt | None:
        return None

    def seal(self, session: Session) -> Receipt:
        raise AssertionError("these tests never finalize")


def deviceless_visits(sessions: SessionManager, **kwargs: Any) -> Visits:
    """The visit use cases over `sessions`, with no camera, reader or pad."""
    return Visits(
        sessions,
        FaceCapture(None),
        FingerCapture(None, FingerQuality()),
        SignatureCapture(None),
        NoSealing(),
        **kwargs,
    )
