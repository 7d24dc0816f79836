"""`kit-quality`: assess face photos and fingerprint images from files, as the daemon would.

    kit-quality face [--json] PATH...
    kit-quality finger [--ppi 500] [--size WxH] [--json] PATH...

Each subcommand lives with its assessment (kitd.quality.face.cli, kitd.quality.finger.cli); this module
only dispatches, so loading one never pays for the other's models.
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = {
    "face": "kitd.quality.face.cli",
    "finger": "kitd.quality.finger.cli",
}


def main(argv: list[str] | None = None) -> int:
    """The `kit-quality` command: hands its arguments to the face or the finger sub-command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args[0] not in SUBCOMMANDS:
        print(
            __doc__.strip(),
            file=sys.stderr if args and args[0] not in {"-h", "--help"} else sys.stdout,
        )
        return 0 if args and args[0] in {"-h", "--help"} else 2
    module = importlib.import_module(SUBCOMMANDS[args[0]])
    result: int = module.main(args[1:])
    return result
