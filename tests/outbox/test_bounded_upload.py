"""The uploader is bounded against a receiver that misbehaves: one that trickles its answer a byte at a
time is cut off at the upload's deadline, one that answers with a huge body is not read past a receipt's
size, and a pass stuck on a slow receiver never blocks a flush asked for meanwhile. In each case the
package stays in the outbox, to be sent again."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from backoffice.receiver import PackageReceiver
from kitd.outbox.contract import MAX_ANSWER_BYTES
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import EnqueuedPackage, FlushResult, PackageState
from support.back_office import BackOffice


class MisbehavingReceiver(PackageReceiver):
    """Stores the package as the reference receiver does, then answers badly (`answer`)."""

    # Set by the test before the receiver starts.
    mode = "trickle"
    started = threading.Event()
    done = threading.Event()

    def _handle_put(self, request: BaseHTTPRequestHandler) -> None:
        self._put(request)
        request.send_response(201)
        if self.mode == "huge_declared":
            request.send_header("Content-Length", str(1536 << 20))
        elif self.mode == "trickle":
            request.send_header("Content-Length", "100")
        request.end_headers()
        request.wfile.flush()
        type(self).started.set()
        try:
            if self.mode == "trickle":
                # One byte at a time, until the client hangs up or the test ends.
                while not self.done.wait(0.2):
                    request.wfile.write(b" ")
                    request.wfile.flush()
            else:
                # A body without end (bounded here at 64 MiB): the client must stop reading early.
                block = bytes(1 << 16)
                for _ in range(1024):
                    if self.done.is_set():
                        break
                    request.wfile.write(block)
        except OSError:
            pass  # the client hung up: what it should do
        request.close_connection = True
        with contextlib.suppress(OSError):
            request.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def misbehaving(back_office: BackOffice) -> Iterator[type[MisbehavingReceiver]]:
    MisbehavingReceiver.started = threading.Event()
    MisbehavingReceiver.done = threading.Event()
    yield MisbehavingReceiver
    MisbehavingReceiver.done.set()


def start(back_office: BackOffice, mode: str) -> PackageReceiver:
    MisbehavingReceiver.mode = mode
    receiver = back_office.receiver(cls=MisbehavingReceiver)
    receiver.start()
    return receiver


def flush_against(
    back_office: BackOffice, misbehaving: type[MisbehavingReceiver], mode: str, timeout_s: float
) -> tuple[Outbox, EnqueuedPackage, FlushResult]:
    """One package enqueued and one flush against a receiver that misbehaves as `mode` says."""
    receiver = start(back_office, mode)
    try:
        outbox = Outbox(back_office.outbox_config(receiver.url, upload_timeout_s=timeout_s))
        entry = outbox.enqueue(back_office.small_package())
        result = outbox.flush()
    finally:
        misbehaving.done.set()
        receiver.stop()
    return outbox, entry, result


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(
    back_office: BackOffice, misbehaving: type[MisbehavingReceiver]
) -> None:
    outbox, entry, result = flush_against(back_office, misbehaving, "trickle", 1.0)
    assert (result.uploaded, result.failed) == (0, 1)
    kept = outbox.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert "within 1 s" in kept.last_error
    outbox.close()


@pytest.mark.parametrize("mode", ["huge_declared", "endless"])
def test_an_answer_larger_than_a_receipt_is_not_read_and_the_package_is_kept(
    back_office: BackOffice, misbehaving: type[MisbehavingReceiver], mode: str
) -> None:
    outbox, entry, result = flush_against(back_office, misbehaving, mode, 30.0)
    assert (result.uploaded, result.failed) == (0, 1)
    kept = outbox.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert "bytes" in kept.last_error
    assert MAX_ANSWER_BYTES <= 1 << 20


def test_a_flush_asked_for_during_a_stuck_upload_answers_at_once(
    back_office: BackOffice, misbehaving: type[MisbehavingReceiver]
) -> None:
    receiver = start(back_office, "trickle")
    outbox = Outbox(back_office.outbox_config(receiver.url, upload_timeout_s=60.0))
    entry = outbox.enqueue(back_office.small_package())
    background = threading.Thread(target=outbox.flush)
    background.start()
    try:
        assert misbehaving.started.wait(10)
        asked = outbox.flush(wait_s=0.1)
        assert asked.already_running
        assert [p.package_id for p in asked.packages] == [entry.package_id]
        assert outbox.status().pending == 1  # the status answers too
    finally:
        misbehaving.done.set()
        background.join(30)
        receiver.stop()
        outbox.close()
