"""A real Home Assistant process, set up through its HTTP APIs, talking to the gateway simulator.

The process and its APIs are tests/e2e/harness.py's (shared with the browser test). This module
overrides the suite's `hass` fixture, so no in-process Home Assistant runs here; pytest-socket,
which the Home Assistant pytest plugin turns on, is lifted with `socket_enabled`; connections
stay limited to 127.0.0.1, which is all this test uses.
"""

from __future__ import annotations

from http import HTTPStatus
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.harness import (
    TIMEOUT,
    Api,
    EventStream,
    add_contact,
    add_entry,
    entry_loaded,
    fields,
    home_assistant,
    start,
    wait_for,
    webhook_url,
)
from tests.providers import ProviderHarness
from tests.providers.semysms import SemySmsHarness
from tests.providers.smsc import SmscHarness
from tests.providers.smsgateway24 import SmsGateway24Harness
from tests.simulator import GatewaySimulator

API_KEY = "e2e-key"
EVENT_TYPE = "sms_bridge_message_received"
REPLY = "Hello from Home Assistant!"
SENDER = "+15550002"
CONTACT = ("Mum", "+15550303")  # a contact of the SMS Gateway entry: name, number
ASSIST_COMMAND = "what time is it"  # to Home Assistant's own agent, by SMS from the contact
PING, PONG = "ping", "pong"  # what the device trigger's automation answers to, and its answer
AUTOMATION_ID = "e2e_device_trigger"
QUIET = 2.0  # seconds to wait for events that must not come


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: Home Assistant runs in a subprocess, not as `hass`."""


async def test_end_to_end(tmp_path: Path, socket_enabled: None) -> None:
    """Onboard, add the integration, send, receive, auto-reply and reject a forged webhook.

    In the same Home Assistant (its start is slow): a contact and a device trigger on the SMS
    Gateway entry, then a SemySMS, an SmsGateway24 and an SMSC entry, each on its simulator.
    """
    sim = GatewaySimulator(api_key=API_KEY)
    hosted: list[ProviderHarness] = [SemySmsHarness(), SmsGateway24Harness(), SmscHarness()]
    await sim.start()
    for harness in hosted:
        await harness.start()
    try:
        async with (
            home_assistant(tmp_path) as process,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session,
        ):
            await scenario(Api(session, process), sim, hosted)
    finally:
        for harness in hosted:
            await harness.stop()
        await sim.stop()


async def scenario(api: Api, sim: GatewaySimulator, hosted: list[ProviderHarness]) -> None:
    """Everything a user and the gateways do, in order."""
    await start(api)
    url = api.url

    async with api.session.ws_connect(f"{url}/api/websocket") as ws:
        events = EventStream(ws)
        await events.authenticate(api.token)
        # The webhook URL is built from the internal URL; make it the address we can reach.
        await events.command({"type": "config/core/update", "internal_url": url})

        entry_id = await add_entry(api, sim, API_KEY)
        sim.webhook_url = await webhook_url(api, entry_id)
        assert sim.webhook_url.startswith(f"{url}/api/webhook/")
        phone = await phone_device(events, entry_id, "1")
        await add_contact(api, entry_id, *CONTACT)
        await add_device_trigger_automation(api, entry_id, phone)

        reply = await api.post(
            "/api/services/sms_bridge/send_message?return_response",
            {"config_entry_id": entry_id, "recipients": ["+15550001"], "message": "e2e hello"},
        )
        assert "service_response" in reply
        await wait_for(lambda: sent(sim, "+15550001", "e2e hello"), "the message at the gateway")

        await events.command({"type": "subscribe_events", "event_type": EVENT_TYPE})
        await sim.receive_sms(SENDER, "hi", phone_id=1, sim_slot=0)
        assert sim.webhook_results[-1] == HTTPStatus.OK
        await wait_for(lambda: sent(sim, SENDER, REPLY), "the automation's reply at the gateway")
        received = await events.collect(QUIET)
        assert [event["data"]["text"] for event in received] == ["hi"], received
        data = received[0]["data"]
        assert (data["number"], data["config_entry_id"]) == (SENDER, entry_id)

        forged = json.dumps([{"ID": 990001, "number": "+15550666", "message": "hi", "deviceID": 1}])
        status = await sim.post_webhook("messages", forged, signature="forged")
        assert status == HTTPStatus.UNAUTHORIZED
        assert await events.collect(QUIET) == []
        assert await sent(sim, "+15550666", REPLY) is None

        await contact_and_device_trigger(api, events, sim, entry_id)
        await text_your_home(api, events, sim, entry_id)
        for harness in hosted:
            await hosted_provider(api, events, harness)


async def contact_and_device_trigger(
    api: Api, events: EventStream, sim: GatewaySimulator, entry_id: str
) -> None:
    """Send to the contact by name, read it as the sender; the device trigger's reply goes out."""
    name, number = CONTACT
    await api.post(
        "/api/services/sms_bridge/send_message",
        {"config_entry_id": entry_id, "recipients": [name], "message": "e2e to a contact"},
    )
    await wait_for(lambda: sent(sim, number, "e2e to a contact"), "the message to the contact")
    await sim.receive_sms(number, "from the contact", phone_id=1, sim_slot=0)
    received = await events.collect(QUIET)
    assert [(e["data"]["text"], e["data"]["contact"]) for e in received] == [
        ("from the contact", name)
    ], received

    await sim.receive_sms(SENDER, PING, phone_id=1, sim_slot=0)
    await wait_for(lambda: sent(sim, SENDER, PONG), "the device trigger's reply at the gateway")
    received = await events.collect(QUIET)
    assert [(e["data"]["text"], e["data"]["contact"]) for e in received] == [(PING, None)]


async def text_your_home(
    api: Api, events: EventStream, sim: GatewaySimulator, entry_id: str
) -> None:
    """Let the contact talk to Home Assistant's own agent by SMS; its answer goes back to her."""
    name, number = CONTACT
    subentries = await events.command(
        {"type": "config_entries/subentries/list", "entry_id": entry_id}
    )
    [contact] = [sub["subentry_id"] for sub in subentries if sub["title"] == name]
    step = await api.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    step = await api.post(
        f"/api/config/config_entries/options/flow/{step['flow_id']}",
        {"assist": {"assist_agent": "conversation.home_assistant", "assist_contacts": [contact]}},
    )
    assert step["type"] == "create_entry", step
    await wait_for(lambda: entry_loaded(api, entry_id), "the entry to reload")

    async def answered() -> dict[str, Any] | None:
        # The agent's answer is its own wording: any SMS to the contact after the command.
        return next(
            (
                row
                for row in sim.messages.values()
                if row["number"] == number
                and row["status"] != "Received"
                and row["message"] not in ("e2e to a contact", ASSIST_COMMAND)
            ),
            None,
        )

    assert await answered() is None
    # Should the reload still be under way, the backfill at its end reads the SMS instead.
    await sim.receive_sms(number, ASSIST_COMMAND, phone_id=1, sim_slot=0)
    reply = await wait_for(answered, "the agent's answer by SMS")
    assert reply["message"].strip(), reply
    received = await events.collect(QUIET)
    assert [(e["data"]["text"], e["data"]["contact"]) for e in received] == [
        (ASSIST_COMMAND, name)
    ], received


async def hosted_provider(api: Api, events: EventStream, harness: ProviderHarness) -> None:
    """Add the provider's entry on its simulator; send, receive once, refuse a forged request."""
    key = harness.key
    entry_id = await add_provider_entry(api, harness)
    shown = await webhook_url(api, entry_id)
    assert shown.startswith(f"{api.url}/api/webhook/"), shown
    if isinstance(harness, SmscHarness):
        # The service reads its settings from the handler URL: UTF-8, hashed with the secret.
        assert "?charset=utf-8&sha1=" in shown, shown
        harness.simulator.callback_url = shown
    else:
        harness.point_webhooks_at(shown)

    text = f"e2e hello from {key}"
    reply = await api.post(
        "/api/services/sms_bridge/send_message?return_response",
        {"config_entry_id": entry_id, "recipients": ["+15550101"], "message": text},
    )
    assert "service_response" in reply
    await wait_for(lambda: sent_by(harness, text), f"the message at the {key} simulator")

    await harness.receive_sms("+15550102", f"hi {key}")
    received = await events.collect(QUIET)
    assert [(e["data"]["text"], e["data"]["config_entry_id"]) for e in received] == [
        (f"hi {key}", entry_id)
    ], received

    assert await harness.post_forged_sms("+15550666", "forged") == HTTPStatus.UNAUTHORIZED
    assert await events.collect(QUIET) == []


async def add_provider_entry(api: Api, harness: ProviderHarness) -> str:
    """Add a provider's entry in advanced mode, its server URL the simulator's; return its id."""
    step = await api.post(
        "/api/config/config_entries/flow",
        {"handler": "sms_bridge", "show_advanced_options": True},
    )
    flow = f"/api/config/config_entries/flow/{step['flow_id']}"
    step = await api.post(flow, {"provider": harness.key})
    assert (step["type"], step["step_id"]) == ("form", harness.key), step
    # SemySMS and SmsGateway24 take the server as an advanced field; SMSC's host takes a URL.
    data = {key: value for key, value in harness.entry_data().items() if key in fields(step)}
    assert "url" in data or data.get("host") == harness.simulator.url, fields(step)
    step = await api.post(flow, data)
    assert step["type"] == "create_entry", step
    assert step["result"]["state"] == "loaded", step["result"]
    return str(step["result"]["entry_id"])


async def phone_device(events: EventStream, entry_id: str, phone_id: str) -> str:
    """Return the id of the entry's phone device, from the device registry."""
    devices = await events.command({"type": "config/device_registry/list"})
    identifier = ["sms_bridge", f"{entry_id}_{phone_id}"]
    found = [device["id"] for device in devices if identifier in device["identifiers"]]
    assert len(found) == 1, devices
    return str(found[0])


async def add_device_trigger_automation(api: Api, entry_id: str, device_id: str) -> None:
    """Save an automation replying to "ping" on the phone's device trigger; wait until it runs."""
    await api.post(
        f"/api/config/automation/config/{AUTOMATION_ID}",
        {
            "alias": "E2E device trigger",
            "triggers": [
                {
                    "trigger": "device",
                    "domain": "sms_bridge",
                    "device_id": device_id,
                    "type": "sms_received",
                    "text_equals": PING,
                }
            ],
            "actions": [
                {
                    "action": "sms_bridge.send_message",
                    "data": {
                        "config_entry_id": entry_id,
                        "recipients": "{{ [trigger.event.data.number] }}",
                        "message": PONG,
                    },
                }
            ],
        },
    )

    async def running() -> bool | None:
        states = await api.request("GET", "/api/states")
        return (
            any(
                state["attributes"].get("id") == AUTOMATION_ID and state["state"] == "on"
                for state in states
            )
            or None
        )

    await wait_for(running, "the device trigger's automation to be on")


async def sent(sim: GatewaySimulator, number: str, text: str) -> dict[str, Any] | None:
    """Return the outgoing message to `number` with `text` the gateway holds, if any."""
    return next(
        (
            row
            for row in sim.messages.values()
            if (row["number"], row["message"]) == (number, text) and row["status"] != "Received"
        ),
        None,
    )


async def sent_by(harness: ProviderHarness, text: str) -> bool | None:
    """Return True once the provider's simulator took a send request carrying `text`."""
    return any(text in str(request.params) for request in harness.sent_requests()) or None
