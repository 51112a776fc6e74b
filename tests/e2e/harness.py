"""A real Home Assistant process for the end-to-end and browser tests, and its APIs.

`home_assistant()` starts Home Assistant from the demo's configuration (config/configuration.yaml
and automations.yaml, without the demo's pre-seeded entry) in a temporary config dir, on a free
port of 127.0.0.1. `Api` is its HTTP API (onboarding, the config flows, logins) and
`EventStream` its websocket API. Whoever uses them lifts pytest-socket with `socket_enabled`
and replaces the suite's `hass` fixture (`auto_enable_custom_integrations`), as no in-process
Home Assistant runs.
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

from tests.simulator import GatewaySimulator

REPO = Path(__file__).resolve().parents[2]
OWNER = "e2e"  # the administrator onboarding creates
PASSWORD = "e2e-password"  # every user's
START_TIMEOUT = 120.0  # seconds for Home Assistant to start
TIMEOUT = 30.0  # seconds for anything else to happen
LOG_TAIL = 150  # lines of Home Assistant's output shown when the test fails
# The Python of the Home Assistant to start: the one users run, where the test environment
# names one (scripts/test --ha current), else the test environment's own.
HA_PYTHON = os.environ.get("SMS_BRIDGE_E2E_PYTHON") or sys.executable

type Json = Any


async def start(api: Api) -> None:
    """Wait for Home Assistant, onboard its owner, wait until it runs."""
    await wait_for(api.onboarding_ready, "the onboarding API", START_TIMEOUT)
    await api.onboard()
    await wait_for(api.running, "Home Assistant to run", START_TIMEOUT)


async def add_entry(api: Api, sim: GatewaySimulator, api_key: str) -> str:
    """Add SMS Bridge through the config flow as the UI does; return the entry id."""
    step = await api.post("/api/config/config_entries/flow", {"handler": "sms_bridge"})
    assert (step["type"], step["step_id"], fields(step)) == ("form", "user", ["provider"])
    flow = f"/api/config/config_entries/flow/{step['flow_id']}"
    step = await api.post(flow, {"provider": "sms_gateway"})
    assert (step["type"], step["step_id"]) == ("form", "sms_gateway")
    assert sorted(fields(step)) == ["api_key", "name", "url", "verify_ssl"]
    step = await api.post(flow, {"url": sim.url, "api_key": api_key})
    assert step["type"] == "create_entry", step
    assert step["result"]["state"] == "loaded", step["result"]
    return str(step["result"]["entry_id"])


async def webhook_url(api: Api, entry_id: str) -> str:
    """Read the webhook URL the options form shows, then close the form."""
    step = await api.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    assert (step["type"], step["step_id"]) == ("form", "init"), step
    await api.request("DELETE", f"/api/config/config_entries/options/flow/{step['flow_id']}")
    return str(step["description_placeholders"]["webhook_url"])


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


async def entry_loaded(api: Api, entry_id: str) -> bool | None:
    """Return True once the entry is loaded."""
    entries = await api.request("GET", "/api/config/config_entries/entry?domain=sms_bridge")
    return (
        True if any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries) else None
    )


def fields(step: Json) -> list[str]:
    """Return the field names of a form step."""
    return [field["name"] for field in step["data_schema"]]


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
        self.token = ""  # the owner's
        self.tokens: dict[str, Any] = {}

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
        """Create the owner (an administrator) and log in, as the onboarding page does."""
        user = await self.post(
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": "E2E",
                "username": OWNER,
                "password": PASSWORD,
                "language": "en",
            },
        )
        self.tokens = await self._tokens(user["auth_code"])
        self.token = self.tokens["access_token"]

    @property
    def client_id(self) -> str:
        return f"{self.url}/"

    async def _tokens(self, code: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        async with self.session.post(f"{self.url}/auth/token", data=form) as response:
            assert response.status == HTTPStatus.OK, await response.text()
            tokens: dict[str, Any] = await response.json()
        return tokens

    async def log_in(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in through the login flow, as the login page does; return the tokens."""
        step = await self.post(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        step = await self.post(
            f"/auth/login_flow/{step['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
        )
        assert step["type"] == "create_entry", step
        return await self._tokens(step["result"])

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

    async def add_user(self, name: str, username: str, *, admin: bool) -> None:
        """Create a user who logs in with ``username`` and PASSWORD, as Settings → People does."""
        user = await self.command(
            {
                "type": "config/auth/create",
                "name": name,
                "group_ids": ["system-admin" if admin else "system-users"],
                "local_only": False,
            }
        )
        await self.command(
            {
                "type": "config/auth_provider/homeassistant/create",
                "user_id": user["user"]["id"],
                "username": username,
                "password": PASSWORD,
            }
        )

    async def try_command(self, message: dict[str, Any]) -> Json:
        """Send a command; return its whole result message, success or not."""
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, **message})
        result = await self.ws.receive_json(timeout=TIMEOUT)
        assert (result["id"], result["type"]) == (self.last_id, "result"), result
        return result

    async def keep_http_config(self) -> None:
        """Confirm the HTTP settings, where Home Assistant asks (2026.11 and later).

        Such a Home Assistant takes the YAML's http settings on trial: it asks an administrator
        to confirm them (a dialog on every page) and goes back to its defaults in 5 minutes.
        """
        result = await self.try_command({"type": "http/config/promote"})
        assert result["success"] or result["error"]["code"] in ("unknown_command", "not_allowed")

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
    """Copy the demo's YAML, link the integration, add a free port; return the port.

    Onboarding's steps other than the owner are marked done, as the demo does: the frontend
    then opens the dashboards instead of the onboarding pages.
    """
    config_dir.mkdir()
    (config_dir / ".storage").mkdir()
    onboarding = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["core_config", "analytics", "integration"]},
    }
    (config_dir / ".storage" / "onboarding").write_text(json.dumps(onboarding))
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
