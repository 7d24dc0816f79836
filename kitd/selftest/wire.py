"""Self-test values to and from kit.v1 messages (SelfTestCheck, SelfTestProgress, SelfTestReport).

Used by the daemon's RunSelfTest servicer and by `kit-selftest` when it reads the daemon's stream, so a
report looks the same whichever side ran the checks. Conversion only; no checks run here.
"""

from __future__ import annotations

from kit.v1 import device_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.selftest.result import (
    CheckResult,
    Mode,
    Picture,
    PictureFormat,
    Progress,
    Report,
    Verdict,
)

VERDICTS: dict[Verdict, pb.SelfTestVerdict.ValueType] = {
    Verdict.PASS: pb.SELF_TEST_VERDICT_PASS,
    Verdict.WARN: pb.SELF_TEST_VERDICT_WARN,
    Verdict.FAIL: pb.SELF_TEST_VERDICT_FAIL,
    Verdict.SKIPPED: pb.SELF_TEST_VERDICT_SKIPPED,
}
_FROM_VERDICT = {value: verdict for verdict, value in VERDICTS.items()}
_FORMATS = {
    PictureFormat.JPEG: types_pb2.IMAGE_FORMAT_JPEG,
    PictureFormat.PNG: types_pb2.IMAGE_FORMAT_PNG,
}
_FROM_FORMAT = {value: fmt for fmt, value in _FORMATS.items()}

# kit.v1 device kinds -> the configuration's device ids.
DEVICE_IDS: dict[types_pb2.DeviceKind.ValueType, str] = {
    types_pb2.DEVICE_KIND_CAMERA: "camera",
    types_pb2.DEVICE_KIND_FINGERPRINT_SCANNER: "fingerprint",
    types_pb2.DEVICE_KIND_SIGNATURE_PAD: "signature_pad",
}


def check_message(result: CheckResult) -> pb.SelfTestCheck:
    """A check result as its API message."""
    message = pb.SelfTestCheck(
        id=result.id,
        title=result.title,
        verdict=VERDICTS[result.verdict],
        value=result.value,
        unit=result.unit,
        limit=result.limit,
        hint=result.hint,
    )
    if result.picture is not None:
        picture = result.picture
        message.picture.CopyFrom(
            types_pb2.Image(
                format=_FORMATS[picture.format],
                data=picture.data,
                width=picture.width,
                height=picture.height,
                ppi=picture.ppi,
            )
        )
    return message


def progress_message(progress: Progress) -> pb.SelfTestProgress:
    """A progress step as its API message."""
    return pb.SelfTestProgress(
        check_id=progress.check_id,
        title=progress.title,
        fraction=progress.fraction,
        prompt=progress.prompt,
    )


def report_message(report: Report) -> pb.SelfTestReport:
    """A report as its API message."""
    message = pb.SelfTestReport(
        checks=[check_message(c) for c in report.checks], overall=VERDICTS[report.overall]
    )
    message.started_at.FromNanoseconds(int(report.started_at * 1e9))
    message.finished_at.FromNanoseconds(int(report.finished_at * 1e9))
    return message


def check_from_message(message: pb.SelfTestCheck) -> CheckResult:
    """A check result from its API message."""
    picture = None
    if message.HasField("picture") and message.picture.format in _FROM_FORMAT:
        image = message.picture
        picture = Picture(
            _FROM_FORMAT[image.format], image.data, image.width, image.height, image.ppi
        )
    return CheckResult(
        id=message.id,
        title=message.title,
        verdict=_FROM_VERDICT.get(message.verdict, Verdict.SKIPPED),
        value=message.value,
        unit=message.unit,
        limit=message.limit,
        hint=message.hint,
        picture=picture,
    )


def progress_from_message(message: pb.SelfTestProgress) -> Progress:
    """A progress step from its API message."""
    return Progress(message.check_id, message.title, message.fraction, message.prompt)


def report_from_message(message: pb.SelfTestReport) -> Report:
    """A report from its API message (a report over the API was made by the daemon)."""
    return Report(
        tuple(check_from_message(c) for c in message.checks),
        Mode.DAEMON,
        message.started_at.ToNanoseconds() / 1e9,
        message.finished_at.ToNanoseconds() / 1e9,
    )
