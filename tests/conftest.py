"""Shared fixtures: a running gateway simulator and a config entry pointing at it."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from aiohttp.web_urldispatcher import UrlDispatcher
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_bridge import inbox_store
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from tests.simulator import GatewaySimulator
from tests.simulator.fixtures import (  # noqa: F401 - fixtures of every test
    API_KEY,
    certificate,
    simulator,
    tls_simulator,
)

WEBHOOK_ID = "0123456789abcdef" * 4


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/sms_bridge."""


@pytest.fixture(autouse=True)
def unfrozen_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let views be added after the test client started, as Home Assistant itself does.

    Home Assistant never freezes its router (integrations set up later add their views); the
    aiohttp test server does, so an entry set up after ``hass_client`` could not add its own.
    """
    monkeypatch.setattr(UrlDispatcher, "freeze", lambda _self: None)


@pytest.fixture(autouse=True)
def inbox_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep each test's inbox files in its own folder (Home Assistant's test config is shared)."""
    folder = tmp_path / "inbox-storage"
    folder.mkdir()
    monkeypatch.setattr(inbox_store, "storage_dir", lambda _hass: folder)
    return folder


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets: the tests talk HTTP to the simulator (still 127.0.0.1 only)."""


@pytest.fixture(autouse=True)
def no_deprecated_use(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail a test in which Home Assistant reports a deprecated use ("Detected code that ...")."""
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if record.getMessage().startswith("Detected ")
    ]
    assert reports == []


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Keep snapshots in tests/snapshots on both HA versions (the older plugin does not)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Return the options of the test entry (override in a test module to change them)."""
    return {CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_RECIPIENTS: ["+15550100"]}


def make_entry(
    simulator: GatewaySimulator, options: dict[str, Any] | None = None, **data: Any
) -> MockConfigEntry:
    """Return a config entry for ``simulator`` (not yet added to hass), ``data`` added."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SMS Gateway",
        unique_id=f"{simulator.url}#test",
        data={
            CONF_PROVIDER: "sms_gateway",
            CONF_URL: simulator.url,
            CONF_API_KEY: API_KEY,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            **data,
        },
        options=options or {},
    )


@pytest.fixture
def config_entry(simulator: GatewaySimulator, entry_options: dict[str, Any]) -> MockConfigEntry:
    """Return a config entry for the simulator (not yet added to hass)."""
    return make_entry(simulator, entry_options)


@pytest.fixture
async def init_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the integration against the simulator and return its entry."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def integration(
    init_integration: MockConfigEntry, simulator: GatewaySimulator
) -> MockConfigEntry:
    """Set up the entry and forget the requests of the setup."""
    simulator.requests.clear()
    return init_integration


@pytest.fixture
async def client(
    hass_client_no_auth: ClientSessionGenerator, init_integration: MockConfigEntry
) -> TestClient:
    """An HTTP client of HA's test server, with the integration set up."""
    return await hass_client_no_auth()


@pytest.fixture
async def gateway(simulator: GatewaySimulator, client: TestClient) -> GatewaySimulator:
    """The simulator, posting its webhooks to the entry's webhook on HA's test server."""
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    return simulator
