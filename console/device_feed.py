"""One daemon stream of device events, shared by every page that watches the devices.

The daemon caps its watching streams (a handful per method), so one daemon stream per browser tab
would have the fifth tab refused, and every tab would hold one of the daemon's threads. The console
therefore opens a single `WatchDeviceEvents` stream while at least one page watches, fans its events
out to every page, and replays the latest event of each device to a page that joins later (what
`include_current` gives a stream of its own). The stream ends when the last page leaves; a daemon
error ends every page's watch with that error, and the next page to join opens a new stream.

A page that does not keep up (SUBSCRIBER_QUEUE events behind) is ended rather than let the console's
memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from kit.v1 import device_service_pb2 as dpb

SUBSCRIBER_QUEUE = 256


class FeedEnded(Exception):
    """The page's watch ended: the daemon's stream failed (`error`) or the page fell behind."""

    def __init__(self, error: grpc.RpcError | None) -> None:
        super().__init__("device feed ended")
        self.error = error


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[dpb.WatchDeviceEventsResponse] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.ended: asyncio.Future[grpc.RpcError | None] = (
            asyncio.get_running_loop().create_future()
        )

    def end(self, error: grpc.RpcError | None) -> None:
        if not self.ended.done():
            self.ended.set_result(error)


class DeviceFeed:
    """The shared watch; `open_stream()` starts a daemon WatchDeviceEvents call (include_current)."""

    def __init__(self, open_stream: Callable[[], Any]) -> None:
        self._open_stream = open_stream
        self._subscribers: set[_Subscriber] = set()
        self._latest: dict[str, dpb.WatchDeviceEventsResponse] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pages(self) -> int:
        return len(self._subscribers)

    async def events(self) -> AsyncIterator[dpb.WatchDeviceEventsResponse]:
        """The events for one page: the latest of each device first, then live ones. Raises
        FeedEnded when the daemon's stream fails or the page falls behind."""
        subscriber = _Subscriber()
        for response in self._latest.values():
            subscriber.queue.put_nowait(response)
        self._subscribers.add(subscriber)
        if self._task is None or self._task.done():
            self._latest.clear()
            self._task = asyncio.create_task(self._run())
        get: asyncio.Future[dpb.WatchDeviceEventsResponse] | None = None
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
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, grpc.RpcError):
                    await self._task
                self._task = None

    async def _run(self) -> None:
        call = self._open_stream()
        error: grpc.RpcError | None = None
        try:
            async for response in call:
                self._latest[response.event.device.id] = response
                for subscriber in list(self._subscribers):
                    try:
                        subscriber.queue.put_nowait(response)
                    except asyncio.QueueFull:
                        subscriber.end(None)
        except grpc.RpcError as exc:
            error = exc
        finally:
            call.cancel()
            self._latest.clear()
            for subscriber in list(self._subscribers):
                subscriber.end(error)
