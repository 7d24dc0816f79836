"""The catalogs are complete: every language has exactly the English ids with the same placeholders,
and every message id the code can produce has a text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hal.events import Cause, Reason
from kitd.api.convert import device_message
from kitd.capture.signature import SIGN_HERE
from kitd.config import DEVICE_KINDS
from kitd.locale import Catalogs, Message
from kitd.locale.catalogs import builtin_catalog_dir, placeholders
from kitd.policy import load_policies
from kitd.policy.model import finger_label
from kitd.quality.face.vocabulary import ADVICE, JPEG_QUALITY_ADVICE, MOTION_ADVICE
from kitd.quality.finger.feedback import Feedback
from kitd.quality.signature.checks import GUIDANCE
from kitd.server.request_validation import RULE_KINDS
from kitd.session.model import STEP_TITLES, CaptureKind, SessionState

CATALOG_FILES = sorted(builtin_catalog_dir().glob("*.po"))
ROOT = Path(__file__).resolve().parents[2]


def babel_catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


ENGLISH = babel_catalog(builtin_catalog_dir() / "en.po")


def test_the_kit_has_the_four_belgian_catalogs() -> None:
    assert Catalogs.builtin().languages == ("de", "en", "fr", "nl")


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_a_catalog_has_exactly_the_english_ids(path: Path) -> None:
    ids = set(babel_catalog(path))
    assert sorted(set(ENGLISH) - ids) == [], "missing"
    assert sorted(ids - set(ENGLISH)) == [], "not in English"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_a_catalog_uses_the_english_placeholders(path: Path) -> None:
    texts = babel_catalog(path)
    differing = {
        message_id: sorted(placeholders(text) ^ placeholders(ENGLISH[message_id]))
        for message_id, text in texts.items()
        if message_id in ENGLISH and placeholders(text) != placeholders(ENGLISH[message_id])
    }
    assert differing == {}


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_every_text_is_filled_in(path: Path) -> None:
    assert [i for i, text in babel_catalog(path).items() if not text.strip()] == []


def vocabulary_messages() -> list[Message]:
    """Every message the vocabularies can produce."""
    messages = [a for advice in ADVICE.values() for a in (advice.too_low, advice.too_high) if a]
    messages += [m for m in (MOTION_ADVICE.too_high, JPEG_QUALITY_ADVICE.too_low) if m]
    messages += [code.message for code in Feedback]
    messages += [Message("finger.nfiq.low"), SIGN_HERE]
    messages += list(GUIDANCE.values())
    messages += [finger_label(position) for position in range(1, 11)]
    messages += [Message(f"session.state.{state.value}") for state in SessionState]
    messages += [Message(message_id) for message_id in STEP_TITLES.values()]
    messages += [device_message(Reason(cause, attempts=3)) for cause in Cause]
    messages += [Message(f"device.{name}") for name in DEVICE_KINDS]
    for reason in (
        "device_gone",
        "device_timeout",
        "device_busy",
        "protocol_error",
        "device_fault",
    ):
        messages.append(Message(f"error.{reason}"))
    # Ids the session and the request validation build from a kind or state.
    for kind in CaptureKind:
        messages += [
            Message(f"error.not_asked.{kind}"),
            Message(f"error.override_not_allowed.{kind}"),
        ]
    messages += [Message("error.step_excepted"), Message("error.step_skipped")]
    messages += [Message(f"validation.{kind}") for kind in RULE_KINDS]
    for policy in load_policies():
        messages.append(Message(policy.fingers.duplicate_check.guidance))
        messages.append(Message(policy.delivery.guidance))
    return messages


def test_every_message_of_the_vocabularies_has_an_english_text() -> None:
    missing = sorted({m.id for m in vocabulary_messages()} - set(ENGLISH))
    assert missing == []


# Message ids written out in the code: Message("id"), Message.of("id", ...), texts.id("id", ...) and the
# walk-through's say("id", ...).
_LITERAL_ID = re.compile(r"""(?:Message(?:\.of)?|\.id|\.say)\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def test_every_message_id_written_in_the_code_has_an_english_text() -> None:
    found = {
        match
        for path in (ROOT / "kitd").rglob("*.py")
        for match in _LITERAL_ID.findall(path.read_text(encoding="utf-8"))
    }
    assert len(found) > 30  # the pattern still finds the ids
    assert sorted(found - set(ENGLISH)) == []
