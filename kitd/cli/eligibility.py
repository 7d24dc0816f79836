"""kitctl's part of a home visit: record the eligibility the policy asks for (from the command line, or
asked of the operator), take the certificate's photo when the policy wants one, override with the
operator's reason when evidence is missing, and fetch the citizen's summary after sealing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.prompt import Confirm, Prompt

from kit.v1 import capture_service_pb2 as pb
from kitd.cli.citizen import SimulatedCitizen
from kitd.client import KitClient
from kitd.locale.catalogs import Texts
from kitd.policy.model import RequestFiler, VisitPlace

FILERS = {f.value: getattr(pb, f"REQUEST_FILER_{f.name}") for f in RequestFiler}
PLACES = {p.value: getattr(pb, f"VISIT_PLACE_{p.name}") for p in VisitPlace}


@dataclass(frozen=True)
class EligibilityOptions:
    """A home visit's eligibility as given on kitctl's command line."""

    request_reference: str = ""
    filed_by: str = ""
    organisation: str = ""
    # YYYY-MM-DD; empty: the certificate was not shown.
    certificate_date: str = ""
    place: str = ""
    facility: str = ""
    # Finalize without the missing evidence, for this reason.
    override_reason: str = ""

    @property
    def given(self) -> bool:
        return bool(self.filed_by and self.place)


def ask(texts: Texts) -> EligibilityOptions:
    """The operator's answers, one question at a time."""
    shown = Confirm.ask(texts.id("kitctl.ask_certificate_shown"), default=True)
    return EligibilityOptions(
        request_reference=Prompt.ask(texts.id("kitctl.ask_request_reference")),
        filed_by=Prompt.ask(texts.id("kitctl.ask_filed_by"), choices=list(FILERS)),
        organisation=Prompt.ask(texts.id("kitctl.ask_organisation"), default=""),
        certificate_date=Prompt.ask(texts.id("kitctl.ask_certificate_date")) if shown else "",
        place=Prompt.ask(texts.id("kitctl.ask_place"), choices=list(PLACES)),
        facility=Prompt.ask(texts.id("kitctl.ask_facility"), default=""),
    )


class HomeVisit:
    """Settles a visit's eligibility through the API before it is finalized."""

    def __init__(
        self,
        client: KitClient,
        metadata: Any,
        texts: Callable[[], Texts],
        say: Callable[..., None],
        citizen: SimulatedCitizen | None,
    ) -> None:
        self._client = client
        self._md = metadata
        self._texts = texts
        self._say = say
        self._citizen = citizen

    def settle(self, session: pb.Session, options: EligibilityOptions | None) -> pb.Session:
        """Records the eligibility, takes the certificate's photo if asked, overrides if allowed."""
        if not session.eligibility.required:
            return session
        if options is None or not options.given:
            if self._citizen is not None:
                self._say("kitctl.eligibility_needed")
                return session  # finalize names what is missing
            options = ask(self._texts())
        session = self._client.capture.RecordEligibility(
            pb.RecordEligibilityRequest(
                session_id=session.session_id,
                request_reference=options.request_reference,
                filed_by=FILERS[options.filed_by],
                organisation=options.organisation,
                certificate_shown=bool(options.certificate_date),
                certificate_date=options.certificate_date,
                place=PLACES[options.place],
                facility=options.facility,
            ),
            metadata=self._md,
            timeout=10,
        ).session
        self._say("kitctl.eligibility_recorded", place=options.place)
        if session.eligibility.certificate_photo_required and options.certificate_date:
            session = self._photo(session)
        if session.eligibility.missing and options.override_reason:
            session = self._client.capture.OverrideEligibility(
                pb.OverrideEligibilityRequest(
                    session_id=session.session_id, reason=options.override_reason
                ),
                metadata=self._md,
                timeout=10,
            ).session
            self._say("kitctl.eligibility_overridden")
        return session

    def _photo(self, session: pb.Session) -> pb.Session:
        for _ in range(3):
            if self._citizen is not None:
                self._citizen.hold_up_certificate()
            else:
                Prompt.ask(self._texts().id("kitctl.ask_certificate_photo"), default="")
            response = self._client.capture.CaptureCertificatePhoto(
                pb.CaptureCertificatePhotoRequest(session_id=session.session_id),
                metadata=self._md,
                timeout=60,
            )
            session = response.session
            if response.accepted:
                self._say("kitctl.certificate_photo_taken", size=len(response.photo.data))
                break
            advice = [c.guidance for c in response.checks if not c.passed]
            self._say("kitctl.certificate_photo_failed", advice="; ".join(advice))
        if self._citizen is not None:
            self._citizen.face_the_camera()
        return session


def write_summary(
    client: KitClient, metadata: Any, session_id: str, language: str, out: Path
) -> str:
    """The citizen's summary of a sealed visit, written to `out`; returns its language."""
    response = client.capture.GetVisitSummary(
        pb.GetVisitSummaryRequest(session_id=session_id, language=language),
        metadata=metadata,
        timeout=10,
    )
    out.write_text(response.html, encoding="utf-8")
    return str(response.language)
