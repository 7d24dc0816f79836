"""`kitctl enroll`: a terminal front end that walks one visit through the kit.v1 API.

It is an app like the tablet's: it creates the session, follows the session's next step, shows live
guidance and progress, and finalizes. With `--auto` it also plays the citizen through the simulators'
control API (shows a face to the camera, places fingers, signs), so a whole visit runs unattended; the
daemon cannot tell the difference. `--lang` / `--citizen-lang` choose the visit's languages: the daemon's
guidance arrives in the operator's, and the walk-through's own sentences come from the same catalogs
(kitd/locale). With `--json` the last line printed is one JSON summary object. `kitctl deliver` walks a card delivery the
same way, from the sealed reference download the back office sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.table import Table

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.cli.citizen import SimulatedCitizen
from kitd.cli.eligibility import EligibilityOptions, HomeVisit, write_summary
from kitd.client import KitClient
from kitd.locale.catalogs import Catalogs, Texts
from kitd.policy.model import finger_label
from kitd.session.model import VERIFY_STEP


class EnrollError(Exception):
    """The visit could not be completed; the message says where it stopped."""


class NotVerified(Exception):
    """A card delivery ended because the citizen's fingerprint did not match the enrollment."""

    def __init__(self, session: pb.Session, reason: str = "") -> None:
        super().__init__(reason or session.end_reason)
        self.session = session
        self.reason = reason or session.end_reason


@dataclass
class Progress:
    """Where kitctl enroll writes what happens: the console, or nothing but the summary."""

    console: Console
    quiet: bool
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)
        if not self.quiet:
            self.console.print(text)


def finger_name(position: int) -> str:
    """A finger position as the JSON summary names it (`right_index`)."""
    return str(types_pb2.FingerPosition.Name(position)).removeprefix("FINGER_POSITION_").lower()  # type: ignore[arg-type]


class Enrollment:
    """One visit walked through the API by kitctl, with live guidance (and the simulators with --auto)."""

    def __init__(self, client: KitClient, options: VisitOptions) -> None:
        self.client = client
        self.options = options
        self.progress = Progress(options.console, quiet=False)
        # With a folder, the simulators there play the citizen.
        self.citizen = (
            SimulatedCitizen.of_simulators(options.auto_dir)
            if options.auto_dir is not None
            else None
        )
        language = options.language
        # Calls outside the session (and their errors) in the operator's language too.
        self.md = (*client.metadata, ("accept-language", language)) if language else client.metadata
        self.catalogs = Catalogs.builtin()
        # Until the session says which catalog it chose.
        self.texts: Texts = self.catalogs.texts(self.catalogs.negotiate(language, "en").language)

    def say(self, message_id: str, /, **params: str | int) -> None:
        self.progress.say(self.texts.id(message_id, **params))

    def finger_name(self, position: int) -> str:
        return self.texts(finger_label(position))

    # -- the visit -----------------------------------------------------------------------------------

    def run(
        self, profile: str, age: int, reference: str, delivery_reference: bytes = b""
    ) -> tuple[pb.Session, pb.PackageReceipt]:
        session = self.client.capture.CreateSession(
            pb.CreateSessionRequest(
                document_profile=profile,
                applicant_age=age,
                operator_id=self.options.operator_id,
                application_reference=reference,
                citizen_display_name=self.options.display_name,
                delivery_reference=delivery_reference,
                operator_language=self.options.language,
                citizen_language=self.options.citizen_language,
            ),
            metadata=self.md,
            timeout=10,
        ).session
        self.texts = self.catalogs.texts(session.operator_language or "en")
        self.say(
            "kitctl.visit_started",
            session_id=session.session_id,
            profile=profile,
            version=session.policy_version,
            steps=", ".join(s.step_id for s in session.steps),
        )
        try:
            while session.next_step_id and session.state == pb.SESSION_STATE_ACTIVE:
                step = next(s for s in session.steps if s.step_id == session.next_step_id)
                session = self.do_step(session, step)
            if session.state == pb.SESSION_STATE_NOT_VERIFIED:
                self.say("kitctl.not_verified", reason=session.end_reason)
                raise NotVerified(session)
            home = HomeVisit(self.client, self.md, lambda: self.texts, self.say, self.citizen)
            session = home.settle(session, self.options.eligibility)
            response = self.client.capture.FinalizeSession(
                pb.FinalizeSessionRequest(session_id=session.session_id),
                metadata=self.md,
                timeout=60,
            )
        except BaseException:
            self.cancel(session.session_id)
            raise
        self.say(
            "kitctl.package_sealed",
            package_id=response.receipt.package_id,
            size=response.receipt.size_bytes,
        )
        return response.session, response.receipt

    def cancel(self, session_id: str) -> None:
        # Already ended, or the daemon is gone: nothing left to cancel.
        with contextlib.suppress(grpc.RpcError):
            self.client.capture.CancelSession(
                pb.CancelSessionRequest(session_id=session_id, reason="enrollment stopped"),
                metadata=self.md,
                timeout=5,
            )

    def do_step(self, session: pb.Session, step: pb.Step) -> pb.Session:
        if step.state == pb.STEP_STATE_PAUSED:
            raise EnrollError(self.texts.id("kitctl.step_paused", step=step.step_id))
        if step.state == pb.STEP_STATE_EXHAUSTED and step.step_id == VERIFY_STEP:
            return self.visual_check(session)
        if step.state == pb.STEP_STATE_EXHAUSTED:
            return self.settle_exhausted(session, step)
        if step.kind == types_pb2.CAPTURE_KIND_FACE:
            return self.face(session)
        if step.kind == types_pb2.CAPTURE_KIND_FINGER:
            return self.finger(session, step)
        return self.signature(session)

    def settle_exhausted(self, session: pb.Session, step: pb.Step) -> pb.Session:
        best = max(step_attempts(session, step), key=lambda a: a.quality)
        reason = (
            "accepted by the operator after all attempts"
            if self.citizen
            else Prompt.ask(self.texts.id("kitctl.ask_override", step=step.title))
        )
        return self.client.capture.OverrideAttempt(
            pb.OverrideAttemptRequest(
                session_id=session.session_id, attempt_id=best.attempt_id, reason=reason
            ),
            metadata=self.md,
            timeout=10,
        ).session

    def visual_check(self, session: pb.Session) -> pb.Session:
        """Every fingerprint attempt failed and the policy allows the operator's visual check against
        the enrollment photo: the operator's verdict (--visual-check, else asked), or none (--auto
        without it: the visit is cancelled, the card not handed over).
        """
        verification = session.delivery_verification
        self.say(
            "kitctl.visual_check_offered",
            attempts=verification.attempts_used,
            score=f"{verification.score:.1f}",
            threshold=f"{verification.threshold:.1f}",
        )
        photo = self.client.capture.GetEnrollmentPhoto(
            pb.GetEnrollmentPhotoRequest(session_id=session.session_id),
            metadata=self.md,
            timeout=10,
        ).jpeg
        self.say("kitctl.enrollment_photo", size=len(photo))
        decision = self.options.visual_check
        if decision is None and self.citizen is not None:
            self.say("kitctl.visual_check_skipped")
            raise NotVerified(session, self.texts.id("kitctl.visual_check_skipped"))
        if decision is None:
            confirmed = Confirm.ask(self.texts.id("kitctl.ask_visual_check"), default=False)
            reason = Prompt.ask(self.texts.id("kitctl.ask_visual_reason"))
        else:
            confirmed, reason = True, decision
        result = self.client.capture.CheckIdentityVisually(
            pb.CheckIdentityVisuallyRequest(
                session_id=session.session_id, confirmed=confirmed, reason=reason
            ),
            metadata=self.md,
            timeout=10,
        ).session
        self.say("kitctl.visual_check_confirmed" if confirmed else "kitctl.visual_check_declined")
        return result

    def face(self, session: pb.Session) -> pb.Session:
        if self.citizen:
            self.citizen.face_the_camera()
        else:
            Prompt.ask(self.texts.id("kitctl.ask_face"), default="")
        stop = threading.Event()
        watcher = threading.Thread(target=self.watch_preview, args=(session.session_id, stop))
        watcher.start()
        try:
            response = self.client.capture.CaptureFace(
                pb.CaptureFaceRequest(
                    session_id=session.session_id, mode=pb.FACE_CAPTURE_MODE_AUTO
                ),
                metadata=self.md,
                timeout=120,
            )
        finally:
            stop.set()
            watcher.join()
        attempt = response.attempt
        failed = [c.id for c in attempt.checks if not c.passed]
        if attempt.accepted:
            self.say("kitctl.photo_compliant", number=attempt.number)
        else:
            self.say("kitctl.photo_failed", number=attempt.number, checks=", ".join(failed))
        return response.session

    def watch_preview(self, session_id: str, stop: threading.Event) -> None:
        stream = self.client.capture.StreamFacePreview(
            pb.StreamFacePreviewRequest(session_id=session_id, max_size=320), metadata=self.md
        )
        last = ""
        try:
            for response in stream:
                if stop.is_set():
                    break
                frame = response.frame
                ready = self.texts.id("kitctl.ready")
                text = ready if frame.ready else (frame.guidance[0] if frame.guidance else "")
                if text != last:
                    self.progress.say("  " + self.texts.id("kitctl.preview", text=text))
                    last = text
        except grpc.RpcError:
            pass  # the preview is advisory; the capture call reports real failures
        finally:
            stream.cancel()

    def finger(self, session: pb.Session, step: pb.Step) -> pb.Session:
        position = step.finger
        if self.citizen:
            self.citizen.put_finger(position)
        stream = self.client.capture.CaptureFinger(
            pb.CaptureFingerRequest(session_id=session.session_id, finger=position),
            metadata=self.md,
            timeout=120,
        )
        result = session
        for response in stream:
            kind = response.WhichOneof("event")
            if kind == "waiting":
                self.progress.say(f"  {response.waiting.instruction}")
            elif kind == "captured":
                attempt = response.captured.attempt
                match = next((c for c in attempt.checks if c.id == "finger_match"), None)
                said: dict[str, str | int] = {
                    "finger": self.finger_name(position),
                    "number": attempt.number,
                    "quality": attempt.quality,
                }
                if match is not None:
                    self.say(
                        "kitctl.finger_verified" if match.passed else "kitctl.finger_no_match",
                        **said,
                        score=f"{match.value:.1f}",
                        threshold=f"{match.threshold:.1f}",
                    )
                elif attempt.accepted:
                    self.say("kitctl.finger_accepted", **said)
                else:
                    failed = [c.id for c in attempt.checks if not c.passed]
                    self.say("kitctl.finger_failed", **said, checks=", ".join(failed))
                    # The daemon's advice, in the operator's language, for the next attempt.
                    for check in attempt.checks:
                        if not check.passed and check.guidance:
                            self.progress.say(f"  {check.guidance}")
                result = response.captured.session
            elif kind == "lift" and self.citizen:
                self.citizen.lift_finger()
        return result

    def signature(self, session: pb.Session) -> pb.Session:
        stream = self.client.capture.CaptureSignature(
            pb.CaptureSignatureRequest(session_id=session.session_id),
            metadata=self.md,
            timeout=120,
        )
        if self.citizen:
            signer = threading.Thread(target=self.sign_when_ready, args=(session.session_id,))
            signer.start()
        samples = 0
        result = session
        for response in stream:
            kind = response.WhichOneof("event")
            if kind == "samples":
                samples += len(response.samples.samples)
            elif kind == "result":
                attempt = response.result.attempt
                failed = [c.id for c in attempt.checks if not c.passed]
                if attempt.accepted:
                    self.say("kitctl.signature_accepted", number=attempt.number, samples=samples)
                else:
                    self.say(
                        "kitctl.signature_failed",
                        number=attempt.number,
                        samples=samples,
                        checks=", ".join(failed),
                    )
                result = response.result.session
        if self.citizen:
            signer.join()
        return result

    def sign_when_ready(self, session_id: str) -> None:
        assert self.citizen is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            current = self.client.capture.GetSession(
                pb.GetSessionRequest(session_id=session_id), metadata=self.md, timeout=5
            ).session
            step = next(s for s in current.steps if s.kind == types_pb2.CAPTURE_KIND_SIGNATURE)
            if step.state == pb.STEP_STATE_IN_PROGRESS:
                break
            time.sleep(0.05)  # waiting for another process (the daemon) to start the capture
        self.citizen.sign(self.options.display_name or "A. Citizen")


def step_attempts(session: pb.Session, step: pb.Step) -> list[types_pb2.Attempt]:
    """The attempts made for `step`, as the daemon files them (Attempt.step_id)."""
    return [a for a in session.attempts if a.step_id == step.step_id]


def verification_summary(session: pb.Session) -> dict[str, Any] | None:
    """A card delivery's identity check as the JSON summary reports it (None for an enrollment)."""
    if not session.HasField("delivery_verification"):
        return None
    v = session.delivery_verification
    # "fingerprint", "visual_check", or "none" while identity is not checked.
    method = str(pb.IdentityCheckMethod.Name(v.identity_check)).replace("UNSPECIFIED", "NONE")
    return {
        "reference_id": v.reference_id,
        "finger_position": v.finger,
        "enrolled_fingers": list(v.enrolled_fingers),
        "matched_finger": v.matched_finger,
        "matched": v.matched,
        "identity_check": method.removeprefix("IDENTITY_CHECK_METHOD_").lower(),
        "score": round(v.score, 2),
        "threshold": round(v.threshold, 2),
        "attempts": v.attempts_used,
        "max_attempts": v.max_attempts,
        "scores": [
            {
                "finger": a.finger,
                "number": a.number,
                "score": round(a.score, 2) if a.compared else None,
                "matched": a.matched,
            }
            for a in v.attempts
        ],
        "visual_check": {
            "confirmed": v.visual_check.confirmed,
            "reason": v.visual_check.reason,
            "operator_id": v.visual_check.operator_id,
        }
        if v.HasField("visual_check")
        else None,
    }


def summary(session: pb.Session, receipt: pb.PackageReceipt, recipient_key: str) -> dict[str, Any]:
    """The JSON summary of a sealed visit: its captures, its package and what the checks found."""
    captures = []
    for step in session.steps:
        attempts = step_attempts(session, step)
        best = next((a for a in attempts if a.kept), None)
        captures.append(
            {
                "kind": str(types_pb2.CaptureKind.Name(step.kind))
                .removeprefix("CAPTURE_KIND_")
                .lower(),
                "step": step.step_id,
                "state": str(pb.StepState.Name(step.state)).removeprefix("STEP_STATE_").lower(),
                "finger_position": best.finger if best else 0,
                "finger": finger_name(best.finger) if best and best.finger else "",
                "attempts": len(attempts),
                "quality": best.quality if best else None,
                "checks_passed": sum(1 for c in best.checks if c.passed) if best else 0,
                "checks_total": len(best.checks) if best else 0,
                "accepted": bool(best and best.accepted),
                "overridden": bool(best and best.override.reason),
            }
        )
    return {
        "session_id": session.session_id,
        "policy_id": session.policy_id,
        "policy_version": session.policy_version,
        "card_validity_months": session.card_validity_months,
        "package_id": receipt.package_id,
        "package_path": receipt.path,
        "package_sha256": receipt.sha256,
        "package_bytes": receipt.size_bytes,
        "recipient_key_path": recipient_key,
        "captures": captures,
        "verification": verification_summary(session),
        "eligibility": eligibility_summary(session),
    }


def eligibility_summary(session: pb.Session) -> dict[str, Any] | None:
    """A home visit's eligibility as the JSON summary reports it (None when the policy asks none)."""
    e = session.eligibility
    if not e.required:
        return None
    return {
        "recorded": e.recorded,
        "request_reference": e.request_reference,
        "filed_by": str(pb.RequestFiler.Name(e.filed_by)).removeprefix("REQUEST_FILER_").lower(),
        "certificate_shown": e.certificate_shown,
        "certificate_date": e.certificate_date,
        "certificate_photo": e.certificate_photo_accepted,
        "place": str(pb.VisitPlace.Name(e.place)).removeprefix("VISIT_PLACE_").lower(),
        "overridden": e.HasField("override"),
    }


def print_summary(console: Console, data: dict[str, Any], texts: Texts) -> None:
    """The summary as a table for the operator's terminal."""
    table = Table(title=f"visit {data['session_id']} → package {data['package_id']}")
    for column in ("capture", "state", "attempts", "quality", "checks"):
        table.add_column(column)
    for capture in data["captures"]:
        name = capture["kind"] + (f" ({capture['finger']})" if capture["finger"] else "")
        table.add_row(
            name,
            capture["state"] + (" (override)" if capture["overridden"] else ""),
            str(capture["attempts"]),
            "" if capture["quality"] is None else str(capture["quality"]),
            f"{capture['checks_passed']}/{capture['checks_total']}",
        )
    console.print(table)
    console.print(
        texts.id("kitctl.package_path", path=data["package_path"], size=data["package_bytes"])
    )


@dataclass(frozen=True)
class VisitOptions:
    """What kitctl enroll and kitctl deliver take alike from the command line."""

    age: int
    operator_id: str
    reference: str
    display_name: str
    # With a folder, the simulators there play the citizen (--auto).
    auto_dir: Path | None
    recipient_key: str
    as_json: bool
    console: Console
    language: str = ""
    citizen_language: str = ""
    # A delivery whose prints matched on no enrolled finger: the operator's reason for confirming the
    # citizen's identity against the enrollment photo (where the policy allows it); None: ask, or with
    # --auto, hand nothing over.
    visual_check: str | None = None
    # A home visit's eligibility from the command line; None: asked (or, with --auto, not recorded).
    eligibility: EligibilityOptions | None = None
    # Where to write the citizen's summary after sealing (HTML, the citizen's language).
    summary_out: Path | None = None


def enroll(client: KitClient, profile: str, options: VisitOptions) -> int:
    """`kitctl enroll`: one visit walked to its sealed package; the exit code."""
    visit = Enrollment(client, options)
    session, receipt = visit.run(profile, options.age, options.reference)
    data = summary(session, receipt, options.recipient_key)
    if options.summary_out is not None:
        language = write_summary(
            client, visit.md, session.session_id, options.citizen_language, options.summary_out
        )
        data["citizen_summary"] = {"path": str(options.summary_out), "language": language}
        visit.say("kitctl.summary_written", path=str(options.summary_out), language=language)
    if options.as_json:
        print(json.dumps(data), flush=True)
    else:
        print_summary(options.console, data, visit.texts)
    return 0


def deliver(
    client: KitClient,
    delivery_reference: bytes,
    options: VisitOptions,
    profile: str = "be-eid-delivery",
) -> int:
    """A card delivery: 0 when the card may be handed over (package sealed), 1 when not verified."""
    visit = Enrollment(client, options)
    console = options.console
    try:
        session, receipt = visit.run(profile, options.age, options.reference, delivery_reference)
    except NotVerified as failed:
        data: dict[str, Any] = {
            "session_id": failed.session.session_id,
            "policy_id": failed.session.policy_id,
            "outcome": "not_verified",
            "end_reason": failed.reason,
            "verification": verification_summary(failed.session),
        }
        if options.as_json:
            print(json.dumps(data), flush=True)
        else:
            text = visit.texts.id("kitctl.delivery_not_verified", reason=failed.reason)
            console.print(f"[bold red]{text}[/]")
        return 1
    data = {"outcome": "verified", **summary(session, receipt, options.recipient_key)}
    if options.as_json:
        print(json.dumps(data), flush=True)
    else:
        print_summary(console, data, visit.texts)
        verification = data["verification"]
        if verification["identity_check"] == "visual_check":
            console.print(visit.texts.id("kitctl.delivery_verified_visually"))
        else:
            console.print(
                visit.texts.id(
                    "kitctl.delivery_verified",
                    score=str(verification["score"]),
                    threshold=str(verification["threshold"]),
                    finger=visit.finger_name(verification["matched_finger"]),
                )
            )
    return 0
