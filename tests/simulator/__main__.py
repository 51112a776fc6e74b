"""Command line: run the simulator until SIGINT/SIGTERM.

    python -m tests.simulator --port 8080 --api-key KEY [--webhook-url URL] [--host H]
                              [--credits N|unlimited] [--step SECONDS] [--tls]

Prints the base URL on stdout, then logs each API call on stderr. `--step` is the automatic
mode's interval (default 2 s; 0 turns it off, leaving only the /_sim/ control API). `--tls`
serves HTTPS with a self-signed certificate made at start (its path is logged; it is deleted
on exit), like a home server without a public certificate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import signal
import tempfile

from tests.simulator.server import GatewaySimulator
from tests.simulator.serving import WILDCARD_HOSTS
from tests.simulator.tls import DEFAULT_HOSTS, server_context, write_self_signed_certificate

_LOGGER = logging.getLogger(__name__)


def _credits(value: str) -> int | None:
    if value == "unlimited":
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer or 'unlimited'") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/simulator", description="Simulated RBSoft SMS Gateway server."
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    parser.add_argument("--api-key", required=True, help="the account's API key")
    parser.add_argument("--webhook-url", help="where to post incoming SMS and USSD answers")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--credits", type=_credits, default=100, help="credit balance or 'unlimited' (100)"
    )
    parser.add_argument(
        "--step", type=float, default=2.0, help="seconds per automatic status step (2; 0 = off)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a new self-signed certificate"
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    sim = GatewaySimulator(
        api_key=args.api_key,
        credits=args.credits,
        webhook_url=args.webhook_url,
        status_interval=args.step or None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with tempfile.TemporaryDirectory(prefix="sms-simulator-") as directory:
        context = None
        if args.tls:
            names = dict.fromkeys((*DEFAULT_HOSTS, args.host))
            hosts = tuple(name for name in names if name not in WILDCARD_HOSTS)
            cert, key = write_self_signed_certificate(Path(directory), hosts)
            context = server_context(cert, key)
            _LOGGER.info("Self-signed certificate for %s: %s", ", ".join(hosts), cert)
        await sim.start(host=args.host, port=args.port, ssl_context=context)
        print(sim.url, flush=True)
        try:
            await stop.wait()
        finally:
            await sim.stop()


def main() -> None:
    """Entry point of `python -m tests.simulator`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(run(parse_args()))


if __name__ == "__main__":
    main()
