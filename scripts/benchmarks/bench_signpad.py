"""Signature pad figures: frame decoding throughput (pen samples, garbage) and end-of-signing latency.

The latency is what the capture flow does after the citizen presses OK: render the PNG, run the checks
and encode the ISO/IEC 19794-7 record, for a generated signature of a few seconds.
"""

from __future__ import annotations

import os
import time

from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile


def run(ctx: Context) -> list[Figure]:
    from hal.signpad.base import PadInfo, PenFlags, PenSample
    from hal.signpad.framing import FrameDecoder, encode_frame
    from hal.signpad.protocol import FrameType, RawPenSample, build_pen, parse_pen
    from kitd.quality.signature import assess_signature
    from kitd.records.iso19794_7 import encode_iso19794_7
    from kitsim.signpad.handwriting import generate_signature
    from kitsim.signpad.strokes import PadGeometry, plan_samples

    figures: list[Figure] = []

    # Pen samples through the decoder and payload parser, one sample per frame as the pad sends them.
    count = 20_000
    stream = b"".join(
        encode_frame(
            FrameType.PEN,
            i & 0xFF,
            build_pen([RawPenSample(i * 5000, i % 9600, i % 4000, i % 1024, 3)]),
        )
        for i in range(count)
    )
    start = time.perf_counter()
    decoder = FrameDecoder()
    decoded = 0
    for offset in range(0, len(stream), 4096):
        for frame in decoder.feed(stream[offset : offset + 4096]):
            decoded += len(parse_pen(frame.payload))
    elapsed = time.perf_counter() - start
    figures.append(
        Figure(
            "signpad",
            "pen samples decoded per second",
            decoded / elapsed,
            "samples/s",
            (">=", 2000.0),
        )
    )

    garbage = os.urandom(4 << 20)
    start = time.perf_counter()
    decoder = FrameDecoder()
    for offset in range(0, len(garbage), 4096):
        decoder.feed(garbage[offset : offset + 4096])
    elapsed = time.perf_counter() - start
    figures.append(
        Figure("signpad", "decoder throughput on garbage", len(garbage) / elapsed / 1e6, "MB/s")
    )

    pad = PadInfo(9600, 4000, 1023, 200, 2540, 480, 200)
    planned = plan_samples(
        generate_signature("Marie-Louise Van den Bossche"), PadGeometry(9600, 4000, 1023, 200)
    )
    samples = [PenSample(p.offset_us, p.x, p.y, p.pressure, PenFlags(p.flags)) for p in planned]

    def finish() -> None:
        assess_signature(samples, pad)
        encode_iso19794_7(samples, pad)

    times = time_ms(finish, repeat=40)
    figures.append(
        Figure(
            "signpad",
            "end of signing to result (render + checks + ISO record), median",
            median(times),
            "ms",
            ("<=", 50.0),
            {"p95_ms": percentile(times, 0.95), "samples": len(samples)},
        )
    )
    return figures
