"""WSQ (FBI Wavelet Scalar Quantization) encoding and decoding of 8-bit fingerprint images, in memory.

Uses the `wsq` package's Pillow plugin (NBIS underneath). The plugin's encoder is fixed at 0.75 bit per
pixel, the rate ANSI/NIST-ITL Type-14 records use for 500 ppi prints, so that is the only rate offered.
NBIS's decoder can crash the process on a damaged stream (fuzzing found a segmentation fault on a
910-byte finger record), so decoding, which reads streams from packages, runs in a child process and a
crash there is a WsqError; the child lives on between streams and is replaced after a crash or a hang. Encoding only ever sees the kit's own images and stays in process.
This module must never write an image to a file: fingerprints are biometric data and stay in memory until
they are sealed.
"""

from __future__ import annotations

import io
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import numpy as np
import wsq  # noqa: F401 - registers the WSQ codec with Pillow
from numpy.typing import NDArray
from PIL import Image

SUPPORTED_BITRATE = 0.75
SUPPORTED_PPI = 500
# WSQ streams start with the SOI marker FF A0.
WSQ_MAGIC = b"\xff\xa0"
# Larger than any print a 500 ppi reader takes (a four-finger slap is about 1600 x 1500): a stream
# that claims more is refused from its header, before the decoder spends seconds and memory on it.
MAX_PIXELS = 2000 * 2000
# A 500 ppi flat print decodes in milliseconds; a child still busy after this is stuck.
DECODE_TIMEOUT_S = 30.0
# forkserver: children fork from a small clean server, not from a parent that runs threads.
_CONTEXT = multiprocessing.get_context("forkserver")
# The server imports the decoder once; a new child then starts without importing anything.
_CONTEXT.set_forkserver_preload([__name__])


class WsqError(ValueError):
    """The image cannot be encoded, or the bytes are not a decodable WSQ stream."""


def encode_wsq(
    pixels: NDArray[np.uint8], ppi: int = SUPPORTED_PPI, bitrate: float = SUPPORTED_BITRATE
) -> bytes:
    """Encode a 2-D uint8 grey image (0 = black ridge) as WSQ at 0.75 bpp."""
    if bitrate != SUPPORTED_BITRATE:
        raise WsqError(f"WSQ bitrate {bitrate} is not offered; the encoder is fixed at 0.75 bpp")
    if ppi != SUPPORTED_PPI:
        # The WSQ stream does not carry the resolution here; Type-14 records state it, and kitd
        # captures at 500 ppi only. Refusing other values keeps the two from disagreeing.
        raise WsqError(f"fingerprints are encoded at {SUPPORTED_PPI} ppi, got {ppi}")
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise WsqError(f"expected a 2-D uint8 image, got {pixels.ndim}-D {pixels.dtype}")
    height, width = pixels.shape
    if width < 32 or height < 32:
        raise WsqError(f"image {width}x{height} is too small for WSQ (at least 32x32)")
    buffer = io.BytesIO()
    try:
        Image.fromarray(np.ascontiguousarray(pixels), mode="L").save(buffer, "WSQ")
    except Exception as exc:
        raise WsqError(f"WSQ encoder failed on a {width}x{height} image: {exc}") from exc
    return buffer.getvalue()


def decode_wsq(data: bytes, timeout: float = DECODE_TIMEOUT_S) -> NDArray[np.uint8]:
    """Decode a WSQ stream to a 2-D uint8 image, in the decoder's child process (see the module
    docstring).
    """
    if not data.startswith(WSQ_MAGIC):
        raise WsqError("not a WSQ stream (missing the FF A0 start-of-image marker)")
    return _DECODER.decode(bytes(data), timeout)


class _DecoderChild:
    """One long-lived child that decodes stream after stream, so a decode costs a pipe round trip
    instead of a process start. A stream the decoder refuses leaves it running; a crash or a hang
    replaces it with a new child before the next stream.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._pipe: Connection | None = None

    def decode(self, data: bytes, timeout: float) -> NDArray[np.uint8]:
        with self._lock:
            pipe = self._running()
            try:
                pipe.send_bytes(data)
                result = pipe.recv() if pipe.poll(timeout) else None
            except (EOFError, OSError):
                result = None  # the child died before it answered
            how = "" if result is not None else self._stop()
        if isinstance(result, tuple):
            height, width, pixels = result
            return np.frombuffer(pixels, np.uint8).reshape(height, width).copy()
        if isinstance(result, str):
            raise WsqError(f"cannot decode WSQ stream of {len(data)} bytes: {result}")
        raise WsqError(
            f"the WSQ decoder failed on a damaged stream of {len(data)} bytes ({how} in its child)"
        )

    def _running(self) -> Connection:
        if self._child is not None and self._pipe is not None and self._child.is_alive():
            return self._pipe
        self._stop()
        ours, theirs = _CONTEXT.Pipe(duplex=True)
        child = _CONTEXT.Process(target=_decode_loop, args=(theirs,), daemon=True)
        child.start()
        theirs.close()
        self._child, self._pipe = child, ours
        return ours

    def _stop(self) -> str:
        """Ends the child (killed if still running); says how it ended."""
        child, pipe = self._child, self._pipe
        self._child = self._pipe = None
        if pipe is not None:
            pipe.close()
        if child is None:
            return "no child"
        if child.is_alive():
            child.kill()
            child.join()
            return "no answer"
        child.join()
        return f"exit code {child.exitcode}"


# The process's one decoder child, started on first use (a pool of one, like a connection pool).
_DECODER = _DecoderChild()


def decode_wsq_in_process(data: bytes) -> NDArray[np.uint8]:
    """The decoder itself, without the child: only for callers that isolate it themselves."""
    try:
        with Image.open(io.BytesIO(data), formats=["WSQ"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise WsqError(
                    f"WSQ stream of {len(data)} bytes claims a {width}x{height} image, more than "
                    f"any fingerprint ({MAX_PIXELS:,} pixels at most)"
                )
            image.load()
            return np.asarray(image, dtype=np.uint8).copy()
    except WsqError:
        raise
    except Exception as exc:
        raise WsqError(f"cannot decode WSQ stream of {len(data)} bytes: {exc}") from exc


def _decode_loop(pipe: Connection) -> None:
    """The child: decodes each stream it receives and answers (height, width, pixels) or the error's
    text; ends when the parent closes its end.
    """
    while True:
        try:
            data = pipe.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            pixels = decode_wsq_in_process(data)
            answer: object = (int(pixels.shape[0]), int(pixels.shape[1]), pixels.tobytes())
        except WsqError as exc:
            answer = str(exc.__cause__ or exc)
        try:
            pipe.send(answer)
        except OSError:
            return  # the parent gave up on this stream and closed its end
