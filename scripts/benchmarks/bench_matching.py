"""Fingerprint comparison: time per 1:1 comparison of two templates (target <= 20 ms) and time to extract
a template from a 400 x 500 capture at 500 ppi (target <= 50 ms), medians on the 2-core development
machine, on the simulator's prints (genuine and impostor pairs alike: the comparator does the same work
for both). Accuracy, and the times on real prints, are scripts/eval-match's, not a benchmark.
"""

from __future__ import annotations

from functools import partial

from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile

GROUP = "matching"
# The reader's final image (docs/protocols/kfp1.md: 400 x 500 px at 500 ppi), as rows x columns.
CAPTURE_SHAPE = (500, 400)


def run(ctx: Context) -> list[Figure]:
    from kitd.matching.comparison import similarity
    from kitd.matching.extraction import extract_template
    from kitsim.prints.impression import Placement, render
    from kitsim.prints.master import master_print

    people = [f"bench-match-{n}" for n in range(4 if not ctx.soak else 12)]
    images = [
        render(master_print(person, 2), Placement(quality=0.8, seed=seed))
        for person in people
        for seed in (1, 2)
    ]
    if any(image.shape != CAPTURE_SHAPE for image in images):
        raise RuntimeError(f"the simulator's prints are no longer {CAPTURE_SHAPE[::-1]} px")
    extraction: list[float] = []
    for image in images:
        extraction += time_ms(partial(extract_template, image), repeat=3, warmup=1)
    templates = [extract_template(image) for image in images]
    comparison: list[float] = []
    for a in range(len(templates)):
        for b in range(a + 1, len(templates)):
            comparison += time_ms(
                partial(similarity, templates[a], templates[b]), repeat=3, warmup=1
            )
    pairs = {"pairs": len(comparison) // 3, "minutiae": [t.count for t in templates]}
    prints = {"prints": len(images), "width": CAPTURE_SHAPE[1], "height": CAPTURE_SHAPE[0]}
    return [
        Figure(GROUP, "comparison, median", median(comparison), "ms", ("<=", 20.0), extra=pairs),
        Figure(GROUP, "comparison, p95", percentile(comparison, 0.95), "ms", ("<=", 20.0)),
        Figure(
            GROUP,
            "template extraction 400x500, median",
            median(extraction),
            "ms",
            ("<=", 50.0),
            extra=prints,
        ),
        Figure(GROUP, "template extraction 400x500, p95", percentile(extraction, 0.95), "ms"),
    ]
