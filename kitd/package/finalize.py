"""The one call that ends a visit: seal it in memory and hand the sealed bytes to the outbox.

The session (gRPC FinalizeSession) maps its state to a VisitContents and calls `finalize_visit`; when it
returns, the package is durable in the outbox and the visit's plaintext can be dropped from memory. Nothing
plaintext is written on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitd.outbox.outbox import Outbox
from kitd.outbox.state import EnqueuedPackage
from kitd.outbox.uploader import Uploader
from kitd.package.contents import VisitContents
from kitd.package.files import EncodedImages
from kitd.package.manifest import Manifest
from kitd.package.sealer import PackageSealer


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
    images: EncodedImages | None = None,
    uploader: Uploader | None = None,
    session_id: str = "",
    operator_id: str = "",
) -> FinalizedVisit:
    """Seal and enqueue; raises InsufficientSpace before any work when the disk is too full, a
    PackageBuildError when the contents cannot be packaged, VisitAlreadySealed when the session has
    its package already, and OSError when the disk fails."""
    outbox.check_space()
    sealed = sealer.seal(contents, images)
    entry = outbox.enqueue(sealed.data, session_id, operator_id)
    if uploader is not None:
        uploader.poke()
    return FinalizedVisit(entry, sealed.manifest)
