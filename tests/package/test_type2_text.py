"""Operator text in the ANSI/NIST-ITL Type-2 record: control characters (a newline, an ESC, the
format's own separators) never reach a field, whatever got past the API."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backoffice.opener import open_package
from kitd.package.ansi_nist import read_transaction, text
from kitd.package.contents import Eligibility, EligibilityOverride, FingerException, Override
from support.package_kit import Kit
from support.visit_factory import make_visit


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("op\n17", "op 17"),
        ("op\x1b[31m17", "op [31m17"),
        ("a\x1cb\x1dc\x1ed\x1ff", "a b c d f"),
        ("tab\there\x7f\x9b", "tab here  "),
        ("Zoë Dupré", "Zoë Dupré"),
    ],
)
def test_control_characters_become_spaces(raw: str, clean: str) -> None:
    assert text(raw) == clean


def test_no_type_2_field_carries_a_control_character(kit: Kit) -> None:
    visit = replace(
        make_visit(),
        operator_id="op\n17\x1b[2J",
        application_reference="APP\r\n2026",
        finger_exceptions=(FingerException(7, "injured", "bandaged\nindex\x1b", "op\x00"),),
        overrides=(Override("face", "wall\x1bnot plain\n", "op-17"),),
    )
    opened = open_package(kit.sealer.seal(visit).data, kit.recipient_key, kit.keys)
    fields = read_transaction(opened.files["transaction.an2"]).application_data
    assert fields["2.015"] == "op 17 [2J"
    assert fields["2.010"] == "APP  2026"
    for tag, value in fields.items():
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value), (tag, value)


def test_a_home_visits_eligibility_fields_carry_no_control_character(kit: Kit) -> None:
    visit = replace(
        make_visit(),
        eligibility=Eligibility(
            recorded=True,
            request_reference="FORM\n1",
            filed_by="social_worker",
            organisation="OCMW\x1b[2J",
            certificate_shown=True,
            certificate_date="2026-11-20",
            place="care_home",
            facility="WZC\x1cZon",
            override=EligibilityOverride("photo\nblurred", "op\x00", ("certificate_photo",)),
        ),
    )
    opened = open_package(kit.sealer.seal(visit).data, kit.recipient_key, kit.keys)
    fields = read_transaction(opened.files["transaction.an2"]).application_data
    assert fields["2.027"] == "FORM 1|social_worker|OCMW [2J"
    assert fields["2.028"] == "shown|20261120|no_photo"
    assert fields["2.029"] == "care_home|WZC Zon"
    assert fields["2.030"] == "photo blurred|op |certificate_photo"
