"""Fingerprint comparison: time per 1:1 comparison of two templates (target <= 20 ms on the board-class
CPU; this is the 2-core development machine) and time to extract a template from a 400 x 500 capture,
on the simulator's prints (genuine and impostor pairs alike: the comparator does the same work for both).
Accuracy is scripts/eval-match's, not a benchmark.
"""

from __future__ import annotations

import sys

from figures import Context, Figure, median, percentile, time_ms

GROUP = "matching"


def run(ctx: Context) -> list[Figure]:
    sys.path[:0] = [str(ctx.repo_root), str(ctx.repo_root / "firmware-sims")]
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
    extraction: list[float] = []
    for image in images:
        extraction += time_ms(lambda image=image: extract_template(image), repeat=3, warmup=1)
    templates = [extract_template(image) for image in images]
    comparison: list[float] = []
    for a in range(len(templates)):
        for b in range(a + 1, len(templates)):
            comparison += time_ms(
                lambda a=a, b=b: similarity(templates[a], templates[b]), repeat=3, warmup=1
            )
    pairs = {"pairs": len(comparison) // 3, "minutiae": [t.count for t in templates]}
    return [
        Figure(GROUP, "comparison, median", median(comparison), "ms", ("<=", 20.0), extra=pairs),
        Figure(GROUP, "comparison, p95", percentile(comparison, 95), "ms", ("<=", 20.0)),
        Figure(GROUP, "template extraction 400x500, median", median(extraction), "ms"),
    ]
