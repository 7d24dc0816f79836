"""The fuzz targets: every parser that takes bytes from outside the daemon, with the errors it may raise.

Each target is a function of one byte string that feeds the bytes to real parsing code the way the
daemon (or the back office) does, and a tuple of the typed errors that parser is documented to raise on
bad input. Anything else escaping — an IndexError, a struct.error, a hang, a crash of a C decoder — is a
bug. `scripts/fuzz` drives these under atheris (coverage-guided); `test_fuzz_corpora.py` replays the
seeds and the committed regression corpora in the suite.

This module must never write to disk per input (the receiver stores a package only when it verifies)
nor touch the network beyond loopback.
"""

from __future__ import annotations

import contextlib
import functools
import io
import struct
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
from google.protobuf.json_format import ParseError

from backoffice.opener import open_package
from console.calls import CALLS, parse_request
from console.limits import json_object
from console.streams import MessageRefused, parse_command
from hal.camera.opencv import decode_jpeg, read_stamp
from hal.errors import ProtocolError
from hal.fingerprint import protocol as kfp1
from hal.signpad import protocol as pad
from hal.signpad.framing import FrameDecoder, encode_frame
from kitd.audit.errors import AuditError
from kitd.audit.verify import verify_log_bytes
from kitd.config import ConfigError, parse_config
from kitd.outbox.contract import MAX_ANSWER_BYTES, Receipt, receipt_problem
from kitd.package import deterministic_cbor, hpke
from kitd.package.cose import parse_sign1, verify_sign1
from kitd.package.envelope import build_frame, parse_frame
from kitd.package.errors import PackageError
from kitd.policy.loader import PolicyError, builtin_policy_files, parse_policy
from kitd.quality.face.cli import decode_photo
from kitd.quality.finger.errors import FingerprintImageError
from kitd.quality.finger.files import decode_image
from kitd.records.iso19794_4 import (
    Compression,
    FingerView,
    IsoRecordError,
    decode_iso19794_4,
    encode_iso19794_4,
)
from kitd.records.iso19794_7 import (
    SignatureRecordError,
    decode_iso19794_7,
    encode_iso19794_7,
)
from kitd.records.wsq import WsqError, decode_wsq, encode_wsq


@dataclass(frozen=True)
class FuzzTarget:
    name: str
    run: Callable[[bytes], None]
    # The typed errors bad input is allowed to raise; anything else is a finding.
    expected: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]]
    description: str


# -- KFP1 (fingerprint reader over USB) ------------------------------------------------------------


def kfp1_response(data: bytes) -> None:
    response = kfp1.decode_response(data)
    # The driver reads the payload by the opcode it sent; try both payload readers.
    if response.opcode is kfp1.Opcode.GET_INFO:
        kfp1.decode_info(response.payload)
    elif response.opcode is kfp1.Opcode.GET_STATUS:
        kfp1.decode_status(response.payload)


def kfp1_response_seeds() -> list[bytes]:
    info = struct.pack("<HHHHHBB", 0x1209, 0x4B46, 400, 500, 500, 8, 4)
    for text in ("Kit", "KFP-500", "SN1", "1.0.0"):
        info += bytes([len(text)]) + text.encode()
    status = struct.pack("<BBBBI", 1, 1, 0, 55, 12)
    return [
        kfp1.encode_header(kfp1.Opcode.GET_INFO, 1, kfp1.Status.OK, info),
        kfp1.encode_header(kfp1.Opcode.GET_STATUS, 2, kfp1.Status.OK, status),
        kfp1.encode_header(kfp1.Opcode.CAPTURE, 3, kfp1.Status.OK, b""),
    ]


def kfp1_event(data: bytes) -> None:
    kfp1.decode_event(data)


def kfp1_event_seeds() -> list[bytes]:
    return [
        kfp1.encode_header(kfp1.EventCode.FINGER_ON, 3, kfp1.Status.OK, b"\x50"),
        kfp1.encode_header(kfp1.EventCode.CAPTURE_DONE, 3, kfp1.Status.OK, b"\x07\x00\x00\x00\x3c"),
        kfp1.encode_header(kfp1.EventCode.FINGER_OFF, 3, kfp1.Status.OK, b""),
    ]


def kfp1_image(data: bytes) -> None:
    """The input is a stream of 0x82 transfers, each prefixed with its u16 length (as the
    driver sees them, one bulk read at a time); the assembler must survive any sequence."""
    assembler = kfp1.ImageAssembler()
    at = 0
    while at + 2 <= len(data):
        size = int.from_bytes(data[at : at + 2], "little") % (kfp1.IMAGE_TRANSFER_SIZE + 64)
        transfer = data[at + 2 : at + 2 + size]
        at += 2 + size
        try:
            image = assembler.feed(transfer)
        except ProtocolError:
            continue
        if image is not None:
            pixels = np.frombuffer(image.pixels, np.uint8)
            pixels.reshape(image.header.height, image.header.width)


def _framed_transfers(transfers: list[bytes]) -> bytes:
    return b"".join(len(t).to_bytes(2, "little") + t for t in transfers)


def kfp1_image_seeds() -> list[bytes]:
    width, height = 40, 30
    header = kfp1.ImageHeader(
        5, 9, width, height, 500, 8, kfp1.ImageKindCode.PREVIEW, width * height
    )
    pixels = bytes(range(256)) * (width * height // 256) + bytes(width * height % 256)
    return [_framed_transfers(kfp1.encode_image(header, pixels))]


# -- signature pad (COBS frames over serial) -------------------------------------------------------


def signpad_stream(data: bytes) -> None:
    """Stream bytes through the frame decoder in two feeds, then each frame through the message
    parser its type selects (what the driver's reader thread and its reply routing do)."""
    decoder = FrameDecoder()
    split = data[0] if data else 0
    frames = decoder.feed(data[1 : 1 + split]) + decoder.feed(data[1 + split :])
    clock = pad.ClockUnwrapper()
    for frame in frames:
        try:
            if frame.type == pad.FrameType.INFO:
                pad.parse_info(frame.payload)
            elif frame.type == pad.FrameType.PEN:
                for sample in pad.parse_pen(frame.payload):
                    clock.unwrap(sample.time_us)
            elif frame.type == pad.FrameType.BUTTON:
                pad.parse_button(frame.payload)
            elif frame.type == pad.FrameType.ACK:
                pad.parse_ack(frame.payload)
            elif frame.type == pad.FrameType.NAK:
                _ = pad.parse_nak(frame.payload).text
        except ProtocolError:
            continue


def signpad_seeds() -> list[bytes]:
    info = pad.build_info(
        pad.InfoPayload(10000, 6000, 1023, 200, 2540, 320, 160, "KSP-1", "SN7", "2.1")
    )
    pen = pad.build_pen([pad.RawPenSample(1000 * i, 100 + i, 200, 512, 3) for i in range(8)])
    frames = [
        encode_frame(pad.FrameType.INFO, 1, info),
        encode_frame(pad.FrameType.PEN, 2, pen),
        encode_frame(pad.FrameType.BUTTON, 3, pad.build_button(1, 5000)),
        encode_frame(pad.FrameType.ACK, 4, pad.build_ack(pad.FrameType.START)),
        encode_frame(pad.FrameType.NAK, 5, pad.build_nak(pad.FrameType.START, pad.NakCode(1))),
        encode_frame(pad.FrameType.HEARTBEAT, 6),
    ]
    stream = b"".join(frames)
    return [bytes([len(stream) // 2]) + stream]


# -- camera (JPEG frames of the MJPEG stream) ------------------------------------------------------


def camera_frame(data: bytes) -> None:
    """A frame as the grab thread gets it from FFmpeg's MJPEG demuxer: the stamp reader, then the
    decode that turns a broken frame into None."""
    read_stamp(data)
    decode_jpeg(data)


def camera_frame_seeds() -> list[bytes]:
    import cv2

    image = np.zeros((24, 32, 3), np.uint8)
    image[:, :16] = (40, 120, 200)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    jpeg = encoded.tobytes()
    comment = b"kitd-stamp seq=17 t=1234.5"
    stamped = jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]
    return [jpeg, stamped]


# -- ISO/IEC 19794-4 and -7 records ---------------------------------------------------------------


def iso19794_4(data: bytes) -> None:
    """A finger record as the back office reads it: the views, each raw view's pixels and each WSQ
    view's decoded image."""
    for view in decode_iso19794_4(data):
        if view.compression is Compression.UNCOMPRESSED and view.pixel_depth == 8:
            view.pixels()
        elif view.compression is Compression.WSQ:
            decode_wsq(view.data)


def wsq_decode(data: bytes) -> None:
    decode_wsq(data)


def wsq_decode_seeds() -> list[bytes]:
    rng = np.random.default_rng(5)
    return [encode_wsq(rng.integers(0, 256, (40, 48), dtype=np.uint8))]


def iso19794_4_seeds() -> list[bytes]:
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (40, 48), dtype=np.uint8)
    return [
        encode_iso19794_4([FingerView.from_pixels(2, pixels, quality=60)]),
        encode_iso19794_4([FingerView(7, 48, 40, encode_wsq(pixels), Compression.WSQ, 45)]),
    ]


def iso19794_7(data: bytes) -> None:
    record = decode_iso19794_7(data)
    for name in record.channel_names:
        record.channel(name)


def iso19794_7_seeds() -> list[bytes]:
    from datetime import UTC, datetime

    from hal.signpad.base import PadInfo, PenFlags, PenSample

    samples = [
        PenSample(5000 * i, 100 + 3 * i, 200 + i, 400, PenFlags.TIP | PenFlags.IN_RANGE)
        for i in range(20)
    ]
    info = PadInfo(10000, 6000, 1023, 200, 2540, 320, 160)
    return [encode_iso19794_7(samples, info, datetime(2026, 3, 4, 10, 0, tzinfo=UTC))]


# -- packages: kitpkg open, and the receiver's upload handler ---------------------------------------


class _BackOffice:
    """A kit key, a recipient key pair and one real sealed visit, made once per process."""

    def __init__(self) -> None:
        from kitharness.contents import make_visit  # the seed package: a real visit's contents
        from kitharness.package_kit import make_kit_keys

        self.root = Path(tempfile.mkdtemp(prefix="kitd-fuzz-"))
        kit = make_kit_keys(self.root)
        self.keys = kit.keys
        self.kit_public_key = kit.signer.public_key
        self.signer = kit.signer
        self.recipient_key = kit.recipient_key
        sealed = kit.sealer.seal(make_visit())
        self.package = sealed.data
        frame = parse_frame(sealed.data)
        self.header_bytes = frame.header_bytes
        self.payload = hpke.open_sealed(frame.body, self.recipient_key, frame.header_bytes)
        self.package_id = sealed.package_id


@functools.cache
def _back_office() -> _BackOffice:
    return _BackOffice()


def package_open(data: bytes) -> None:
    office = _back_office()
    open_package(data, office.recipient_key, office.keys)


def package_open_seeds() -> list[bytes]:
    return [_back_office().package]


def package_payload(data: bytes) -> None:
    """The decrypted payload of a package from a (buggy or compromised) kit: the bytes are sealed
    to the recipient under a valid header, so the CBOR, COSE, manifest and audit readers behind
    HPKE are what gets fuzzed."""
    office = _back_office()
    recipient = office.recipient_key.public_key()
    sealed = build_frame(office.header_bytes, hpke.seal(data, recipient, office.header_bytes))
    open_package(sealed, office.recipient_key, office.keys)


def package_payload_seeds() -> list[bytes]:
    office = _back_office()
    return [office.payload, deterministic_cbor.encode({"format": 1, "files": []})]


class _Receiver:
    """The reference receiver with its real request handler, driven over in-memory streams."""

    def __init__(self) -> None:
        from backoffice.demo_pki import generate_demo_pki
        from backoffice.receiver import PackageReceiver, ReceiverConfig

        office = _back_office()
        pki = generate_demo_pki(office.root / "pki")
        config = ReceiverConfig(
            out_dir=office.root / "received",
            ca_cert=pki.ca_cert,
            server_cert=pki.server_cert,
            server_key=pki.server_key,
        )
        self.receiver = PackageReceiver(config, office.recipient_key, office.keys)
        self.handler: Any = self.receiver._server.RequestHandlerClass


@functools.cache
def _receiver() -> _Receiver:
    return _Receiver()


class _InMemoryRequest:
    """What a socket gives a request handler: `makefile` over the fuzz bytes, and a sink."""

    def __init__(self, data: bytes) -> None:
        self.rfile = io.BytesIO(data)
        self.wfile = io.BytesIO()

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BytesIO:
        return self.rfile if "r" in mode else self.wfile

    def sendall(self, data: bytes) -> None:
        self.wfile.write(data)

    def setsockopt(self, *args: Any) -> None:
        return None

    def settimeout(self, timeout: float | None) -> None:
        return None


def receiver_upload(data: bytes) -> None:
    """One HTTP/1.1 exchange with the receiver's handler: request line, headers and body all from
    the input. It must answer every request with a status line (never raise)."""
    receiver = _receiver()
    request = _InMemoryRequest(data)
    handler_class = receiver.handler
    assert issubclass(handler_class, BaseHTTPRequestHandler)
    handler_class(request, ("127.0.0.1", 9), receiver.receiver._server)


def receiver_upload_seeds() -> list[bytes]:
    office = _back_office()
    body = office.package
    head = (
        f"PUT /packages/{office.package_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return [head + body, b"PUT /packages/x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"]


# -- a kit's audit log at the back office (kitpkg audit-verify) -------------------------------------


def audit_log(data: bytes) -> None:
    """A kit's whole audit log: records decoded and type-checked, the chain and its signed
    checkpoints verified against the published keys."""
    verify_log_bytes(data, _back_office().keys)


def audit_log_seeds() -> list[bytes]:
    from kitd.audit.log import AuditLog
    from kitd.audit.record import AuditKind

    folder = Path(tempfile.mkdtemp(prefix="kitd-fuzz-audit-"))
    log = AuditLog(folder / "audit.log", _back_office().signer)
    log.append(AuditKind.VISIT_STARTED, "op-1", profile="be-eid")
    log.append(AuditKind.ATTEMPT, "op-1", capture="finger", finger=2, number=1, quality=63)
    log.close()  # a signed checkpoint at close
    whole = (folder / "audit.log").read_bytes()
    return [whole, whole[: len(whole) // 2], whole + whole]


# -- the kit's uploader: the receiver's answer (a hostile or broken back office writes it) -----------


def upload_receipt(data: bytes) -> None:
    """The answer to an upload as the uploader reads it: longer than MAX_ANSWER_BYTES is refused
    unread, the rest parsed, type-checked and compared with the package that was sent."""
    if len(data) > MAX_ANSWER_BYTES:
        return
    receipt_problem(
        Receipt.from_json(data), "01a25061-0b5c-7d2a-9f3b-8a6c5d4e3f21", "ab" * 32, 1438
    )


def upload_receipt_seeds() -> list[bytes]:
    return [
        Receipt(
            "01a25061-0b5c-7d2a-9f3b-8a6c5d4e3f21", "ab" * 32, 1438, "2026-01-01T00:00:00Z", "bo"
        ).to_json(),
        b'{"package_id": "x", "sha256": "y", "size": Infinity}',
        b'{"package_id": "x", "sha256": "y", "size": 1e400, "receiver": null}',
        b"[" * 2000 + b"]" * 2000,
    ]


# -- kit-console: request bodies and WebSocket messages from any local process ---------------------


def console_json(data: bytes) -> None:
    """A POST body to /api/call/{Rpc}: the first byte picks the call, the rest is the body, bounded
    and parsed exactly as the handler does (depth before json.loads, then the request message)."""
    if not data:
        return
    names = sorted(CALLS)
    call = CALLS[names[data[0] % len(names)]]
    parse_request(call, json_object(data[1:]))


def console_json_seeds() -> list[bytes]:
    names = sorted(CALLS)
    create = bytes([names.index("CreateSession")])
    return [
        create + b'{"document_profile": "be-eid", "applicant_age": 40, "operator_id": "op-1",'
        b' "application_reference": "APP-1", "delivery_reference": "AAEC"}',
        bytes([names.index("CaptureFace")])
        + b'{"session_id": "x", "mode": "FACE_CAPTURE_MODE_NOW"}',
        bytes([names.index("ListDevices")]) + b"{}",
        create + b'{"a": [[[[{"b": [1, 2.5e300, null, true, "\\u0000"]}]]]]}',
    ]


def console_ws_message(data: bytes) -> None:
    """A text message over one of the console's WebSockets (always UTF-8 on the wire)."""
    parse_command(data.decode("utf-8", errors="replace"))


def console_ws_message_seeds() -> list[bytes]:
    return [b'{"command": "clear"}', b"ack", b'{"command": ["clear"]}', b"[" * 40 + b"]" * 40]


# -- COSE_Sign1 structures (manifests, audit checkpoints' format) ----------------------------------


def cose_sign1(data: bytes) -> None:
    """A COSE_Sign1 from outside: parsed, type-checked, then verified against the published key."""
    office = _back_office()
    message = parse_sign1(data)
    key = office.keys.get(message.key_id)
    verify_sign1(message, key.public_key if key is not None else office.kit_public_key)


def cose_sign1_seeds() -> list[bytes]:
    import cbor2

    office = _back_office()
    payload = deterministic_cbor.decode(office.payload)
    signed = bytes(payload["manifest"])
    protected, unprotected, manifest, _signature = cbor2.loads(signed).value
    return [
        signed,
        cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, manifest, 12345])),
        cbor2.dumps(cbor2.CBORTag(18, [protected, {}, manifest])),
    ]


# -- image headers: kit-quality face and finger ---------------------------------------------------


def image_header(data: bytes) -> None:
    """An image file given to kit-quality: the header claim, then each tool's decoding (the face's
    photo formats through OpenCV, the finger's through Pillow), both under their pixel caps."""
    with contextlib.suppress(ValueError):  # decode_photo's documented answer (ImageRefused is one)
        decode_photo(data)
    decode_image(data, raw=False, raw_size=None)


def image_header_seeds() -> list[bytes]:
    import cv2

    from kitharness.crafted_images import jpeg_claiming, png_claiming

    grey = np.tile(np.arange(32, dtype=np.uint8), (24, 1))
    seeds = []
    for suffix in (".png", ".jpg", ".bmp", ".tiff", ".webp", ".pgm"):
        ok, encoded = cv2.imencode(suffix, grey)
        assert ok
        seeds.append(encoded.tobytes())
    seeds += [png_claiming(6000, 6000), jpeg_claiming(30000, 30000), png_claiming(40, 30, 2)]
    seeds.append(encode_wsq(np.random.default_rng(3).integers(0, 256, (40, 48), dtype=np.uint8)))
    return seeds


# -- policy and configuration loaders ---------------------------------------------------------------


def _toml(data: bytes) -> dict[str, Any] | None:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # what the file loaders turn into their typed error


def policy_loader(data: bytes) -> None:
    table = _toml(data)
    if table is not None:
        parse_policy(table, origin="fuzz/policy.toml")


def policy_loader_seeds() -> list[bytes]:
    return [path.read_bytes() for path in builtin_policy_files()]


def config_loader(data: bytes) -> None:
    table = _toml(data)
    if table is not None:
        parse_config(table, base_dir=Path("/nonexistent-kitd-fuzz"), origin="fuzz/kitd.toml")


def config_loader_seeds() -> list[bytes]:
    example = Path(__file__).resolve().parents[1] / "systemd" / "kitd.toml"
    minimal = (
        b'kit_id = "K"\nstate_dir = "/var/lib/kitd"\n[devices.camera]\nsource = "opencv:/dev/v0"\n'
    )
    return [example.read_bytes(), minimal]


TARGETS: dict[str, FuzzTarget] = {
    target.name: target
    for target in (
        FuzzTarget(
            "kfp1_response",
            kfp1_response,
            (ProtocolError,),
            kfp1_response_seeds,
            "KFP1 responses on bulk IN 0x81 with GET_INFO / GET_STATUS payloads",
        ),
        FuzzTarget(
            "kfp1_event",
            kfp1_event,
            (ProtocolError,),
            kfp1_event_seeds,
            "KFP1 events on interrupt IN 0x83",
        ),
        FuzzTarget(
            "kfp1_image",
            kfp1_image,
            (ProtocolError,),
            kfp1_image_seeds,
            "KFP1 image assembly from bulk IN 0x82 transfers (header, pixels, CRC32)",
        ),
        FuzzTarget(
            "signpad_stream",
            signpad_stream,
            (ProtocolError,),
            signpad_seeds,
            "signature pad COBS/CRC framing and INFO, PEN, BUTTON, ACK, NAK messages",
        ),
        FuzzTarget(
            "camera_frame",
            camera_frame,
            (),
            camera_frame_seeds,
            "camera MJPEG part: stamp reader and JPEG decode (broken frames give None)",
        ),
        FuzzTarget(
            "iso19794_4",
            iso19794_4,
            (IsoRecordError, WsqError),
            iso19794_4_seeds,
            "ISO/IEC 19794-4 finger image records (views, raw pixels, WSQ views)",
        ),
        FuzzTarget(
            "wsq_decode",
            wsq_decode,
            (WsqError,),
            wsq_decode_seeds,
            "WSQ streams of finger views (NBIS, in a child process)",
        ),
        FuzzTarget(
            "iso19794_7",
            iso19794_7,
            (SignatureRecordError,),
            iso19794_7_seeds,
            "ISO/IEC 19794-7 signature time series records",
        ),
        FuzzTarget(
            "package_open",
            package_open,
            (PackageError, AuditError),
            package_open_seeds,
            "kitpkg open on sealed package bytes (frame, header, HPKE)",
        ),
        FuzzTarget(
            "package_payload",
            package_payload,
            (PackageError, AuditError),
            package_payload_seeds,
            "kitpkg open behind HPKE: payload CBOR, COSE_Sign1, manifest, files, audit stretch",
        ),
        FuzzTarget(
            "receiver_upload",
            receiver_upload,
            (),
            receiver_upload_seeds,
            "the reference receiver's HTTP PUT handler (request line, headers, body)",
        ),
        FuzzTarget(
            "audit_log",
            audit_log,
            (AuditError,),
            audit_log_seeds,
            "a kit's audit log as kitpkg audit-verify reads it (records, chain, checkpoints)",
        ),
        FuzzTarget(
            "upload_receipt",
            upload_receipt,
            (ValueError,),
            upload_receipt_seeds,
            "the receiver's answer to an upload, as the kit's uploader reads it (receipt JSON)",
        ),
        FuzzTarget(
            "console_json",
            console_json,
            (ValueError, ParseError),
            console_json_seeds,
            "kit-console's POST bodies: size, JSON depth, the request message of every call",
        ),
        FuzzTarget(
            "console_ws_message",
            console_ws_message,
            (MessageRefused,),
            console_ws_message_seeds,
            "kit-console's WebSocket text messages (commands, acknowledgements)",
        ),
        FuzzTarget(
            "cose_sign1",
            cose_sign1,
            (PackageError,),
            cose_sign1_seeds,
            "COSE_Sign1 structures: parse, type checks, ES256 verification",
        ),
        FuzzTarget(
            "image_header",
            image_header,
            (FingerprintImageError,),
            image_header_seeds,
            "image files for kit-quality face and finger: header claims, pixel caps, decoding",
        ),
        FuzzTarget(
            "policy_loader",
            policy_loader,
            (PolicyError,),
            policy_loader_seeds,
            "document policy TOML files",
        ),
        FuzzTarget(
            "config_loader",
            config_loader,
            (ConfigError,),
            config_loader_seeds,
            "kitd.toml configuration",
        ),
    )
}


def run_one(target: FuzzTarget, data: bytes) -> None:
    """Feed one input; the target's typed errors are the documented answer to bad input."""
    with contextlib.suppress(*target.expected):
        target.run(data)
