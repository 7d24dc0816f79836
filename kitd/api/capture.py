"""kit.v1.CaptureService: translates requests to kitd.visits calls and results to messages, whose texts
are rendered in the session's operator language."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import capture_service_pb2_grpc as pb_grpc
from kit.v1 import types_pb2
from kitd.api import convert
from kitd.api.languages import CallLanguages
from kitd.api.session_convert import attempt_message, receipt_message, session_message
from kitd.api.status import translated, translated_stream
from kitd.capture import events
from kitd.errors import InvalidArgument, KitError
from kitd.locale.catalogs import Catalogs, Texts
from kitd.locale.message import Message
from kitd.policy.model import ExceptionKind, WaiverReason
from kitd.session.session import Session
from kitd.visits import Visits

_EXCEPTION_KINDS = {
    types_pb2.FINGER_EXCEPTION_KIND_AMPUTATED: ExceptionKind.AMPUTATED,
    types_pb2.FINGER_EXCEPTION_KIND_INJURED: ExceptionKind.INJURED,
    types_pb2.FINGER_EXCEPTION_KIND_TEMPORARILY_UNABLE: ExceptionKind.TEMPORARILY_UNABLE,
    types_pb2.FINGER_EXCEPTION_KIND_PERMANENTLY_UNABLE: ExceptionKind.PERMANENTLY_UNABLE,
}
_WAIVER_REASONS = {
    types_pb2.SIGNATURE_WAIVER_REASON_ILLITERACY: WaiverReason.ILLITERACY,
    types_pb2.SIGNATURE_WAIVER_REASON_HANDICAP: WaiverReason.HANDICAP,
    types_pb2.SIGNATURE_WAIVER_REASON_ILLNESS: WaiverReason.ILLNESS,
    types_pb2.SIGNATURE_WAIVER_REASON_OTHER: WaiverReason.OTHER,
}


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise InvalidArgument(Message.of("error.required", field=name))
    return value


def _timeout(ms: int) -> float:
    return ms / 1000.0


def _image(fmt: int, data: bytes, width: int, height: int, ppi: int = 0) -> types_pb2.Image:
    return types_pb2.Image(format=fmt, data=data, width=width, height=height, ppi=ppi)  # type: ignore[arg-type]


class CaptureServicer(pb_grpc.CaptureServiceServicer):
    def __init__(self, visits: Visits, languages: CallLanguages | None = None) -> None:
        self._visits = visits
        self._languages = languages or CallLanguages(Catalogs.builtin())

    def _texts(self, session: Session) -> Texts:
        return self._languages.of_language(session.languages.operator)

    def _session(self, session: Session) -> pb.Session:
        return session_message(session, self._texts(session))

    def error_texts(self, request: object, context: grpc.ServicerContext) -> Texts:
        """A failed call's language: the one a new session asks for, its session's operator
        language, else the call's accept-language."""
        requested = getattr(request, "operator_language", "")
        if requested:
            return self._languages.of_language(self._languages.for_visit(requested, "").operator)
        session_id = getattr(request, "session_id", "")
        if session_id:
            try:
                return self._texts(self._visits.sessions.get(session_id))
            except KitError:
                pass  # no such session (that may be the very error): the caller's language
        return self._languages.of_call(context)

    @translated
    def CreateSession(
        self, request: pb.CreateSessionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSessionResponse:
        session = self._visits.create(
            _required(request.document_profile, "document_profile"),
            request.applicant_age,
            _required(request.operator_id, "operator_id"),
            request.application_reference,
            request.citizen_display_name,
            delivery_reference=request.delivery_reference,
            languages=self._languages.for_visit(
                request.operator_language, request.citizen_language
            ),
        )
        return pb.CreateSessionResponse(session=self._session(session))

    @translated
    def GetSession(
        self, request: pb.GetSessionRequest, context: grpc.ServicerContext
    ) -> pb.GetSessionResponse:
        session = self._visits.get(_required(request.session_id, "session_id"))
        return pb.GetSessionResponse(session=self._session(session))

    @translated
    def GetActiveSession(
        self, request: pb.GetActiveSessionRequest, context: grpc.ServicerContext
    ) -> pb.GetActiveSessionResponse:
        session = self._visits.active()
        if session is None:
            return pb.GetActiveSessionResponse()
        return pb.GetActiveSessionResponse(session=self._session(session))

    @translated
    def CancelSession(
        self, request: pb.CancelSessionRequest, context: grpc.ServicerContext
    ) -> pb.CancelSessionResponse:
        session = self._visits.cancel(_required(request.session_id, "session_id"), request.reason)
        return pb.CancelSessionResponse(session=self._session(session))

    @translated_stream
    def StreamFacePreview(
        self, request: pb.StreamFacePreviewRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.StreamFacePreviewResponse]:
        session_id = _required(request.session_id, "session_id")
        texts = self._texts(self._visits.get(session_id))
        frames = self._visits.face_preview(session_id, request.max_size or 640)
        for frame in frames:
            if not context.is_active():
                break
            message = pb.FacePreviewFrame(
                frame_id=frame.frame_id,
                grabbed_at=convert.timestamp(frame.grabbed_at),
                preview=_image(types_pb2.IMAGE_FORMAT_JPEG, frame.jpeg, frame.width, frame.height),
                landmarks=[types_pb2.Point(x=x, y=y) for x, y in frame.landmarks],
                face_count=frame.face_count,
                checks=[convert.check(c, texts) for c in frame.checks],
                guidance=texts.all(frame.guidance),
                guidance_ids=[g.id for g in frame.guidance],
                ready=frame.ready,
                corrupt_frames=frame.corrupt_frames,
            )
            if frame.face_box is not None:
                x, y, w, h = frame.face_box
                message.face_box.CopyFrom(types_pb2.Rect(x=x, y=y, width=w, height=h))
            yield pb.StreamFacePreviewResponse(frame=message)

    @translated
    def CaptureFace(
        self, request: pb.CaptureFaceRequest, context: grpc.ServicerContext
    ) -> pb.CaptureFaceResponse:
        session_id = _required(request.session_id, "session_id")
        result = self._visits.capture_face(
            session_id,
            auto=request.mode != pb.FACE_CAPTURE_MODE_NOW,
            timeout_s=_timeout(request.timeout_ms),
        )
        session = self._visits.get(session_id)
        response = pb.CaptureFaceResponse(
            attempt=attempt_message(result.attempt, self._texts(session)),
            photo=_image(
                types_pb2.IMAGE_FORMAT_JPEG,
                result.photo_jpeg,
                result.photo_width,
                result.photo_height,
            ),
            session=self._session(session),
        )
        if result.face_box is not None:
            x, y, w, h = result.face_box
            response.face_box.CopyFrom(types_pb2.Rect(x=x, y=y, width=w, height=h))
        return response

    @translated_stream
    def CaptureFinger(
        self, request: pb.CaptureFingerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.CaptureFingerResponse]:
        session_id = _required(request.session_id, "session_id")
        texts = self._texts(self._visits.get(session_id))
        flow = self._visits.capture_finger(session_id, request.finger, _timeout(request.timeout_ms))
        for event in flow:
            if isinstance(event, events.FingerWaiting):
                yield pb.CaptureFingerResponse(
                    waiting=pb.FingerWaiting(
                        finger=event.finger,  # type: ignore[arg-type]
                        attempt_number=event.attempt_number,
                        instruction=texts(event.instruction),
                    )
                )
            elif isinstance(event, events.FingerPreview):
                height, width = event.pixels.shape[:2]
                yield pb.CaptureFingerResponse(
                    preview=pb.FingerPreview(
                        image=_image(
                            types_pb2.IMAGE_FORMAT_GRAY8,
                            event.pixels.tobytes(),
                            width,
                            height,
                            event.ppi,
                        ),
                        finger_present=event.finger_present,
                        live_quality=event.live_quality,
                        feedback=event.feedback,
                    )
                )
            elif isinstance(event, events.FingerDetected):
                yield pb.CaptureFingerResponse(
                    detected=pb.FingerDetected(finger=event.finger)  # type: ignore[arg-type]
                )
            elif isinstance(event, events.FingerCaptured):
                yield pb.CaptureFingerResponse(
                    captured=pb.FingerCaptured(
                        attempt=attempt_message(event.attempt, texts),
                        image=_image(
                            types_pb2.IMAGE_FORMAT_PNG,
                            event.png,
                            event.width,
                            event.height,
                            event.ppi,
                        ),
                        session=self._session(event.session),
                    )
                )
            else:
                yield pb.CaptureFingerResponse(
                    lift=pb.FingerLift(instruction=texts(event.instruction))
                )

    @translated
    def RecordFingerException(
        self, request: pb.RecordFingerExceptionRequest, context: grpc.ServicerContext
    ) -> pb.RecordFingerExceptionResponse:
        kind = _EXCEPTION_KINDS.get(request.kind)
        if kind is None:
            raise InvalidArgument(Message("error.exception_kind_unset"))
        session = self._visits.finger_exception(
            _required(request.session_id, "session_id"), request.finger, kind, request.reason
        )
        return pb.RecordFingerExceptionResponse(session=self._session(session))

    @translated_stream
    def CaptureSignature(
        self, request: pb.CaptureSignatureRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.CaptureSignatureResponse]:
        session_id = _required(request.session_id, "session_id")
        texts = self._texts(self._visits.get(session_id))
        for event in self._visits.capture_signature(session_id, _timeout(request.timeout_ms)):
            if isinstance(event, events.PenBatch):
                yield pb.CaptureSignatureResponse(
                    samples=pb.PenSamples(
                        samples=[
                            pb.PenSample(
                                time_us=s.time_us,
                                x=s.x,
                                y=s.y,
                                pressure=s.pressure,
                                tip=s.tip,
                                in_range=bool(s.flags & 0x02),
                            )
                            for s in event.samples
                        ],
                        max_x=event.max_x,
                        max_y=event.max_y,
                    )
                )
            elif isinstance(event, events.SignatureCleared):
                yield pb.CaptureSignatureResponse(
                    cleared=pb.SignatureCleared(clear_count=event.clear_count)
                )
            else:
                yield pb.CaptureSignatureResponse(
                    result=pb.SignatureResult(
                        attempt=attempt_message(event.attempt, texts),
                        image=_image(
                            types_pb2.IMAGE_FORMAT_PNG, event.png, event.width, event.height
                        ),
                        iso_19794_7=event.iso_19794_7,
                        session=self._session(self._visits.get(session_id)),
                    )
                )

    @translated
    def ClearSignature(
        self, request: pb.ClearSignatureRequest, context: grpc.ServicerContext
    ) -> pb.ClearSignatureResponse:
        self._visits.clear_signature(_required(request.session_id, "session_id"))
        return pb.ClearSignatureResponse()

    @translated
    def WaiveSignature(
        self, request: pb.WaiveSignatureRequest, context: grpc.ServicerContext
    ) -> pb.WaiveSignatureResponse:
        reason = _WAIVER_REASONS.get(request.reason)
        if reason is None:
            raise InvalidArgument(Message("error.waiver_reason_unset"))
        session = self._visits.waive_signature(
            _required(request.session_id, "session_id"), reason, request.note
        )
        return pb.WaiveSignatureResponse(session=self._session(session))

    @translated
    def OverrideAttempt(
        self, request: pb.OverrideAttemptRequest, context: grpc.ServicerContext
    ) -> pb.OverrideAttemptResponse:
        attempt, session = self._visits.override(
            _required(request.session_id, "session_id"),
            _required(request.attempt_id, "attempt_id"),
            request.reason,
        )
        return pb.OverrideAttemptResponse(
            attempt=attempt_message(attempt, self._texts(session)), session=self._session(session)
        )

    @translated
    def FinalizeSession(
        self, request: pb.FinalizeSessionRequest, context: grpc.ServicerContext
    ) -> pb.FinalizeSessionResponse:
        receipt, session = self._visits.finalize(_required(request.session_id, "session_id"))
        return pb.FinalizeSessionResponse(
            receipt=receipt_message(receipt), session=self._session(session)
        )
