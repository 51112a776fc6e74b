"""Take the README's screenshots of a running demo in headless Chromium.

Run by scripts/screenshots once the demo is ready:
    python scripts/demo/screenshots.py URL SIMULATOR_URL OUTPUT_DIR
Someone texts "hi" to the first phone first, so that the pages show the demo automation's reply.
Chromium is driven through its DevTools protocol over a websocket (aiohttp, which the demo's
environment has), so no browser driver is needed. The browser is logged in as the demo user with
tokens from the real login flow, stored where Home Assistant's frontend keeps them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from dataclasses import dataclass
import itertools
import json
from pathlib import Path
import re
import shutil
import sys
import tempfile
from typing import Any

import aiohttp
from ready import DemoError, log_in

REPO = Path(__file__).resolve().parents[2]
STRINGS = REPO / "custom_components" / "sms_bridge" / "strings.json"
# Headless, and nothing that reaches out to Google's services.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
WIDTH = 1280
RENDER_TIMEOUT = 60.0  # seconds for a page to show what it should
SETTLE = 2.0  # seconds for animations and late icons once the page shows it
READ_BACK = 12.0  # seconds: a sent message's status is read back 10 s after the send
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)

# The text a page shows, including what lives in the shadow roots of Home Assistant's elements.
PAGE_TEXT = """(() => {
  const parts = [];
  const walk = (node) => {
    if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return;
    if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return parts.join(" ").replace(/\\s+/g, " ");
})()"""


@dataclass
class Shot:
    """One screenshot: which page, what it must show, and how tall the window is."""

    file: str
    path: str
    expected: list[str]
    height: int


class Page:
    """One Chromium tab, driven through the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result; events that arrive meanwhile are dropped."""
        command_id = next(self._ids)
        await self._ws.send_json({"id": command_id, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json(timeout=RENDER_TIMEOUT)
            if message.get("id") != command_id:
                continue
            if "error" in message:
                raise DemoError(f"Chromium refused {method}: {message['error']}")
            result: dict[str, Any] = message["result"]
            return result

    async def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise DemoError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def open(self, url: str, height: int) -> None:
        """Load a URL in a window WIDTH x height."""
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.call("Page.navigate", url=url)

    async def wait_for_text(self, expected: list[str]) -> str:
        """Wait until the page shows every expected text; return the page's text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RENDER_TIMEOUT
        text = ""
        while loop.time() < deadline:
            location = await self.evaluate("location.pathname")
            if location.startswith(("/auth/", "/onboarding")):
                raise DemoError(f"the browser is not logged in (it shows {location})")
            text = await self.evaluate(PAGE_TEXT) or ""
            if all(item in text for item in expected):
                return str(text)
            await asyncio.sleep(0.5)
        missing = [item for item in expected if item not in text]
        raise DemoError(f"the page never showed {missing}; it shows: {text[:500]}")

    async def screenshot(self, file: Path) -> None:
        """Save what the window shows as a PNG."""
        result = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(file.write_bytes, base64.b64decode(result["data"]))


async def start_chromium(profile: Path) -> tuple[asyncio.subprocess.Process, str]:
    """Start headless Chromium; return it and the address of its DevTools endpoint."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise DemoError("chromium is not installed (Debian: apt-get install chromium)")
    process = await asyncio.create_subprocess_exec(
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},900",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    async with asyncio.timeout(RENDER_TIMEOUT):
        while line := (await process.stderr.readline()).decode(errors="replace"):
            if match := re.search(r"DevTools listening on ws://([^/]+)/", line):
                # Keep reading Chromium's chatter so it never blocks on a full pipe.
                asyncio.get_running_loop().create_task(_drain(process.stderr))
                return process, f"http://{match.group(1)}"
    raise DemoError(f"Chromium exited before it listened (code {await process.wait()})")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def first_phone(session: aiohttp.ClientSession, url: str, token: str) -> dict[str, Any]:
    """Return the registry entry of the first SMS Bridge phone (phones hang off the account)."""
    async with session.ws_connect(f"{url}/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json())["type"] != "auth_ok":
            raise DemoError("the websocket API refused the demo user's token")
        await ws.send_json({"id": 1, "type": "config/device_registry/list"})
        devices = (await ws.receive_json())["result"]
        async with session.get(
            f"{url}/api/config/config_entries/entry?domain=sms_bridge",
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            entry_ids = {entry["entry_id"] for entry in await response.json()}
    phones = [
        device
        for device in devices
        if entry_ids & set(device["config_entries"]) and device["via_device_id"]
    ]
    if not phones:
        raise DemoError("the demo has no SMS Bridge phone")
    return dict(min(phones, key=lambda device: device["name"]))


async def text_hi(session: aiohttp.ClientSession, simulator: str) -> None:
    """An SMS "hi" reaches the gateway's first phone; the demo's automation answers it."""
    incoming = {"number": "+15550123", "message": "hi"}
    async with session.post(f"{simulator}/_sim/incoming", json=incoming) as response:
        answer = await response.json()
    if answer.get("webhook_status") != 200:
        raise DemoError(f"Home Assistant did not take the incoming SMS: {answer}")
    await asyncio.sleep(READ_BACK)  # the automation's reply is sent, then counted


async def take(url: str, simulator: str, output: Path) -> list[Path]:
    """Log in, then take every screenshot; return the files written."""
    strings = json.loads(STRINGS.read_text())
    send = strings["services"]["send_message"]
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        await text_hi(session, simulator)
        tokens = await log_in(session, url)
        phone = await first_phone(session, url, tokens["access_token"])
        shots = [
            Shot(
                "device-page.png",
                f"/config/devices/device/{phone['id']}",
                [phone["name"], phone["model"] or phone["name"]],
                900,
            ),
            Shot(
                "send-message.png",
                "/developer-tools/action",
                [send["description"], send["fields"]["recipients"]["name"]],
                1400,
            ),
        ]
        # The form the developer tools open with: this action, a few fields filled, UI mode.
        panel_state = {
            "panel-dev-action-state-service-data": {
                "action": "sms_bridge.send_message",
                "target": {},
                "data": {"recipients": ["+15550100"], "message": "The washing machine is done."},
            },
            "panel-dev-action-state-yaml-mode": False,
        }
        stored_tokens = {**tokens, "hassUrl": url, "clientId": f"{url}/"}
        with tempfile.TemporaryDirectory(prefix="sms-bridge-chromium-") as profile:
            process, devtools = await start_chromium(Path(profile))
            try:
                async with session.get(f"{devtools}/json/list") as response:
                    target = next(t for t in await response.json() if t["type"] == "page")
                async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    page = Page(ws)
                    await page.open(f"{url}/manifest.json", 900)
                    await asyncio.sleep(1)
                    for key, value in panel_state.items():
                        stored = json.dumps(json.dumps(value))
                        await page.evaluate(f"localStorage.setItem({json.dumps(key)}, {stored})")
                    # Where the frontend keeps its login; "expires" is in ms since the epoch.
                    await page.evaluate(
                        f"localStorage.setItem('hassTokens', JSON.stringify({{"
                        f"...{json.dumps(stored_tokens)},"
                        f" expires: Date.now() + {int(tokens['expires_in'])} * 1000}}))"
                    )
                    written = []
                    for shot in shots:
                        await page.open(url + shot.path, shot.height)
                        try:
                            text = await page.wait_for_text(shot.expected)
                        except DemoError as err:
                            failed = Path(tempfile.gettempdir()) / f"failed-{shot.file}"
                            await page.screenshot(failed)
                            raise DemoError(f"{err} (what it showed: {failed})") from None
                        if "component.sms_bridge." in text:
                            raise DemoError(f"{shot.path} shows a raw translation key")
                        await asyncio.sleep(SETTLE)
                        await page.screenshot(output / shot.file)
                        written.append(output / shot.file)
            finally:
                process.terminate()
                await process.wait()
    return written


def main() -> int:
    """Take the screenshots and name the files written."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="the demo's URL, e.g. http://127.0.0.1:8123")
    parser.add_argument("simulator", help="the gateway simulator's URL")
    parser.add_argument("output", type=Path, help="folder for the PNG files")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    try:
        written = asyncio.run(take(args.url.rstrip("/"), args.simulator.rstrip("/"), args.output))
    except (DemoError, aiohttp.ClientError, TimeoutError) as err:
        print(f"screenshots: error: {err or type(err).__name__}", file=sys.stderr)
        return 1
    for file in written:
        print(f"screenshots: wrote {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
