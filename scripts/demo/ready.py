"""Wait for the demo's Home Assistant, give it its demo user, and say when it can be opened.

Run by scripts/develop after it starts Home Assistant:
    python scripts/demo/ready.py URL CONFIG_DIR
The onboarding steps other than the user are marked done in the storage scripts/develop seeds;
the user is created here through the onboarding API, the way the onboarding page does it, so
Home Assistant itself hashes the password, links the credentials and creates the person.
"""

from __future__ import annotations

import argparse
import asyncio
from http import HTTPStatus
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

USERNAME = "demo"
PASSWORD = "demo"  # noqa: S105 - the demo's published password, printed on every start
NAME = "Demo"
START_TIMEOUT = 300.0  # seconds; the first start on a busy machine is slow
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class DemoError(Exception):
    """The demo's Home Assistant did not become usable."""


async def _json(response: aiohttp.ClientResponse) -> Any:
    if response.status != HTTPStatus.OK:
        raise DemoError(
            f"{response.method} {response.url.path}: {response.status} {await response.text()}"
        )
    return await response.json()


def has_user(config: Path) -> bool:
    """Tell whether onboarding has its user, from Home Assistant's storage."""
    onboarding = json.loads((config / ".storage" / "onboarding").read_text())
    return "user" in onboarding["data"]["done"]


async def wait_for(session: aiohttp.ClientSession, url: str, deadline: float) -> None:
    """Return once a GET of `url`, which needs no login, answers 200.

    While Home Assistant starts, its HTTP server may answer before the API is set up.
    """
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == HTTPStatus.OK:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise DemoError(f"Home Assistant did not answer {url} within {START_TIMEOUT:.0f} s")


async def create_demo_user(session: aiohttp.ClientSession, url: str, deadline: float) -> None:
    """Create the demo user through the onboarding API, as the onboarding page does."""
    await wait_for(session, f"{url}/api/onboarding", deadline)
    payload = {
        "client_id": f"{url}/",
        "name": NAME,
        "username": USERNAME,
        "password": PASSWORD,
        "language": "en",
    }
    async with session.post(f"{url}/api/onboarding/users", json=payload) as response:
        await _json(response)


async def log_in(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """Log in as the demo user through the login flow, as the login page does; return the tokens."""
    client_id = f"{url}/"
    flow = {
        "client_id": client_id,
        "handler": ["homeassistant", None],
        "redirect_uri": f"{url}/?auth_callback=1",
    }
    async with session.post(f"{url}/auth/login_flow", json=flow) as response:
        step = await _json(response)
    credentials = {"client_id": client_id, "username": USERNAME, "password": PASSWORD}
    async with session.post(
        f"{url}/auth/login_flow/{step['flow_id']}", json=credentials
    ) as response:
        step = await _json(response)
    if step.get("type") != "create_entry":
        raise DemoError(f"the demo user could not log in: {step.get('errors') or step}")
    form = {"grant_type": "authorization_code", "code": step["result"], "client_id": client_id}
    async with session.post(f"{url}/auth/token", data=form) as response:
        tokens: dict[str, Any] = await _json(response)
    return tokens


async def wait_until_running(
    session: aiohttp.ClientSession, url: str, token: str, deadline: float
) -> list[dict[str, Any]]:
    """Wait for Home Assistant to be running; return the SMS Bridge config entries."""
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        async with session.get(f"{url}/api/config", headers=headers) as response:
            if (await _json(response))["state"] == "RUNNING":
                break
        await asyncio.sleep(0.5)
    else:
        raise DemoError(f"Home Assistant did not reach RUNNING within {START_TIMEOUT:.0f} s")
    path = f"{url}/api/config/config_entries/entry?domain=sms_bridge"
    async with session.get(path, headers=headers) as response:
        entries: list[dict[str, Any]] = await _json(response)
    return entries


async def prepare(url: str, config: Path) -> dict[str, Any]:
    """Wait for the demo, seed its user, and return the demo user's tokens once it runs."""
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        if not has_user(config):
            await create_demo_user(session, url, deadline)
        # Answers 200 once logins are possible (onboarding's user exists).
        await wait_for(session, f"{url}/auth/providers", deadline)
        tokens = await log_in(session, url)
        entries = await wait_until_running(session, url, tokens["access_token"], deadline)
    for entry in entries:
        if entry["state"] != "loaded":
            print(
                f"develop: warning: SMS Bridge entry '{entry['title']}' is {entry['state']}"
                f" ({entry.get('reason') or 'see the log'})",
                flush=True,
            )
    return tokens


# The threads of the demo's inbox: (number, text, phone id), sent once, at the first start.
SEEDED_THREADS = (
    ("+15550123", "Hi! Is the garage door closed?", 1),
    ("+15550177", "Your parcel is with your neighbour at number 12.", 1),
    ("+15550188", "The plumber can come on Tuesday at 9. Does that suit you?", 2),
    ("+15550188", "Reply YES to confirm.", 2),
)


async def seed_inbox(simulator: str, config: Path) -> None:
    """Have the simulator deliver a few SMS, unless the demo's inbox has messages already."""
    if list((config / ".storage").glob("sms_bridge.*.inbox*")):
        return
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        for number, text, phone_id in SEEDED_THREADS:
            incoming = {"number": number, "message": text, "phone_id": phone_id}
            async with session.post(f"{simulator}/_sim/incoming", json=incoming) as response:
                await _json(response)


def main() -> int:
    """Print the ready line, or why there is none."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="Home Assistant's URL, e.g. http://127.0.0.1:8123")
    parser.add_argument("config", type=Path, help="Home Assistant's config dir")
    parser.add_argument("--simulator", help="the simulator's URL: seed the inbox through it")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    try:
        asyncio.run(prepare(url, args.config))
        if args.simulator:
            asyncio.run(seed_inbox(args.simulator.rstrip("/"), args.config))
    except (DemoError, aiohttp.ClientError, TimeoutError) as err:
        print(f"develop: error: {err or type(err).__name__}", file=sys.stderr, flush=True)
        return 1
    print(
        f"ready: open {url} (user {USERNAME}, password {PASSWORD});"
        f" the inbox card is on {url}/sms-inbox",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
