"""`kitd`: the daemon's command line.

    kitd serve --config FILE         run the daemon (systemd starts this)
    kitd check-config --config FILE  validate a configuration and exit
    kitd keygen --config FILE        create the kit key (on the PKCS#11 token or as the file key)
                                     and publish its public key for the back office

Exit codes: 0 clean stop, 1 could not start (socket taken, token file unsafe), 2 bad configuration
(including a state directory, keys/ or outbox/ that group or others can read, or another user owns)
or a state directory another daemon serves (the message names its pid).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kitd.config import ConfigError, load_config
from kitd.server.logs import configure_logging
from kitd.state_dir import StateDirError, check_private
from kitd.state_lock import StateDirBusy, StateDirLock

EXIT_CONFIG = 2
EXIT_START = 1


def main(argv: list[str] | None = None) -> int:
    """The `kitd` command: serve, check a configuration, or create and publish the kit key."""
    parser = argparse.ArgumentParser(prog="kitd", description="Capture daemon of the eID kit")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the daemon")
    serve.add_argument("--config", type=Path, required=True)
    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("--config", type=Path, required=True)
    keygen = sub.add_parser("keygen", help="create and publish the kit key")
    keygen.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kitd: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "check-config":
        print(json.dumps({"config": str(args.config), "devices": sorted(config.devices)}))
        return 0
    if args.command == "keygen":
        from kitd.keys.errors import KeyStoreError
        from kitd.provisioning import provision_kit_key

        # As serve: no key goes into a folder another user owns or can read, or through a symlink.
        try:
            check_private(config.state_dir)
        except StateDirError as exc:
            print(f"kitd: unsafe state directory: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        try:
            key_id, published = provision_kit_key(config)
        except KeyStoreError as exc:
            print(f"kitd: cannot create the kit key: {exc}", file=sys.stderr)
            return EXIT_START
        print(json.dumps({"kit_key_id": key_id, "published_keys": str(published)}))
        return 0

    try:
        check_private(config.state_dir)
    except StateDirError as exc:
        print(f"kitd: unsafe state directory: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        # Held until the process ends: the kernel drops it however the daemon stops.
        lock = StateDirLock(config.state_dir).acquire()
    except StateDirBusy as exc:
        print(f"kitd: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(config.logging.level)
    # The gRPC stack, models and key backends load only when serving.
    from kitd.keys.errors import KeyStoreError
    from kitd.outbox.errors import InsufficientSpace
    from kitd.policy import PolicyError
    from kitd.quality.face import FaceModelError
    from kitd.server.app import run
    from kitd.server.auth import TokenFileError
    from kitd.server.listener import ListenerError

    try:
        return run(config)
    except PolicyError as exc:
        print(f"kitd: policy error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (
        ListenerError,
        TokenFileError,
        KeyStoreError,
        FaceModelError,
        InsufficientSpace,
        OSError,
    ) as exc:
        logging.getLogger("kitd").error("cannot start", extra={"error": str(exc)})
        print(f"kitd: cannot start: {exc}", file=sys.stderr)
        return EXIT_START
    finally:
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
