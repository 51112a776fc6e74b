"""Notify entities (one per phone) and the legacy notify.<entry title> service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, ATTR_SUPPORTED_FEATURES, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, discovery, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.compat import NotifyEntityFeature, async_get_entry_device
from custom_components.sms_bridge.const import CONF_DEFAULT_PHONE, CONF_WEBHOOK_ID, DOMAIN
from tests.simulator import GatewaySimulator, RecordedRequest

LEGACY_SERVICE = "sms_gateway"  # slug of the entry title "SMS Gateway"


def sends(simulator: GatewaySimulator) -> list[RecordedRequest]:
    """Return the send.php calls that send something (not the credits query)."""
    return [
        request
        for request in simulator.requests
        if request.path == "/services/send.php"
        and ("number" in request.params or "messages" in request.params)
    ]


def notify_entity(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str) -> str:
    """Return the entity id of a phone's notify entity."""
    entity_id = er.async_get(hass).async_get_entity_id(
        NOTIFY_DOMAIN, DOMAIN, f"{entry.entry_id}_{phone_id}_sms"
    )
    assert entity_id is not None
    return entity_id


async def notify_legacy(hass: HomeAssistant, service: str = LEGACY_SERVICE, **data: Any) -> None:
    """Call the legacy notify service."""
    await hass.services.async_call(NOTIFY_DOMAIN, service, data, blocking=True)


async def test_entities(hass: HomeAssistant, integration: MockConfigEntry) -> None:
    """Every phone has a notify entity that supports a title."""
    for phone_id in ("1", "2"):
        state = hass.states.get(notify_entity(hass, integration, phone_id))
        assert state is not None
        assert state.state == STATE_UNKNOWN
        assert state.attributes[ATTR_SUPPORTED_FEATURES] == NotifyEntityFeature.TITLE


@pytest.mark.parametrize(("phone_id", "devices"), [("1", "1"), ("2", "2")])
async def test_entity_sends_from_its_phone(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    phone_id: str,
    devices: str,
) -> None:
    """The entity sends from its own phone to the default recipients, title first."""
    entity_id = notify_entity(hass, integration, phone_id)
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "send_message",
        {ATTR_ENTITY_ID: entity_id, "title": "Alarm", "message": "Door open"},
        blocking=True,
    )
    [request] = sends(simulator)
    assert request.params["number"] == "+15550100"
    assert request.params["message"] == "Alarm\nDoor open"
    assert request.params["devices"] == devices
    state = hass.states.get(entity_id)
    assert state is not None
    assert dt_util.parse_datetime(state.state) is not None


async def test_entity_without_title(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Without a title the message is sent as it is."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "send_message",
        {ATTR_ENTITY_ID: notify_entity(hass, integration, "1"), "message": "Plain"},
        blocking=True,
    )
    [request] = sends(simulator)
    assert request.params["message"] == "Plain"


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1"}], ids=["no_recipients"])
async def test_entity_without_default_recipients(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Without default recipients the entity cannot send; nothing reaches the gateway."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            "send_message",
            {ATTR_ENTITY_ID: notify_entity(hass, integration, "1"), "message": "Hi"},
            blocking=True,
        )
    assert err.value.translation_key == "no_default_recipients"
    assert simulator.requests == []


async def test_entity_gateway_error(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A gateway refusal through the entity: a translated error, not a traceback."""
    simulator.credits = 0
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            "send_message",
            {ATTR_ENTITY_ID: notify_entity(hass, integration, "2"), "message": "Hi"},
            blocking=True,
        )
    assert err.value.translation_key == "gateway_error"


@pytest.mark.usefixtures("integration")
async def test_legacy_targets_and_data(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """notify.<title> sends to its targets with the action's options from data."""
    when = (dt_util.now() + timedelta(hours=2)).replace(microsecond=0)
    await notify_legacy(
        hass,
        title="Snapshot",
        message="Someone at the door",
        target=["+15550101", "+1 555 0102"],
        data={
            "type": "mms",
            "attachments": "https://example.com/door.jpg",
            "phone": 1,
            "sim": 2,
            "schedule": when.isoformat(),
            "prioritize": True,
        },
    )
    [request] = sends(simulator)
    assert request.params["type"] == "mms"
    assert request.params["attachments"] == "https://example.com/door.jpg"
    assert request.params["devices"] == '["1|1"]'
    assert request.params["schedule"] == str(int(when.timestamp()))
    assert request.params["prioritize"] == "1"
    rows = list(simulator.messages.values())
    assert [row["number"] for row in rows] == ["+15550101", "+15550102"]
    assert {row["message"] for row in rows} == {"Snapshot\nSomeone at the door"}
    assert {(row["deviceID"], row["simSlot"], row["type"]) for row in rows} == {(1, 1, "mms")}


@pytest.mark.usefixtures("integration")
async def test_legacy_defaults(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without target or data: an SMS from the default phone to the default recipients."""
    await notify_legacy(hass, message="Hello")
    [request] = sends(simulator)
    assert request.params == {
        "key": request.params["key"],
        "type": "sms",
        "devices": "1",
        "number": "+15550100",
        "message": "Hello",
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"target": ["MyBank"]}, "unknown_contact"),
        ({"data": {"sim": 0}}, "invalid_notify_data"),
        ({"data": {"sim": "second"}}, "unknown_sim"),
        ({"data": {"type": "fax"}}, "invalid_notify_data"),
        ({"data": {"colour": "red"}}, "invalid_notify_data"),
        ({"data": {"phone": "9"}}, "unknown_phone"),
        ({"data": {"type": "mms"}}, "mms_without_attachments"),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_legacy_invalid(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any], key: str
) -> None:
    """The legacy service validates like the action, before any request."""
    with pytest.raises(ServiceValidationError) as err:
        await notify_legacy(hass, message="Hi", **data)
    assert err.value.translation_key == key
    assert simulator.requests == []


async def test_legacy_service_follows_the_entry(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The service goes away on unload and comes back, working, after setup (L1, L2)."""
    assert hass.services.has_service(NOTIFY_DOMAIN, LEGACY_SERVICE)

    await hass.config_entries.async_unload(integration.entry_id)
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, LEGACY_SERVICE)

    for _ in range(2):
        await hass.config_entries.async_reload(integration.entry_id)
        await hass.async_block_till_done()
        assert hass.services.has_service(NOTIFY_DOMAIN, LEGACY_SERVICE)

    simulator.requests.clear()
    await notify_legacy(hass, message="Back")
    assert len(sends(simulator)) == 1


async def test_legacy_service_stays_gone(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Unloading another entry does not bring back the service of an unloaded one."""
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Backup gateway",
        unique_id="backup",
        data={**integration.data, CONF_WEBHOOK_ID: "f" * 64},
        options=integration.options,
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "backup_gateway")

    await hass.config_entries.async_unload(integration.entry_id)
    await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, LEGACY_SERVICE)
    assert not hass.services.has_service(NOTIFY_DOMAIN, "backup_gateway")


async def test_legacy_service_not_from_yaml(hass: HomeAssistant) -> None:
    """A notify platform set up from YAML gives no service (it needs an entry)."""
    assert await async_setup_component(
        hass, NOTIFY_DOMAIN, {NOTIFY_DOMAIN: [{"platform": DOMAIN, "name": "yaml"}]}
    )
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, "yaml")


@pytest.mark.usefixtures("integration")
async def test_legacy_service_unknown_entry(hass: HomeAssistant) -> None:
    """Discovery naming an entry that no longer exists gives no service."""
    await discovery.async_load_platform(
        hass, NOTIFY_DOMAIN, DOMAIN, {"name": "ghost", "entry_id": "nope"}, {}
    )
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, "ghost")


def device_id(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> str:
    """Return the registry id of the entry's device with this SMS Bridge identifier."""
    device = async_get_entry_device(dr.async_get(hass), (DOMAIN, identifier), entry.entry_id)
    assert device is not None
    return device.id


def phone_device(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str) -> str:
    return device_id(hass, entry, f"{entry.entry_id}_{phone_id}")


async def test_legacy_device(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """data.device picks the phone, as in the send_message action; so do devices in phones."""
    await notify_legacy(
        hass, message="From two", data={"device": phone_device(hass, integration, "2")}
    )
    await notify_legacy(
        hass,
        message="From both",
        target=["+15550101", "+15550102"],
        data={"phones": [phone_device(hass, integration, "2"), "1"]},
    )
    assert [request.params["devices"] for request in sends(simulator)] == ["2", '["2", "1"]']
    assert [row["deviceID"] for row in simulator.messages.values()] == [2, 2, 1]


@pytest.mark.parametrize(
    ("choose", "key"),
    [
        (lambda hass, entry, other: {"device": "no-such-device"}, "unknown_device"),
        (
            lambda hass, entry, other: {"device": device_id(hass, entry, entry.entry_id)},
            "device_not_phone",
        ),
        (
            lambda hass, entry, other: {"device": phone_device(hass, entry, "1"), "phone": "2"},
            "device_phone_conflict",
        ),
        (
            lambda hass, entry, other: {"device": phone_device(hass, other, "1")},
            "notify_device_other_entry",
        ),
        (
            lambda hass, entry, other: {"phones": [phone_device(hass, other, "1")]},
            "notify_device_other_entry",
        ),
    ],
    ids=["unknown", "account device", "other phone id", "other gateway", "phones of other gateway"],
)
async def test_legacy_device_refused(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    choose: Any,
    key: str,
) -> None:
    """A device that is not a phone of this service's gateway is refused before any request."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Backup gateway",
        unique_id="backup",
        data={**integration.data, CONF_WEBHOOK_ID: "f" * 64},
        options=integration.options,
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    simulator.requests.clear()

    with pytest.raises(ServiceValidationError) as err:
        await notify_legacy(hass, message="Hi", data=choose(hass, integration, other))
    assert err.value.translation_key == key
    assert sends(simulator) == []
