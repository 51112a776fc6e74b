"""Entry lifecycle: setup, retry, reauth, unload, reload, and phones coming and going."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import logging
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import DEFAULT_UPDATE_INTERVAL, DOMAIN
from custom_components.sms_bridge.coordinator import REFRESH_TIMEOUT
from tests.conftest import API_KEY
from tests.helpers import logged_tracebacks, poll
from tests.simulator import GatewaySimulator

CREDITS = "sensor.sms_gateway_credits"
OFFICE_SIMS = "sensor.office_phone_sim_cards"
PIXEL_SIMS = "sensor.pixel_7_sim_cards"
HANG_TIMEOUT = 0.2
FAULTS = ["http_500", "html_error", "hang"]
FAULT_MESSAGES = [
    ("http_500", "The gateway answered HTTP 500"),
    ("html_error", "The gateway answered an HTML page"),
    ("hang", f"did not answer within {HANG_TIMEOUT} seconds"),
]


@contextmanager
def faulty(simulator: GatewaySimulator, fault: str) -> Iterator[None]:
    """Inject ``fault``; a hung gateway is given up on at once rather than after 45 s."""
    setattr(simulator.faults, fault, True)
    timeout = HANG_TIMEOUT if fault == "hang" else REFRESH_TIMEOUT
    with patch("custom_components.sms_bridge.coordinator.REFRESH_TIMEOUT", timeout):
        yield
    simulator.faults.reset()


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up, whatever the outcome."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def our_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the warnings and errors this integration logged."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.sms_bridge")
        and record.levelno >= logging.WARNING
    ]


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[object]:
    """Return the reauth flows in progress for ``entry``."""
    return list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


def api_calls(simulator: GatewaySimulator) -> int:
    """Return how many API requests reached the simulator."""
    return len(simulator.requests)


async def test_setup_and_unload(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A loaded entry has its entities; unloading it stops polling (L1)."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDITS).state == "100"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(CREDITS).state == STATE_UNAVAILABLE

    calls = api_calls(simulator)
    await poll(hass)
    assert api_calls(simulator) == calls


async def test_reload_twice(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reloading twice works, with the same entities and nothing logged (L2)."""
    entities = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    for _ in range(2):
        assert await hass.config_entries.async_reload(init_integration.entry_id)
        await hass.async_block_till_done()
        assert init_integration.state is ConfigEntryState.LOADED
    assert er.async_entries_for_config_entry(entity_registry, init_integration.entry_id) == entities
    assert hass.states.get(CREDITS).state == "100"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("fault", FAULTS)
async def test_setup_retry(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """A gateway failing at startup (timeout, HTTP 500, HTML): setup retries, and recovers."""
    with faulty(simulator, fault):
        await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not reauth_flows(hass, config_entry)

    async_fire_time_changed(hass, dt_util.utcnow() + DEFAULT_UPDATE_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert API_KEY not in caplog.text
    assert not logged_tracebacks(caplog)


async def test_setup_retry_says_why_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """Nothing listening on the gateway's port: the retry reason names the host and the refusal."""
    host = simulator.url.removeprefix("http://")
    await simulator.stop()
    await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason == (
        f"{host} refused the connection. Check that the gateway's web server is running and that "
        "the port in the URL is right"
    )


async def test_setup_retry_says_why_timeout(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A gateway that never answers: the retry reason names the host and the wait."""
    with faulty(simulator, "hang"):
        await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    host = simulator.url.removeprefix("http://")
    assert config_entry.reason == (
        f"The gateway at {host} did not answer within {HANG_TIMEOUT} seconds"
    )


async def test_setup_invalid_key(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A rejected key at startup fails setup and asks the user for a new key."""
    simulator.faults.reject_key = True
    await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, config_entry)) == 1


@pytest.mark.parametrize("case", FAULT_MESSAGES)
@pytest.mark.usefixtures("init_integration")
async def test_refresh_failure_logged_once(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str],
) -> None:
    """A failing gateway: entities unavailable, one error, then one "recovered" line."""
    fault, message = case
    caplog.clear()
    with faulty(simulator, fault):
        for _ in range(3):
            await poll(hass)
            assert hass.states.get(CREDITS).state == STATE_UNAVAILABLE
            assert hass.states.get(OFFICE_SIMS).state == STATE_UNAVAILABLE
    [warning] = our_warnings(caplog)
    assert message in warning.getMessage()

    await poll(hass)
    assert hass.states.get(CREDITS).state == "100"
    assert hass.states.get(OFFICE_SIMS).state == "2"
    assert len(our_warnings(caplog)) == 1
    assert [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.sms_bridge") and record.levelno == logging.INFO
    ] == [f"Fetching {DOMAIN} data recovered"]
    assert API_KEY not in caplog.text
    assert not logged_tracebacks(caplog)


async def test_refresh_invalid_key(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A key revoked while running starts reauth and stops polling."""
    simulator.faults.reject_key = True
    await poll(hass)
    assert len(reauth_flows(hass, init_integration)) == 1
    assert hass.states.get(CREDITS).state == STATE_UNAVAILABLE

    calls = api_calls(simulator)
    await poll(hass)
    assert api_calls(simulator) == calls


async def test_new_phone(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A phone added at the gateway gets its device and entities at the next refresh."""
    simulator.add_phone("Tablet", model="SM-X200", sims={0: "SIM #1", 1: "SIM #2"})
    await poll(hass)

    entry_id = init_integration.entry_id
    device = async_get_entry_device(device_registry, (DOMAIN, f"{entry_id}_3"), entry_id)
    assert device is not None
    assert device.name == "Tablet"
    assert device.model == "SM-X200"
    account = async_get_entry_device(device_registry, (DOMAIN, entry_id), entry_id)
    assert account is not None
    assert device.via_device_id == account.id
    assert hass.states.get("sensor.tablet_sim_cards").state == "2"
    assert hass.states.get("binary_sensor.tablet_online").state == "on"
    assert init_integration.state is ConfigEntryState.LOADED


async def test_remove_gone_phone(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A phone gone from the gateway is unavailable and can be removed; others cannot.

    Should it come back after all, it gets its device and entities again, without a reload.
    """
    device_registry = dr.async_get(hass)
    entry_id = init_integration.entry_id
    pixel = simulator.phones[2]
    simulator.remove_phone(2)
    await poll(hass)
    assert hass.states.get(PIXEL_SIMS).state == STATE_UNAVAILABLE

    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)

    async def remove(identifier: str) -> bool:
        device = async_get_entry_device(device_registry, (DOMAIN, identifier), entry_id)
        assert device is not None
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry_id,
                "device_id": device.id,
            }
        )
        return bool((await client.receive_json())["success"])

    assert not await remove(entry_id)  # the account
    assert not await remove(f"{entry_id}_1")  # still listed
    assert await remove(f"{entry_id}_2")
    await hass.async_block_till_done()
    assert async_get_entry_device(device_registry, (DOMAIN, f"{entry_id}_2"), entry_id) is None
    assert entity_registry.async_get(PIXEL_SIMS) is None
    assert hass.states.get(OFFICE_SIMS).state == "2"

    simulator.phones[2] = pixel
    await poll(hass)
    assert async_get_entry_device(device_registry, (DOMAIN, f"{entry_id}_2"), entry_id) is not None
    state = hass.states.get(PIXEL_SIMS)
    assert state is not None
    assert state.state == "1"
    assert hass.states.get("event.pixel_7_incoming_messages") is not None


async def test_device_follows_phone_changes(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A phone renamed or updated at the gateway updates its device at the next refresh."""
    identifier = (DOMAIN, f"{init_integration.entry_id}_1")
    device = async_get_entry_device(device_registry, identifier, init_integration.entry_id)
    assert device is not None
    assert (device.name, device.sw_version) == ("Office phone", "Android 10")

    simulator.phones[1].name = "Hall phone"
    simulator.phones[1].model = "Pixel 9"
    simulator.phones[1].android_version = "14"
    await poll(hass)

    device = async_get_entry_device(device_registry, identifier, init_integration.entry_id)
    assert device is not None
    assert (device.name, device.manufacturer, device.model, device.sw_version) == (
        "Hall phone",
        "Google",
        "Pixel 9",
        "Android 14",
    )


@pytest.mark.usefixtures("init_integration")
async def test_device_info(
    hass: HomeAssistant, config_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """Phones: maker told by the model, Android as software, no serial; the account: provider."""
    entry_id = config_entry.entry_id

    def device(identifier: str) -> dr.DeviceEntry:
        found = async_get_entry_device(device_registry, (DOMAIN, identifier), entry_id)
        assert found is not None
        return found

    def info(device: dr.DeviceEntry) -> tuple[str | None, ...]:
        return (
            device.manufacturer,
            device.model,
            device.sw_version,
            device.hw_version,
            device.serial_number,
        )

    assert info(device(f"{entry_id}_1")) == ("Samsung", "SM-A600FN", "Android 10", None, None)
    assert info(device(f"{entry_id}_2")) == ("Google", "Pixel 7", "Android 14", None, None)
    account = device(entry_id)
    assert info(account) == ("RBSoft", "SMS Gateway", None, None, None)
    assert account.entry_type is dr.DeviceEntryType.SERVICE


@pytest.mark.parametrize(
    ("model", "manufacturer"),
    [
        ("SM-A600FN", "Samsung"),
        ("GT-I9300", "Samsung"),
        ("Pixel 7", "Google"),
        ("Redmi Note 8", "Xiaomi"),
        ("moto g(8)", "Motorola"),
        ("ONEPLUS A6003", "OnePlus"),
        ("A063", None),  # a model that does not say: no manufacturer rather than a guess
        (None, None),
    ],
)
async def test_phone_manufacturer_from_its_model(
    hass: HomeAssistant,
    *,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    model: str | None,
    manufacturer: str | None,
) -> None:
    """The gateway names no manufacturer: it is derived from the model, or left out."""
    simulator.phones[1].model = model  # type: ignore[assignment]
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    identifier = (DOMAIN, f"{config_entry.entry_id}_1")
    device = async_get_entry_device(device_registry, identifier, config_entry.entry_id)
    assert device is not None
    assert device.manufacturer == manufacturer


async def test_device_info_of_earlier_versions_is_corrected(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Devices registered by earlier versions lose the row id as serial and Android as hardware.

    They had the gateway's row id as serial number, the app version as software and Android as
    hardware version; the account had the provider's name as manufacturer and no model.
    """
    config_entry.add_to_hass(hass)
    entry_id = config_entry.entry_id
    device_registry.async_get_or_create(
        config_entry_id=entry_id,
        identifiers={(DOMAIN, entry_id)},
        manufacturer="SMS Gateway (RBSoft)",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    device_registry.async_get_or_create(
        config_entry_id=entry_id,
        identifiers={(DOMAIN, f"{entry_id}_1")},
        name="Office phone",
        model="SM-A600FN",
        sw_version="9.4.9",
        hw_version="Android 10",
        serial_number="1",
    )
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()

    phone = async_get_entry_device(device_registry, (DOMAIN, f"{entry_id}_1"), entry_id)
    assert phone is not None
    assert (phone.manufacturer, phone.sw_version, phone.hw_version, phone.serial_number) == (
        "Samsung",
        "Android 10",
        None,
        None,
    )
    account = async_get_entry_device(device_registry, (DOMAIN, entry_id), entry_id)
    assert account is not None
    assert (account.manufacturer, account.model) == ("RBSoft", "SMS Gateway")
