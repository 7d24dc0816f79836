"""Drives visits through the kit.v1 API the way the tablet app does, and plays the citizen."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from backoffice.opener import OpenedPackage, open_package
from kit.v1 import capture_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.client import KitClient
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import load_recipient_private_key
from kitd.package.ansi_nist import ReadTransaction, read_transaction
from kitharness.kit import KitUnderTest

RIGHT_INDEX, RIGHT_MIDDLE, LEFT_INDEX = 2, 3, 7


class Visit:
    """Drives one visit through the API the way the tablet app does, and plays the citizen."""

    def __init__(
        self,
        kit: KitUnderTest,
        profile: str = "be-eid",
        age: int = 40,
        *,
        client: KitClient | None = None,
        operator_id: str = "op-e2e",
        reference: str = "APP-2026-0042",
        display_name: str = "Jan Peeters",
        delivery_reference: bytes = b"",
        operator_language: str = "",
        citizen_language: str = "",
    ) -> None:
        self.kit = kit
        self.client = client or kit.client
        self.md = self.client.metadata
        self.session = self.client.capture.CreateSession(
            pb.CreateSessionRequest(
                document_profile=profile,
                applicant_age=age,
                operator_id=operator_id,
                application_reference=reference,
                citizen_display_name=display_name,
                delivery_reference=delivery_reference,
                operator_language=operator_language,
                citizen_language=citizen_language,
            ),
            metadata=self.md,
            timeout=10,
        ).session
        self.id = self.session.session_id

    def refresh(self) -> pb.Session:
        self.session = self.client.capture.GetSession(
            pb.GetSessionRequest(session_id=self.id), metadata=self.md, timeout=5
        ).session
        return self.session

    def step(self, step_id: str) -> pb.Step:
        return next(s for s in self.refresh().steps if s.step_id == step_id)

    def face(self, **scene: Any) -> pb.CaptureFaceResponse:
        """The photo: the default scene is captured in auto mode; a changed scene is first seen to
        reach the daemon (a preview frame that is not ready) and then captured as it is (NOW)."""
        self.kit.ctl("camera", "scene", **scene)
        mode = pb.FACE_CAPTURE_MODE_AUTO
        if scene:
            self.wait_for_preview(lambda frame: not frame.ready)
            mode = pb.FACE_CAPTURE_MODE_NOW
        response = self.client.capture.CaptureFace(
            pb.CaptureFaceRequest(session_id=self.id, mode=mode, timeout_ms=8000),
            metadata=self.md,
            timeout=60,
        )
        self.session = response.session
        return response

    def wait_for_preview(
        self, condition: Callable[[pb.FacePreviewFrame], bool], timeout: float = 20.0
    ) -> pb.FacePreviewFrame:
        stream = self.client.capture.StreamFacePreview(
            pb.StreamFacePreviewRequest(session_id=self.id, max_size=320),
            metadata=self.md,
            timeout=timeout,
        )
        try:
            for response in stream:
                if condition(response.frame):
                    return response.frame
        finally:
            stream.cancel()
        raise AssertionError("the preview stream ended before the expected frame")

    def finger(
        self, finger: int = 0, presented: int = 0, **placement: Any
    ) -> list[pb.CaptureFingerResponse]:
        """Captures `finger` (0 = the one asked next) while the citizen presents `presented` (0 = the
        same finger; another position plays the citizen who puts down the wrong finger)."""
        position = finger or next(
            s.finger for s in self.refresh().steps if s.step_id == self.session.next_step_id
        )
        self.kit.ctl("fingerprint", "place", finger=presented or position, **placement)
        try:
            events = list(
                self.client.capture.CaptureFinger(
                    pb.CaptureFingerRequest(
                        session_id=self.id,
                        finger=types_pb2.FingerPosition.ValueType(position),
                        timeout_ms=10000,
                    ),
                    metadata=self.md,
                    timeout=60,
                )
            )
        finally:
            self.kit.ctl("fingerprint", "remove")
        captured = [e for e in events if e.WhichOneof("event") == "captured"]
        if captured:
            self.session = captured[-1].captured.session
        return events

    def sign(self, **options: Any) -> list[pb.CaptureSignatureResponse]:
        stream = self.client.capture.CaptureSignature(
            pb.CaptureSignatureRequest(session_id=self.id, timeout_ms=20000),
            metadata=self.md,
            timeout=60,
        )
        # The pad starts streaming once the daemon sent START; the simulator waits for it.
        self.kit.ctl("signature_pad", "sign", name="Jan Peeters", press_ok=True, **options)
        events = list(stream)
        results = [e for e in events if e.WhichOneof("event") == "result"]
        if results:
            self.session = results[-1].result.session
        return events

    def exception(self, finger: int, kind: int, reason: str) -> pb.Session:
        self.session = self.client.capture.RecordFingerException(
            pb.RecordFingerExceptionRequest(
                session_id=self.id,
                finger=finger,  # type: ignore[arg-type]
                kind=kind,  # type: ignore[arg-type]
                reason=reason,
            ),
            metadata=self.md,
            timeout=5,
        ).session
        return self.session

    def waive(self, reason: int, note: str = "") -> pb.Session:
        self.session = self.client.capture.WaiveSignature(
            pb.WaiveSignatureRequest(session_id=self.id, reason=reason, note=note),  # type: ignore[arg-type]
            metadata=self.md,
            timeout=5,
        ).session
        return self.session

    def override(self, attempt_id: str, reason: str) -> pb.OverrideAttemptResponse:
        response = self.client.capture.OverrideAttempt(
            pb.OverrideAttemptRequest(session_id=self.id, attempt_id=attempt_id, reason=reason),
            metadata=self.md,
            timeout=5,
        )
        self.session = response.session
        return response

    def record_eligibility(self, **fields: Any) -> pb.Session:
        """A home visit's eligibility; by default a social worker's request, a certificate shown and
        a visit in a care home."""
        values: dict[str, Any] = {
            "request_reference": "FORM-2026-118",
            "filed_by": pb.REQUEST_FILER_SOCIAL_WORKER,
            "organisation": "OCMW Gent",
            "certificate_shown": True,
            "certificate_date": "2026-11-20",
            "place": pb.VISIT_PLACE_CARE_HOME,
            "facility": "WZC Zonnebloem",
        }
        values.update(fields)
        self.session = self.client.capture.RecordEligibility(
            pb.RecordEligibilityRequest(session_id=self.id, **values),
            metadata=self.md,
            timeout=5,
        ).session
        return self.session

    def certificate_photo(self, **scene: Any) -> pb.CaptureCertificatePhotoResponse:
        """The certificate held up to the camera (the simulator's page), `scene` changing it."""
        self.kit.ctl("camera", "scene", page=True, **scene)
        # The first frame of the new scene has reached the daemon once the face is gone.
        self.wait_for_preview(lambda frame: frame.face_count == 0)
        response = self.client.capture.CaptureCertificatePhoto(
            pb.CaptureCertificatePhotoRequest(session_id=self.id, timeout_ms=3000),
            metadata=self.md,
            timeout=30,
        )
        self.session = response.session
        return response

    def override_eligibility(self, reason: str) -> pb.Session:
        self.session = self.client.capture.OverrideEligibility(
            pb.OverrideEligibilityRequest(session_id=self.id, reason=reason),
            metadata=self.md,
            timeout=5,
        ).session
        return self.session

    def summary(self, language: str = "") -> pb.GetVisitSummaryResponse:
        return self.client.capture.GetVisitSummary(
            pb.GetVisitSummaryRequest(session_id=self.id, language=language),
            metadata=self.md,
            timeout=10,
        )

    def finalize(self) -> pb.FinalizeSessionResponse:
        return self.client.capture.FinalizeSession(
            pb.FinalizeSessionRequest(session_id=self.id), metadata=self.md, timeout=60
        )

    def cancel(self) -> None:
        with contextlib.suppress(grpc.RpcError):
            self.client.capture.CancelSession(
                pb.CancelSessionRequest(session_id=self.id, reason="test ended"),
                metadata=self.md,
                timeout=5,
            )

    def open(self, receipt: pb.PackageReceipt) -> tuple[OpenedPackage, ReadTransaction]:
        data = Path(receipt.path).read_bytes()
        state = self.kit.root / "kitd" / "state"
        opened = open_package(
            data,
            load_recipient_private_key(self.kit.recipient.private_path),
            KitKeyList.load(state / "kit-keys.json"),
        )
        return opened, read_transaction(opened.files["transaction.an2"])


def failed_checks(attempt: types_pb2.Attempt) -> set[str]:
    return {c.id for c in attempt.checks if not c.passed}


def captured_attempt(events: list[pb.CaptureFingerResponse]) -> types_pb2.Attempt:
    (captured,) = [e.captured for e in events if e.WhichOneof("event") == "captured"]
    return captured.attempt
