"""Face ICAO assessment: median time per 1080p still (target ≤ 40 ms), the Belgian crop, and, on the
reference portraits cross-validated by subject (5 folds, limits set on the other folds' people), the
held-out detection rate per degradation (target ≥ 85 %, macro ≥ 95 %) and the false alarms of each
calibrated check, and of each design value a degradation exercises, on the unmodified portraits
(target ≤ 10 %)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile

GROUP = "face_quality"


def still_1080p() -> np.ndarray:
    """The public-domain astronaut portrait on a plain light background, 1920 x 1080, face at passport scale."""
    from skimage import data

    face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    face = cv2.resize(face, (1000, 1000), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((1080, 1920, 3), (225, 228, 230), np.uint8)
    canvas[80:1080, 460:1460] = face
    return canvas


def run(ctx: Context) -> list[Figure]:
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
        Figure(GROUP, "assessment 1080p still, p95", percentile(times, 0.95), "ms"),
        Figure(GROUP, "Belgian crop + JPEG 827x1063, median", median(crop_times), "ms"),
    ]

    meds = ctx.shared_data / "faces" / "meds"
    if not meds.is_dir():
        return figures
    from kitd.quality.face.calibration import cross_validate, judged_by_data, measure_folder

    held_out = cross_validate(measure_folder(meds, assessor), k=5)
    for degradation in SUITE:
        tally = held_out.detection[degradation.name]
        if not tally.total:
            continue
        figures.append(
            Figure(
                GROUP,
                f"caught (held out): {degradation.name}",
                100.0 * tally.rate,
                "%",
                (">=", 85.0),
                {"eligible": tally.total, "checks": [c.value for c in degradation.catches]},
            )
        )
    figures.append(
        Figure(
            GROUP, "caught (held out), macro", 100.0 * held_out.macro_detection, "%", (">=", 95.0)
        )
    )
    for check in sorted(c.value for c in judged_by_data()):
        tally = held_out.false_alarms[check]
        figures.append(
            Figure(
                GROUP,
                f"false alarms (held out, unmodified): {check}",
                100.0 * tally.rate,
                "%",
                ("<=", 10.0),
                {"portraits": tally.total},
            )
        )
    return figures


if __name__ == "__main__":
    for figure in run(Context(repo_root=Path(__file__).resolve().parents[2])):
        print(figure.as_dict())
