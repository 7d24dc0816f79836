"""The visit use cases the capture API offers, in plain Python: one method per RPC.

This is where sessions, capture flows, device events and sealing meet. It holds no policy of its own
(the session does) and no protocol details (the API layer does); tests drive it without gRPC.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Protocol

from hal.device import DeviceKind
from hal.events import DeviceEvent, DeviceState, DeviceStatus
from kitd.capture.certificate import CertificateCapture, CertificateResult
from kitd.capture.events import FacePreview, FaceResult, FingerEvent, SignatureEvent
from kitd.capture.face import FaceCapture
from kitd.capture.finger import FingerCapture
from kitd.capture.signature import SignatureCapture
from kitd.delivery.reference import DeliveryReference
from kitd.errors import CapabilityMissing, StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import ExceptionKind, WaiverReason
from kitd.session.eligibility import EligibilityEntry
from kitd.session.manager import SessionManager
from kitd.session.model import (
    Attempt,
    CaptureKind,
    Languages,
    Receipt,
    SessionState,
    StepState,
)
from kitd.session.session import Session
from kitd.summary import SummaryContent, summary_of

log = logging.getLogger(__name__)

KIND_OF_DEVICE = {
    DeviceKind.CAMERA: CaptureKind.FACE,
    DeviceKind.FINGERPRINT_SCANNER: CaptureKind.FINGER,
    DeviceKind.SIGNATURE_PAD: CaptureKind.SIGNATURE,
}


class SealsVisits(Protocol):
    """Where visits end: the disk-space guard before a visit, and sealing into the outbox after."""

    def check_space(self) -> None: ...

    def committed(self, session: Session) -> Receipt | None: ...

    def seal(self, session: Session) -> Receipt: ...


class RemembersReferences(Protocol):
    """The references this kit completed a delivery with (kitd.delivery.used_references)."""

    def check_unused(self, reference_id: str) -> None: ...

    def record(self, reference_id: str, package_id: str) -> None: ...


def _no_references(data: bytes) -> DeliveryReference:
    raise CapabilityMissing(Message("error.no_delivery_references"))


class Visits:
    """The visit use cases, one method per capture RPC."""

    def __init__(
        self,
        sessions: SessionManager,
        face: FaceCapture,
        finger: FingerCapture,
        signature: SignatureCapture,
        sealing: SealsVisits,
        *,
        device_status: Callable[[CaptureKind], DeviceStatus | None] = lambda kind: None,
        open_reference: Callable[[bytes], DeliveryReference] = _no_references,
        check_clock: Callable[[], None] = lambda: None,
        used_references: RemembersReferences | None = None,
        certificate: CertificateCapture | None = None,
    ) -> None:
        self.sessions = sessions
        self._certificate = certificate or CertificateCapture(None)
        self._check_clock = check_clock
        self._open_reference = open_reference
        self._used_references = used_references
        self._device_status = device_status
        self._face = face
        self._finger = finger
        self._signature = signature
        self._sealing = sealing

    # -- sessions ------------------------------------------------------------------------------------

    def create(
        self,
        profile: str,
        age: int,
        operator_id: str,
        application_reference: str = "",
        display_name: str = "",
        *,
        delivery_reference: bytes = b"",
        languages: Languages | None = None,
    ) -> Session:
        """Starts a visit: the one way a session comes to be (SessionActive while another runs).

        Refused on a clock the kit cannot trust (ClockUntrusted) and on a disk that could not keep
        its package (StorageFull).
        """
        self._check_clock()
        self._sealing.check_space()
        # Opened (decrypted, verified, checked) before the visit exists: a bad download starts none.
        reference = self._open_reference(delivery_reference) if delivery_reference else None
        if reference is not None and self._used_references is not None:
            # A download serves one delivery: a second card cannot be handed over on it.
            self._used_references.check_unused(reference.reference_id)
        policy = self.sessions.policies.for_visit(profile, age)

        def build(session_id: str) -> Session:
            return Session(
                policy,
                age,
                operator_id,
                application_reference,
                display_name,
                session_id=session_id,
                clock=self.sessions.clock,
                on_record=self.sessions.records_of(session_id),
                reference=reference,
                languages=languages,
            )

        return self.sessions.admit(build)

    def get(self, session_id: str) -> Session:
        """The session, its steps' pause state brought up to the devices' state now: a client that saw a
        device come back (WatchDevices) must not read a step still paused by an event not yet applied.
        """
        session = self.sessions.get(session_id)
        if session.state is SessionState.ACTIVE:
            for kind in KIND_OF_DEVICE.values():
                status = self._device_status(kind)
                if status is not None:
                    self._follow(session, kind, status, status.detail)
        return session

    def active(self) -> Session | None:
        return self.sessions.active()

    def cancel(self, session_id: str, reason: str) -> Session:
        session = self.sessions.get(session_id)
        session.cancel(reason)
        self.sessions.ended(session)
        return session

    # -- captures ------------------------------------------------------------------------------------

    def face_preview(self, session_id: str, max_size: int = 640) -> Iterator[FacePreview]:
        return self._face.preview(self.sessions.get(session_id), max_size)

    def capture_face(
        self, session_id: str, *, auto: bool = True, timeout_s: float = 0.0
    ) -> FaceResult:
        return self._face.capture(self.sessions.get(session_id), auto=auto, timeout_s=timeout_s)

    def capture_finger(
        self, session_id: str, finger: int = 0, timeout_s: float = 0.0
    ) -> Iterator[FingerEvent]:
        session = self.sessions.get(session_id)
        yield from self._finger.run(session, finger, timeout_s)
        if session.state is not SessionState.ACTIVE:
            # A delivery that failed its fingerprint check ended with the attempt: free the kit.
            self.sessions.ended(session)

    def finger_exception(
        self, session_id: str, finger: int, kind: ExceptionKind, reason: str
    ) -> Session:
        session = self.sessions.get(session_id)
        session.record_finger_exception(finger, kind, reason)
        return session

    def capture_signature(
        self, session_id: str, timeout_s: float = 0.0
    ) -> Iterator[SignatureEvent]:
        return self._signature.run(self.sessions.get(session_id), timeout_s)

    def clear_signature(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        step = session.step_for(CaptureKind.SIGNATURE)
        if step.state is not StepState.IN_PROGRESS:
            raise StepNotAllowed(Message("error.no_signature_capture"))
        self._signature.request_clear()

    def waive_signature(self, session_id: str, reason: WaiverReason, note: str) -> Session:
        session = self.sessions.get(session_id)
        session.waive_signature(reason, note)
        return session

    def override(self, session_id: str, attempt_id: str, reason: str) -> tuple[Attempt, Session]:
        session = self.sessions.get(session_id)
        return session.override(attempt_id, reason), session

    def finalize(self, session_id: str) -> tuple[Receipt, Session]:
        """Seals the visit; idempotent: a retry, after any failure or a lost answer, gets the receipt
        of the one package the visit has. The session ends as soon as its package is committed.
        """
        session = self.sessions.finalized(session_id) or self.sessions.get(session_id)
        with session.lock:
            if session.state is SessionState.FINALIZED and session.receipt is not None:
                return session.receipt, session
            receipt = self._sealing.committed(session)
            if receipt is None:
                session.check_complete()
                receipt = self._sealing.seal(session)
            verification = session.verification
            if verification is not None and self._used_references is not None:
                # Recorded once the package is in the outbox: the delivery is complete. A retry
                # after a failure here records it again for the same package, which is no second use.
                self._used_references.record(verification.reference_id, receipt.package_id)
            session.finalize(receipt)
        self.sessions.ended(session)
        return receipt, session

    # -- a home visit's eligibility -------------------------------------------------------------------

    def record_eligibility(self, session_id: str, entry: EligibilityEntry) -> Session:
        session = self.sessions.get(session_id)
        session.record_eligibility(entry)
        return session

    def capture_certificate_photo(
        self, session_id: str, timeout_s: float = 0.0
    ) -> tuple[CertificateResult, Session]:
        session = self.sessions.get(session_id)
        return self._certificate.capture(session, timeout_s), session

    def override_eligibility(self, session_id: str, reason: str) -> Session:
        session = self.sessions.get(session_id)
        session.override_eligibility(reason)
        return session

    def summary(self, session_id: str) -> tuple[SummaryContent, Session]:
        """The citizen's summary of a visit this daemon sealed; StepNotAllowed before it is sealed."""
        session = self.sessions.finalized(session_id) or self.sessions.get(session_id)
        return summary_of(session), session

    # -- a delivery's visual identity check ----------------------------------------------------------

    def enrollment_photo(self, session_id: str) -> bytes:
        return self.sessions.get(session_id).enrollment_photo()

    def check_identity_visually(self, session_id: str, *, confirmed: bool, reason: str) -> Session:
        session = self.sessions.get(session_id)
        session.check_identity_visually(confirmed=confirmed, reason=reason)
        if session.state is not SessionState.ACTIVE:
            # Declined: the visit ended not verified; free the kit.
            self.sessions.ended(session)
        return session

    # -- devices -------------------------------------------------------------------------------------

    def on_device_event(self, event: DeviceEvent) -> None:
        """Pauses the active visit's steps of a device that went away; resumes them when it is back.

        Events arrive late and may be overtaken (a capture reconciles the session itself), so the
        session follows the device's state now, not the event's.
        """
        session = self.sessions.active()
        if session is None or session.state is not SessionState.ACTIVE:
            return
        kind = KIND_OF_DEVICE[event.status.kind]
        status = self._device_status(kind) or event.status
        self._follow(session, kind, status, status.detail or str(event.reason))

    @staticmethod
    def _follow(session: Session, kind: CaptureKind, status: DeviceStatus, detail: str) -> None:
        if status.state in (DeviceState.ABSENT, DeviceState.FAULT):
            session.pause(kind, detail)
        elif status.state in (DeviceState.READY, DeviceState.BUSY):
            session.resume(kind)
