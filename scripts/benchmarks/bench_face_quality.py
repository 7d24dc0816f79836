"""Face ICAO assessment: median time per 1080p still (target ≤ 40 ms), the Belgian crop, and the
degradation suite's detection rate per degradation (target ≥ 95 %) on the reference portraits."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from figures import Context, Figure, median, percentile, time_ms

GROUP = "face_quality"


def still_1080p() -> np.ndarray:
    """The public-domain astronaut portrait on a plain light background, 1920 x 1080, face at passport scale."""
    from skimage import data

    face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    face = cv2.resize(face, (1000, 1000), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((1080, 1920, 3), (225, 228, 230), np.uint8)
    canvas[80:1080, 460:1460] = face
    return canvas


def run(ctx: Context) -> list[Figure]:
    sys.path.insert(0, str(ctx.repo_root))
    from kitd.quality.face import FaceAssessor, crop_passport_photo
    from kitd.quality.face.degradations import SUITE

    assessor = FaceAssessor()
    still = still_1080p()
    repeat = 200 if ctx.soak else 40
    times = time_ms(lambda: assessor.assess(still), repeat=repeat, warmup=3)
    assessment = assessor.assess(still)
    crop_times = time_ms(lambda: crop_passport_photo(still, assessment), repeat=10, warmup=1)
    figures = [
        Figure(GROUP, "assessment 1080p still, median", median(times), "ms", ("<=", 40.0)),
        Figure(GROUP, "assessment 1080p still, p95", percentile(times, 95), "ms"),
        Figure(GROUP, "Belgian crop + JPEG 827x1063, median", median(crop_times), "ms"),
    ]

    meds = ctx.shared_data / "faces" / "meds"
    if not meds.is_dir():
        return figures
    originals = []
    for path in sorted(meds.glob("*.jpg")):
        image = cv2.imread(str(path))
        a = assessor.assess(image)
        if a.face_count == 1 and a.landmarks is not None:
            originals.append((image, a))
    for degradation in SUITE:
        eligible = [
            (im, a) for im, a in originals if all(a.check(c).passed for c in degradation.catches)
        ]
        if not eligible:
            continue
        caught = sum(
            any(
                not assessor.assess(degradation.apply(im, a)).check(c).passed
                for c in degradation.catches
            )
            for im, a in eligible
        )
        figures.append(
            Figure(
                GROUP,
                f"caught: {degradation.name}",
                100.0 * caught / len(eligible),
                "%",
                (">=", 95.0),
                {"eligible": len(eligible), "checks": [c.value for c in degradation.catches]},
            )
        )
    return figures


if __name__ == "__main__":
    for figure in run(Context(repo_root=Path(__file__).resolve().parents[2])):
        print(figure.as_dict())
