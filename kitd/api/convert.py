"""Conversions between domain values and kit.v1 messages: devices, checks, sessions and what the capture
flows yield, with every text a person reads rendered by `texts` (the caller's, or the session operator's,
language). Nothing here decides anything: servicers read a request, call a use case and hand its result
to one of these functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from google.protobuf.timestamp_pb2 import Timestamp

from hal.device import DeviceKind
from hal.events import Cause, DeviceEvent, DeviceState, DeviceStatus, Reason
from hal.signpad.base import PenFlags
from kit.v1 import capture_service_pb2 as capture_pb
from kit.v1 import outbox_service_pb2 as outbox_pb
from kit.v1 import types_pb2 as pb
from kitd.capture import events
from kitd.clock.trusted import ClockState
from kitd.errors import InvalidArgument
from kitd.locale.catalogs import Texts
from kitd.locale.message import Message
from kitd.outbox.state import OutboxStatus, PackageInfo, PackageState
from kitd.policy.model import (
    ExceptionKind,
    RequestFiler,
    VisitPlace,
    WaiverReason,
    finger_label,
)
from kitd.quality.check import CheckResult
from kitd.session.eligibility import EligibilityEntry, EligibilityView, Evidence
from kitd.session.model import (
    CaptureKind,
    IdentityCheck,
    Receipt,
    SessionState,
    StepState,
    Verification,
)
from kitd.session.view import AttemptView, SessionView, StepView

DEVICE_KINDS = {
    DeviceKind.CAMERA: pb.DEVICE_KIND_CAMERA,
    DeviceKind.FINGERPRINT_SCANNER: pb.DEVICE_KIND_FINGERPRINT_SCANNER,
    DeviceKind.SIGNATURE_PAD: pb.DEVICE_KIND_SIGNATURE_PAD,
}
DEVICE_STATES = {
    DeviceState.ABSENT: pb.DEVICE_STATE_ABSENT,
    DeviceState.READY: pb.DEVICE_STATE_READY,
    DeviceState.BUSY: pb.DEVICE_STATE_BUSY,
    DeviceState.FAULT: pb.DEVICE_STATE_FAULT,
}


CAPTURE_KINDS = {
    CaptureKind.FACE: pb.CAPTURE_KIND_FACE,
    CaptureKind.FINGER: pb.CAPTURE_KIND_FINGER,
    CaptureKind.SIGNATURE: pb.CAPTURE_KIND_SIGNATURE,
}
STEP_STATES = {
    StepState.PENDING: capture_pb.STEP_STATE_PENDING,
    StepState.IN_PROGRESS: capture_pb.STEP_STATE_IN_PROGRESS,
    StepState.DONE: capture_pb.STEP_STATE_DONE,
    StepState.EXHAUSTED: capture_pb.STEP_STATE_EXHAUSTED,
    StepState.EXCEPTED: capture_pb.STEP_STATE_EXCEPTED,
    StepState.SKIPPED: capture_pb.STEP_STATE_SKIPPED,
    StepState.PAUSED: capture_pb.STEP_STATE_PAUSED,
}
SESSION_STATES = {
    SessionState.ACTIVE: capture_pb.SESSION_STATE_ACTIVE,
    SessionState.FINALIZED: capture_pb.SESSION_STATE_FINALIZED,
    SessionState.CANCELLED: capture_pb.SESSION_STATE_CANCELLED,
    SessionState.LOST: capture_pb.SESSION_STATE_LOST,
    SessionState.NOT_VERIFIED: capture_pb.SESSION_STATE_NOT_VERIFIED,
}
EXCEPTION_KINDS = {
    ExceptionKind.AMPUTATED: pb.FINGER_EXCEPTION_KIND_AMPUTATED,
    ExceptionKind.INJURED: pb.FINGER_EXCEPTION_KIND_INJURED,
    ExceptionKind.TEMPORARILY_UNABLE: pb.FINGER_EXCEPTION_KIND_TEMPORARILY_UNABLE,
    ExceptionKind.PERMANENTLY_UNABLE: pb.FINGER_EXCEPTION_KIND_PERMANENTLY_UNABLE,
}
WAIVER_REASONS = {
    WaiverReason.ILLITERACY: pb.SIGNATURE_WAIVER_REASON_ILLITERACY,
    WaiverReason.HANDICAP: pb.SIGNATURE_WAIVER_REASON_HANDICAP,
    WaiverReason.ILLNESS: pb.SIGNATURE_WAIVER_REASON_ILLNESS,
    WaiverReason.OTHER: pb.SIGNATURE_WAIVER_REASON_OTHER,
}
PACKAGE_STATES = {
    PackageState.SEALED: outbox_pb.PACKAGE_STATE_SEALED,
    PackageState.UPLOADING: outbox_pb.PACKAGE_STATE_UPLOADING,
    PackageState.ACKNOWLEDGED: outbox_pb.PACKAGE_STATE_ACKNOWLEDGED,
    PackageState.DELETED: outbox_pb.PACKAGE_STATE_DELETED,
}
REQUEST_FILERS = {
    RequestFiler.CARE_PROVIDER: capture_pb.REQUEST_FILER_CARE_PROVIDER,
    RequestFiler.SOCIAL_WORKER: capture_pb.REQUEST_FILER_SOCIAL_WORKER,
    RequestFiler.WELFARE_SERVICE: capture_pb.REQUEST_FILER_WELFARE_SERVICE,
    RequestFiler.CITIZEN: capture_pb.REQUEST_FILER_CITIZEN,
}
VISIT_PLACES = {
    VisitPlace.HOME: capture_pb.VISIT_PLACE_HOME,
    VisitPlace.CARE_HOME: capture_pb.VISIT_PLACE_CARE_HOME,
    VisitPlace.PSYCHIATRIC_CARE_HOME: capture_pb.VISIT_PLACE_PSYCHIATRIC_CARE_HOME,
    VisitPlace.HOSPITAL: capture_pb.VISIT_PLACE_HOSPITAL,
    VisitPlace.OTHER_FACILITY: capture_pb.VISIT_PLACE_OTHER_FACILITY,
}
EVIDENCE = {
    Evidence.RECORD: capture_pb.ELIGIBILITY_EVIDENCE_RECORD,
    Evidence.CERTIFICATE: capture_pb.ELIGIBILITY_EVIDENCE_CERTIFICATE,
    Evidence.CERTIFICATE_PHOTO: capture_pb.ELIGIBILITY_EVIDENCE_CERTIFICATE_PHOTO,
}
# Requests name them too.
PACKAGE_STATES_OF_PROTO = {v: k for k, v in PACKAGE_STATES.items()}
EXCEPTION_KINDS_OF_PROTO = {v: k for k, v in EXCEPTION_KINDS.items()}
WAIVER_REASONS_OF_PROTO = {v: k for k, v in WAIVER_REASONS.items()}
REQUEST_FILERS_OF_PROTO = {v: k for k, v in REQUEST_FILERS.items()}
VISIT_PLACES_OF_PROTO = {v: k for k, v in VISIT_PLACES.items()}


def timestamp(seconds: float) -> Timestamp:
    """A protobuf Timestamp of wall-clock seconds, to the nanosecond."""
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def image(fmt: int, data: bytes, width: int, height: int, ppi: int = 0) -> pb.Image:
    """An image as the API carries it: its bytes, format, size and, for prints, resolution."""
    return pb.Image(format=fmt, data=data, width=width, height=height, ppi=ppi)  # type: ignore[arg-type]


def rect(box: events.Box) -> pb.Rect:
    """A face box (x, y, width, height) in the coordinates of the image it was found in."""
    x, y, w, h = box
    return pb.Rect(x=x, y=y, width=w, height=h)


# The supervisors' causes (hal.events.Cause): the API's code and the message id of each.
CAUSES: dict[Cause, tuple[pb.DeviceReason.ValueType, str]] = {
    Cause.IN_USE: (pb.DEVICE_REASON_IN_USE, "device.reason.in_use"),
    Cause.RELEASED: (pb.DEVICE_REASON_RELEASED, "device.reason.released"),
    Cause.LINK_LOST: (pb.DEVICE_REASON_UNPLUGGED, "device.reason.unplugged"),
    Cause.SUPERVISOR_FAILED: (
        pb.DEVICE_REASON_SUPERVISOR_FAILED,
        "device.reason.supervisor_failed",
    ),
    Cause.BIND_FAILED: (pb.DEVICE_REASON_BIND_FAILED, "device.reason.bind_failed"),
    Cause.FAULT: (pb.DEVICE_REASON_FAULT, "device.reason.fault"),
    Cause.BOUND: (pb.DEVICE_REASON_BOUND, "device.reason.bound"),
    Cause.REBOUND: (pb.DEVICE_REASON_REBOUND, "device.reason.rebound"),
    Cause.NOT_BOUND_YET: (pb.DEVICE_REASON_NOT_BOUND_YET, "device.detail.not_bound_yet"),
}


def device_message(reason: Reason) -> Message:
    """The message of a supervisor's reason, with its parameters."""
    _, message_id = CAUSES[reason.cause]
    if reason.cause is Cause.REBOUND:
        return Message.of(message_id, attempts=reason.attempts)
    return Message(message_id)


def device_detail(status: DeviceStatus, texts: Texts) -> str:
    """What a person reads for a device's state: the driver's own words when it gave any (they are
    data, see docs/locale.md), else its cause in the caller's language.
    """
    if status.detail or status.cause is None:
        return status.detail
    return texts(device_message(Reason(status.cause)))


def device(status: DeviceStatus, texts: Texts) -> pb.Device:
    """A device as ListDevices and every event show it: identity, state, since when and why."""
    info = status.info
    return pb.Device(
        id=status.name,
        kind=DEVICE_KINDS[status.kind],
        state=DEVICE_STATES[status.state],
        vendor=info.vendor if info else "",
        model=info.model if info else "",
        serial=info.serial if info else "",
        firmware=info.firmware if info else "",
        source=status.source,
        detail=device_detail(status, texts),
        state_since=timestamp(status.since),
        cause=CAUSES[status.cause][0] if status.cause else pb.DEVICE_REASON_UNSPECIFIED,
    )


def device_event(event: DeviceEvent, texts: Texts) -> pb.DeviceEvent:
    """A supervisor's change of a device's state, with its reason as a code and as text."""
    return pb.DeviceEvent(
        sequence=event.sequence,
        time=timestamp(event.time),
        device=device(event.status, texts),
        previous_state=DEVICE_STATES[event.previous],
        reason=texts(device_message(event.reason)),
        reason_code=CAUSES[event.reason.cause][0],
        rebind_attempts=event.reason.attempts,
    )


def current_device_event(status: DeviceStatus, now: float, texts: Texts) -> pb.DeviceEvent:
    """A device's state as a watch's first event reports it, before anything has happened."""
    return pb.DeviceEvent(
        time=timestamp(now),
        device=device(status, texts),
        previous_state=DEVICE_STATES[status.state],
        reason=texts(Message("device.reason.current_state")),
        reason_code=pb.DEVICE_REASON_CURRENT_STATE,
    )


def check(result: CheckResult, texts: Texts) -> pb.Check:
    """A quality check's value against its threshold, with its advice rendered and its message id."""
    guidance = result.guidance
    return pb.Check(
        id=result.id,
        value=result.value,
        threshold=result.threshold,
        passed=result.passed,
        quality=result.quality,
        guidance=texts(guidance) if guidance is not None else "",
        guidance_id=guidance.id if guidance is not None else "",
    )


def step_title(step: StepView, texts: Texts) -> str:
    """A step's title with the finger asked now ("right hand: right index finger", "photo"), in the
    operator's language.
    """
    label = step.label
    title = texts(label) if isinstance(label, Message) else label
    if not step.finger:
        return title
    return texts.id("step.with_finger", step=title, finger=finger_label(step.finger))


def attempt_message(attempt: AttemptView, texts: Texts) -> pb.Attempt:
    """An attempt with its checks, its verdict, whether it is the kept one and any override."""
    message = pb.Attempt(
        attempt_id=attempt.attempt_id,
        step_id=attempt.step_id,
        kind=CAPTURE_KINDS[attempt.kind],
        finger=attempt.finger,  # type: ignore[arg-type]
        number=attempt.number,
        time=timestamp(attempt.time),
        quality=attempt.quality,
        checks=[check(c, texts) for c in attempt.checks],
        accepted=attempt.accepted,
        kept=attempt.kept,
        feedback=attempt.feedback,
    )
    if attempt.override is not None:
        message.override.CopyFrom(
            pb.Override(
                operator_id=attempt.override.operator_id,
                reason=attempt.override.reason,
                time=timestamp(attempt.override.time),
            )
        )
    return message


def receipt_message(receipt: Receipt) -> capture_pb.PackageReceipt:
    """The sealed package a finalized visit left in the outbox."""
    return capture_pb.PackageReceipt(
        package_id=receipt.package_id,
        sha256=receipt.sha256,
        size_bytes=receipt.size_bytes,
        path=receipt.path,
        recipient_key_id=receipt.recipient_key_id,
        kit_key_id=receipt.kit_key_id,
        sealed_at=timestamp(receipt.sealed_at),
    )


def session_message(session: SessionView, texts: Texts) -> capture_pb.Session:
    """The session; `texts` renders in its operator language (CallLanguages.of_language)."""
    with session.lock:
        next_step = session.next_step if session.state is SessionState.ACTIVE else None
        message = capture_pb.Session(
            session_id=session.session_id,
            state=SESSION_STATES[session.state],
            document_profile=session.policy.id,
            policy_id=session.policy.id,
            policy_version=session.policy.version,
            applicant_age=session.applicant_age,
            operator_id=session.operator_id,
            application_reference=session.application_reference,
            steps=[
                capture_pb.Step(
                    step_id=step.step_id,
                    kind=CAPTURE_KINDS[step.kind],
                    finger=step.finger,  # type: ignore[arg-type]
                    state=STEP_STATES[step.state],
                    attempts_used=step.attempts_used,
                    max_attempts=step.max_attempts,
                    min_quality=step.min_quality,
                    title=step_title(step, texts),
                )
                for step in session.steps
            ],
            attempts=[attempt_message(a, texts) for a in session.attempts],
            finger_exceptions=[
                pb.FingerException(
                    finger=e.finger,  # type: ignore[arg-type]
                    kind=EXCEPTION_KINDS[e.kind],
                    reason=e.reason,
                    operator_id=e.operator_id,
                    time=timestamp(e.time),
                )
                for e in session.finger_exceptions
            ],
            card_validity_months=session.card_validity_months,
            created_at=timestamp(session.created_at),
            expires_at=timestamp(session.expires_at),
            next_step_id=next_step.step_id if next_step else "",
            end_reason=texts(session.end_message) if session.end_message else session.end_reason,
            operator_language=session.languages.operator,
            citizen_language=session.languages.citizen,
            language_fallbacks=session.languages.fallbacks,
        )
        waiver = session.signature_waiver
        if waiver is not None:
            message.signature_waiver.CopyFrom(
                pb.SignatureWaiver(
                    reason=WAIVER_REASONS[waiver.reason],
                    note=waiver.note,
                    operator_id=waiver.operator_id,
                    time=timestamp(waiver.time),
                )
            )
        if session.receipt is not None:
            message.receipt.CopyFrom(receipt_message(session.receipt))
        verification = session.verification
        if verification is not None:
            message.delivery_verification.CopyFrom(verification_message(verification))
        message.eligibility.CopyFrom(eligibility_message(session.eligibility))
        return message


def eligibility_message(eligibility: EligibilityView) -> capture_pb.Eligibility:
    """A home visit's eligibility as recorded, and what it still lacks."""
    if not eligibility.required:
        return capture_pb.Eligibility()
    photo = eligibility.photo
    message = capture_pb.Eligibility(
        required=True,
        certificate_photo_required=eligibility.photo_required,
        certificate_photo_accepted=photo is not None and photo.accepted,
        certificate_photo_attempts=eligibility.photo_attempts,
        missing=[EVIDENCE[m] for m in eligibility.missing],
    )
    recorded = eligibility.recorded
    if recorded is not None:
        message.recorded = True
        message.request_reference = recorded.request_reference
        message.filed_by = REQUEST_FILERS[recorded.filed_by]
        message.organisation = recorded.organisation
        message.certificate_shown = recorded.certificate_shown
        message.certificate_date = (
            recorded.certificate_date.isoformat() if recorded.certificate_date else ""
        )
        message.place = VISIT_PLACES[recorded.place]
        message.facility = recorded.facility
    decision = eligibility.override
    if decision is not None:
        message.override.CopyFrom(
            capture_pb.EligibilityOverride(
                reason=decision.reason,
                operator_id=decision.operator_id,
                time=timestamp(decision.time),
                missing=[EVIDENCE[m] for m in decision.missing],
            )
        )
    return message


IDENTITY_CHECKS = {
    IdentityCheck.NONE: capture_pb.IDENTITY_CHECK_METHOD_UNSPECIFIED,
    IdentityCheck.FINGERPRINT: capture_pb.IDENTITY_CHECK_METHOD_FINGERPRINT,
    IdentityCheck.VISUAL_CHECK: capture_pb.IDENTITY_CHECK_METHOD_VISUAL_CHECK,
}


def eligibility_entry(request: capture_pb.RecordEligibilityRequest) -> EligibilityEntry:
    """What the operator recorded, from the request; InvalidArgument when a choice is left unset."""
    filed_by = REQUEST_FILERS_OF_PROTO.get(request.filed_by)
    place = VISIT_PLACES_OF_PROTO.get(request.place)
    if filed_by is None or place is None:
        raise InvalidArgument(Message("error.eligibility_choice_unset"))
    return EligibilityEntry(
        request_reference=request.request_reference,
        filed_by=filed_by,
        organisation=request.organisation,
        certificate_shown=request.certificate_shown,
        certificate_date=request.certificate_date,
        place=place,
        facility=request.facility,
    )


def verification_message(verification: Verification) -> capture_pb.DeliveryVerification:
    """A delivery's identity check: every attempt's score, the finger that matched, which way."""
    message = capture_pb.DeliveryVerification(
        reference_id=verification.reference_id,
        finger=verification.finger,  # type: ignore[arg-type]
        matched=verification.matched,
        score=verification.score,
        threshold=verification.threshold,
        attempts_used=verification.attempts,
        max_attempts=verification.max_attempts,
        enrolled_fingers=verification.fingers,  # type: ignore[arg-type]
        matched_finger=verification.matched_finger,  # type: ignore[arg-type]
        attempts=[
            capture_pb.VerificationAttempt(
                finger=t.finger,  # type: ignore[arg-type]
                number=t.number,
                compared=t.score is not None,
                score=t.score or 0.0,
                matched=t.matched,
            )
            for t in verification.tries
        ],
        identity_check=IDENTITY_CHECKS[verification.method],
        visual_check_available=verification.visual_check_available,
    )
    check = verification.visual_check
    if check is not None:
        message.visual_check.CopyFrom(
            capture_pb.VisualIdentityCheck(
                confirmed=check.confirmed,
                reason=check.reason,
                operator_id=check.operator_id,
                time=timestamp(check.time),
            )
        )
    return message


# -- the outbox ------------------------------------------------------------------------------------


def package_message(info: PackageInfo) -> outbox_pb.PackageInfo:
    """An outbox entry: its state, size, upload attempts and when it is next tried or expires."""
    message = outbox_pb.PackageInfo(
        package_id=info.package_id,
        state=PACKAGE_STATES[info.state],
        sha256=info.sha256,
        size_bytes=info.size,
        sealed_at=timestamp(info.sealed_at),
        upload_attempts=info.upload_attempts,
        last_error=info.last_error,
        expires_at=timestamp(info.expires_at),
        recipient_key_id=info.recipient_key_id,
        held=info.held,
    )
    if info.next_attempt_at:
        message.next_attempt_at.CopyFrom(timestamp(info.next_attempt_at))
    return message


CLOCK_STATES = {
    ClockState.TRUSTED: outbox_pb.CLOCK_STATE_TRUSTED,
    ClockState.BEHIND_MARK: outbox_pb.CLOCK_STATE_BEHIND_MARK,
    ClockState.BEFORE_RELEASE: outbox_pb.CLOCK_STATE_BEFORE_RELEASE,
}


def outbox_status_response(
    status: OutboxStatus, upload_error: str, clock_state: ClockState | None = None
) -> outbox_pb.GetOutboxStatusResponse:
    """`upload_error`: the uploader's last error, shown when the outbox has none of its own."""
    message = outbox_pb.GetOutboxStatusResponse(
        pending=status.pending,
        acknowledged=status.acknowledged,
        pending_bytes=status.pending_bytes,
        free_bytes=status.free_bytes,
        min_free_bytes=status.min_free_bytes,
        retention_days=status.retention_days,
        last_error=status.last_error or upload_error,
        held_packages=status.held,
        clock_state=outbox_pb.CLOCK_STATE_UNSPECIFIED
        if clock_state is None
        else CLOCK_STATES[clock_state],
    )
    if status.oldest_pending_sealed_at is not None:
        message.oldest_pending_sealed_at.CopyFrom(timestamp(status.oldest_pending_sealed_at))
    if status.last_upload_at is not None:
        message.last_upload_at.CopyFrom(timestamp(status.last_upload_at))
    return message


# -- what the capture flows yield ------------------------------------------------------------------


def face_preview_frame(frame: events.FacePreview, texts: Texts) -> capture_pb.FacePreviewFrame:
    """One live preview frame with its checks and the guidance in the operator's language."""
    message = capture_pb.FacePreviewFrame(
        frame_id=frame.frame_id,
        grabbed_at=timestamp(frame.grabbed_at),
        preview=image(pb.IMAGE_FORMAT_JPEG, frame.jpeg, frame.width, frame.height),
        landmarks=[pb.Point(x=x, y=y) for x, y in frame.landmarks],
        face_count=frame.face_count,
        checks=[check(c, texts) for c in frame.checks],
        guidance=texts.all(frame.guidance),
        guidance_ids=[g.id for g in frame.guidance],
        ready=frame.ready,
        corrupt_frames=frame.corrupt_frames,
    )
    if frame.face_box is not None:
        message.face_box.CopyFrom(rect(frame.face_box))
    return message


def face_capture_response(
    result: events.FaceResult, session: SessionView, texts: Texts
) -> capture_pb.CaptureFaceResponse:
    """The photo a face capture took, its attempt and the visit after it."""
    response = capture_pb.CaptureFaceResponse(
        attempt=attempt_message(result.attempt, texts),
        photo=image(
            pb.IMAGE_FORMAT_JPEG, result.photo_jpeg, result.photo_width, result.photo_height
        ),
        session=session_message(session, texts),
    )
    if result.face_box is not None:
        response.face_box.CopyFrom(rect(result.face_box))
    return response


@functools.singledispatch
def finger_event_message(
    event: events.FingerEvent, texts: Texts
) -> capture_pb.CaptureFingerResponse:
    """The stream message of one event of a finger capture (one registered function per event)."""
    raise TypeError(f"no kit.v1 message for {type(event).__name__}")


@finger_event_message.register
def _(event: events.FingerWaiting, texts: Texts) -> capture_pb.CaptureFingerResponse:
    return capture_pb.CaptureFingerResponse(
        waiting=capture_pb.FingerWaiting(
            finger=event.finger,  # type: ignore[arg-type]
            attempt_number=event.attempt_number,
            instruction=texts(event.instruction),
        )
    )


@finger_event_message.register
def _(event: events.FingerPreview, texts: Texts) -> capture_pb.CaptureFingerResponse:
    height, width = event.pixels.shape[:2]
    return capture_pb.CaptureFingerResponse(
        preview=capture_pb.FingerPreview(
            image=image(pb.IMAGE_FORMAT_GRAY8, event.pixels.tobytes(), width, height, event.ppi),
            finger_present=event.finger_present,
            live_quality=event.live_quality,
            feedback=event.feedback,
        )
    )


@finger_event_message.register
def _(event: events.FingerDetected, texts: Texts) -> capture_pb.CaptureFingerResponse:
    return capture_pb.CaptureFingerResponse(
        detected=capture_pb.FingerDetected(finger=event.finger)  # type: ignore[arg-type]
    )


@finger_event_message.register
def _(event: events.FingerCaptured, texts: Texts) -> capture_pb.CaptureFingerResponse:
    return capture_pb.CaptureFingerResponse(
        captured=capture_pb.FingerCaptured(
            attempt=attempt_message(event.attempt, texts),
            image=image(pb.IMAGE_FORMAT_PNG, event.png, event.width, event.height, event.ppi),
            session=session_message(event.session, texts),
        )
    )


@finger_event_message.register
def _(event: events.FingerLift, texts: Texts) -> capture_pb.CaptureFingerResponse:
    return capture_pb.CaptureFingerResponse(
        lift=capture_pb.FingerLift(instruction=texts(event.instruction))
    )


@functools.singledispatch
def signature_event_message(
    event: events.SignatureEvent, texts: Texts, session: Callable[[], SessionView]
) -> capture_pb.CaptureSignatureResponse:
    """`session` is read only for the result, which carries the visit as the signature left it."""
    raise TypeError(f"no kit.v1 message for {type(event).__name__}")


@signature_event_message.register
def _(
    event: events.PenBatch, texts: Texts, session: Callable[[], SessionView]
) -> capture_pb.CaptureSignatureResponse:
    return capture_pb.CaptureSignatureResponse(
        samples=capture_pb.PenSamples(
            samples=[
                capture_pb.PenSample(
                    time_us=s.time_us,
                    x=s.x,
                    y=s.y,
                    pressure=s.pressure,
                    tip=s.tip,
                    in_range=PenFlags.IN_RANGE in s.flags,
                )
                for s in event.samples
            ],
            max_x=event.max_x,
            max_y=event.max_y,
        )
    )


@signature_event_message.register
def _(
    event: events.SignatureCleared, texts: Texts, session: Callable[[], SessionView]
) -> capture_pb.CaptureSignatureResponse:
    return capture_pb.CaptureSignatureResponse(
        cleared=capture_pb.SignatureCleared(clear_count=event.clear_count)
    )


@signature_event_message.register
def _(
    event: events.SignatureResult, texts: Texts, session: Callable[[], SessionView]
) -> capture_pb.CaptureSignatureResponse:
    return capture_pb.CaptureSignatureResponse(
        result=capture_pb.SignatureResult(
            attempt=attempt_message(event.attempt, texts),
            image=image(pb.IMAGE_FORMAT_PNG, event.png, event.width, event.height),
            iso_19794_7=event.iso_19794_7,
            session=session_message(session(), texts),
        )
    )
