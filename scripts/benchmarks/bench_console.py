"""The live preview as the operator sees it: kit-console's page in headless Chromium, the 720p camera
simulator, the daemon and kit-console in their own processes. Latency is glass to glass: from the
camera frame's grab in the daemon to the moment the page has drawn it on its canvas, measured in the
page (performance.timeOrigin + performance.now(), the same machine clock as the grab time)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from figures import Context, Figure

from kitharness.measures import median, percentile

CHROMIUM = Path("/usr/bin/chromium")
WARMUP = 30
FRAMES = 300


def run(ctx: Context) -> list[Figure]:
    if not CHROMIUM.exists():
        raise RuntimeError("the console bench needs Debian's Chromium at /usr/bin/chromium")
    from playwright.sync_api import expect, sync_playwright

    from kitharness.console_server import RunningConsole
    from kitharness.kit import KitUnderTest
    from kitharness.visit import Visit

    options = {"camera": {"width": 1280, "height": 720, "fps": 30}}
    with (
        tempfile.TemporaryDirectory(prefix="kitd-bench-") as tmp,
        KitUnderTest(Path(tmp), devices=("camera",), sim_options=options) as kit,
        RunningConsole(kit.daemon.config, Path(tmp) / "console.log") as console,  # type: ignore[union-attr]
        sync_playwright() as playwright,
    ):
        visit = Visit(kit, "be-kids-id", 9)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(console.login_url)  # the session cookie, as the operator logs in
            page.wait_for_url(console.url)  # the login's page moves on to the console by itself
            page.goto(console.url + "?lang=en")
            expect(page.locator("#resume")).to_be_visible()
            page.click("#resume")
            total = WARMUP + FRAMES
            page.wait_for_function(
                f"() => window.kitConsole.preview.frames >= {total}", timeout=120_000
            )
            latencies, daemon, drawn, dropped = page.evaluate(
                f"""() => {{
                    const p = window.kitConsole.preview;
                    return [p.latencies.slice(-{FRAMES}), p.daemonLatencies.slice(-{FRAMES}),
                            p.drawnAt.slice(-{FRAMES}), p.dropped];
                }}"""
            )
        finally:
            browser.close()
            visit.cancel()
    fps = (len(drawn) - 1) / ((drawn[-1] - drawn[0]) / 1000)
    return [
        Figure(
            "console",
            "720p preview drawn in the browser (kit-console, WebSocket)",
            fps,
            "fps",
            (">=", 25.0),
            extra={"frames": len(drawn), "dropped_by_console": dropped},
        ),
        Figure(
            "console",
            "glass-to-glass latency (p95)",
            percentile(latencies, 0.95),
            "ms",
            ("<=", 100.0),
        ),
        Figure("console", "glass-to-glass latency (median)", median(latencies), "ms"),
        # The split: grab to kit-console (the daemon and gRPC), then kit-console to drawn.
        Figure("console", "of which grab to kit-console (median)", median(daemon), "ms"),
        Figure(
            "console",
            "of which kit-console to drawn in the page (median)",
            median([total - part for total, part in zip(latencies, daemon, strict=True)]),
            "ms",
        ),
    ]
