"""`kit-console`: serves the operator's console on loopback for the daemon found the way kitctl
finds it (--config FILE, $KITD_CONFIG, /etc/kitd/kitd.toml, or --socket and --token-file).

    kit-console [--config FILE | --socket PATH --token-file PATH] [--host 127.0.0.1] [--port 8470]
                [--open] [--client-timeout 10]

Prints `kit-console: serving on http://HOST:PORT/` once it listens (port 0 picks a free one), then
`kit-console: log in at http://HOST:PORT/login?token=SECRET`: the secret of this launch, which the
browser exchanges for its session cookie (docs/console.md). With --open the default browser is sent
a one-time login address instead, through a page only this user can read (never on a command line,
where other local users would see it). Exit codes: 0 stopped, 2 bad arguments (a non-loopback host,
no daemon configuration, port in use).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
from pathlib import Path

import uvicorn

from console.app import create_app
from console.auth import Logins
from console.browser_login import browser_logged_in
from console.limits import CLIENT_TIMEOUT_S, MAX_WS_MESSAGE_BYTES, timed_protocol
from console.listen import NotLoopback, allowed_hosts, bind
from kitd.client import ClientSetupError, Endpoint, token_metadata

DEFAULT_PORT = 8470
EXIT_USAGE = 2


def seconds(text: str) -> float:
    """A client timeout: a finite number of seconds above 0 and at most an hour (NaN or infinity
    would switch the deadline off without a word).
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 3600 seconds")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """kit-console's command line; argparse ends the process on a bad one."""
    parser = argparse.ArgumentParser(prog="kit-console", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="kitd configuration (socket and token)")
    parser.add_argument("--socket", type=Path, help="the daemon's Unix socket")
    parser.add_argument("--token-file", type=Path, help="the daemon's API token file")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 = a free port")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    parser.add_argument(
        "--open", action="store_true", help="log the default browser in with a one-time address"
    )
    parser.add_argument(
        "--client-timeout",
        type=seconds,
        default=CLIENT_TIMEOUT_S,
        help="seconds a client has for its request head and for its body",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serves the console until interrupted; 2 (EXIT_USAGE) when it cannot start."""
    args = parse_args(argv)
    try:
        endpoint = Endpoint.discover(args.config, args.socket, args.token_file)
        token_metadata(endpoint)  # an unreadable token stops the start, not the first click
        sock = bind(args.host, args.port)
    except (ClientSetupError, NotLoopback) as exc:
        print(f"kit-console: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"kit-console: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    logins = Logins(port)
    app = create_app(endpoint, allowed_hosts(port), logins, args.client_timeout)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level=args.log_level,
            http=timed_protocol(args.client_timeout),
            ws="websockets-sansio",
            ws_max_size=MAX_WS_MESSAGE_BYTES,
            lifespan="on",
        )
    )
    print(f"kit-console: serving on {base}/", flush=True)
    with contextlib.ExitStack() as stack:
        if args.open:
            stack.enter_context(browser_logged_in(f"{base}/login?token={logins.one_time_code()}"))
        print(f"kit-console: log in at {base}/login?token={logins.secret}", flush=True)
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except KeyboardInterrupt:
            pass
        finally:
            sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
