"""An audit log or a package's audit stretch comes from outside the back office: every field of a
record, a checkpoint and the signed head is type-checked where it is decoded, so a crafted one is a
typed audit error, never an OverflowError or a terabyte of zero bytes."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import cbor2
import pytest

from backoffice import cli as kitpkg
from kitd.audit.checkpoint import checkpoint_problem
from kitd.audit.errors import AuditChainBroken, AuditCheckpointInvalid
from kitd.audit.head import SignedHead
from kitd.audit.verify import decode_records
from kitd.keys.key_list import KitKeyList

RECORD: dict[str, Any] = {
    "seq": 0,
    "t": "2026-01-01T00:00:00Z",
    "kind": "visit_started",
    "op": "op-1",
    "f": {},
    "prev": b"\x00" * 32,
    "h": b"\x01" * 32,
}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("prev", 10**12, "'prev' is int, not bytes"),  # bytes(10**12): a terabyte of zeros
        ("h", 10**10, "'h' is int, not bytes"),
        ("seq", float("inf"), "'seq' is float, not int"),  # int(inf): OverflowError
        ("seq", True, "'seq' is bool, not int"),
        ("t", 20260101, "'t' is int, not str"),
        ("kind", "no-such-kind", "no kind 'no-such-kind'"),
        ("f", [[1, 2]], "its fields are not a map"),
    ],
)
def test_a_record_field_of_the_wrong_type_breaks_the_chain_typed(
    field: str, value: object, reason: str
) -> None:
    with pytest.raises(AuditChainBroken, match=reason):
        decode_records(cbor2.dumps({**RECORD, field: value}))


def test_a_record_that_is_not_a_map_breaks_the_chain_typed() -> None:
    with pytest.raises(AuditChainBroken, match="not a map"):
        decode_records(cbor2.dumps(10**12))


@pytest.mark.parametrize(
    "fields",
    [
        {"head_seq": float("inf"), "head_hash": b"x", "key_id": "k", "sig": b"s"},
        {"head_seq": 1, "head_hash": 10**12, "key_id": "k", "sig": b"s"},
        {"head_seq": 1, "head_hash": b"x", "key_id": "k", "sig": 10**12},
        {"head_seq": 1, "head_hash": b"x", "key_id": 7, "sig": b"s"},
    ],
)
def test_a_checkpoint_field_of_the_wrong_type_is_a_problem_not_an_exception(
    fields: dict[str, object],
) -> None:
    assert "wrong type" in (checkpoint_problem(fields, KitKeyList()) or "")


@pytest.mark.parametrize(
    ("field", "value"), [("seq", float("inf")), ("hash", 10**12), ("sig", 10**12)]
)
def test_a_signed_head_field_of_the_wrong_type_is_unreadable_typed(
    field: str, value: object
) -> None:
    head = {"format": "kitd-audit-head/1", "seq": 3, "hash": b"h", "key_id": "k", "sig": b"s"}
    with pytest.raises(AuditCheckpointInvalid, match="wrong type"):
        SignedHead.from_cbor(cbor2.dumps({**head, field: value}, canonical=True))


def test_kitpkg_audit_verify_reports_a_crafted_log_as_not_verified(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(cbor2.dumps({**RECORD, "seq": float("inf")}))
    (tmp_path / "kit-keys.json").write_text(KitKeyList().to_json())
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = kitpkg.main(
            ["audit-verify", str(log), "--kit-keys", str(tmp_path / "kit-keys.json")]
        )
    assert status == 1
    assert "AuditChainBroken" in out.getvalue()
