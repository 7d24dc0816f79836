"""One daemon stream per kind and subject, shared by every page that asks for it.

The daemon caps open streams per method and per caller, and the console is one caller (it holds the
kit's token): one daemon stream per WebSocket would have the tabs past the cap refused. So the
console opens a single daemon stream per key — the device events; the face preview of a session at
a size; a session's finger capture of a finger; a session's signature — while at least one page
reads it, fans its responses out to every such page, and replays what a page that joins later
needs (the latest event of each device, the latest frame, the capture's events so far). The stream
ends when the last page leaves (closing the last tab of a capture cancels it, as before); a daemon
error or the stream's end ends every page's share, and the next page to ask opens a new stream.

A page that does not keep up is ended (events) or skips to the newest response (the preview), so
the console's memory never grows with a slow tab.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import grpc

SUBSCRIBER_QUEUE = 256
# A late joiner of a capture gets at most this many of its earlier events.
REPLAY_LIMIT = 4096


class FeedEnded(Exception):
    """The page's share ended: the daemon's stream failed (`error`), ended, or the page fell behind."""

    def __init__(self, error: grpc.RpcError | None) -> None:
        super().__init__("shared stream ended")
        self.error = error


@dataclass(frozen=True)
class Sharing:
    """How a kind of stream is shared: what a late page is replayed, and what a slow page gets.

    `replay_key` maps a response to the slot it replaces in the replay (the device's id: the latest
    of each device; a constant: the latest only); None replays every response so far.
    `newest_only`: a slow page skips to the newest response instead of being ended.
    """

    replay_key: Callable[[Any], Hashable] | None
    newest_only: bool = False


class _Subscriber:
    def __init__(self, *, newest_only: bool) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(1 if newest_only else SUBSCRIBER_QUEUE)
        self.newest_only = newest_only
        self.ended: asyncio.Future[grpc.RpcError | None] = (
            asyncio.get_running_loop().create_future()
        )

    def offer(self, response: Any) -> None:
        if self.newest_only and self.queue.full():
            self.queue.get_nowait()  # skip the frame the page has not taken yet
        try:
            self.queue.put_nowait(response)
        except asyncio.QueueFull:
            self.end(None)

    def end(self, error: grpc.RpcError | None) -> None:
        if not self.ended.done():
            self.ended.set_result(error)


class SharedStream:
    """One daemon stream and the pages reading it; `open_stream()` starts the daemon call."""

    def __init__(
        self, open_stream: Callable[[], Any], sharing: Sharing, on_idle: Callable[[], None]
    ) -> None:
        self._open_stream = open_stream
        self._sharing = sharing
        self._on_idle = on_idle
        self._subscribers: set[_Subscriber] = set()
        self._replay: dict[Hashable, Any] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pages(self) -> int:
        return len(self._subscribers)

    async def events(self) -> AsyncIterator[Any]:
        """The responses for one page: the replay first, then live ones. Raises FeedEnded when the
        daemon's stream fails or ends, or the page falls behind.
        """
        subscriber = _Subscriber(newest_only=self._sharing.newest_only)
        if self._task is None or self._task.done():
            self._replay.clear()  # what an ended stream said is not the new one's
            self._task = asyncio.create_task(self._run())
        for response in self._replay.values():
            subscriber.offer(response)
        self._subscribers.add(subscriber)
        get: asyncio.Future[Any] | None = None
        try:
            while True:
                get = asyncio.ensure_future(subscriber.queue.get())
                waiting: list[asyncio.Future[Any]] = [get, subscriber.ended]
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if get.done():
                    yield get.result()
                    continue
                get.cancel()
                raise FeedEnded(subscriber.ended.result())
        finally:
            if get is not None:
                get.cancel()
            self._subscribers.discard(subscriber)
            if not self._subscribers:
                self._on_idle()
                if self._task is not None:
                    self._task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, grpc.RpcError):
                        await self._task

    async def _run(self) -> None:
        call = self._open_stream()
        error: grpc.RpcError | None = None
        key = self._sharing.replay_key
        try:
            async for response in call:
                slot = key(response) if key is not None else len(self._replay)
                if key is not None or len(self._replay) < REPLAY_LIMIT:
                    self._replay[slot] = response
                for subscriber in list(self._subscribers):
                    subscriber.offer(response)
        except grpc.RpcError as exc:
            error = exc
        finally:
            call.cancel()
            self._on_idle()  # a page that comes now opens a new stream
            for subscriber in list(self._subscribers):
                subscriber.end(error)


class SharedStreams:
    """The console's shared daemon streams, by key."""

    def __init__(self) -> None:
        self._streams: dict[Hashable, SharedStream] = {}

    def open_streams(self) -> int:
        return len(self._streams)

    def events(
        self, key: Hashable, open_stream: Callable[[], Any], sharing: Sharing
    ) -> AsyncIterator[Any]:
        """A page's share of the stream `key`, opened with `open_stream()` if none is open."""
        stream = self._streams.get(key)
        if stream is None:
            stream = SharedStream(open_stream, sharing, lambda: self._forget(key, stream))
            self._streams[key] = stream
        return stream.events()

    def _forget(self, key: Hashable, stream: SharedStream | None) -> None:
        if self._streams.get(key) is stream:
            del self._streams[key]
