"""Command line: run the simulator until SIGINT/SIGTERM.

    python -m tests.simulator --port 8080 --api-key KEY [--webhook-url URL] [--host H]
                              [--credits N|unlimited] [--step SECONDS]

Prints the base URL on stdout, then logs each API call on stderr. `--step` is the automatic
mode's interval (default 2 s; 0 turns it off, leaving only the /_sim/ control API).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from tests.simulator.server import GatewaySimulator


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
    await sim.start(host=args.host, port=args.port)
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
