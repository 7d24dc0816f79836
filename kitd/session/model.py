"""What a session is made of: steps (with what an attempt or a fallback does to them), attempts (with
their in-memory payloads), exceptions, waivers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kitd.errors import StepNotAllowed
from kitd.locale.message import Message
from kitd.matching.template import Template
from kitd.policy.model import ExceptionKind, FingerPolicy, Hand, WaiverReason
from kitd.quality.check import CheckResult

# The step id of a delivery's fingerprint verification.
VERIFY_STEP = "verify-finger"

# The steps' titles for people, by step id (the English one is `Step.title`).
STEP_TITLES = {
    "face": "step.photo",
    "finger-right": "step.right_hand",
    "finger-left": "step.left_hand",
    "signature": "step.signature",
    VERIFY_STEP: "step.fingerprint_check",
}


class CaptureKind(enum.StrEnum):
    """What a step captures: face, finger or signature."""

    FACE = "face"
    FINGER = "finger"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class Languages:
    """The catalog languages a visit speaks (after negotiation): the operator's (guidance, errors) and
    the citizen's (the signature pad's screen); `fallbacks` notes each request that had no catalog.
    """

    operator: str = "en"
    citizen: str = "en"
    fallbacks: tuple[str, ...] = ()


class StepState(enum.StrEnum):
    """Where a step of the visit stands."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    EXHAUSTED = "exhausted"
    EXCEPTED = "excepted"
    SKIPPED = "skipped"
    PAUSED = "paused"


class SessionState(enum.StrEnum):
    """Where a visit stands: active, or how it ended."""

    ACTIVE = "active"
    FINALIZED = "finalized"
    CANCELLED = "cancelled"
    LOST = "lost"
    # A delivery whose fingerprint did not match the reference after the policy's attempts.
    NOT_VERIFIED = "not_verified"


@dataclass(frozen=True)
class Override:
    """An operator's acceptance of a failed attempt, with the reason."""

    operator_id: str
    reason: str
    time: float


@dataclass(frozen=True)
class FacePayload:
    """A photo attempt's JPEG, kept in memory until the visit ends."""

    jpeg: bytes = field(repr=False)
    width: int
    height: int


@dataclass(frozen=True)
class FingerPayload:
    """A finger attempt's image and template, kept in memory until the visit ends."""

    pixels: NDArray[np.uint8] = field(repr=False)
    ppi: int = 500
    # The print's minutiae, for the comparisons a policy asks for (duplicate finger, delivery).
    template: Template | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignaturePayload:
    """A signature attempt's image and ISO/IEC 19794-7 record, in memory until the visit ends."""

    png: bytes = field(repr=False)
    iso_19794_7: bytes = field(repr=False)
    width: int
    height: int


Payload = FacePayload | FingerPayload | SignaturePayload


@dataclass
class Attempt:
    """One capture attempt of a step: quality, checks, verdict and (in memory) its payload."""

    attempt_id: str
    kind: CaptureKind
    step_id: str
    # ANSI/NIST finger position for finger attempts, else 0.
    finger: int
    # 1-based, per finger for fingers, per step otherwise.
    number: int
    time: float
    quality: int
    checks: tuple[CheckResult, ...]
    accepted: bool
    # None once the visit has ended: images are released with the session.
    payload: Payload | None = field(repr=False)
    feedback: tuple[str, ...] = ()
    kept: bool = False
    override: Override | None = None


@dataclass
class Step:
    """One capture the visit asks for, with its attempts and, for a hand, its fallback fingers."""

    step_id: str
    kind: CaptureKind
    title: str
    max_attempts: int
    state: StepState = StepState.PENDING
    hand: Hand | None = None
    # Finger steps: the positions to try, preferred first; `current` indexes the one asked now.
    candidates: list[int] = field(default_factory=list)
    current: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    kept: Attempt | None = None
    # Minimum quality for the current finger (fingers only).
    min_quality: int = 0
    # A delivery's verification step: the enrolled templates by finger, one of which a print must match
    # (empty for every other step, and once the visit has ended).
    references: dict[int, Template] = field(default_factory=dict, repr=False)

    @property
    def finger(self) -> int:
        if self.kind is not CaptureKind.FINGER or self.current >= len(self.candidates):
            return 0
        return self.candidates[self.current]

    @property
    def attempts_used(self) -> int:
        """Attempts on the current finger (fingers) or on the step."""
        if self.kind is CaptureKind.FINGER:
            return sum(1 for a in self.attempts if a.finger == self.finger)
        return len(self.attempts)

    @property
    def label(self) -> Message | str:
        """The step's title for people, rendered in their language ("right hand", "photo")."""
        message_id = STEP_TITLES.get(self.step_id)
        return Message(message_id) if message_id else self.title

    def check_can_begin(self) -> None:
        """Raises StepNotAllowed when the step cannot take an attempt now, saying why."""
        if self.state is StepState.PAUSED:
            raise StepNotAllowed(
                Message.of("error.step_waits_for_device", step=self.label), step=self.step_id
            )
        self.check_not_excepted()
        if self.kind is CaptureKind.FINGER and self.state in (StepState.DONE, StepState.EXHAUSTED):
            raise StepNotAllowed(Message.of("error.fingerprint_settled", step=self.label))
        if self.attempts_used >= self.max_attempts:
            raise StepNotAllowed(
                Message.of("error.attempts_used", step=self.label, attempts=self.max_attempts),
                step=self.step_id,
            )

    def check_not_excepted(self) -> None:
        """Raises StepNotAllowed when the step was excepted or skipped."""
        if self.state in (StepState.EXCEPTED, StepState.SKIPPED):
            raise StepNotAllowed(Message.of(f"error.step_{self.state.value}", step=self.label))

    def keep(self, attempt: Attempt) -> None:
        """`attempt` becomes the one the step keeps (the package's), in place of the one before."""
        if self.kept is not None:
            self.kept.kept = False
        self.kept = attempt
        attempt.kept = True

    def take(self, attempt: Attempt, fingers: FingerPolicy) -> bool:
        """What an attempt does to its step: kept when it is the best so far, then the step is done,
        tried again, moved to its next fallback finger, or exhausted. True when it moved to a fallback
        finger (which the session records).
        """
        kept = self.kept
        if kept is None or (attempt.accepted, attempt.quality) > (kept.accepted, kept.quality):
            self.keep(attempt)
        if attempt.accepted:
            self.state = StepState.DONE
            return False
        if self.attempts_used < self.max_attempts:
            self.state = StepState.PENDING
            return False
        if self.kind is CaptureKind.FINGER and self.next_finger(fingers):
            return True
        self.state = StepState.EXHAUSTED
        return False

    def next_finger(self, fingers: FingerPolicy) -> bool:
        """Moves a hand's step to its next fallback finger with attempts left; False when none is left."""
        while self.current + 1 < len(self.candidates):
            self.current += 1
            if self.attempts_used < self.max_attempts:
                if not self.references:
                    # A delivery's minimum is one for every enrolled finger; a hand's is per finger.
                    self.min_quality = fingers.threshold(self.finger)
                self.state = StepState.PENDING
                return True
        self.current = len(self.candidates)
        return False


class IdentityCheck(enum.StrEnum):
    """How a delivery's identity was checked: not yet, by fingerprint, or by the operator's visual check
    against the enrollment photo.
    """

    NONE = "none"
    FINGERPRINT = "fingerprint"
    VISUAL_CHECK = "visual_check"


@dataclass(frozen=True)
class VerificationTry:
    """One delivery attempt as the verification saw it: the finger, its number on that finger, and its
    comparison score (None when the print was below the policy's quality and not compared).
    """

    finger: int
    number: int
    score: float | None
    matched: bool


@dataclass(frozen=True)
class VisualCheckRecord:
    """The operator's visual identity check against the enrollment photo: the outcome, why, who, when."""

    confirmed: bool
    reason: str
    operator_id: str
    time: float


@dataclass(frozen=True)
class Verification:
    """Where a delivery's 1:1 verification stands: every attempt on the enrolled fingers, the best score,
    the finger that matched and how identity was checked.

    A value: each attempt or check gives a new one (`tried`, `checked_visually`), which the session keeps.
    """

    reference_id: str
    # The enrolled fingers tried, in order.
    fingers: tuple[int, ...]
    threshold: float
    # Attempts per finger.
    max_attempts: int
    # Whether the policy allows the visual check and the reference carries a photo for it.
    visual_check_available: bool = False
    tries: tuple[VerificationTry, ...] = ()
    matched_finger: int = 0
    method: IdentityCheck = IdentityCheck.NONE
    visual_check: VisualCheckRecord | None = None

    def tried(self, attempt: VerificationTry) -> Verification:
        """The verification with one more attempt; the first matching print checks identity."""
        if not attempt.matched or self.matched:
            return replace(self, tries=(*self.tries, attempt))
        return replace(
            self,
            tries=(*self.tries, attempt),
            matched_finger=attempt.finger,
            method=IdentityCheck.FINGERPRINT,
        )

    def checked_visually(self, check: VisualCheckRecord) -> Verification:
        """The verification with the operator's visual check; a confirmed one checks identity."""
        if not check.confirmed:
            return replace(self, visual_check=check)
        return replace(self, visual_check=check, method=IdentityCheck.VISUAL_CHECK)

    @property
    def matched(self) -> bool:
        """A print matched an enrolled finger."""
        return self.matched_finger != 0

    @property
    def verified(self) -> bool:
        """Identity was checked one way or the other: the card may be handed over."""
        return self.method is not IdentityCheck.NONE

    @property
    def score(self) -> float:
        """The best score over every compared attempt on every finger."""
        return max((t.score for t in self.tries if t.score is not None), default=0.0)

    @property
    def attempts(self) -> int:
        return len(self.tries)

    @property
    def finger(self) -> int:
        """The finger that matched, else the first enrolled one."""
        return self.matched_finger or self.fingers[0]

    def record(self) -> dict[str, Any]:
        """The verification as the visit's end record reports it."""
        check = self.visual_check
        return {
            "reference_id": self.reference_id,
            "fingers": list(self.fingers),
            "finger": self.finger,
            "matched_finger": self.matched_finger,
            "matched": self.matched,
            "identity_check": self.method.value,
            "score": self.score,
            "threshold": self.threshold,
            "attempts": self.attempts,
            "scores": [
                {"finger": t.finger, "number": t.number, "score": t.score, "matched": t.matched}
                for t in self.tries
            ],
            "visual_check": None
            if check is None
            else {
                "confirmed": check.confirmed,
                "reason": check.reason,
                "operator_id": check.operator_id,
            },
        }


@dataclass(frozen=True)
class FingerExceptionRecord:
    """A finger exception as recorded: finger, kind, reason, operator and time."""

    # 0 when the exception covers every finger (scope "all").
    finger: int
    kind: ExceptionKind
    reason: str
    operator_id: str
    time: float


@dataclass(frozen=True)
class WaiverRecord:
    """A signature waiver as recorded: reason, note, operator and time."""

    reason: WaiverReason
    note: str
    operator_id: str
    time: float


@dataclass(frozen=True)
class Receipt:
    """The sealed package a finalized visit left in the outbox."""

    package_id: str
    sha256: str
    size_bytes: int
    path: str
    recipient_key_id: str
    kit_key_id: str
    sealed_at: float
