"""The daemon's domain root: configuration, devices, policies, visits, keys, outbox and audit.

Everything the API serves hangs off a Kit, built from the configuration alone; tests drive a Kit (or
its parts) without gRPC. The Kit never touches sockets or signals (kitd.server does), and it is the only
place where the parts are wired together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hal.events import DeviceEvent, DeviceStatus, EventHub, Subscription
from hal.registry import resolve
from hal.supervisor import DeviceSupervisor
from kitd import __version__
from kitd.audit.device_trail import DeviceTrail
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.audit.visit_trail import VisitTrail
from kitd.capture.certificate import CertificateCapture
from kitd.capture.face import FaceCapture
from kitd.capture.finger import FingerCapture
from kitd.capture.signature import SignatureCapture
from kitd.clock.seam import wall_clock
from kitd.clock.trusted import TrustedClock
from kitd.config import DEVICE_KINDS, Config
from kitd.delivery.kit_key import load_or_create_delivery_key, load_public_key
from kitd.delivery.reference_opener import ReferenceOpener
from kitd.delivery.used_references import UsedReferences
from kitd.errors import DeviceNotFound
from kitd.keys.recipient import load_recipient_public_key
from kitd.locale.message import Message
from kitd.outbox.outbox import Outbox
from kitd.outbox.uploader import Uploader
from kitd.package.sealer import PackageSealer
from kitd.policy import load_policies
from kitd.provisioning import open_kit_key, publish_key
from kitd.quality.finger import FingerQuality
from kitd.sealing import Sealing
from kitd.session.manager import SessionManager
from kitd.session.model import CaptureKind
from kitd.startup_checks import check_face_models
from kitd.state_dir import ensure_private_dir
from kitd.visits import KIND_OF_DEVICE, Visits

log = logging.getLogger(__name__)


class Kit:
    """The daemon's parts, built from the configuration and wired together."""

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
        wall = wall_clock(config.clock.offset_file)
        self.clock = TrustedClock(config.state_dir / "clock.json", wall=wall)
        self.audit = AuditLog(config.state_dir / "audit.log", self.signer, clock=_datetime(wall))
        for jump in self.clock.start_jumps:
            log.warning("clock jump found at start", extra=jump.fields())
            self.audit.append_after(AuditKind.CLOCK_JUMPED, **jump.fields())
        signer_key = config.keys.reference_signer_public_key
        self.references = ReferenceOpener(
            config.kit_id,
            load_or_create_delivery_key(config.delivery_key_file, config.delivery_public_key_file),
            load_public_key(signer_key) if signer_key else None,
        )
        recipient = config.keys.recipient_public_key
        sealer = (
            PackageSealer(self.signer, load_recipient_public_key(recipient), clock=_datetime(wall))
            if recipient
            else None
        )
        self.outbox = Outbox(
            config.outbox_config, audit=self.audit, clock=wall, kit_clock=self.clock.kit_seconds
        )
        self.uploader = Uploader(self.outbox, clock=wall)
        trail = VisitTrail(self.audit)
        self.device_trail = DeviceTrail(self.audit)
        self.sealing = Sealing(
            config.kit_id,
            signer=self.signer,
            sealer=sealer,
            outbox=self.outbox,
            uploader=self.uploader,
            audit=self.audit,
            trail=trail,
        )

        self.sessions = SessionManager(
            self.policies,
            config.state_dir / "sessions.json",
            on_record=trail.record,
            package_of_session=self.outbox.package_of_session,
        )
        camera = self.supervisors.get("camera")
        if camera is not None:
            check_face_models()
        self.visits = Visits(
            self.sessions,
            FaceCapture(camera),
            FingerCapture(self.supervisors.get("fingerprint"), FingerQuality()),
            SignatureCapture(self.supervisors.get("signature_pad")),
            self.sealing,
            device_status=self._capture_device_status,
            open_reference=self.references.open,
            check_clock=self._check_clock,
            used_references=UsedReferences(config.state_dir / "used-references.sqlite"),
            certificate=CertificateCapture(camera),
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
        self.sessions.end_all(Message("session.end.daemon_stopped"))
        self.clock.save()
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
            raise DeviceNotFound(
                Message.of("error.no_device", device=name, known=known), device=name
            ) from None

    def _capture_device_status(self, kind: CaptureKind) -> DeviceStatus | None:
        for supervisor in self.supervisors.values():
            if KIND_OF_DEVICE[supervisor.device.kind] is kind:
                return supervisor.status
        return None

    def watch(self) -> Subscription:
        return self.hub.subscribe()

    def _follow_devices_and_sessions(self) -> None:
        """Applies device events to the visit, and ends a visit that timed out even when no client
        asks for it any more, so its captures leave memory on time.
        """
        assert self._events is not None
        while not self.stopping.is_set():
            event = self._events.get(timeout=0.5)
            if event is not None:
                self._on_device_event(event)
            self.sessions.expire()
            self._observe_clock()

    def _observe_clock(self) -> None:
        for jump in self.clock.observe():
            log.warning("clock jump", extra=jump.fields())
            self.audit.append_after(AuditKind.CLOCK_JUMPED, **jump.fields())

    def _check_clock(self) -> None:
        """Before a visit: the clock's jumps are recorded first, then judged."""
        self._observe_clock()
        self.clock.check()

    def _on_device_event(self, event: DeviceEvent) -> None:
        self.device_trail.on_device_event(event)
        self.visits.on_device_event(event)


def _datetime(wall: Callable[[], float]) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(wall(), UTC)
