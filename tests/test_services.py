"""The sms_bridge.send_message action, through HA's service registry against the simulator."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_SIM,
    CONF_MAX_PER_MINUTE,
    CONF_OUTBOX_TTL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_EXPIRED,
)
from custom_components.sms_bridge.outbox import RETRY_DELAYS
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator, RecordedRequest

SEND = "/services/send.php"


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the action and return its response data."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def sends(simulator: GatewaySimulator) -> list[RecordedRequest]:
    """Return the send.php calls that send something (not the credits query)."""
    return [
        request
        for request in simulator.requests
        if request.path == SEND and ("number" in request.params or "messages" in request.params)
    ]


def normalised(response: dict[str, Any]) -> dict[str, Any]:
    """Replace the simulator's random group ids and the send times."""
    groups = {group: f"<group {index}>" for index, group in enumerate(response["group_ids"])}
    return {
        **response,
        "group_ids": list(groups.values()),
        "messages": [
            {**message, "group_id": groups[message["group_id"]], "sent_at": "<sent_at>"}
            for message in response["messages"]
        ],
    }


@pytest.mark.usefixtures("integration")
async def test_send_single(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """One number, the default phone: a plain single send with the number cleaned."""
    response = await send(hass, recipients=["+1 (555) 0100"], message="Hello")

    [request] = sends(simulator)
    assert request.params == {
        "key": API_KEY,
        "type": "sms",
        "devices": "1",
        "number": "+15550100",
        "message": "Hello",
    }
    [row] = simulator.messages.values()
    assert (row["number"], row["message"], row["deviceID"]) == ("+15550100", "Hello", 1)
    assert response["messages"][0]["number"] == "+15550100"
    assert response["group_ids"] == [row["groupID"]]
    assert response["segments"] == 1


@pytest.mark.usefixtures("integration")
async def test_response_data(
    hass: HomeAssistant, simulator: GatewaySimulator, snapshot: SnapshotAssertion
) -> None:
    """Spread over every SIM: the response lists each message with its phone and SIM."""
    response = await send(
        hass,
        recipients=["+15550101", "+15550102", "+15550103"],
        message="Spread " * 30,
        routing="all_sims",
    )
    assert normalised(response) == snapshot


@pytest.mark.usefixtures("integration")
async def test_without_response(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Called without asking for a response, the action still sends and returns nothing."""
    result = await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": "+15550100", "message": "Hi"}, blocking=True
    )
    assert result is None
    assert len(sends(simulator)) == 1


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_MINUTE: 100}])
@pytest.mark.usefixtures("integration")
async def test_hundred_recipients_one_request(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """100 recipients go out in exactly one bulk request, duplicates sent (and counted) once."""
    numbers = [f"+1555{index:07d}" for index in range(100)]
    response = await send(hass, recipients=[*numbers, numbers[0]], message="Bulk")

    [request] = sends(simulator)
    entries = json.loads(str(request.params["messages"]))
    assert [entry["number"] for entry in entries] == numbers
    assert {entry["message"] for entry in entries} == {"Bulk"}
    assert request.params["devices"] == '["1"]'
    assert len(simulator.messages) == 100
    assert len(response["messages"]) == 100
    assert len(response["group_ids"]) == 1


@pytest.mark.usefixtures("integration")
async def test_comma_separated_recipients(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Recipients may come as one comma-separated string (handy in templates)."""
    await send(hass, recipients="+15550101, 0612 345 678", message="Both")
    [request] = sends(simulator)
    assert [entry["number"] for entry in json.loads(str(request.params["messages"]))] == [
        "+15550101",
        "0612345678",
    ]


@pytest.mark.usefixtures("integration")
async def test_default_recipients(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without recipients the message goes to the entry's default recipients."""
    await send(hass, message="To the defaults")
    [request] = sends(simulator)
    assert request.params["number"] == "+15550100"


@pytest.mark.usefixtures("integration")
async def test_phone_and_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A 1-based SIM number becomes the 0-based slot of the wire."""
    response = await send(hass, recipients=["+15550100"], message="SIM 2", phone="1", sim=2)
    [request] = sends(simulator)
    assert request.params["devices"] == "1|1"
    [row] = simulator.messages.values()
    assert (row["deviceID"], row["simSlot"]) == (1, 1)
    assert response["messages"][0]["sim"] == 2


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_SIM: 2}], ids=["default_sim"]
)
@pytest.mark.usefixtures("integration")
async def test_default_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The default SIM belongs to the default phone; another phone uses its own default."""
    await send(hass, recipients=["+15550100"], message="Default phone")
    await send(hass, recipients=["+15550100"], message="Other phone", phone="2")
    assert [request.params["devices"] for request in sends(simulator)] == ["1|1", "2"]


@pytest.mark.parametrize("entry_options", [{}], ids=["no_options"])
@pytest.mark.usefixtures("integration")
async def test_primary_phone(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without a phone or a default phone the gateway picks its primary phone."""
    await send(hass, recipients=["+15550100"], message="Primary")
    [request] = sends(simulator)
    assert "devices" not in request.params
    assert simulator.messages[1]["deviceID"] == 1


@pytest.mark.usefixtures("integration")
async def test_mms(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """An MMS carries its attachments, and counts as one message."""
    attachments = ["https://example.com/a.png", "https://example.com/b.jpg"]
    response = await send(
        hass,
        recipients=["+15550100"],
        message="Look",
        type="mms",
        attachments=attachments,
        phone="2",
    )
    [request] = sends(simulator)
    assert request.params["type"] == "mms"
    assert request.params["attachments"] == ",".join(attachments)
    assert request.params["devices"] == "2"
    [row] = simulator.messages.values()
    assert (row["type"], row["attachments"]) == ("mms", ",".join(attachments))
    assert response["messages"][0]["attachments"] == attachments
    assert response["segments"] == 1


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_ALLOW_HTTP_ATTACHMENTS: True}]
)
@pytest.mark.usefixtures("integration")
async def test_mms_over_http_when_allowed(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """With the option on, a plain-HTTP attachment goes out as given."""
    attachments = ["http://example.com/a.png", "https://example.com/b.jpg"]
    await send(hass, recipients=["+15550100"], message="Look", type="mms", attachments=attachments)
    [request] = sends(simulator)
    assert request.params["attachments"] == ",".join(attachments)


@pytest.mark.usefixtures("integration")
async def test_schedule_and_prioritize(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A future schedule goes out as a Unix timestamp, priority as 1."""
    when = (dt_util.now() + timedelta(hours=1)).replace(microsecond=0)
    response = await send(
        hass, recipients=["+15550100"], message="Later", schedule=when.isoformat(), prioritize=True
    )
    [request] = sends(simulator)
    assert request.params["schedule"] == str(int(when.timestamp()))
    assert request.params["prioritize"] == "1"
    [row] = simulator.messages.values()
    assert (row["status"], row["prioritize"]) == ("Scheduled", 1)
    assert response["messages"][0]["status"] == "scheduled"


@pytest.mark.usefixtures("integration")
async def test_schedule_without_time_zone(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A schedule without offset (the UI's datetime selector) is in HA's time zone."""
    await hass.config.async_set_time_zone("Pacific/Auckland")
    when = (dt_util.now() + timedelta(hours=1)).replace(microsecond=0)
    await send(
        hass,
        recipients=["+15550100"],
        message="Local",
        schedule=when.replace(tzinfo=None).isoformat(sep=" "),
    )
    [request] = sends(simulator)
    assert request.params["schedule"] == str(int(when.timestamp()))


@pytest.mark.parametrize(
    ("routing", "option", "placed"),
    [
        ("all_phones", "1", [(1, None), (2, None)]),
        ("all_sims", "2", [(1, 0), (1, 1), (2, 0)]),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_routing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    routing: str,
    option: str,
    placed: list[tuple[int, int | None]],
) -> None:
    """Spreading over all phones or all SIMs ignores the default phone."""
    numbers = [f"+1555010{index}" for index in range(len(placed))]
    await send(hass, recipients=numbers, message="Spread", routing=routing)
    [request] = sends(simulator)
    assert request.params["option"] == option
    assert "devices" not in request.params
    assert [(row["deviceID"], row["simSlot"]) for row in simulator.messages.values()] == placed


@pytest.mark.usefixtures("integration")
async def test_phones(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A list of phones spreads the recipients over them."""
    await send(hass, recipients=["+15550101", "+15550102"], message="Both", phones=["1", "2"])
    [request] = sends(simulator)
    assert request.params["devices"] == '["1", "2"]'
    assert [row["deviceID"] for row in simulator.messages.values()] == [1, 2]


@pytest.mark.usefixtures("integration")
async def test_random_phone(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """With random_phone the gateway sends everything from one of the listed phones."""
    await send(
        hass,
        recipients=["+15550101", "+15550102"],
        message="One of them",
        phones=["1", "2"],
        random_phone=True,
    )
    [request] = sends(simulator)
    assert request.params["useRandomDevice"] == "1"
    assert request.params["devices"] == '["1", "2"]'
    assert len({row["deviceID"] for row in simulator.messages.values()}) == 1


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"recipients": ["MyBank"]}, "unknown_contact", {"name": "MyBank"}),
        ({"recipients": ["+15550100", "12"]}, "invalid_number", {"number": "12"}),
        ({"recipients": [f"+1555{i:07d}" for i in range(1001)]}, "too_many_recipients", None),
        ({"message": ""}, "empty_message", None),
        ({"message": "  \n "}, "empty_message", None),
        ({"message": "x" * 1531}, "message_too_long", {"segments": "11", "max": "10"}),
        ({"message": "ж" * 671}, "message_too_long", {"segments": "11", "max": "10"}),
        ({"type": "mms"}, "mms_without_attachments", None),
        (
            {"type": "mms", "attachments": ["ftp://example.com/a.png"]},
            "invalid_attachment",
            {"url": "ftp://example.com/a.png"},
        ),
        ({"type": "mms", "attachments": ["/local/a.png"]}, "invalid_attachment", None),
        ({"type": "mms", "attachments": ["https://x.com/a,b.png"]}, "invalid_attachment", None),
        ({"type": "mms", "attachments": ["https://x.com/a b.png"]}, "invalid_attachment", None),
        ({"type": "mms", "attachments": ["http://[::1/a.png"]}, "invalid_attachment", None),
        (
            {"type": "mms", "attachments": ["https://example.com/a.png", "http://x.com/b.png"]},
            "attachment_not_https",
            {"url": "http://x.com/b.png"},
        ),
        ({"type": "mms", "attachments": ["HTTP://x.com/b.png"]}, "attachment_not_https", None),
        ({"attachments": ["https://example.com/a.png"]}, "attachments_need_mms", None),
        ({"phone": "9"}, "unknown_phone", {"phone": "9"}),
        ({"phones": ["1", "9"]}, "unknown_phone", {"phone": "9"}),
        (
            {"phone": "1", "sim": 3},
            "unknown_sim",
            {"phone": "Office phone", "sim": "3", "sims": "1 (Free), 2 (+33600000002)"},
        ),
        (
            {"phone": "2", "sim": 2},
            "unknown_sim",
            {"phone": "Pixel 7", "sim": "2", "sims": "1 (Orange F)"},
        ),
        ({"phone": "1", "phones": ["2"]}, "sender_conflict", None),
        ({"sim": 1, "phones": ["2"]}, "sender_conflict", None),
        ({"phone": "2", "routing": "all_sims"}, "sender_conflict", None),
        ({"phones": ["2"], "routing": "all_phones"}, "sender_conflict", None),
        ({"schedule": "2020-01-01T00:00:00+00:00"}, "schedule_in_past", None),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_invalid_input(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """The user's mistakes are refused before any request reaches the gateway."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, **({"recipients": ["+15550100"], "message": "Hi"} | data))
    assert err.value.translation_key == key
    if placeholders is not None:
        assert err.value.translation_placeholders == placeholders
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("country", "number"),
    [("US", "911"), ("US", "112"), ("GB", "999"), ("DE", "1 1 0"), ("AU", "112"), (None, "911")],
)
@pytest.mark.usefixtures("integration")
async def test_emergency_numbers_are_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, country: str | None, number: str
) -> None:
    """No automation texts the emergency services: 112 and 911 anywhere, the country's own
    emergency numbers in Home Assistant's country; by the action and by notify."""
    hass.config.country = country
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, recipients=["+15550100", number], message="Fire in the kitchen")
    assert err.value.translation_key == "emergency_number"
    assert err.value.translation_placeholders == {"number": number}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "sms_gateway", {"message": "Fire", "target": [number]}, blocking=True
        )
    assert err.value.translation_key == "emergency_number"
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_short_codes_are_sent(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A short code that is no emergency number (a carrier's or a parking service's) is sent as
    dialled; so is 999 where it is no emergency number."""
    hass.config.country = "FR"
    await send(hass, recipients=["43105", "999"], message="SOLDE")
    assert sorted(row["number"] for row in simulator.messages.values()) == ["43105", "999"]


@pytest.mark.parametrize(
    ("entry_options", "data", "key"),
    [
        ({}, {"recipients": [], "message": "Hi"}, "no_default_recipients"),
        ({}, {"recipients": ["+15550100"], "message": "Hi", "sim": 2}, "sim_without_phone"),
        ({CONF_DEFAULT_PHONE: "2", CONF_DEFAULT_SIM: 2}, {"message": "Hi"}, "unknown_sim"),
    ],
    ids=["no_recipients", "sim_without_phone", "default_sim_missing"],
)
@pytest.mark.usefixtures("integration")
async def test_invalid_for_options(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any], key: str
) -> None:
    """Mistakes that depend on the entry's options are refused before any request too."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, recipients=data.pop("recipients", ["+15550100"]), **data)
    assert err.value.translation_key == key
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("capability", "data"),
    [
        (Capability.MMS, {"type": "mms", "attachments": ["https://example.com/a.png"]}),
        (Capability.SCHEDULE, {"schedule": "2099-01-01T00:00:00+00:00"}),
        (Capability.PRIORITY, {"prioritize": True}),
        (Capability.SIM_SELECT, {"phone": "1", "sim": 1}),
        (Capability.SPREAD, {"routing": "all_phones"}),
        (Capability.SPREAD, {"phones": ["1", "2"]}),
        (Capability.SPREAD, {"phones": ["1"], "random_phone": True}),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_not_supported(
    hass: HomeAssistant, simulator: GatewaySimulator, capability: Capability, data: dict[str, Any]
) -> None:
    """A feature the gateway lacks is refused before any request."""
    with (
        patch.object(
            SmsGatewayClient, "capabilities", SmsGatewayClient.capabilities - {capability}
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await send(hass, recipients=["+15550100"], message="Hi", **data)
    assert err.value.translation_key == "not_supported"
    assert err.value.translation_placeholders == {"feature": capability.value}
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_insufficient_credits(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The gateway's refusal is a translated error quoting its message; nothing is sent."""
    simulator.credits = 0
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=["+15550100"], message="Hi")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "gateway_error"
    assert str(err.value) == (  # one period: HA drops the one of the template
        "The gateway refused the request: You have insufficient credits to complete this "
        "operation. Please get more credits to continue."
    )
    assert len(sends(simulator)) == 1
    assert simulator.messages == {}


@pytest.mark.usefixtures("integration")
async def test_phone_disabled_on_gateway(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A phone the coordinator still lists but the gateway cannot reach."""
    simulator.phones[1].enabled = False
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=["+15550100"], message="Hi")
    assert err.value.translation_key == "gateway_error"
    assert "Office phone [1]" in err.value.translation_placeholders["error"]


@pytest.mark.parametrize("fault", ["html_error", "http_500"])
@pytest.mark.usefixtures("integration")
async def test_bad_answer_is_kept_for_reconciliation(
    hass: HomeAssistant, simulator: GatewaySimulator, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    """A garbled answer to a send may hide a stored message: kept, not an error."""
    setattr(simulator.faults, fault, True)
    response = await send(hass, recipients=["+15550100"], message="Hi")
    assert response["messages"] == []
    assert response["queued"]
    assert "waits in the outbox" in caplog.text
    assert API_KEY not in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("integration")
async def test_rejected_key(
    hass: HomeAssistant, simulator: GatewaySimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A rejected key on a send fails the call and starts re-authentication."""
    simulator.faults.reject_key = True
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=["+15550100"], message="Hi")
    assert err.value.translation_key == "invalid_auth"
    assert API_KEY not in str(err.value)
    assert API_KEY not in caplog.text
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("integration")
async def test_connection_refused_is_sent_when_back(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """An unreachable gateway keeps the accepted send and delivers it once back."""
    port = URL(simulator.url).port
    await simulator.stop()
    response = await send(hass, recipients=["+15550100"], message="Hi")
    assert response["messages"] == []
    assert response["queued"]

    await simulator.start(port=port or 0)
    freezer.tick(timedelta(seconds=RETRY_DELAYS[0]))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(r.params["number"], r.params["message"]) for r in sends(simulator)] == [
        ("+15550100", "Hi")
    ]


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_OUTBOX_TTL: 10}])
@pytest.mark.usefixtures("integration")
async def test_outbox_ttl_option_expires_unsent_messages(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A send kept past the chosen minutes is dropped, never sent."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    port = URL(simulator.url).port
    await simulator.stop()
    await send(hass, recipients=["+15550100"], message="Too late")

    # Eleven minutes of outage: past the option's ten, well before the default hour.
    for _ in range(11):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    await simulator.start(port=port or 0)
    freezer.tick(timedelta(minutes=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [event.data["reason"] for event in expired] == ["expired"]
    assert sends(simulator) == []


async def test_entry_by_id(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The entry can be named explicitly."""
    await send(hass, config_entry_id=integration.entry_id, recipients=["+15550100"], message="Hi")
    assert len(sends(simulator)) == 1


@pytest.mark.usefixtures("integration")
async def test_unknown_entry(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """An id that is no SMS Bridge entry is refused."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    for entry_id in ("nope", other.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, config_entry_id=entry_id, message="Hi")
        assert err.value.translation_key == "entry_not_found"
        assert err.value.translation_placeholders == {"entry_id": entry_id}
    assert simulator.requests == []


async def test_entry_not_loaded(hass: HomeAssistant, integration: MockConfigEntry) -> None:
    """An unloaded entry is refused, named by id or not."""
    await hass.config_entries.async_unload(integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, config_entry_id=integration.entry_id, message="Hi")
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"entry_title": "SMS Gateway"}
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi")
    assert err.value.translation_key == "no_loaded_entry"


async def test_two_entries(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """With two loaded entries the action must be told which one to use."""
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second gateway",
        unique_id="second",
        data={**integration.data, CONF_WEBHOOK_ID: "f" * 64},
        options={CONF_DEFAULT_PHONE: "2"},
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    simulator.requests.clear()

    with pytest.raises(ServiceValidationError) as err:
        await send(hass, recipients=["+15550100"], message="Hi")
    assert err.value.translation_key == "entry_required"
    assert simulator.requests == []

    await send(hass, config_entry_id=second.entry_id, recipients=["+15550100"], message="Hi")
    [request] = sends(simulator)
    assert request.params["devices"] == "2"
