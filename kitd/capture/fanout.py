"""One producer, many readers: the newest item of a source, shared by everyone who reads it.

Several clients watching the same face preview (the tablet, a supervisor's screen, a test harness)
would otherwise each assess every camera frame again; on a two-core board that work is what slows the
visit down. A `Fanout` runs one producer thread per key while anyone reads it and hands each reader the
newest item it has not yet seen. A slow reader skips items rather than queueing them, as a live view
should. When the producer's source raises, every reader gets the error; when the last reader leaves,
the producer stops and releases what it holds. This module must never know what the items are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class _Feed(Generic[T]):
    """One producer's state: its newest item, how many it has made, and its readers."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.latest: T | None = None
        self.count = 0
        self.readers = 0
        self.done = False
        self.error: BaseException | None = None


class Fanout(Generic[T]):
    """Shares one running source per key among any number of readers."""

    def __init__(self, name: str = "fanout") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._feeds: dict[Hashable, _Feed[T]] = {}

    def read(self, key: Hashable, source: Callable[[], Iterator[T]]) -> Iterator[T]:
        """The items of the source under `key`, newest first-come: starts `source()` in a producer
        thread unless one is running for that key already.
        """
        feed = self._join(key, source)
        try:
            yield from self._items(feed)
        finally:
            self._leave(key, feed)

    def readers(self, key: Hashable) -> int:
        """How many readers the running source under `key` has (0 when none runs)."""
        with self._lock:
            feed = self._feeds.get(key)
            return 0 if feed is None else feed.readers

    def _join(self, key: Hashable, source: Callable[[], Iterator[T]]) -> _Feed[T]:
        with self._lock:
            feed = self._feeds.get(key)
            start = feed is None
            if feed is None:
                feed = self._feeds[key] = _Feed()
            with feed.cond:
                feed.readers += 1  # before the producer starts, or it would find no reader
            if start:
                thread = threading.Thread(
                    target=self._produce, args=(key, feed, source), name=self._name, daemon=True
                )
                thread.start()
            return feed

    def _leave(self, key: Hashable, feed: _Feed[T]) -> None:
        with self._lock:
            with feed.cond:
                feed.readers -= 1
                last = feed.readers == 0
            # A reader who comes after the last one left starts a fresh producer.
            if last and self._feeds.get(key) is feed:
                del self._feeds[key]

    @staticmethod
    def _items(feed: _Feed[T]) -> Iterator[T]:
        seen = 0
        while True:
            with feed.cond:
                while feed.count == seen and not feed.done:
                    feed.cond.wait()
                if feed.count == seen:  # done, nothing new
                    if feed.error is not None:
                        raise feed.error
                    return
                item, seen = feed.latest, feed.count
            assert item is not None
            yield item

    def _produce(self, key: Hashable, feed: _Feed[T], source: Callable[[], Iterator[T]]) -> None:
        items = source()
        try:
            for item in items:
                with feed.cond:
                    feed.latest = item
                    feed.count += 1
                    feed.cond.notify_all()
                    if feed.readers == 0:
                        break
        except Exception as exc:  # noqa: BLE001 - not handled here: every reader raises it
            feed.error = exc
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # ends the source's `with` blocks (the device it holds)
            with self._lock:
                if self._feeds.get(key) is feed:
                    del self._feeds[key]
            with feed.cond:
                feed.done = True
                feed.cond.notify_all()
