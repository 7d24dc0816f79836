"""What others may know of a visit: the read-only views a session hands out.

The API's messages, the package's contents and the citizen's summary read a visit through these
protocols: its facts, its steps and attempts as they stand, the operator's decisions (finger exceptions,
the signature waiver, the card's validity), a delivery's verification and a home visit's eligibility.
None of them offers a way to change the visit; changes go through the session's own calls, under its
lock, where the policy is applied and every change is recorded. Read a view under `lock` for one
consistent picture of a visit that is still going on.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from kitd.locale.message import Message
from kitd.policy.model import Policy
from kitd.quality.check import CheckResult
from kitd.session.eligibility import EligibilityView
from kitd.session.model import (
    CaptureKind,
    FingerExceptionRecord,
    Languages,
    Override,
    Payload,
    Receipt,
    SessionState,
    StepState,
    Verification,
    WaiverRecord,
)


class AttemptView(Protocol):
    """One attempt as it stands: its checks, its verdict, whether its step keeps it, any override."""

    @property
    def attempt_id(self) -> str: ...

    @property
    def kind(self) -> CaptureKind: ...

    @property
    def step_id(self) -> str: ...

    @property
    def finger(self) -> int: ...

    @property
    def number(self) -> int: ...

    @property
    def time(self) -> float: ...

    @property
    def quality(self) -> int: ...

    @property
    def checks(self) -> tuple[CheckResult, ...]: ...

    @property
    def accepted(self) -> bool: ...

    @property
    def payload(self) -> Payload | None: ...

    @property
    def feedback(self) -> tuple[str, ...]: ...

    @property
    def kept(self) -> bool: ...

    @property
    def override(self) -> Override | None: ...


class StepView(Protocol):
    """One step of a visit as it stands: what it captures, the finger asked now and its attempts."""

    @property
    def step_id(self) -> str: ...

    @property
    def kind(self) -> CaptureKind: ...

    @property
    def title(self) -> str: ...

    @property
    def label(self) -> Message | str: ...

    @property
    def state(self) -> StepState: ...

    @property
    def finger(self) -> int: ...

    @property
    def attempts_used(self) -> int: ...

    @property
    def max_attempts(self) -> int: ...

    @property
    def min_quality(self) -> int: ...

    @property
    def attempts(self) -> Sequence[AttemptView]: ...

    @property
    def kept(self) -> AttemptView | None: ...


class SessionView(Protocol):
    """A visit as others may read it; `kitd.session.session.Session` is one."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def session_id(self) -> str: ...

    @property
    def state(self) -> SessionState: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def applicant_age(self) -> int: ...

    @property
    def operator_id(self) -> str: ...

    @property
    def application_reference(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def languages(self) -> Languages: ...

    @property
    def created_at(self) -> float: ...

    @property
    def expires_at(self) -> float: ...

    @property
    def finished_at(self) -> float | None: ...

    @property
    def end_reason(self) -> str: ...

    @property
    def end_message(self) -> Message | None: ...

    @property
    def receipt(self) -> Receipt | None: ...

    @property
    def steps(self) -> Sequence[StepView]: ...

    @property
    def next_step(self) -> StepView | None: ...

    @property
    def attempts(self) -> Sequence[AttemptView]: ...

    @property
    def finger_exceptions(self) -> tuple[FingerExceptionRecord, ...]: ...

    @property
    def signature_waiver(self) -> WaiverRecord | None: ...

    @property
    def card_validity_months(self) -> int: ...

    @property
    def verification(self) -> Verification | None: ...

    @property
    def eligibility(self) -> EligibilityView: ...
