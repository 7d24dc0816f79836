"""Runs a program in an umockdev testbed whose /dev/video0 answers VIDIOC_QUERYCAP like a UVC camera.

    python3 v4l2_testbed.py (--querycap HEX | --no-querycap) DESCRIPTION -- PROGRAM [ARG...]

umockdev-run cannot answer a V4L2 ioctl (its recorded-ioctl format knows usbdevfs and evdev only), so this
builds the testbed through libumockdev's GObject API and answers the ioctl from Python. It runs on the
system Python, which has the bindings (Debian python3-gi, gir1.2-umockdev-1.0, installed by set-up); the
program runs with the testbed's preload and exits with its status. Only VIDIOC_QUERYCAP is answered;
every other ioctl fails with ENOTTY, as a node without streaming would (docs/protocols/usb-sim.md §6).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import GLib, UMockdev  # noqa: E402 - the version must be chosen first

VIDIOC_QUERYCAP = 0x80685600
NODE = "/dev/video0"


class QueryCapHandler(UMockdev.IoctlBase):  # type: ignore[misc]
    """Answers VIDIOC_QUERYCAP with a fixed v4l2_capability, or with ENOTTY when there is none."""

    def __init__(self, capability: bytes | None) -> None:
        super().__init__()
        self.capability = capability

    def do_handle_ioctl(self, client: UMockdev.IoctlClient) -> bool:
        if client.get_request() == VIDIOC_QUERYCAP and self.capability is not None:
            client.get_arg().resolve(0, len(self.capability)).update(0, self.capability)
            client.complete(0, 0)
        else:
            client.complete(-1, errno.ENOTTY)
        return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("description")
    answer = parser.add_mutually_exclusive_group(required=True)
    answer.add_argument("--querycap", help="the v4l2_capability reply, hex")
    answer.add_argument("--no-querycap", action="store_true")
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    program = args.program[1:] if args.program[:1] == ["--"] else args.program

    testbed = UMockdev.Testbed.new()
    testbed.add_from_file(args.description)
    handler = QueryCapHandler(None if args.no_querycap else bytes.fromhex(args.querycap))
    testbed.attach_ioctl(NODE, handler)
    preload = " ".join(p for p in ("libumockdev-preload.so.0", os.environ.get("LD_PRELOAD")) if p)
    env = {**os.environ, "UMOCKDEV_DIR": testbed.get_root_dir(), "LD_PRELOAD": preload}
    pid, _stdin, _stdout, _stderr = GLib.spawn_async(
        program,
        envp=[f"{key}={value}" for key, value in env.items()],
        flags=GLib.SpawnFlags.DO_NOT_REAP_CHILD | GLib.SpawnFlags.SEARCH_PATH,
    )
    # The handler answers from this process's main loop, so it runs until the program ends.
    loop = GLib.MainLoop()
    statuses: list[int] = []

    def ended(_pid: int, status: int) -> None:
        statuses.append(status)
        loop.quit()

    GLib.child_watch_add(GLib.PRIORITY_DEFAULT, pid, ended)
    loop.run()
    return os.waitstatus_to_exitcode(statuses[0])


if __name__ == "__main__":
    sys.exit(main())
