"""Choosing the phone of an action by its device, through HA's service calls and the simulator."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import CONF_WEBHOOK_ID, DOMAIN
from tests.simulator import GatewaySimulator

SEND = "/services/send.php"
SEND_USSD = "/services/send-ussd-request.php"


def device_id(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> str:
    """Return the registry id of the entry's device with this SMS Bridge identifier."""
    device = async_get_entry_device(dr.async_get(hass), (DOMAIN, identifier), entry.entry_id)
    assert device is not None
    return device.id


def phone_device(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str) -> str:
    return device_id(hass, entry, f"{entry.entry_id}_{phone_id}")


async def send(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call(DOMAIN, "send_message", data, blocking=True)


def sent_from(simulator: GatewaySimulator) -> list[int]:
    """Return the phone (device id of the gateway) of each message the simulator stored."""
    return [row["deviceID"] for row in simulator.messages.values()]


async def test_device_picks_the_phone(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """The device of phone 2 sends from phone 2, not from the default phone 1."""
    await send(
        hass, device=phone_device(hass, integration, "2"), recipients="+15550100", message="Hi"
    )
    await send(
        hass,
        device=phone_device(hass, integration, "2"),
        recipients="+15550100",
        message="Hi",
        sim=1,
    )

    assert sent_from(simulator) == [2, 2]
    sends = [r.params for r in simulator.requests if r.path == SEND and "number" in r.params]
    assert [params["devices"] for params in sends] == ["2", "2|0"]


async def test_device_gives_the_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """With two gateways loaded the device alone tells which one sends; a mismatch is refused."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Other gateway",
        unique_id=f"{simulator.url}#other",
        data={**integration.data, CONF_WEBHOOK_ID: "other-webhook"},
        options=dict(integration.options),
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as without_device:
        await send(hass, recipients="+15550100", message="Hi")
    assert without_device.value.translation_key == "entry_required"
    with pytest.raises(ServiceValidationError) as other_phone:
        await send(
            hass,
            device=phone_device(hass, other, "2"),
            config_entry_id=integration.entry_id,
            recipients="+15550100",
            message="Hi",
        )
    assert other_phone.value.translation_key == "device_entry_conflict"
    assert simulator.messages == {}

    await send(hass, device=phone_device(hass, other, "2"), recipients="+15550100", message="Hi")
    assert sent_from(simulator) == [2]


async def test_old_phone_id_still_works(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """Automations written with the gateway's phone id keep sending from that phone."""
    await send(hass, phone="2", recipients="+15550100", message="Hi")
    await send(
        hass,
        phone="2",
        device=phone_device(hass, integration, "2"),
        config_entry_id=integration.entry_id,
        recipients="+15550100",
        message="Hi",
    )
    assert sent_from(simulator) == [2, 2]


@pytest.mark.parametrize(
    ("choose", "key"),
    [
        (lambda hass, entry: {"device": "no-such-device"}, "unknown_device"),
        (
            lambda hass, entry: {"device": device_id(hass, entry, entry.entry_id)},
            "device_not_phone",
        ),
        (
            lambda hass, entry: {"device": phone_device(hass, entry, "1"), "phone": "2"},
            "device_phone_conflict",
        ),
        (
            lambda hass, entry: {
                "device": phone_device(hass, entry, "1"),
                "config_entry_id": "other-entry",
            },
            "device_entry_conflict",
        ),
    ],
    ids=["unknown device", "account device", "other phone id", "other entry"],
)
async def test_device_refused(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    integration: MockConfigEntry,
    choose: Any,
    key: str,
) -> None:
    """A device that is not one phone of the entry is refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as refused:
        await send(hass, recipients="+15550100", message="Hi", **choose(hass, integration))
    assert refused.value.translation_key == key
    assert simulator.messages == {}


async def test_device_of_another_integration_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """A device of another integration is not an SMS Bridge phone."""
    foreign = MockConfigEntry(domain="demo")
    foreign.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=foreign.entry_id, identifiers={("demo", "lamp")}, name="Lamp"
    )
    with pytest.raises(ServiceValidationError) as refused:
        await send(hass, device=device.id, recipients="+15550100", message="Hi")
    assert refused.value.translation_key == "device_not_sms_bridge"
    assert refused.value.translation_placeholders == {"device": "Lamp"}


async def test_ussd_through_device(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """send_ussd dials on the phone of the device."""
    await hass.services.async_call(
        DOMAIN,
        "send_ussd",
        {"device": phone_device(hass, integration, "2"), "code": "*100#"},
        blocking=True,
    )
    [request] = [r for r in simulator.requests if r.path == SEND_USSD]
    assert request.params["device"] == "2"


async def test_get_messages_through_device(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """get_messages narrows the read to the device's phone."""
    await simulator.receive_sms("+15550199", "On one", phone_id=1, sim_slot=0)
    await simulator.receive_sms("+15550199", "On two", phone_id=2, sim_slot=0)
    response = await hass.services.async_call(
        DOMAIN,
        "get_messages",
        {"device": phone_device(hass, integration, "2"), "status": "received"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert [message["text"] for message in response["messages"]] == ["On two"]  # type: ignore[index, union-attr]


async def test_contact_list_through_device(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """send_to_contact_list sends every message of the list from the device's phone."""
    await hass.services.async_call(
        DOMAIN,
        "send_to_contact_list",
        {"device": phone_device(hass, integration, "2"), "list_id": 1, "message": "Hi"},
        blocking=True,
    )
    [request] = [r for r in simulator.requests if r.path == SEND and "listID" in r.params]
    assert request.params["devices"] == '["2"]'
    assert set(sent_from(simulator)) == {2}


def spread_sends(simulator: GatewaySimulator) -> list[dict[str, str]]:
    """Return the parameters of the sends to several recipients."""
    return [r.params for r in simulator.requests if r.path == SEND and "messages" in r.params]


async def add_other_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set up a second entry on the same simulator, so that the entry must be told."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Other gateway",
        unique_id=f"{entry.unique_id}#other",
        data={**entry.data, CONF_WEBHOOK_ID: "other-webhook"},
        options=dict(entry.options),
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    return other


async def test_phones_as_devices(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """The phones to spread over are picked as devices, alone or with old gateway phone ids."""
    await send(
        hass,
        phones=[phone_device(hass, integration, "1"), phone_device(hass, integration, "2")],
        recipients=["+15550101", "+15550102"],
        message="Both",
    )
    await send(
        hass,
        phones=[phone_device(hass, integration, "2"), "1"],
        recipients=["+15550103", "+15550104"],
        message="Mixed",
    )
    assert [params["devices"] for params in spread_sends(simulator)] == [
        '["1", "2"]',
        '["2", "1"]',
    ]
    assert sent_from(simulator) == [1, 2, 2, 1]


async def test_phones_give_the_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """With two gateways loaded the phone devices tell which one sends."""
    other = await add_other_entry(hass, integration)
    await send(
        hass,
        phones=[phone_device(hass, other, "1"), phone_device(hass, other, "2")],
        recipients=["+15550101", "+15550102"],
        message="Both",
    )
    assert sent_from(simulator) == [1, 2]
    assert [params["devices"] for params in spread_sends(simulator)] == ['["1", "2"]']


@pytest.mark.parametrize(
    ("choose", "key"),
    [
        (
            lambda hass, entry, other: {
                "phones": [phone_device(hass, entry, "1"), phone_device(hass, other, "2")]
            },
            "device_entry_conflict",
        ),
        (
            lambda hass, entry, other: {
                "config_entry_id": entry.entry_id,
                "phones": [phone_device(hass, other, "2")],
            },
            "device_entry_conflict",
        ),
        (
            lambda hass, entry, other: {"phones": [device_id(hass, entry, entry.entry_id)]},
            "device_not_phone",
        ),
    ],
    ids=["phones of two gateways", "phone of another gateway", "account device"],
)
async def test_phones_devices_refused(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    integration: MockConfigEntry,
    choose: Any,
    key: str,
) -> None:
    """Phone devices of two entries, or a device that is no phone, are refused before sending."""
    other = await add_other_entry(hass, integration)
    with pytest.raises(ServiceValidationError) as refused:
        await send(hass, recipients="+15550100", message="Hi", **choose(hass, integration, other))
    assert refused.value.translation_key == key
    assert simulator.messages == {}
