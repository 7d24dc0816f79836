"""kit.v1.CaptureService: translates requests to kitd.visits calls and results to messages, whose texts
are rendered in the session's operator language.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import capture_service_pb2_grpc as pb_grpc
from kit.v1 import types_pb2
from kitd.api import convert
from kitd.api.languages import CallLanguages
from kitd.api.preview_messages import PreviewMessages
from kitd.api.status import translated, translated_stream
from kitd.errors import InvalidArgument, KitError
from kitd.locale.catalogs import Catalogs, Texts
from kitd.locale.message import Message
from kitd.session.session import Session
from kitd.summary import summary_page
from kitd.visits import Visits


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise InvalidArgument(Message.of("error.required", field=name))
    return value


def _timeout(ms: int) -> float:
    return ms / 1000.0


class CaptureServicer(pb_grpc.CaptureServiceServicer):
    """kit.v1.CaptureService over the visit use cases."""

    def __init__(self, visits: Visits, languages: CallLanguages | None = None) -> None:
        self._visits = visits
        self._languages = languages or CallLanguages(Catalogs.builtin())
        self._previews = PreviewMessages()

    def _texts(self, session: Session) -> Texts:
        return self._languages.of_language(session.languages.operator)

    def _session(self, session: Session) -> pb.Session:
        return convert.session_message(session, self._texts(session))

    def error_texts(self, request: object, context: grpc.ServicerContext) -> Texts:
        """A failed call's language: the one a new session asks for, its session's operator
        language, else the call's accept-language.
        """
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
            yield self._previews.response(frame, texts)

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
        return convert.face_capture_response(result, session, self._texts(session))

    @translated_stream
    def CaptureFinger(
        self, request: pb.CaptureFingerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.CaptureFingerResponse]:
        session_id = _required(request.session_id, "session_id")
        texts = self._texts(self._visits.get(session_id))
        flow = self._visits.capture_finger(session_id, request.finger, _timeout(request.timeout_ms))
        for event in flow:
            yield convert.finger_event_message(event, texts)

    @translated
    def RecordFingerException(
        self, request: pb.RecordFingerExceptionRequest, context: grpc.ServicerContext
    ) -> pb.RecordFingerExceptionResponse:
        kind = convert.EXCEPTION_KINDS_OF_PROTO.get(request.kind)
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
            yield convert.signature_event_message(
                event, texts, lambda: self._visits.get(session_id)
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
        reason = convert.WAIVER_REASONS_OF_PROTO.get(request.reason)
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
            attempt=convert.attempt_message(attempt, self._texts(session)),
            session=self._session(session),
        )

    @translated
    def GetEnrollmentPhoto(
        self, request: pb.GetEnrollmentPhotoRequest, context: grpc.ServicerContext
    ) -> pb.GetEnrollmentPhotoResponse:
        jpeg = self._visits.enrollment_photo(_required(request.session_id, "session_id"))
        return pb.GetEnrollmentPhotoResponse(jpeg=jpeg)

    @translated
    def CheckIdentityVisually(
        self, request: pb.CheckIdentityVisuallyRequest, context: grpc.ServicerContext
    ) -> pb.CheckIdentityVisuallyResponse:
        session = self._visits.check_identity_visually(
            _required(request.session_id, "session_id"),
            confirmed=request.confirmed,
            reason=request.reason,
        )
        return pb.CheckIdentityVisuallyResponse(session=self._session(session))

    @translated
    def RecordEligibility(
        self, request: pb.RecordEligibilityRequest, context: grpc.ServicerContext
    ) -> pb.RecordEligibilityResponse:
        session = self._visits.record_eligibility(
            _required(request.session_id, "session_id"), convert.eligibility_entry(request)
        )
        return pb.RecordEligibilityResponse(session=self._session(session))

    @translated
    def CaptureCertificatePhoto(
        self, request: pb.CaptureCertificatePhotoRequest, context: grpc.ServicerContext
    ) -> pb.CaptureCertificatePhotoResponse:
        result, session = self._visits.capture_certificate_photo(
            _required(request.session_id, "session_id"), _timeout(request.timeout_ms)
        )
        texts = self._texts(session)
        return pb.CaptureCertificatePhotoResponse(
            photo=convert.image(
                types_pb2.IMAGE_FORMAT_JPEG, result.jpeg, result.width, result.height
            ),
            checks=[convert.check(c, texts) for c in result.checks],
            accepted=result.accepted,
            session=self._session(session),
        )

    @translated
    def OverrideEligibility(
        self, request: pb.OverrideEligibilityRequest, context: grpc.ServicerContext
    ) -> pb.OverrideEligibilityResponse:
        session = self._visits.override_eligibility(
            _required(request.session_id, "session_id"), request.reason
        )
        return pb.OverrideEligibilityResponse(session=self._session(session))

    @translated
    def GetVisitSummary(
        self, request: pb.GetVisitSummaryRequest, context: grpc.ServicerContext
    ) -> pb.GetVisitSummaryResponse:
        content, session = self._visits.summary(_required(request.session_id, "session_id"))
        language = (
            self._languages.for_visit("", request.language).citizen
            if request.language
            else session.languages.citizen
        )
        page = summary_page(content, self._languages.of_language(language))
        return pb.GetVisitSummaryResponse(html=page, language=language)

    @translated
    def FinalizeSession(
        self, request: pb.FinalizeSessionRequest, context: grpc.ServicerContext
    ) -> pb.FinalizeSessionResponse:
        receipt, session = self._visits.finalize(_required(request.session_id, "session_id"))
        return pb.FinalizeSessionResponse(
            receipt=convert.receipt_message(receipt), session=self._session(session)
        )
