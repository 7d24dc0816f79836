"""A probe: one step of the self-test that produces one or more checks.

A probe declares the checks it will report (so the runner can show progress and account for checks a
failing step never reached), then runs as a generator: it yields a `Prompt` when the technician must
act and a `CheckResult` for every finished check. A probe never catches device errors to hide them: it
lets them reach the runner, which turns them into failed checks with a hint.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from kitd.selftest.context import SelfTestContext
from kitd.selftest.limits import AtLeast, AtMost, Between
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import CheckResult, Picture, Verdict

ProbeItem = Prompt | CheckResult


@dataclass(frozen=True)
class CheckSpec:
    """A self-test check's id and title, and how to make its result."""

    id: str
    title: str

    def measured(
        self,
        value: float,
        limit: AtLeast | AtMost | Between,
        hints: dict[Verdict, str],
        *,
        picture: Picture | None = None,
    ) -> CheckResult:
        """A result judged against `limit`; the hint for its verdict comes from `hints`."""
        verdict = limit.judge(value)
        return CheckResult(
            id=self.id,
            title=self.title,
            verdict=verdict,
            value=round(float(value), 4),
            unit=limit.unit,
            limit=limit.describe(),
            hint="" if verdict is Verdict.PASS else hints.get(verdict, hints.get(Verdict.FAIL, "")),
            picture=picture,
        )

    def result(
        self,
        verdict: Verdict,
        *,
        value: float = 0.0,
        unit: str = "",
        limit: str = "",
        hint: str = "",
        picture: Picture | None = None,
    ) -> CheckResult:
        return CheckResult(
            id=self.id,
            title=self.title,
            verdict=verdict,
            value=round(float(value), 4),
            unit=unit,
            limit=limit,
            hint=hint,
            picture=picture,
        )


class Probe(ABC):
    """A group of self-test checks run together."""

    # What the progress bar shows while the probe runs.
    title: str = ""

    @abstractmethod
    def checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        """The checks this probe reports, in order."""

    @abstractmethod
    def run(self, context: SelfTestContext) -> Iterator[ProbeItem]:
        """Yields prompts and one result per declared check."""
