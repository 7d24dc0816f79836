"""Runs the probes in order and streams progress, one result per check, and the final report.

The same runner serves the daemon's RunSelfTest and `kit-selftest --direct`. A probe that stops with an
error does not stop the run: the checks it did not reach become failures (device errors, with what to
do) and the next probe runs. The runner never retries a device and never hides an error: each one ends
up in the report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence

from hal.errors import (
    DeviceBusy,
    DeviceError,
    DeviceFault,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from kitd.selftest.context import SelfTestContext
from kitd.selftest.probe import CheckSpec, Probe
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import CheckResult, Progress, Report, Verdict

log = logging.getLogger(__name__)

RunItem = Progress | CheckResult | Report


def hint_for_error(exc: BaseException) -> str:
    """What a technician does about an error that stopped a step."""
    message = str(exc)
    if isinstance(exc, DeviceGone):
        return f"The device went away during the test ({message}). Check its cable and plug, then run the self-test again."
    if isinstance(exc, DeviceBusy):
        return f"The device is in use ({message}). Finish or cancel the visit in progress, then run the self-test again."
    if isinstance(exc, DeviceTimeout):
        return f"Nothing happened in time ({message}). Repeat the step; if it keeps timing out, replug the device."
    if isinstance(exc, ProtocolError):
        return f"The device sent corrupt data ({message}). Replug it; if it persists, replace the cable or the device."
    if isinstance(exc, DeviceFault):
        return f"The device reports a fault ({message}). Replug it; if it persists, send this report to support."
    return (
        f"The check could not run ({type(exc).__name__}: {message}). Send this report to support."
    )


class SelfTest:
    """A self-test run over a list of probes, yielding progress and results."""

    def __init__(self, context: SelfTestContext, probes: Sequence[Probe]) -> None:
        self.context = context
        self.probes = list(probes)

    def run(self) -> Iterator[RunItem]:
        """Progress and check results as they happen, then the report (always the last item)."""
        started = time.time()
        plan = [(probe, probe.checks(self.context)) for probe in self.probes]
        total = max(1, sum(len(specs) for _, specs in plan))
        results: list[CheckResult] = []
        for probe, specs in plan:
            if not specs:
                continue
            current = specs[0]
            yield Progress(current.id, probe.title or current.title, len(results) / total)
            reported: set[str] = set()
            try:
                for item in probe.run(self.context):
                    if isinstance(item, Prompt):
                        yield Progress(current.id, current.title, len(results) / total, item.text)
                        continue
                    reported.add(item.id)
                    results.append(item)
                    yield item
                    current = next((s for s in specs if s.id not in reported), current)
                    yield Progress(current.id, current.title, len(results) / total)
            except Exception as exc:
                if not isinstance(exc, DeviceError):
                    log.exception("self-test probe failed", extra={"probe": type(probe).__name__})
                for result in _unreached(specs, reported, exc):
                    results.append(result)
                    yield result
        yield Report(tuple(results), self.context.mode, started, time.time())


def _unreached(
    specs: tuple[CheckSpec, ...], reported: set[str], exc: BaseException
) -> Iterator[CheckResult]:
    hint = hint_for_error(exc)
    first = True
    for spec in specs:
        if spec.id in reported:
            continue
        if first:
            yield spec.result(Verdict.FAIL, hint=hint)
            first = False
        else:
            yield spec.result(Verdict.SKIPPED, hint=f"Not run: {hint}")
