"""The sealing use case: the disk-space guard before a visit, and the sealed package after it.

Sealing maps a finished session with its audit records onto a package, has the package writer
(kitd.package) seal it in memory with the kit key for the back office, hands the sealed bytes to the
outbox (which audits that it did) and wakes the uploader; it returns the visit's Receipt. This is the
one place where writing a package and queueing it meet: the package writer knows nothing of the outbox.
It never decides whether a visit may be finalized (the session does) and never talks to a client.

One visit, one package: a visit whose package is already committed gets that package's receipt back
(`committed`), and nothing after the commit (a checkpoint on a full disk) fails the finalize.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kitd.audit.errors import AuditLogError
from kitd.audit.log import AuditLog
from kitd.audit.visit_trail import VisitTrail
from kitd.errors import CapabilityMissing, StorageFull
from kitd.keys.signer import KitSigner
from kitd.locale.message import Message
from kitd.outbox.errors import InsufficientSpace, VisitAlreadySealed
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import EnqueuedPackage, PackageInfo
from kitd.outbox.uploader import Uploader
from kitd.package.contents import VisitContents
from kitd.package.files import EncodedImages
from kitd.package.manifest import Manifest
from kitd.package.sealer import PackageSealer
from kitd.session.model import Receipt
from kitd.session.packaging import visit_contents
from kitd.session.view import SessionView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinalizedVisit:
    """A visit sealed and stored: its outbox entry and its manifest."""

    package: EnqueuedPackage
    manifest: Manifest


def finalize_visit(
    contents: VisitContents,
    sealer: PackageSealer,
    outbox: Outbox,
    *,
    session_id: str,
    operator_id: str,
    images: EncodedImages | None = None,
    uploader: Uploader | None = None,
) -> FinalizedVisit:
    """Seals a visit's contents in memory and queues the sealed bytes under the visit's session and
    operator: nothing plaintext is written on the way, and when it returns the package is durable in the
    outbox.

    Raises InsufficientSpace before any work when the disk is too full, a PackageBuildError when the
    contents cannot be packaged, VisitAlreadySealed when the session has its package already, and
    OSError when the disk fails.
    """
    outbox.check_space()
    sealed = sealer.seal(contents, images)
    entry = outbox.enqueue(sealed.data, session_id, operator_id)
    if uploader is not None:
        uploader.poke()
    return FinalizedVisit(entry, sealed.manifest)


class Sealing:
    """Seals finished visits into the outbox; `sealer` is None when no back-office key is set."""

    def __init__(
        self,
        kit_id: str,
        *,
        signer: KitSigner,
        sealer: PackageSealer | None,
        outbox: Outbox,
        uploader: Uploader,
        audit: AuditLog,
        trail: VisitTrail,
    ) -> None:
        self._kit_id = kit_id
        self._signer = signer
        self._sealer = sealer
        self._outbox = outbox
        self._uploader = uploader
        self._audit = audit
        self._trail = trail

    def check_space(self) -> None:
        """Refuses a new visit (StorageFull) when its package could not be kept."""
        try:
            self._outbox.check_space()
        except InsufficientSpace as exc:
            raise StorageFull(exc.message) from None

    def committed(self, session: SessionView) -> Receipt | None:
        """The receipt of the package already committed for this visit, if there is one."""
        package_id = self._outbox.package_of_session(session.session_id)
        return None if package_id is None else self._receipt(self._outbox.get(package_id))

    def seal(self, session: SessionView) -> Receipt:
        if self._sealer is None:
            raise CapabilityMissing(Message("error.no_backoffice_key"))
        before = self.committed(session)
        if before is not None:
            return before
        contents = visit_contents(session, self._kit_id, self._trail.records_of(session.session_id))
        try:
            finalized = finalize_visit(
                contents,
                self._sealer,
                self._outbox,
                uploader=self._uploader,
                session_id=session.session_id,
                operator_id=session.operator_id,
            )
        except InsufficientSpace as exc:
            raise StorageFull(exc.message) from None
        except VisitAlreadySealed as exc:
            return self._receipt(self._outbox.get(exc.package_id))
        try:
            self._audit.checkpoint()
        except AuditLogError as exc:
            # The package is committed; the log is vouched for at the next checkpoint.
            log.warning("checkpoint after sealing deferred", extra={"error": str(exc)})
        return self._receipt(self._outbox.get(finalized.package.package_id))

    def _receipt(self, package: PackageInfo) -> Receipt:
        return Receipt(
            package_id=package.package_id,
            sha256=package.sha256,
            size_bytes=package.size,
            path=package.path,
            recipient_key_id=package.recipient_key_id,
            kit_key_id=self._signer.key_id,
            sealed_at=package.sealed_at,
        )
