"""The inbox card in a real browser: Debian's Chromium, driven by Playwright, on a real Home
Assistant (one start for the whole module) talking to the gateway simulator.

An administrator sees the threads with their unread counts, an SMS arriving live, a thread
marked read when opened, and a reply typed in the card reaching the gateway once and moving on
to delivered; a user who is no administrator sees the refusal, not the texts. Screenshots of the
card in light and dark are taken on the way (see harness.py for where they go).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from pathlib import Path

import aiohttp
from playwright.async_api import Locator, Page, expect
import pytest

from tests.browser.harness import chromium, logged_in_page, screenshot, screenshot_dir
from tests.e2e.harness import (
    REPO,
    TIMEOUT,
    Api,
    EventStream,
    add_contact,
    add_entry,
    home_assistant,
    start,
    wait_for,
    webhook_url,
)
from tests.simulator import GatewaySimulator

API_KEY = "browser-key"
MUM = "+15550303"
PLUMBER = "+15550404"
NEIGHBOUR = "+15550505"
REPLY = "On my way, with dessert."
CARD_TEXTS: dict[str, str] = json.loads(
    (REPO / "frontend" / "src" / "translations" / "en.json").read_text()
)
DELIVERY_TIMEOUT = 60_000  # ms: sent, read back 10 s later, delivered at the next read


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: Home Assistant runs in a subprocess, not as `hass`."""


DASHBOARD = "sms-inbox"


async def add_dashboard(events: EventStream, entry_id: str) -> None:
    """Add a dashboard with the card alone on its view, as Settings → Dashboards does."""
    await events.command(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "SMS inbox",
            "icon": "mdi:message-text",
            "mode": "storage",
            "require_admin": False,
            "show_in_sidebar": True,
        }
    )
    card = {"type": "custom:sms-bridge-inbox-card", "entry_id": entry_id, "height": 560}
    view = {"title": "Inbox", "path": "inbox", "panel": True, "cards": [card]}
    await events.command(
        {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": {"views": [view]}}
    )


def row(card: Locator, number: str) -> Locator:
    return card.locator(f".row[data-number='{number}']")


async def open_card(page: Page, url: str) -> Locator:
    await page.goto(f"{url}/{DASHBOARD}/inbox")
    card = page.locator("sms-bridge-inbox-card")
    await expect(card.locator("ha-card")).to_be_visible()
    return card


async def test_inbox_card(tmp_path: Path, socket_enabled: None) -> None:
    """See the module's docstring: one Home Assistant, one browser, the whole story."""
    sim = GatewaySimulator(api_key=API_KEY, status_interval=1.0)
    await sim.start()
    shots = screenshot_dir(tmp_path)
    try:
        async with (
            home_assistant(tmp_path) as process,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session,
            chromium() as browser,
        ):
            api = Api(session, process)
            await start(api)
            async with session.ws_connect(f"{api.url}/api/websocket") as ws:
                events = EventStream(ws)
                await events.authenticate(api.token)
                await events.keep_http_config()
                await events.command({"type": "config/core/update", "internal_url": api.url})
                entry_id = await add_entry(api, sim, API_KEY)
                sim.webhook_url = await webhook_url(api, entry_id)
                await add_contact(api, entry_id, "Mum", MUM)
                await add_contact(api, entry_id, "Plumber", PLUMBER)
                await events.add_user("Guest", "guest", admin=False)
                await add_dashboard(events, entry_id)
                await seed(sim)

                async def unread() -> dict[str, int]:
                    threads = await events.command(
                        {"type": "sms_bridge/inbox/threads", "entry_id": entry_id}
                    )
                    return {thread["number"]: thread["unread"] for thread in threads}

                page = await logged_in_page(browser, api.url, api.tokens)
                await administrator(page, api.url, sim, unread, shots)
                dark = await logged_in_page(browser, api.url, api.tokens, dark=True)
                card = await open_card(dark, api.url)
                await expect(row(card, PLUMBER).locator(".badge")).to_have_text("2")
                await screenshot(card, shots / "inbox-dark.png")

            guest = await logged_in_page(browser, api.url, await api.log_in("guest"))
            card = await open_card(guest, api.url)
            await expect(card.get_by_role("alert")).to_have_text(CARD_TEXTS["refused"])
            assert "dinner" not in await card.inner_text()
    finally:
        await sim.stop()


async def seed(sim: GatewaySimulator) -> None:
    """A few threads: Mum, the plumber (two unread), a neighbour not in the contacts."""
    await sim.receive_sms(NEIGHBOUR, "Your parcel is with me.", phone_id=2, sim_slot=0)
    await sim.receive_sms(PLUMBER, "I can come on Tuesday at 9.", phone_id=1, sim_slot=0)
    await sim.receive_sms(PLUMBER, "Does that suit you?", phone_id=1, sim_slot=0)
    await sim.receive_sms(MUM, "Are you coming for dinner tonight?", phone_id=1, sim_slot=0)
    assert sim.webhook_results[-4:] == [200] * 4


async def administrator(
    page: Page,
    url: str,
    sim: GatewaySimulator,
    unread: Callable[[], Awaitable[dict[str, int]]],
    shots: Path,
) -> None:
    """The threads and their counts, a live SMS, reading, replying until delivered."""
    card = await open_card(page, url)
    await expect(row(card, MUM).locator(".name")).to_have_text("Mum")
    await expect(row(card, MUM).locator(".badge")).to_have_text("1")
    await expect(row(card, PLUMBER).locator(".badge")).to_have_text("2")
    await expect(row(card, NEIGHBOUR).locator(".name")).to_have_text(NEIGHBOUR)

    # Live: no reload, the badge goes up and the thread moves to the top.
    await sim.receive_sms(MUM, "Bring dessert!", phone_id=1, sim_slot=0)
    await expect(row(card, MUM).locator(".badge")).to_have_text("2")
    await expect(row(card, MUM).locator(".preview")).to_have_text("Bring dessert!")
    await expect(card.locator(".row").first).to_have_attribute("data-number", MUM)

    await row(card, MUM).click()
    await expect(card.locator(".bubble.incoming")).to_have_count(2)
    await expect(card.locator(".bubble.incoming").first).to_contain_text("Bring dessert!")

    async def mum_read() -> bool | None:
        return (await unread()).get(MUM) == 0 or None

    await wait_for(mum_read, "opening the thread to mark it read")

    await card.locator("textarea").fill(REPLY)
    await expect(card.locator(".counter")).to_have_text(
        CARD_TEXTS["counter"].format(characters=len(REPLY), parts=1, encoding="GSM-7")
    )
    await card.locator("button.send").click()
    outgoing = card.locator(".bubble.outgoing")
    await expect(outgoing).to_have_count(1)
    await expect(outgoing).to_contain_text(REPLY)
    await expect(card.locator("textarea")).to_have_value("")
    await expect(outgoing.locator("[data-tick='delivered']")).to_be_visible(
        timeout=DELIVERY_TIMEOUT
    )
    sent = [row for row in sim.messages.values() if row["message"] == REPLY]
    assert [(row["number"], row["status"]) for row in sent] == [(MUM, "Delivered")]
    await screenshot(card, shots / "inbox-light.png")
