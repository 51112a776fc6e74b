"""One number however it is written: the allowed recipients, a device trigger's number, the
recipients and the incoming senders are compared in E.164 form, a national number read in Home
Assistant's country.

Through the real paths: the options flow stores the allowed recipients, the action sends over
HTTP to the simulator, the SMS come in through the real webhook and run real automations.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_bridge.const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_ALLOWED_RECIPIENTS,
    CONF_DEFAULT_PHONE,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    CONF_SEND_SAFETY,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)
from tests.simulator import GatewaySimulator
from tests.test_device_trigger import automate, device_id, runs, trigger

FRIEND = "+33612345678"  # a French mobile number, in E.164 form
STRANGER = "+33698765432"


@pytest.fixture(autouse=True)
def in_france(hass: HomeAssistant) -> None:
    """Home Assistant is configured for France: national numbers are read as French."""
    hass.config.country = "FR"


async def send(hass: HomeAssistant, *recipients: str) -> dict[str, Any]:
    """Send through the action; return its response data."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": list(recipients), "message": "Hi"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def sent_to(simulator: GatewaySimulator) -> list[str]:
    """Return the numbers of the messages the simulator holds, oldest first."""
    return [row["number"] for row in simulator.messages.values() if row["status"] != "Received"]


async def allow(hass: HomeAssistant, entry: MockConfigEntry, *numbers: str) -> None:
    """Set the allowed recipients through the options form, as a user does."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_DEFAULT_PHONE: "1",
            CONF_SEND_SAFETY: {
                CONF_MAX_PER_MINUTE: 30,
                CONF_MAX_PER_DAY: 500,
                CONF_ALLOWED_RECIPIENTS: list(numbers),
                CONF_ALLOW_HTTP_ATTACHMENTS: False,
            },
        },
    )
    await hass.async_block_till_done()


async def test_a_national_number_is_one_number_everywhere(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """Written nationally in the allowed recipients, a trigger and a recipient, a number matches
    its E.164 form and every other writing of it."""
    await allow(hass, init_integration, "06 12 34 56 78")
    assert init_integration.options[CONF_ALLOWED_RECIPIENTS] == [FRIEND]

    # A recipient written nationally is allowed, and goes out in E.164 form.
    response = await send(hass, "06.12.34.56.78")
    assert [item["number"] for item in response["recipients"]] == [FRIEND]
    await send(hass, "+33 6 12 34 56 78")
    assert sent_to(gateway) == [FRIEND, FRIEND]
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, "06 98 76 54 32")
    assert err.value.translation_key == "recipient_not_allowed"
    assert err.value.translation_placeholders["number"] == STRANGER

    # A trigger's number written nationally fires for the sender however the gateway writes it.
    calls = await automate(
        hass, trigger(device_id(hass, init_integration, "1"), "sms_received", number="0612345678")
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for sender, text in (
        (FRIEND, "international"),
        ("0033 6 12 34 56 78", "with 00"),
        ("06 12 34 56 78", "national"),
        (STRANGER, "a stranger"),
    ):
        await gateway.receive_sms(sender, text, phone_id=1)
    await hass.async_block_till_done()
    assert [call.data["text"] for call in calls] == ["international", "with 00", "national"]
    assert runs(calls) == [(0, "sms_received")] * 3
    # The event keeps the sender as sent, and gives its E.164 form, a national one too.
    assert [(event.data["number"], event.data["number_e164"]) for event in events] == [
        (FRIEND, FRIEND),
        ("0033 6 12 34 56 78", FRIEND),
        ("06 12 34 56 78", FRIEND),
        (STRANGER, STRANGER),
    ]


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_ALLOWED_RECIPIENTS: ["0612345678"]}]
)
async def test_a_national_allowed_number_kept_as_stored_is_read_when_sending(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """An allowed number an older release stored nationally, while Home Assistant had no
    country, stays so; once the country is set it matches its E.164 form."""
    hass.config.country = None
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.options[CONF_ALLOWED_RECIPIENTS] == ["0612345678"]

    hass.config.country = "FR"
    await send(hass, "+33 6 12 34 56 78")
    assert sent_to(simulator) == [FRIEND]
    with pytest.raises(ServiceValidationError):
        await send(hass, STRANGER)
