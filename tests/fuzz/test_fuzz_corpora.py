"""The fuzz targets in the suite: seeds, the inputs that found bugs, and a small bounded random run.

The campaigns (`scripts/fuzz`, atheris, >= 100,000 executions per target) are not part of the suite;
what they found is kept in tests/fuzz/corpus/<target>/ and replayed here, each with the typed error the
fixed parser now gives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kitd.config import ConfigError
from kitd.package.errors import MalformedPackage
from kitd.records.iso19794_7 import SignatureRecordError
from kitd.records.wsq import WsqError
from kitharness.fuzz_targets import TARGETS, FuzzTarget, run_one

CORPUS = Path(__file__).with_name("corpus")
# Targets whose one input costs a process (the WSQ decoder runs in a child) get no random run here.
SLOW = {"wsq_decode"}


def corpus(name: str) -> list[Path]:
    folder = CORPUS / name
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_first_seed_is_valid_input_and_every_seed_gives_only_typed_errors(name: str) -> None:
    target = TARGETS[name]
    seeds = target.seeds()
    target.run(seeds[0])
    for seed in seeds[1:]:
        run_one(target, seed)


@pytest.mark.parametrize(
    "case", [path for name in sorted(TARGETS) for path in corpus(name)], ids=lambda p: p.name
)
def test_regression_corpus_gives_only_typed_errors(case: Path) -> None:
    run_one(TARGETS[case.parent.name], case.read_bytes())


def test_every_corpus_folder_names_a_target() -> None:
    assert {p.name for p in CORPUS.iterdir()} <= set(TARGETS)


def test_empty_package_plaintext_is_a_malformed_package() -> None:
    # cbor2's EOF error is not a ValueError; it escaped the opener untyped.
    with pytest.raises(MalformedPackage, match="not readable"):
        TARGETS["package_payload"].run(b"")


def test_wsq_stream_that_crashed_nbis_is_a_wsq_error_in_a_surviving_process() -> None:
    # NBIS crashed (SIGSEGV) on this stream in some runs and not others: run it a few times.
    stream = (CORPUS / "wsq_decode" / "nbis-segfault-864").read_bytes()
    for _ in range(3):
        with pytest.raises(WsqError):
            TARGETS["wsq_decode"].run(stream)


def test_wsq_stream_whose_header_claims_130_megapixels_is_refused_before_decoding() -> None:
    # 884 bytes that NBIS spent 16 s and 130 MB decoding into a 10242 x 12652 image.
    stream = (CORPUS / "wsq_decode" / "header-claims-130-megapixels").read_bytes()
    with pytest.raises(WsqError, match="10242x12652"):
        TARGETS["wsq_decode"].run(stream)


def test_signature_record_cut_short_in_a_channel_description_is_truncated() -> None:
    data = (CORPUS / "iso19794_7" / "cut-short-in-channel-description").read_bytes()
    with pytest.raises(SignatureRecordError, match="truncated"):
        TARGETS["iso19794_7"].run(data)


def test_signature_record_without_channels_is_refused_before_reading_points() -> None:
    # 0xFFFFFFFF points of zero bytes each used to be read one by one (a hang).
    data = (CORPUS / "iso19794_7" / "no-channels-4g-points").read_bytes()
    with pytest.raises(SignatureRecordError, match="no channel"):
        TARGETS["iso19794_7"].run(data)


def _mutations(target: FuzzTarget) -> st.SearchStrategy[bytes]:
    seeds = target.seeds()

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(1, 8))):
            if not data:
                break
            at = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(("flip", "cut", "insert")))
            if action == "flip":
                data[at] = draw(st.integers(0, 255))
            elif action == "cut":
                del data[at : at + draw(st.integers(1, 16))]
            else:
                data[at:at] = draw(st.binary(min_size=1, max_size=8))
        return bytes(data)

    return st.one_of(mutated(), st.binary(max_size=256))


@pytest.mark.parametrize("name", sorted(set(TARGETS) - SLOW))
def test_mutated_inputs_give_only_typed_errors(name: str) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(_mutations(target))
    def check(data: bytes) -> None:
        run_one(target, data)

    check()


def test_a_path_in_the_home_of_no_such_user_is_a_config_error() -> None:
    # pathlib's expanduser raises RuntimeError for "~+" or "~nosuchuser"; it escaped kitd serve.
    data = (CORPUS / "config_loader" / "home-of-no-user").read_bytes()
    with pytest.raises(ConfigError, match="home folder that does not exist"):
        TARGETS["config_loader"].run(data)


def test_a_cose_signature_that_is_an_integer_is_malformed_not_a_type_error() -> None:
    data = (CORPUS / "cose_sign1" / "signature-is-an-integer").read_bytes()
    with pytest.raises(MalformedPackage, match="signature is int, not bytes"):
        TARGETS["cose_sign1"].run(data)


def test_the_receiver_answers_a_cose_signature_of_the_wrong_type_with_422() -> None:
    # The probe: the handler died with a TypeError and the kit got no answer at all.
    import cbor2

    from kitd.package import deterministic_cbor, hpke
    from kitd.package.envelope import build_frame
    from kitd.package.header import Header
    from kitd.package.ids import new_package_id
    from kitharness.fuzz_targets import _back_office, _InMemoryRequest, _receiver

    office = _back_office()
    payload = deterministic_cbor.decode(office.payload)
    protected, unprotected, manifest, _ = cbor2.loads(payload["manifest"]).value
    payload["manifest"] = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, manifest, 7]))
    recipient = office.recipient_key.public_key()
    # A package id of its own: the receiver may have stored the seed package already.
    header = replace(
        Header.from_cbor(office.header_bytes), package_id=new_package_id(datetime.now(UTC))
    )
    header_bytes = header.to_cbor()
    body = build_frame(
        header_bytes, hpke.seal(deterministic_cbor.encode(payload), recipient, header_bytes)
    )
    head = (
        f"PUT /packages/{header.package_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    receiver = _receiver()
    request = _InMemoryRequest(head + body)
    receiver.handler(request, ("127.0.0.1", 9), receiver.receiver._server)
    answer = request.wfile.getvalue()
    assert answer.startswith(b"HTTP/1.0 422") or answer.startswith(b"HTTP/1.1 422"), answer[:80]
    assert b"MalformedPackage" in answer


def test_deeply_nested_json_to_the_console_is_refused_not_a_recursion_error() -> None:
    from console.limits import BodyRefused

    data = (CORPUS / "console_json" / "nested-5000-levels").read_bytes()
    with pytest.raises(BodyRefused, match="deeper than 32"):
        TARGETS["console_json"].run(data)


def test_deeply_nested_json_over_a_console_websocket_is_refused() -> None:
    from console.streams import MessageRefused

    data = (CORPUS / "console_ws_message" / "nested-5000-levels").read_bytes()
    with pytest.raises(MessageRefused, match="deeper than 32"):
        TARGETS["console_ws_message"].run(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("png-claims-30000-square", "more than"),
        ("jpeg-claims-30000-square", "more than"),
        ("empty-file", "empty file"),
    ],
)
def test_image_files_that_claim_too_much_or_nothing_are_refused_before_decoding(
    name: str, expected: str
) -> None:
    from kitd.quality.finger.errors import FingerprintImageError

    data = (CORPUS / "image_header" / name).read_bytes()
    with pytest.raises(FingerprintImageError, match=expected):
        TARGETS["image_header"].run(data)
