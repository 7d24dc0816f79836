"""The daemon's domain root: configuration, devices, policies, visits, keys, outbox and audit.

Everything the API serves hangs off a Kit, built from the configuration alone; tests drive a Kit (or
its parts) without gRPC. The Kit never touches sockets or signals (kitd.server does), and it is the only
place where the parts are wired together.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from hal.events import DeviceEvent, DeviceState, DeviceStatus, EventHub, Subscription
from hal.registry import resolve
from hal.supervisor import DeviceSupervisor
from kitd import __version__
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.capture.face import FaceCapture
from kitd.capture.finger import FingerCapture
from kitd.capture.signature import SignatureCapture
from kitd.config import DEVICE_KINDS, Config
from kitd.delivery.kit_key import load_or_create_delivery_key, load_public_key
from kitd.delivery.reference import DeliveryReference, open_reference
from kitd.errors import CapabilityMissing, DeviceNotFound, StorageFull
from kitd.keys.recipient import load_recipient_public_key
from kitd.outbox.config import OutboxConfig
from kitd.outbox.errors import InsufficientSpace
from kitd.outbox.outbox import Outbox
from kitd.outbox.uploader import Uploader
from kitd.package.finalize import finalize_visit
from kitd.package.sealer import PackageSealer
from kitd.policy import load_policies
from kitd.provisioning import open_kit_key, publish_key
from kitd.quality.face import FaceAssessor
from kitd.quality.finger import FingerQuality
from kitd.session.manager import SessionManager
from kitd.session.model import CaptureKind, Receipt
from kitd.session.packaging import visit_contents
from kitd.session.session import Session
from kitd.state_dir import ensure_private_dir
from kitd.visits import KIND_OF_DEVICE, Visits

log = logging.getLogger(__name__)

# Session record kinds that go into the audit chain, and as what.
_AUDITED = {
    "session_created": AuditKind.VISIT_STARTED,
    "session_ended": AuditKind.VISIT_FINISHED,
    "attempt": AuditKind.ATTEMPT,
    "override": AuditKind.OVERRIDE,
    "finger_exception": AuditKind.EXCEPTION,
    "signature_waiver": AuditKind.WAIVER,
}


class Kit:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.version = __version__
        self.hub = EventHub()
        self.started_at = time.time()
        self.stopping = threading.Event()
        self.policies = load_policies(config.policy.dirs)
        self.supervisors: dict[str, DeviceSupervisor] = {}
        for name, device_config in config.devices.items():
            device = resolve(device_config.source, name=name, kind=DEVICE_KINDS[name])
            self.supervisors[name] = DeviceSupervisor(
                device, self.hub, ping_interval=device_config.ping_interval
            )

        ensure_private_dir(config.state_dir)
        self.signer = open_kit_key(config, create=config.keys.backend == "file")
        publish_key(config, self.signer)
        self.audit = AuditLog(config.state_dir / "audit.log", self.signer)
        self.delivery_key = load_or_create_delivery_key(
            config.delivery_key_file, config.delivery_public_key_file
        )
        signer_key = config.keys.reference_signer_public_key
        self.reference_signer = load_public_key(signer_key) if signer_key else None
        recipient = config.keys.recipient_public_key
        self.sealer = (
            PackageSealer(self.signer, load_recipient_public_key(recipient)) if recipient else None
        )
        section = config.outbox
        self.outbox = Outbox(
            OutboxConfig(
                state_dir=config.state_dir / "outbox",
                receiver_url=section.receiver_url,
                client_cert=section.client_cert,
                client_key=section.client_key,
                ca_cert=section.ca_cert,
                retention_days=section.retention_days,
                min_free_bytes=section.min_free_mb * 1024 * 1024,
                backoff_initial_s=section.backoff_initial_s,
                backoff_max_s=section.backoff_max_s,
            ),
            audit=self.audit,
        )
        self.uploader = Uploader(self.outbox)

        self._visit_start: dict[str, int] = {}
        self.sessions = SessionManager(
            self.policies,
            config.state_dir / "sessions.json",
            on_record=self._audit_session,
            package_of_session=self.outbox.package_of_session,
        )
        self.finger_quality = FingerQuality()
        camera = self.supervisors.get("camera")
        if camera is not None:
            FaceAssessor()  # fails the start now, naming the model, if a face model is missing
        self.visits = Visits(
            self.sessions,
            FaceCapture(camera),
            FingerCapture(self.supervisors.get("fingerprint"), self.finger_quality),
            SignatureCapture(self.supervisors.get("signature_pad")),
            self,
            device_status=self._capture_device_status,
            open_reference=self.open_reference,
        )
        self._events: Subscription | None = None
        self._events_thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._events = self.hub.subscribe()
        self._events_thread = threading.Thread(
            target=self._follow_devices_and_sessions, name="kit-events", daemon=True
        )
        self._events_thread.start()
        for supervisor in self.supervisors.values():
            supervisor.start()
        self.uploader.start()

    def stop(self) -> None:
        self.stopping.set()
        for supervisor in self.supervisors.values():
            supervisor.stop()
        if self._events is not None:
            self._events.close()
        if self._events_thread is not None:
            self._events_thread.join(2)
        self.uploader.stop(timeout=3)
        for session in self.sessions.all_active():
            session.lose("the daemon stopped during the visit; its captures were dropped")
            self.sessions.ended(session)
        self.outbox.close()
        self.audit.close()
        self.signer.close()

    # -- devices -------------------------------------------------------------------------------------

    def device_statuses(self) -> list[DeviceStatus]:
        return [s.status for s in self.supervisors.values()]

    def supervisor(self, name: str) -> DeviceSupervisor:
        try:
            return self.supervisors[name]
        except KeyError:
            known = ", ".join(self.supervisors) or "none configured"
            raise DeviceNotFound(f"no device {name!r} (devices: {known})", device=name) from None

    def _capture_device_status(self, kind: CaptureKind) -> DeviceStatus | None:
        for supervisor in self.supervisors.values():
            if KIND_OF_DEVICE[supervisor.device.kind] is kind:
                return supervisor.status
        return None

    def watch(self) -> Subscription:
        return self.hub.subscribe()

    def _follow_devices_and_sessions(self) -> None:
        """Applies device events to the visit, and ends a visit that timed out even when no client
        asks for it any more, so its captures leave memory on time."""
        assert self._events is not None
        while not self.stopping.is_set():
            event = self._events.get(timeout=0.5)
            if event is not None:
                self._on_device_event(event)
            self.sessions.expire()

    def _on_device_event(self, event: DeviceEvent) -> None:
        status = event.status
        lost = status.state in (DeviceState.ABSENT, DeviceState.FAULT)
        was_working = event.previous in (DeviceState.READY, DeviceState.BUSY)
        if lost and was_working:
            self.audit.append(
                AuditKind.DEVICE_FAULT,
                "",
                device=status.name,
                state=status.state.value,
                detail=status.detail,
            )
        self.visits.on_device_event(event)

    # -- visits: audit and sealing -------------------------------------------------------------------

    def _audit_session(self, session_id: str, kind: str, fields: dict[str, Any]) -> None:
        audit_kind = _AUDITED.get(kind)
        if audit_kind is None:
            return
        operator = str(fields.get("operator_id", ""))
        record = self.audit.append(
            audit_kind,
            operator,
            session_id=session_id,
            **{k: v for k, v in fields.items() if k != "operator_id"},
        )
        if audit_kind is AuditKind.VISIT_STARTED:
            self._visit_start[session_id] = record.seq - 1
        elif audit_kind is AuditKind.VISIT_FINISHED:
            self.audit.checkpoint()  # a visit's records are vouched for, and the log's length with them

    def open_reference(self, data: bytes) -> DeliveryReference:
        """A delivery's reference download, decrypted with the kit's delivery key and verified."""
        if self.reference_signer is None:
            raise CapabilityMissing(
                "no back-office reference key is configured (keys.reference_signer_public_key): "
                "this kit cannot verify a card delivery; ask the technician to install it"
            )
        return open_reference(data, self.delivery_key, self.reference_signer, self.config.kit_id)

    def check_space(self) -> None:
        try:
            self.outbox.check_space()
        except InsufficientSpace as exc:
            raise StorageFull(str(exc)) from None

    def seal(self, session: Session) -> Receipt:
        if self.sealer is None:
            raise CapabilityMissing(
                "no back-office key is configured (keys.recipient_public_key): the visit cannot "
                "be sealed; ask the technician to install it"
            )
        audit_records = self.audit.records_since(self._visit_start.get(session.session_id, -1))
        contents = visit_contents(session, self.config.kit_id, audit_records)
        try:
            finalized = finalize_visit(
                contents,
                self.sealer,
                self.outbox,
                uploader=self.uploader,
                session_id=session.session_id,
            )
        except InsufficientSpace as exc:
            raise StorageFull(str(exc)) from None
        package = finalized.package
        self.audit.append(
            AuditKind.PACKAGE_SEALED,
            session.operator_id,
            session_id=session.session_id,
            package_id=package.package_id,
            sha256=package.sha256,
        )
        self.audit.checkpoint()
        return Receipt(
            package_id=package.package_id,
            sha256=package.sha256,
            size_bytes=package.size,
            path=package.path,
            recipient_key_id=self.sealer.recipient_key_id,
            kit_key_id=self.signer.key_id,
            sealed_at=time.time(),
        )
