"""Choosing a catalog for a requested language (Babel negotiation) and rendering in it."""

from __future__ import annotations

import pytest

from kitd.locale import Catalogs, Message
from kitd.locale.negotiation import accepted_languages

CATALOGS = Catalogs.builtin()


@pytest.mark.parametrize(
    ("requested", "language"),
    [
        ("fr-BE", "fr"),
        ("nl_BE", "nl"),
        ("nl-be", "nl"),
        ("de-BE", "de"),
        ("DE", "de"),
        ("en", "en"),
    ],
)
def test_a_regional_tag_gets_its_language_catalog(requested: str, language: str) -> None:
    assert CATALOGS.negotiate(requested, "nl").language == language
    assert CATALOGS.negotiate(requested, "nl").fallback == ""


def test_a_language_without_a_catalog_falls_back_to_english_with_a_note() -> None:
    choice = CATALOGS.negotiate("it", "nl")
    assert choice.language == "en"
    assert choice.fallback == "'it' -> 'en'"


def test_no_language_asked_gets_the_kit_default() -> None:
    assert CATALOGS.negotiate("", "nl").language == "nl"


def test_accept_language_is_read_in_order_of_preference() -> None:
    assert accepted_languages("it, fr-BE;q=0.8, en;q=0.5, de;q=0") == ["it", "fr-BE", "en"]
    assert CATALOGS.negotiate_header("it, fr-BE;q=0.8, en;q=0.5", "nl") == "fr"
    assert CATALOGS.negotiate_header("", "nl") == "nl"
    assert CATALOGS.negotiate_header("it, es", "de") == "de"


def test_a_message_renders_with_its_parameters_in_each_language() -> None:
    message = Message.of("finger.place", finger=Message("finger.position.right_index"))
    assert CATALOGS.render(message, "en") == "Place the right index finger flat on the glass"
    assert CATALOGS.render(message, "nl") == "Leg de rechterwijsvinger plat op het glas"
    assert CATALOGS.render(message, "fr") == "Posez l'index droit à plat sur la vitre"
    assert "rechter Zeigefinger" in CATALOGS.render(message, "de")


def test_the_pad_prompt_is_short_and_in_the_citizens_language() -> None:
    sign_here = Message("pad.sign_here")
    assert [CATALOGS.render(sign_here, lang) for lang in ("nl", "fr", "de", "en")] == [
        "Teken hier",
        "Signez ici",
        "Hier unterschreiben",
        "Sign here",
    ]


def test_an_unknown_id_renders_as_itself_rather_than_failing_the_call() -> None:
    assert CATALOGS.render(Message("no.such.message"), "nl") == "no.such.message"


def test_a_number_is_written_the_way_the_language_writes_it() -> None:
    message = Message.of("kitctl.preview", text=1.5)
    assert CATALOGS.render(message, "nl") == "voorbeeld: 1,5"
    assert CATALOGS.render(message, "en") == "preview: 1.5"
