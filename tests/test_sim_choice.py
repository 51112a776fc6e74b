"""Choosing a SIM by its number, operator or phone number, through HA's actions and the simulator.

Phone 1 of the simulator has SIM 1 of the operator "Free" and SIM 2 with the number
+33600000002; phone 2 has one SIM, of "Orange F".
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.const import DOMAIN
from tests.simulator import GatewaySimulator
from tests.test_device_selector import phone_device

SEND = "/services/send.php"
SEND_USSD = "/services/send-ussd-request.php"


async def call(hass: HomeAssistant, action: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=action == "get_messages"
    )


def sent_from(simulator: GatewaySimulator) -> list[tuple[int, int | None]]:
    """Return the phone and SIM slot of each message the simulator stored."""
    return [(row["deviceID"], row["simSlot"]) for row in simulator.messages.values()]


@pytest.mark.parametrize(
    ("sim", "slot"),
    [
        (2, 1),
        ("2", 1),
        ("Free", 0),
        ("FREE", 0),
        (" free ", 0),
        ("+33600000002", 1),
        ("+33 6 00 00 00 02", 1),
        ("33600000002", 1),
        (33600000002, 1),
    ],
    ids=[
        "number",
        "number as text",
        "operator",
        "operator in capitals",
        "operator with spaces",
        "phone number",
        "phone number with spaces",
        "phone number without plus",
        "phone number as a YAML number",
    ],
)
@pytest.mark.usefixtures("integration")
async def test_send_message_sim(
    hass: HomeAssistant, simulator: GatewaySimulator, sim: Any, slot: int
) -> None:
    """send_message sends from the SIM of phone 1 that the number, operator or number names."""
    await call(hass, "send_message", phone="1", sim=sim, recipients="+15550100", message="Hi")
    [request] = [r for r in simulator.requests if r.path == SEND and "number" in r.params]
    assert request.params["devices"] == f"1|{slot}"
    assert sent_from(simulator) == [(1, slot)]


async def test_sim_of_the_device(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """The operator is looked up among the SIMs of the chosen device's phone."""
    await call(
        hass,
        "send_message",
        device=phone_device(hass, integration, "2"),
        sim="orange f",
        recipients="+15550100",
        message="Hi",
    )
    assert sent_from(simulator) == [(2, 0)]


@pytest.mark.usefixtures("integration")
async def test_sim_of_another_phone_refused(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """An operator of phone 2 is no SIM of phone 1: the error lists phone 1's SIMs."""
    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass, "send_message", phone="1", sim="Orange F", recipients="+15550100", message="Hi"
        )
    assert refused.value.translation_key == "unknown_sim"
    assert refused.value.translation_placeholders == {
        "phone": "Office phone",
        "sim": "Orange F",
        "sims": "1 (Free), 2 (+33600000002)",
    }
    assert simulator.messages == {}


async def test_ambiguous_sim_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """Two SIMs of one operator: the operator alone does not say which; the number does."""
    simulator.add_phone("Dual Orange", sims={0: "SIM #1 [Orange F]", 1: "SIM #2 [Orange F]"})
    await integration.runtime_data.coordinator.async_refresh()

    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass, "send_message", phone="3", sim="Orange F", recipients="+15550100", message="Hi"
        )
    assert refused.value.translation_key == "ambiguous_sim"
    assert refused.value.translation_placeholders == {
        "phone": "Dual Orange",
        "sim": "Orange F",
        "sims": "1 (Orange F), 2 (Orange F)",
    }
    assert simulator.messages == {}

    await call(hass, "send_message", phone="3", sim=2, recipients="+15550100", message="Hi")
    assert sent_from(simulator) == [(3, 1)]


@pytest.mark.usefixtures("integration")
async def test_send_ussd_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """send_ussd dials on the SIM its phone number names; an unknown operator is refused."""
    await call(hass, "send_ussd", phone="1", sim="+33 600 000 002", code="*100#")
    [request] = [r for r in simulator.requests if r.path == SEND_USSD]
    assert (request.params["device"], request.params["sim"]) == ("1", "1")

    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "send_ussd", phone="2", sim="Free", code="*100#")
    assert refused.value.translation_key == "unknown_sim"
    assert refused.value.translation_placeholders == {
        "phone": "Pixel 7",
        "sim": "Free",
        "sims": "1 (Orange F)",
    }
    assert len([r for r in simulator.requests if r.path == SEND_USSD]) == 1


@pytest.mark.usefixtures("integration")
async def test_get_messages_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """get_messages narrows the read to the SIM the operator names."""
    await simulator.receive_sms("+15550199", "On Free", phone_id=1, sim_slot=0)
    await simulator.receive_sms("+15550199", "On the second", phone_id=1, sim_slot=1)

    for sim, text in (("free", "On Free"), ("+33600000002", "On the second"), (2, "On the second")):
        response = await call(hass, "get_messages", phone="1", sim=sim, status="received")
        assert [message["text"] for message in response["messages"]] == [text]

    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "get_messages", phone="1", sim="Orange F", status="received")
    assert refused.value.translation_key == "unknown_sim"


@pytest.mark.usefixtures("integration")
async def test_legacy_notify_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The legacy notify service's data takes the SIM by operator too."""
    await hass.services.async_call(
        "notify",
        "sms_gateway",
        {"message": "Hi", "data": {"phone": "1", "sim": "Free"}},
        blocking=True,
    )
    assert sent_from(simulator) == [(1, 0)]


@pytest.mark.parametrize("sim", [True, 0, " ", 1.5], ids=["boolean", "zero", "blank", "fraction"])
@pytest.mark.usefixtures("integration")
async def test_invalid_sim_value(
    hass: HomeAssistant, simulator: GatewaySimulator, sim: Any
) -> None:
    """What is neither a SIM number nor a text is refused as invalid data, before any request."""
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            "notify",
            "sms_gateway",
            {"message": "Hi", "data": {"phone": "1", "sim": sim}},
            blocking=True,
        )
    assert refused.value.translation_key == "invalid_notify_data"
    assert simulator.messages == {}


@pytest.mark.usefixtures("integration")
async def test_sim_number_as_float(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """2.0, as a number field may give, is SIM 2."""
    await call(hass, "send_message", phone="1", sim=2.0, recipients="+15550100", message="Hi")
    assert sent_from(simulator) == [(1, 1)]


@pytest.mark.usefixtures("integration")
async def test_filter_sim_name_of_unknown_phone(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """An operator can only be looked up on a phone the gateway lists; a SIM number needs none."""
    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "get_messages", phone="9", sim="Free", status="received")
    assert refused.value.translation_key == "unknown_phone"
    assert await call(hass, "get_messages", phone="9", sim=1, status="received") == {"messages": []}
