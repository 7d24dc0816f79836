"""One producer shared by many readers (kitd.capture.fanout)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest

from kitd.capture.fanout import Fanout

WAIT_S = 10.0


class Source:
    """A source the test feeds by hand; counts how often it was started and whether it was closed."""

    def __init__(self) -> None:
        self.items: queue.Queue[int | Exception] = queue.Queue()
        self.started = 0
        self.closed = threading.Event()

    def __call__(self) -> Iterator[int]:
        self.started += 1
        try:
            while True:
                item = self.items.get(timeout=WAIT_S)
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.closed.set()


def test_two_readers_of_one_key_share_one_producer() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    first, second = fanout.read("k", source), fanout.read("k", source)
    source.items.put(1)
    assert next(first) == 1
    assert next(second) == 1
    source.items.put(2)
    assert (next(first), next(second)) == (2, 2)
    assert source.started == 1


def test_different_keys_run_their_own_producers() -> None:
    fanout: Fanout[int] = Fanout()
    a, b = Source(), Source()
    read_a, read_b = fanout.read("a", a), fanout.read("b", b)
    a.items.put(1)
    b.items.put(7)
    assert (next(read_a), next(read_b)) == (1, 7)


def test_a_slow_reader_gets_the_newest_item_not_a_queue() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    fast, slow = fanout.read("k", source), fanout.read("k", source)
    source.items.put(1)
    assert next(fast) == 1
    assert next(slow) == 1
    for item in (2, 3, 4):
        source.items.put(item)
        assert next(fast) == item
    assert next(slow) == 4


def test_an_error_of_the_source_reaches_every_reader() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    first, second = fanout.read("k", source), fanout.read("k", source)
    source.items.put(1)
    assert (next(first), next(second)) == (1, 1)
    source.items.put(RuntimeError("camera gone"))
    for reader in (first, second):
        with pytest.raises(RuntimeError, match="camera gone"):
            next(reader)


def test_the_source_is_closed_when_the_last_reader_leaves() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    first, second = fanout.read("k", source), fanout.read("k", source)
    source.items.put(1)
    next(first), next(second)
    first.close()
    source.items.put(2)
    assert next(second) == 2
    assert not source.closed.is_set()
    second.close()
    assert fanout.readers("k") == 0
    source.items.put(3)  # the producer notices at its next item
    assert source.closed.wait(WAIT_S)


def test_a_reader_after_the_last_one_left_starts_the_source_again() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    reader = fanout.read("k", source)
    source.items.put(1)
    assert next(reader) == 1
    reader.close()
    source.items.put(2)
    assert source.closed.wait(WAIT_S)
    again = fanout.read("k", source)
    source.items.put(3)
    assert next(again) == 3
    assert source.started == 2


def test_a_reader_who_joins_late_gets_the_current_item_at_once() -> None:
    fanout: Fanout[int] = Fanout()
    source = Source()
    first = fanout.read("k", source)
    source.items.put(5)
    assert next(first) == 5
    late = fanout.read("k", source)
    assert next(late) == 5
    assert fanout.readers("k") == 2
    assert source.started == 1
