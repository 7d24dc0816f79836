"""Device sources are URL-shaped; the registry maps them to drivers without opening anything."""

from __future__ import annotations

import pytest

from hal.device import DeviceKind
from hal.registry import driver_class
from hal.source import SourceError, parse_source


def test_driver_transport_target_and_options_are_split() -> None:
    source = parse_source("kfp1+usb://1209:4b46?serial=KFP1-7&timeout=2")
    assert (source.driver, source.transport, source.target) == ("kfp1", "usb", "//1209:4b46")
    assert source.options == {"serial": "KFP1-7", "timeout": "2"}
    assert source.int_option("timeout", 5) == 2
    assert source.int_option("absent", 5) == 5


def test_a_url_target_keeps_its_own_scheme() -> None:
    source = parse_source("opencv:http://127.0.0.1:8080/stream.mjpg")
    assert source.driver == "opencv"
    assert source.transport == ""
    assert source.target == "http://127.0.0.1:8080/stream.mjpg"


@pytest.mark.parametrize("text", ["", "nonsense", "UPPER:/dev/x", "opencv:", "kfp1+:x"])
def test_malformed_sources_are_rejected(text: str) -> None:
    with pytest.raises(SourceError):
        parse_source(text)


def test_a_non_integer_option_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="w="):
        parse_source("opencv:/dev/video0?w=wide").int_option("w", 640)


def test_unknown_driver_and_unsupported_transport_are_named() -> None:
    with pytest.raises(SourceError, match="unknown driver 'zz'"):
        driver_class(parse_source("zz:/dev/x"))
    with pytest.raises(SourceError, match="kfp1\\+sim"):
        driver_class(parse_source("kfp1+tcp://host"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("opencv:/dev/kitd-camera", DeviceKind.CAMERA),
        ("kfp1+sim:unix:/tmp/x", DeviceKind.FINGERPRINT_SCANNER),
        ("framed:/dev/kitd-signpad", DeviceKind.SIGNATURE_PAD),
    ],
)
def test_each_driver_opens_its_kind(text: str, kind: DeviceKind) -> None:
    assert driver_class(parse_source(text)).kind is kind
