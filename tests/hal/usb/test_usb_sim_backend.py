"""The simulator's pyusb backend behaves as libusb does: complete descriptors through unmodified pyusb,
IndexError for what does not exist, USBTimeoutError (a USBError) for timeouts, NO_DEVICE after an unplug."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
import usb.core
import usb.util
from sims.fingerprint.fingerprint_process import FingerprintSimProcess

from hal.usb.sim_backend import SimBackend


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FingerprintSimProcess]:
    simulator = FingerprintSimProcess(tmp_path_factory.mktemp("usb-sim"))
    yield simulator
    simulator.close()


@pytest.fixture
def backend(sim: FingerprintSimProcess) -> SimBackend:
    return SimBackend(Path(sim.source.removeprefix("kfp1+sim:unix:")))


@pytest.fixture
def device(backend: SimBackend) -> Iterator[usb.core.Device]:
    found = usb.core.find(backend=backend)
    assert found is not None
    found.set_configuration()
    yield found
    usb.util.dispose_resources(found)


def test_pyusb_reads_the_device_and_its_strings(device: usb.core.Device) -> None:
    assert (device.idVendor, device.idProduct) == (0x1D6B, 0x0104)
    assert device.serial_number == "KFP1-0001"
    assert device.product and device.manufacturer
    assert device.speed == usb.util.SPEED_HIGH


def test_the_configuration_lists_the_four_kfp1_endpoints(device: usb.core.Device) -> None:
    interface = device.get_active_configuration()[(0, 0)]
    assert (interface.bInterfaceClass, interface.bInterfaceSubClass) == (0xFF, 0x4B)
    kinds = {
        e.bEndpointAddress: usb.util.endpoint_type(e.bmAttributes) for e in interface.endpoints()
    }
    assert kinds == {
        0x01: usb.util.ENDPOINT_TYPE_BULK,
        0x81: usb.util.ENDPOINT_TYPE_BULK,
        0x82: usb.util.ENDPOINT_TYPE_BULK,
        0x83: usb.util.ENDPOINT_TYPE_INTR,
    }


def test_a_missing_alternate_setting_raises_index_error(device: usb.core.Device) -> None:
    configuration = device.get_active_configuration()
    with pytest.raises(IndexError):
        configuration[(0, 1)]
    with pytest.raises(IndexError):
        configuration[(1, 0)]
    assert usb.util.find_descriptor(configuration, bInterfaceNumber=0, bAlternateSetting=1) is None


def test_a_read_with_nothing_to_read_times_out_as_a_usb_error(device: usb.core.Device) -> None:
    usb.util.claim_interface(device, 0)
    with pytest.raises(usb.core.USBTimeoutError) as caught:
        device.read(0x83, 64, 50)
    assert isinstance(caught.value, usb.core.USBError)
    assert caught.value.errno == errno.ETIMEDOUT and caught.value.backend_error_code == -7


def test_after_an_unplug_transfers_fail_and_enumeration_is_empty(
    sim: FingerprintSimProcess, backend: SimBackend, device: usb.core.Device
) -> None:
    usb.util.claim_interface(device, 0)
    sim.control("unplug")
    try:
        with pytest.raises(usb.core.USBError) as caught:
            device.read(0x83, 64, 1000)
        assert caught.value.errno == errno.ENODEV and caught.value.backend_error_code == -4
        assert usb.core.find(backend=backend) is None
    finally:
        sim.control("replug")
    assert usb.core.find(backend=backend) is not None
