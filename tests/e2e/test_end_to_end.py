"""A real Home Assistant process, set up through its HTTP APIs, talking to the gateway simulator.

Home Assistant runs from the demo's configuration (config/configuration.yaml and
automations.yaml, without the demo's pre-seeded entry) in a temporary config dir.

tests/conftest.py enables custom integrations through the in-process `hass` fixture; this module
overrides that fixture, so no in-process Home Assistant runs here. pytest-socket, which the
Home Assistant pytest plugin turns on, is lifted with `socket_enabled`; connections stay limited
to 127.0.0.1, which is all this test uses (Home Assistant's internal URL is set to it below).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from http import HTTPStatus
import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from tests.providers import ProviderHarness
from tests.providers.semysms import SemySmsHarness
from tests.providers.smsc import SmscHarness
from tests.providers.smsgateway24 import SmsGateway24Harness
from tests.simulator import GatewaySimulator

REPO = Path(__file__).resolve().parents[2]
API_KEY = "e2e-key"
EVENT_TYPE = "sms_bridge_message_received"
REPLY = "Hello from Home Assistant!"
SENDER = "+15550002"
CONTACT = ("Mum", "+15550303")  # a contact of the SMS Gateway entry: name, number
ASSIST_COMMAND = "what time is it"  # to Home Assistant's own agent, by SMS from the contact
PING, PONG = "ping", "pong"  # what the device trigger's automation answers to, and its answer
AUTOMATION_ID = "e2e_device_trigger"
START_TIMEOUT = 120.0  # seconds for Home Assistant to start
TIMEOUT = 30.0  # seconds for anything else to happen
QUIET = 2.0  # seconds to wait for events that must not come
LOG_TAIL = 150  # lines of Home Assistant's output shown when the test fails
# The Python of the Home Assistant to start: the one users run, where the test environment
# names one (scripts/test --ha current), else the test environment's own.
HA_PYTHON = os.environ.get("SMS_BRIDGE_E2E_PYTHON") or sys.executable

type Json = Any


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
    await wait_for(api.onboarding_ready, "the onboarding API", START_TIMEOUT)
    await api.onboard()
    await wait_for(api.running, "Home Assistant to run", START_TIMEOUT)
    url = api.url

    async with api.session.ws_connect(f"{url}/api/websocket") as ws:
        events = EventStream(ws)
        await events.authenticate(api.token)
        # The webhook URL is built from the internal URL; make it the address we can reach.
        await events.command({"type": "config/core/update", "internal_url": url})

        entry_id = await add_entry(api, sim)
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


async def entry_loaded(api: Api, entry_id: str) -> bool | None:
    """Return True once the entry is loaded."""
    entries = await api.request("GET", "/api/config/config_entries/entry?domain=sms_bridge")
    return (
        True if any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries) else None
    )


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


async def add_entry(api: Api, sim: GatewaySimulator) -> str:
    """Add SMS Bridge through the config flow as the UI does; return the entry id."""
    step = await api.post("/api/config/config_entries/flow", {"handler": "sms_bridge"})
    assert (step["type"], step["step_id"], fields(step)) == ("form", "user", ["provider"])
    flow = f"/api/config/config_entries/flow/{step['flow_id']}"
    step = await api.post(flow, {"provider": "sms_gateway"})
    assert (step["type"], step["step_id"]) == ("form", "sms_gateway")
    assert sorted(fields(step)) == ["api_key", "name", "url", "verify_ssl"]
    step = await api.post(flow, {"url": sim.url, "api_key": API_KEY})
    assert step["type"] == "create_entry", step
    assert step["result"]["state"] == "loaded", step["result"]
    return str(step["result"]["entry_id"])


async def webhook_url(api: Api, entry_id: str) -> str:
    """Read the webhook URL the options form shows, then close the form."""
    step = await api.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    assert (step["type"], step["step_id"]) == ("form", "init"), step
    await api.request("DELETE", f"/api/config/config_entries/options/flow/{step['flow_id']}")
    return str(step["description_placeholders"]["webhook_url"])


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


async def add_contact(api: Api, entry_id: str, name: str, number: str) -> None:
    """Add a contact to the entry through the subentry flow, as the entry's page does."""
    step = await api.post(
        "/api/config/config_entries/subentries/flow", {"handler": [entry_id, "contact"]}
    )
    assert (step["type"], step["step_id"]) == ("form", "user"), step
    step = await api.post(
        f"/api/config/config_entries/subentries/flow/{step['flow_id']}",
        {"name": name, "number": number},
    )
    assert step["type"] == "create_entry", step


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


def fields(step: Json) -> list[str]:
    """Return the field names of a form step."""
    return [field["name"] for field in step["data_schema"]]


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


async def wait_for[T](
    probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = TIMEOUT
) -> T:
    """Poll `probe` until it returns something other than None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    # Polling: the state lives in another process or in the simulator's plain dicts.
    while (result := await probe()) is None:
        if loop.time() > deadline:
            pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}", pytrace=False)
        await asyncio.sleep(0.2)
    return result


class Api:
    """Home Assistant's HTTP API, authenticated once onboarding is done."""

    def __init__(self, session: aiohttp.ClientSession, process: HomeAssistantProcess) -> None:
        self.session = session
        self.process = process
        self.url = process.url
        self.token = ""

    async def request(self, method: str, path: str, payload: Json = None) -> Json:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, self.url + path, json=payload, headers=headers
        ) as response:
            body = await response.text()
            assert response.status == HTTPStatus.OK, f"{method} {path}: {response.status} {body}"
            return json.loads(body)

    async def post(self, path: str, payload: Json) -> Json:
        return await self.request("POST", path, payload)

    async def onboarding_ready(self) -> bool | None:
        if (code := self.process.process.returncode) is not None:
            pytest.fail(f"Home Assistant exited during start-up with code {code}", pytrace=False)
        with suppress(aiohttp.ClientError):
            async with self.session.get(f"{self.url}/api/onboarding") as response:
                return response.status == HTTPStatus.OK or None
        return None

    async def onboard(self) -> None:
        """Create the owner account and log in, as the onboarding page does."""
        client_id = f"{self.url}/"
        user = await self.post(
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "E2E",
                "username": "e2e",
                "password": "e2e-password",
                "language": "en",
            },
        )
        form = {"grant_type": "authorization_code", "code": user["auth_code"]}
        async with self.session.post(
            f"{self.url}/auth/token", data={**form, "client_id": client_id}
        ) as response:
            assert response.status == HTTPStatus.OK, await response.text()
            self.token = (await response.json())["access_token"]

    async def running(self) -> bool | None:
        return (await self.request("GET", "/api/config"))["state"] == "RUNNING" or None


class EventStream:
    """Home Assistant's websocket API: a few commands, then the subscribed events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.last_id = 0

    async def authenticate(self, token: str) -> None:
        assert (await self.ws.receive_json(timeout=TIMEOUT))["type"] == "auth_required"
        await self.ws.send_json({"type": "auth", "access_token": token})
        assert (await self.ws.receive_json(timeout=TIMEOUT))["type"] == "auth_ok"

    async def command(self, message: dict[str, Any]) -> Json:
        """Send a command and return its result (before any subscription brings events)."""
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, **message})
        result = await self.ws.receive_json(timeout=TIMEOUT)
        assert (result["id"], result["type"], result["success"]) == (
            self.last_id,
            "result",
            True,
        ), result
        return result["result"]

    async def collect(self, quiet: float) -> list[Json]:
        """Return the events that arrive until none has come for `quiet` seconds."""
        events = []
        with suppress(TimeoutError):
            while message := await self.ws.receive_json(timeout=quiet):
                assert message["type"] == "event", message
                events.append(message["event"])
        return events


@dataclass
class HomeAssistantProcess:
    """A Home Assistant started by `home_assistant()`."""

    url: str
    process: asyncio.subprocess.Process


@asynccontextmanager
async def home_assistant(tmp_path: Path) -> AsyncIterator[HomeAssistantProcess]:
    """Run Home Assistant on a free port; show its output if the test fails."""
    config_dir = tmp_path / "config"
    port = write_config(config_dir)
    output = tmp_path / "home-assistant.out"
    # Without the pytest-cov variables: coverage is measured in this process only.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE_")}
    with output.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *(HA_PYTHON, "-m", "homeassistant", "--config", str(config_dir)),
            *("--skip-pip", "--log-no-color"),
            cwd=config_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield HomeAssistantProcess(f"http://127.0.0.1:{port}", process)
        assert_clean_log(output.read_text(errors="replace"))
    except BaseException:
        lines = output.read_text(errors="replace").splitlines()[-LOG_TAIL:]
        print(f"---- Home Assistant output (exit code {process.returncode}), last lines ----")
        print("\n".join(lines))
        raise
    finally:
        if process.returncode is None:
            with suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()


def assert_clean_log(log: str) -> None:
    """Home Assistant reported no deprecated use by the integration, and it logged no error.

    Home Assistant reports a deprecated call either as "Detected ..." or, from its deprecation
    helper, as "The deprecated function ... was called from ...".
    """
    flagged = [
        line
        for line in log.splitlines()
        if "sms_bridge" in line
        and ("Detected" in line or "The deprecated " in line or " ERROR " in line)
    ]
    assert flagged == [], "\n".join(flagged)


def write_config(config_dir: Path) -> int:
    """Copy the demo's YAML, link the integration, add a free port; return the port."""
    config_dir.mkdir()
    for name in ("configuration.yaml", "automations.yaml", "scripts.yaml"):
        shutil.copy(REPO / "config" / name, config_dir / name)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with (config_dir / "configuration.yaml").open("a") as config:
        config.write(f"\nhttp:\n  server_host: 127.0.0.1\n  server_port: {port}\n")
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / "sms_bridge").symlink_to(
        REPO / "custom_components" / "sms_bridge"
    )
    return port
