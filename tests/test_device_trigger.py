"""Device triggers in the automation editor, listed, described and run by Home Assistant.

Messages come in through the real webhook from the simulator; the triggers run in real
automations (``platform: device``) that call a test action recording what each run saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import async_validate_trigger_config
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sms_bridge.api import Capability, Phone
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.compat import async_get_entry_device, vol
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from custom_components.sms_bridge.providers import PROVIDERS, Provider
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.state import webhook_view

SENDER = "+33612345678"
ALL_TRIGGERS = ["sms_received", "ussd_response", "message_failed"]


def device_id(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str | None) -> str:
    """Return the registry id of a phone's device, or of the account device (None)."""
    identifier = entry.entry_id if phone_id is None else f"{entry.entry_id}_{phone_id}"
    device = async_get_entry_device(dr.async_get(hass), (DOMAIN, identifier), entry.entry_id)
    assert device is not None
    return device.id


async def our_triggers(hass: HomeAssistant, device: str) -> list[dict[str, Any]]:
    """Return the SMS Bridge triggers Home Assistant lists for a device (its sensors have more)."""
    automations = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, [device])
    return [
        {key: trigger[key] for key in ("platform", "domain", "device_id", "type")}
        for trigger in automations[device]
        if trigger["domain"] == DOMAIN
    ]


def trigger(device: str, trigger_type: str, **filters: str) -> dict[str, Any]:
    """Return a device trigger as the automation editor writes it."""
    return {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device,
        "type": trigger_type,
        **filters,
    }


async def automate(hass: HomeAssistant, *triggers: dict[str, Any]) -> list[ServiceCall]:
    """Set up one automation per trigger, each calling `test.automation`; return the calls."""
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": f"trigger {index}",
                    "triggers": [device_trigger],
                    "actions": {
                        "action": "test.automation",
                        "data": {
                            "automation": index,
                            "type": "{{ trigger.type }}",
                            "text": "{{ trigger.event.data.text }}",
                            "response": "{{ trigger.event.data.response }}",
                            "status": "{{ trigger.event.data.status }}",
                        },
                    },
                }
                for index, device_trigger in enumerate(triggers)
            ]
        },
    )
    await hass.async_block_till_done()
    return calls


def runs(calls: list[ServiceCall]) -> list[tuple[int, str]]:
    """Return (automation index, trigger type) of each run."""
    return [(call.data["automation"], call.data["type"]) for call in calls]


async def test_each_phone_offers_the_three_triggers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each phone device lists the three triggers; the account device, whose phones take the
    messages, lists none."""
    for phone_id in ("1", "2"):
        device = device_id(hass, init_integration, phone_id)
        assert await our_triggers(hass, device) == [
            trigger(device, trigger_type) for trigger_type in ALL_TRIGGERS
        ]
    assert await our_triggers(hass, device_id(hass, init_integration, None)) == []


async def test_offered_while_the_gateway_is_unloaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """While the entry is not loaded, a phone still offers what its provider declares."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    device = device_id(hass, init_integration, "1")
    assert [t["type"] for t in await our_triggers(hass, device)] == ALL_TRIGGERS


async def test_sms_trigger_has_the_filter_fields(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, init_integration: MockConfigEntry
) -> None:
    """The automation editor gets the optional sender and text fields for an SMS trigger only."""
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)
    device = device_id(hass, init_integration, "1")

    async def extra_fields(trigger_type: str) -> list[dict[str, Any]]:
        await client.send_json_auto_id(
            {
                "type": "device_automation/trigger/capabilities",
                "trigger": trigger(device, trigger_type),
            }
        )
        reply = await client.receive_json()
        assert reply["success"], reply
        # Newer versions also say "required": False; what the editor needs is compared.
        return [
            {key: field[key] for key in ("name", "optional", "type")}
            for field in reply["result"]["extra_fields"]
        ]

    assert await extra_fields("sms_received") == [
        {"name": name, "optional": True, "type": "string"}
        for name in ("number", "text_contains", "text_equals")
    ]
    assert await extra_fields("ussd_response") == []
    assert await extra_fields("message_failed") == []


async def test_fires_once_for_its_phone_only(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """An SMS runs the trigger of the phone that got it, once, even if its webhook comes again."""
    calls = await automate(
        hass,
        trigger(device_id(hass, init_integration, "1"), "sms_received"),
        trigger(device_id(hass, init_integration, "2"), "sms_received"),
    )
    row = await gateway.receive_sms(SENDER, "Hello", phone_id=2)
    await hass.async_block_till_done()
    assert await gateway.notify("messages", [webhook_view(row)]) == 200  # a replay
    await hass.async_block_till_done()

    assert runs(calls) == [(1, "sms_received")]
    assert calls[0].data["text"] == "Hello"


@pytest.mark.parametrize(
    ("filters", "number", "text", "fires"),
    [
        ({"number": "+33 6 12-34-56-78"}, SENDER, "hi", True),
        ({"number": "0033 6 12 34 56 78"}, SENDER, "hi", True),
        ({"number": "+33612345678"}, "+33 6 12 34 56 78", "hi", True),
        ({"number": "+33 6 12 34 56 79"}, SENDER, "hi", False),
        ({"number": "mybank"}, "MyBank", "hi", True),
        ({"text_contains": "CODE"}, SENDER, "Your code is 1234", True),
        ({"text_contains": "pin"}, SENDER, "Your code is 1234", False),
        ({"text_equals": "status"}, SENDER, "  StAtUs\n", True),
        ({"text_equals": "Status"}, SENDER, "status please", False),
        ({"number": SENDER, "text_contains": "code"}, SENDER, "Your CODE", True),
        ({"number": SENDER, "text_contains": "code"}, SENDER, "Hello", False),
        ({"number": "+15550123", "text_contains": "code"}, SENDER, "Your code", False),
        ({"number": "", "text_contains": " "}, SENDER, "Hello", True),  # blank: no filter
    ],
    ids=[
        "number with separators",
        "number with 00",
        "sender with separators",
        "other number",
        "sender name in another case",
        "contains in another case",
        "does not contain",
        "equals in another case and spacing",
        "does not equal",
        "number and text",
        "number but not text",
        "text but not number",
        "blank filters",
    ],
)
async def test_filters(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    *,
    filters: dict[str, str],
    number: str,
    text: str,
    fires: bool,
) -> None:
    """The sender is compared as a number without separators, the text case-insensitively.

    A trigger without filters runs alongside, to show that the SMS did arrive.
    """
    phone = device_id(hass, init_integration, "1")
    calls = await automate(
        hass, trigger(phone, "sms_received"), trigger(phone, "sms_received", **filters)
    )
    await gateway.receive_sms(number, text, phone_id=1)
    await hass.async_block_till_done()
    assert sorted(runs(calls)) == [(0, "sms_received")] + ([(1, "sms_received")] if fires else [])


async def test_ussd_answer(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A USSD answer runs the USSD trigger of its phone, not the SMS trigger nor another phone's."""
    phone_1 = device_id(hass, init_integration, "1")
    calls = await automate(
        hass,
        trigger(phone_1, "ussd_response"),
        trigger(device_id(hass, init_integration, "2"), "ussd_response"),
        trigger(phone_1, "sms_received"),
    )
    request = gateway.store_ussd("*150#", 1, 0)
    await gateway.answer_ussd(request["ID"], "Balance: 12.50 EUR")
    await hass.async_block_till_done()

    assert runs(calls) == [(0, "ussd_response")]
    assert calls[0].data["response"] == "Balance: 12.50 EUR"


async def _send_and_track(
    hass: HomeAssistant, gateway: GatewaySimulator, freezer: FrozenDateTimeFactory, **data: Any
) -> None:
    """Send a message, then let the simulator move it to a final state and the tracker see it."""
    await hass.services.async_call(
        DOMAIN, "send_message", {"message": "delivery test", **data}, blocking=True
    )
    for _ in range(3):
        await gateway.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def test_delivery_failure(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed send runs its phone's trigger once; a delivered one and other phones do not."""
    calls = await automate(
        hass,
        trigger(device_id(hass, init_integration, "1"), "message_failed"),
        trigger(device_id(hass, init_integration, "2"), "message_failed"),
    )
    # The simulator fails numbers ending in 0000.
    await _send_and_track(hass, gateway, freezer, recipients=["+15550100"], phone="2")
    assert runs(calls) == []
    await _send_and_track(hass, gateway, freezer, recipients=["+15550000"], phone="2")

    assert runs(calls) == [(1, "message_failed")]
    assert calls[0].data["status"] == "failed"


@pytest.mark.parametrize(
    ("phone", "trigger_type", "filters", "error"),
    [
        ("1", "ussd_response", {"text_contains": "balance"}, vol.Invalid),
        ("1", "message_failed", {"number": SENDER}, vol.Invalid),
        ("1", "sms_sent", {}, vol.Invalid),
        (None, "sms_received", {}, HomeAssistantError),
    ],
    ids=["filter on USSD", "filter on failure", "unknown type", "account of a phone provider"],
)
async def test_invalid_triggers_are_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    *,
    phone: str | None,
    trigger_type: str,
    filters: dict[str, str],
    error: type[Exception],
) -> None:
    """Filters only go with an SMS, and a device only takes the triggers it offers."""
    valid = trigger(device_id(hass, init_integration, "1"), "sms_received", number=SENDER)
    assert await async_validate_trigger_config(hass, [valid]) == [valid]
    device = device_id(hass, init_integration, phone)
    with pytest.raises(error):
        await async_validate_trigger_config(hass, [trigger(device, trigger_type, **filters)])


class PhonelessGateway(SmsGatewayClient):
    """A service that sends for the account and picks the phone itself: no phones, no USSD."""

    capabilities = SmsGatewayClient.capabilities - {
        Capability.PHONES,
        Capability.SIM_SELECT,
        Capability.SPREAD,
        Capability.LAST_SEEN,
        Capability.USSD,
    }

    async def phones(self) -> list[Phone]:
        """Return no phones."""
        return []


@pytest.fixture
async def phoneless(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> MockConfigEntry:
    """Set up an entry of a provider without phones, its webhook reached by the simulator."""

    def create(session: Any, config: Mapping[str, Any]) -> PhonelessGateway:
        return PhonelessGateway(session, config[CONF_URL], config[CONF_API_KEY])

    provider = Provider(
        "test_phoneless",
        "Phoneless",
        ("url", "api_key"),
        create,
        "Test",
        "Phoneless",
        capabilities=PhonelessGateway.capabilities,
    )
    monkeypatch.setitem(PROVIDERS, provider.key, provider)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Phoneless",
        data={
            CONF_PROVIDER: provider.key,
            CONF_URL: simulator.url,
            CONF_API_KEY: API_KEY,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options={"default_recipients": ["+15550100"]},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    return entry


async def test_provider_without_phones(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    phoneless: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without phones, the account device has the triggers its provider can fire, for all
    messages."""
    account = device_id(hass, phoneless, None)
    assert [t["type"] for t in await our_triggers(hass, account)] == [
        "sms_received",
        "message_failed",
    ]
    with pytest.raises(HomeAssistantError):
        await async_validate_trigger_config(hass, [trigger(account, "ussd_response")])

    calls = await automate(
        hass,
        trigger(account, "sms_received", text_equals="hi"),
        trigger(account, "message_failed"),
    )
    await simulator.receive_sms(SENDER, "Hi", phone_id=2)
    await hass.async_block_till_done()
    await _send_and_track(hass, simulator, freezer, recipients=["+15550000"])

    assert runs(calls) == [(0, "sms_received"), (1, "message_failed")]
