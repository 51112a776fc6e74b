"""Drive a real Home Assistant (tests/e2e/harness.py) in Debian's Chromium through Playwright.

Chromium is the system's (`/usr/bin/chromium`, from Debian's package, which scripts/bootstrap
installs), never a browser Playwright downloads: a missing one fails the test. It runs headless
as root, so without its sandbox, and with everything that reaches out to Google's services off;
Playwright gives each launch a fresh profile. A page is logged in as a Home Assistant user by
storing that user's tokens where the frontend keeps them, before the page loads.

Screenshots go to docs/screenshots/ when SMS_BRIDGE_SCREENSHOTS=1 (scripts/screenshots sets it),
else beside the test's other files, so that a test run leaves the tree as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import json
import os
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, async_playwright, expect
import pytest

from tests.e2e.harness import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
VIEWPORT = {"width": 1000, "height": 760}
RENDER_TIMEOUT = 30_000  # ms for the frontend to show what it should
SCREENSHOTS = REPO / "docs" / "screenshots"
expect.set_options(timeout=RENDER_TIMEOUT)


def require_chromium() -> None:
    """Fail (never skip) when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: scripts/bootstrap installs Debian's chromium package",
            pytrace=False,
        )


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Start headless Chromium, Debian's; fail when it is missing."""
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in_page(
    browser: Browser, url: str, tokens: dict[str, Any], *, dark: bool = False
) -> Page:
    """Return a page of a new browser context, logged in with ``tokens`` (light or dark)."""
    context = await browser.new_context(
        viewport=VIEWPORT, color_scheme="dark" if dark else "light", locale="en-US"
    )
    context.set_default_timeout(RENDER_TIMEOUT)
    stored = {**tokens, "hassUrl": url, "clientId": f"{url}/"}
    # Where the frontend keeps its login; "expires" is in ms since the epoch.
    await context.add_init_script(
        f"localStorage.setItem('hassTokens', JSON.stringify({{...{json.dumps(stored)},"
        f" expires: Date.now() + {int(tokens['expires_in'])} * 1000}}))"
    )
    page = await context.new_page()
    # Shown with the test's output when it fails.
    page.on("pageerror", lambda error: print(f"browser: page error: {error}"))
    page.on("requestfailed", lambda request: print(f"browser: {request.url} failed"))
    return page


def screenshot_dir(tmp_path: Path) -> Path:
    """Return where the screenshots go (see the module's docstring)."""
    folder = SCREENSHOTS if os.environ.get("SMS_BRIDGE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def screenshot(target: Page | Locator, path: Path) -> Path:
    """Save a PNG of a page or of one element."""
    await target.screenshot(path=str(path), animations="disabled")
    return path
