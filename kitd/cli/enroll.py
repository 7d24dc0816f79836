"""`kitctl enroll`: a terminal front end that walks one visit through the kit.v1 API.

It is an app like the tablet's: it creates the session, follows the session's next step, shows live
guidance and progress, and finalizes. With `--auto` it also plays the citizen through the simulators'
control API (shows a face to the camera, places fingers, signs), so a whole visit runs unattended; the
daemon cannot tell the difference. With `--json` the last line printed is one JSON summary object. `kitctl deliver` walks a card delivery the
same way, from the sealed reference download the back office sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.client import KitClient


class EnrollError(Exception):
    """The visit could not be completed; the message says where it stopped."""


class NotVerified(Exception):
    """A card delivery ended because the citizen's fingerprint did not match the enrollment."""

    def __init__(self, session: pb.Session) -> None:
        super().__init__(session.end_reason)
        self.session = session


Citizen = Callable[[str, str, dict[str, Any]], Any]


def simulator_citizen(sim_dir: Path) -> Citizen:
    """Plays the citizen through a running `kitsim up` in `sim_dir`."""
    from kitd.cli.simulators import control_call  # only --auto needs the simulators

    def act(device: str, command: str, args: dict[str, Any]) -> Any:
        return control_call(sim_dir, device, command, **args)

    return act


@dataclass
class Progress:
    console: Console
    quiet: bool
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)
        if not self.quiet:
            self.console.print(text)


def finger_name(position: int) -> str:
    return str(types_pb2.FingerPosition.Name(position)).removeprefix("FINGER_POSITION_").lower()  # type: ignore[arg-type]


class Enrollment:
    def __init__(
        self,
        client: KitClient,
        progress: Progress,
        citizen: Citizen | None,
        operator_id: str,
        display_name: str = "",
    ) -> None:
        self.client = client
        self.progress = progress
        self.citizen = citizen
        self.operator_id = operator_id
        self.display_name = display_name
        self.md = client.metadata

    # -- the visit -----------------------------------------------------------------------------------

    def run(
        self, profile: str, age: int, reference: str, delivery_reference: bytes = b""
    ) -> tuple[pb.Session, pb.PackageReceipt]:
        session = self.client.capture.CreateSession(
            pb.CreateSessionRequest(
                document_profile=profile,
                applicant_age=age,
                operator_id=self.operator_id,
                application_reference=reference,
                citizen_display_name=self.display_name,
                delivery_reference=delivery_reference,
            ),
            metadata=self.md,
            timeout=10,
        ).session
        self.progress.say(
            f"visit {session.session_id}: {profile} v{session.policy_version}, "
            f"steps: {', '.join(s.step_id for s in session.steps)}"
        )
        try:
            while session.next_step_id and session.state == pb.SESSION_STATE_ACTIVE:
                step = next(s for s in session.steps if s.step_id == session.next_step_id)
                session = self.do_step(session, step)
            if session.state == pb.SESSION_STATE_NOT_VERIFIED:
                self.progress.say(f"NOT VERIFIED: {session.end_reason}")
                raise NotVerified(session)
            response = self.client.capture.FinalizeSession(
                pb.FinalizeSessionRequest(session_id=session.session_id),
                metadata=self.md,
                timeout=60,
            )
        except BaseException:
            self.cancel(session.session_id)
            raise
        self.progress.say(
            f"package {response.receipt.package_id} sealed ({response.receipt.size_bytes} bytes)"
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
            raise EnrollError(f"step {step.step_id} waits for its device; check `kitctl devices`")
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
            else Prompt.ask(f"{step.title}: no attempt passed. Reason to accept the best one")
        )
        return self.client.capture.OverrideAttempt(
            pb.OverrideAttemptRequest(
                session_id=session.session_id, attempt_id=best.attempt_id, reason=reason
            ),
            metadata=self.md,
            timeout=10,
        ).session

    def face(self, session: pb.Session) -> pb.Session:
        if self.citizen:
            self.citizen("camera", "scene", {})
        else:
            Prompt.ask("Frame the citizen's face, then press Enter to take the photo", default="")
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
        self.progress.say(
            f"photo attempt {attempt.number}: {'compliant' if attempt.accepted else 'failed ' + ', '.join(failed)}"
        )
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
                text = "ready" if frame.ready else (frame.guidance[0] if frame.guidance else "")
                if text != last:
                    self.progress.say(f"  preview: {text}")
                    last = text
        except grpc.RpcError:
            pass  # the preview is advisory; the capture call reports real failures
        finally:
            stream.cancel()

    def finger(self, session: pb.Session, step: pb.Step) -> pb.Session:
        position = step.finger
        if self.citizen:
            self.citizen("fingerprint", "place", {"finger": position})
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
                if match is not None:
                    verdict = (
                        f", match score {match.value:.1f} (threshold {match.threshold:.1f}): "
                        + ("verified" if match.passed else "no match")
                    )
                else:
                    failed = [c.id for c in attempt.checks if not c.passed]
                    verdict = " accepted" if attempt.accepted else " failed " + ", ".join(failed)
                self.progress.say(
                    f"{finger_name(position)} attempt {attempt.number}: quality {attempt.quality}"
                    + verdict
                )
                result = response.captured.session
            elif kind == "lift" and self.citizen:
                self.citizen("fingerprint", "remove", {})
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
                self.progress.say(
                    f"signature attempt {attempt.number}: {samples} pen samples, "
                    + ("accepted" if attempt.accepted else "failed " + ", ".join(failed))
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
        self.citizen(
            "signature_pad", "sign", {"name": self.display_name or "A. Citizen", "press_ok": True}
        )


def step_attempts(session: pb.Session, step: pb.Step) -> list[types_pb2.Attempt]:
    attempts = [a for a in session.attempts if a.kind == step.kind]
    if step.kind == types_pb2.CAPTURE_KIND_FINGER and step.step_id in (
        "finger-right",
        "finger-left",
    ):
        right = step.step_id == "finger-right"
        attempts = [a for a in attempts if (a.finger <= 5) == right]
    return attempts


def verification_summary(session: pb.Session) -> dict[str, Any] | None:
    if not session.HasField("delivery_verification"):
        return None
    v = session.delivery_verification
    return {
        "reference_id": v.reference_id,
        "finger_position": v.finger,
        "matched": v.matched,
        "score": round(v.score, 2),
        "threshold": round(v.threshold, 2),
        "attempts": v.attempts_used,
        "max_attempts": v.max_attempts,
    }


def summary(session: pb.Session, receipt: pb.PackageReceipt, recipient_key: str) -> dict[str, Any]:
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
    }


def print_summary(console: Console, data: dict[str, Any]) -> None:
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
    console.print(f"package: {data['package_path']} ({data['package_bytes']} bytes)")


def enroll(
    client: KitClient,
    *,
    profile: str,
    age: int,
    operator_id: str,
    reference: str,
    display_name: str,
    auto_dir: Path | None,
    recipient_key: str,
    as_json: bool,
    console: Console,
) -> int:
    citizen = simulator_citizen(auto_dir) if auto_dir is not None else None
    progress = Progress(console, quiet=False)
    visit = Enrollment(client, progress, citizen, operator_id, display_name)
    session, receipt = visit.run(profile, age, reference)
    data = summary(session, receipt, recipient_key)
    if as_json:
        print(json.dumps(data), flush=True)
    else:
        print_summary(console, data)
    return 0


def deliver(
    client: KitClient,
    *,
    delivery_reference: bytes,
    age: int,
    operator_id: str,
    reference: str,
    display_name: str,
    auto_dir: Path | None,
    recipient_key: str,
    as_json: bool,
    console: Console,
    profile: str = "be-eid-delivery",
) -> int:
    """A card delivery: 0 when the card may be handed over (package sealed), 1 when not verified."""
    citizen = simulator_citizen(auto_dir) if auto_dir is not None else None
    progress = Progress(console, quiet=False)
    visit = Enrollment(client, progress, citizen, operator_id, display_name)
    try:
        session, receipt = visit.run(profile, age, reference, delivery_reference)
    except NotVerified as failed:
        data: dict[str, Any] = {
            "session_id": failed.session.session_id,
            "policy_id": failed.session.policy_id,
            "outcome": "not_verified",
            "end_reason": failed.session.end_reason,
            "verification": verification_summary(failed.session),
        }
        if as_json:
            print(json.dumps(data), flush=True)
        else:
            console.print(f"[bold red]not verified[/]: {failed.session.end_reason}")
        return 1
    data = {"outcome": "verified", **summary(session, receipt, recipient_key)}
    if as_json:
        print(json.dumps(data), flush=True)
    else:
        print_summary(console, data)
        verification = data["verification"]
        console.print(
            f"fingerprint verified: score {verification['score']} "
            f"(threshold {verification['threshold']}), the card may be handed over"
        )
    return 0
