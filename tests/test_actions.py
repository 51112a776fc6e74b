"""The list, resend, read and contacts actions, through HA's service registry against the simulator.

send_ussd has its own module (test_ussd.py); entry selection is tested with send_message.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components import api as rest_api
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.compat import vol
from custom_components.sms_bridge.const import DOMAIN
from tests.conftest import API_KEY
from tests.helpers import logged_tracebacks
from tests.simulator import GatewaySimulator, errors
from tests.simulator.state import Row, message_row, utcnow

SEND = "/services/send.php"
READ = "/services/read-messages.php"
RESEND = "/services/resend.php"
CONTACTS = "/services/manage-contacts.php"


async def call(hass: HomeAssistant, action: str, **data: Any) -> dict[str, Any]:
    """Call an action and return its response data."""
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def stored(
    simulator: GatewaySimulator,
    status: str,
    *,
    number: str = "+15550100",
    device_id: int = 1,
    sim_slot: int | None = 0,
    group_id: str | None = None,
) -> Row:
    """Put a message straight into the gateway's history (nothing tracks it)."""
    row = message_row(
        number=number,
        message=f"{status} message",
        device_id=device_id,
        sim_slot=sim_slot,
        status=status,
        sent=utcnow(),
        group_id=group_id,
    )
    return simulator.store_message(row)


def params(simulator: GatewaySimulator, path: str) -> list[dict[str, Any]]:
    """Return the parameters of every call to ``path``, the API key left out."""
    return [
        {name: value for name, value in request.params.items() if name != "key"}
        for request in simulator.requests
        if request.path == path
    ]


# -- send_to_contact_list -------------------------------------------------------------------


async def test_send_to_list(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """One request sends to every subscriber; the messages are returned and tracked."""
    response = await call(hass, "send_to_contact_list", list_id=1, message="Hi %name%")

    assert params(simulator, SEND) == [
        {"type": "sms", "devices": '["1"]', "listID": "1", "message": "Hi %name%"}
    ]
    assert [(m["number"], m["text"], m["status"]) for m in response["messages"]] == [
        ("+33600000101", "Hi Alice", "pending"),
        ("+33600000102", "Hi Bob", "pending"),
    ]
    [group] = {row["groupID"] for row in simulator.messages.values()}
    assert response["group_ids"] == [group]
    assert response["segments"] == 1
    assert integration.runtime_data.tracker.tracked_count == 2


@pytest.mark.usefixtures("integration")
async def test_send_to_list_options(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """MMS, SIM, schedule and priority go out like for send_message."""
    when = (dt_util.now() + timedelta(hours=1)).replace(microsecond=0)
    await call(
        hass,
        "send_to_contact_list",
        list_id=1,
        message="Look",
        type="mms",
        attachments=["https://example.com/a.png"],
        phone="1",
        sim=2,
        schedule=when.isoformat(),
        prioritize=True,
    )
    assert params(simulator, SEND) == [
        {
            "type": "mms",
            "attachments": "https://example.com/a.png",
            "schedule": str(int(when.timestamp())),
            "prioritize": "1",
            "devices": '["1|1"]',
            "listID": "1",
            "message": "Look",
        }
    ]
    assert {(row["simSlot"], row["status"]) for row in simulator.messages.values()} == {
        (1, "Scheduled")
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"message": " "}, "empty_message"),
        ({"message": "x" * 1531}, "message_too_long"),
        ({"type": "mms"}, "mms_without_attachments"),
        ({"attachments": ["https://example.com/a.png"]}, "attachments_need_mms"),
        ({"phone": "9"}, "unknown_phone"),
        ({"phone": "2", "sim": 2}, "unknown_sim"),
        ({"phone": "2", "routing": "all_sims"}, "sender_conflict"),
        ({"schedule": "2020-01-01T00:00:00+00:00"}, "schedule_in_past"),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_send_to_list_invalid(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any], key: str
) -> None:
    """The checks of send_message apply, before any request."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_to_contact_list", **({"list_id": 1, "message": "Hi"} | data))
    assert err.value.translation_key == key
    assert simulator.requests == []


@pytest.mark.parametrize("list_id", [0, -1, "abc"])
@pytest.mark.usefixtures("integration")
async def test_send_to_list_bad_list_id(
    hass: HomeAssistant, simulator: GatewaySimulator, list_id: object
) -> None:
    """A list id is a positive number."""
    with pytest.raises(vol.Invalid):
        await call(hass, "send_to_contact_list", list_id=list_id, message="Hi")
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("list_id", "unsubscribe_all", "text"),
    [(999, False, errors.INVALID_LIST_ID), (1, True, errors.NO_SUBSCRIBERS)],
    ids=["unknown_list", "no_subscribers"],
)
@pytest.mark.usefixtures("integration")
async def test_send_to_list_refused(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    list_id: int,
    unsubscribe_all: bool,
    text: str,
) -> None:
    """A refusal of the user's choice is a validation error quoting the gateway."""
    for contact in simulator.contacts.values():
        contact["subscribed"] = not unsubscribe_all
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_to_contact_list", list_id=list_id, message="Hi")
    assert err.value.translation_key == "request_refused"
    assert err.value.translation_placeholders == {"error": text}
    assert len(params(simulator, SEND)) == 1
    assert simulator.messages == {}


# -- resend_messages ------------------------------------------------------------------------


async def test_resend_by_id(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A failed message goes out again as pending and is tracked from there."""
    row = stored(simulator, "Failed")
    response = await call(hass, "resend_messages", message_id=row["ID"])

    assert params(simulator, RESEND) == [{"id": str(row["ID"])}]
    [message] = response["messages"]
    assert (message["message_id"], message["status"], message["retries"]) == (
        str(row["ID"]),
        "pending",
        1,
    )
    assert message["group_id"] == simulator.messages[row["ID"]]["groupID"]
    assert integration.runtime_data.tracker.tracked_count == 1


@pytest.mark.usefixtures("integration")
async def test_resend_by_group_and_status(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Only the failed messages of the group are resent."""
    failed = stored(simulator, "Failed", group_id="group-a")
    stored(simulator, "Delivered", group_id="group-a")
    stored(simulator, "Failed", group_id="group-b")

    response = await call(hass, "resend_messages", group_id="group-a", status="failed")

    assert params(simulator, RESEND) == [{"groupId": "group-a", "status": "Failed"}]
    assert [m["message_id"] for m in response["messages"]] == [str(failed["ID"])]


@pytest.mark.usefixtures("integration")
async def test_resend_by_status_phone_sim_window(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Status, phone, SIM (1-based → slot) and the time window all go to the gateway."""
    wanted = stored(simulator, "Failed", device_id=1, sim_slot=1)
    stored(simulator, "Failed", device_id=1, sim_slot=0)
    stored(simulator, "Failed", device_id=2, sim_slot=1)
    start = dt_util.utcnow() - timedelta(hours=1)
    end = dt_util.utcnow() + timedelta(hours=1)

    response = await call(
        hass,
        "resend_messages",
        status="failed",
        phone="1",
        sim=2,
        start=start.isoformat(),
        end=end.isoformat(),
    )

    assert params(simulator, RESEND) == [
        {
            "status": "Failed",
            "deviceID": "1",
            "simSlot": "1",
            "startTimestamp": str(int(start.timestamp())),
            "endTimestamp": str(int(end.timestamp())),
        }
    ]
    assert [m["message_id"] for m in response["messages"]] == [str(wanted["ID"])]


async def test_resend_nothing_matches(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """No matching message is an empty result, not an error."""
    response = await call(hass, "resend_messages", message_id=99)
    assert response == {"messages": []}
    assert len(params(simulator, RESEND)) == 1
    assert integration.runtime_data.tracker.tracked_count == 0


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({}, "resend_needs_filter", {}),
        ({"phone": "1"}, "resend_needs_filter", {}),
        ({"start": "2025-01-01T00:00:00+00:00"}, "resend_needs_filter", {}),
        ({"status": "failed", "sim": 2}, "sim_filter_without_phone", {"sim": "2"}),
        (
            {
                "status": "failed",
                "start": "2025-01-02T00:00:00+00:00",
                "end": "2025-01-01T00:00:00+00:00",
            },
            "invalid_time_window",
            {"start": "2025-01-01T16:00:00-08:00", "end": "2024-12-31T16:00:00-08:00"},
        ),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_resend_invalid(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A filter that would resend the whole history, or more than asked, is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "resend_messages", **data)
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders
    assert simulator.requests == []


@pytest.mark.parametrize(
    "data",
    [{"status": "received"}, {"group_id": "  "}, {"status": "failed", "phone": ""}],
    ids=["received", "blank_group", "blank_phone"],
)
@pytest.mark.usefixtures("integration")
async def test_resend_schema(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any]
) -> None:
    """Received messages cannot be picked, and a blank filter is no filter."""
    with pytest.raises(vol.Invalid):
        await call(hass, "resend_messages", **data)
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_resend_phone_disabled(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The gateway refuses to resend through a disabled phone: its text reaches the user."""
    row = stored(simulator, "Failed")
    simulator.phones[1].enabled = False
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "resend_messages", message_id=row["ID"])
    assert err.value.translation_key == "gateway_error"
    assert err.value.translation_placeholders == {
        "error": errors.unable_to_connect("Office phone [1]")
    }
    assert simulator.messages[row["ID"]]["status"] == "Failed"


@pytest.mark.usefixtures("integration")
async def test_resend_without_response(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Called without asking for a response, the action still resends."""
    row = stored(simulator, "Failed")
    result = await hass.services.async_call(
        DOMAIN, "resend_messages", {"message_id": row["ID"]}, blocking=True
    )
    assert result is None
    assert simulator.messages[row["ID"]]["status"] == "Pending"


# -- get_messages ---------------------------------------------------------------------------


@pytest.mark.usefixtures("integration")
async def test_get_by_id_and_group(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """By id and by group, with the response in the shape of send_message."""
    first = stored(simulator, "Delivered", group_id="group-a")
    second = stored(simulator, "Sent", group_id="group-a", sim_slot=1)
    stored(simulator, "Sent", group_id="group-b")

    by_id = await call(hass, "get_messages", message_id=first["ID"])
    by_group = await call(hass, "get_messages", group_id="group-a")

    assert params(simulator, READ) == [{"id": str(first["ID"])}, {"groupId": "group-a"}]
    assert by_id["messages"] == [
        {
            "message_id": str(first["ID"]),
            "group_id": "group-a",
            "number": "+15550100",
            "text": "Delivered message",
            "status": "delivered",
            "type": "sms",
            "phone_id": "1",
            "sim": 1,
            "attachments": [],
            "sent_at": dt_util.parse_datetime(first["sentDate"]).isoformat(),
            "delivered_at": None,
            "schedule": None,
            "result_code": None,
            "error_code": None,
            "failure_reason": None,
            "retries": 0,
            "cost": None,
            "segments": None,
        }
    ]
    assert [(m["message_id"], m["sim"]) for m in by_group["messages"]] == [
        (str(first["ID"]), 1),
        (str(second["ID"]), 2),
    ]


@pytest.mark.usefixtures("integration")
async def test_get_received_in_window(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Status, phone, SIM and window narrow the read; a start alone is enough."""
    received = await simulator.receive_sms("+15550199", "Hello", phone_id=2, sim_slot=0)
    stored(simulator, "Sent", device_id=2)
    start = dt_util.utcnow() - timedelta(minutes=5)

    response = await call(
        hass, "get_messages", status="received", phone="2", sim=1, start=start.isoformat()
    )
    everything = await call(hass, "get_messages", start=start.isoformat())

    assert params(simulator, READ) == [
        {
            "status": "Received",
            "deviceID": "2",
            "simSlot": "0",
            "startTimestamp": str(int(start.timestamp())),
        },
        {"startTimestamp": str(int(start.timestamp()))},
    ]
    assert [(m["message_id"], m["text"]) for m in response["messages"]] == [
        (str(received["ID"]), "Hello")
    ]
    assert len(everything["messages"]) == 2


@pytest.mark.usefixtures("integration")
async def test_get_nothing_found(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The gateway's "No messages found." is an empty list."""
    assert await call(hass, "get_messages", status="failed") == {"messages": []}
    assert len(params(simulator, READ)) == 1


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "get_messages_needs_filter"),
        ({"phone": "1", "sim": 1}, "get_messages_needs_filter"),
        ({"end": "2025-01-01T00:00:00+00:00"}, "get_messages_needs_filter"),
        ({"status": "sent", "sim": 1}, "sim_filter_without_phone"),
        (
            {"start": "2025-01-02T00:00:00+00:00", "end": "2025-01-01T00:00:00+00:00"},
            "invalid_time_window",
        ),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_get_invalid(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any], key: str
) -> None:
    """A read of the whole history, or of a SIM on every phone, is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_messages", **data)
    assert err.value.translation_key == key
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_get_time_without_offset(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A time without offset (the UI's datetime selector) is in HA's time zone."""
    await hass.config.async_set_time_zone("Pacific/Auckland")
    start = dt_util.now().replace(microsecond=0) - timedelta(hours=1)
    await call(hass, "get_messages", start=start.replace(tzinfo=None).isoformat(sep=" "))
    assert params(simulator, READ) == [{"startTimestamp": str(int(start.timestamp()))}]


@pytest.mark.parametrize(
    ("fault", "key"), [("html_error", "invalid_response"), ("http_500", "invalid_response")]
)
@pytest.mark.usefixtures("integration")
async def test_get_bad_answer(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    key: str,
) -> None:
    """A broken gateway is a translated error, without the key or a traceback."""
    setattr(simulator.faults, fault, True)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_messages", status="sent")
    assert err.value.translation_key == key
    assert API_KEY not in str(err.value.translation_placeholders)
    assert not logged_tracebacks(caplog)


@pytest.mark.usefixtures("integration")
async def test_get_gateway_down(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """An unreachable gateway is a translated error that names the host.

    The connection kept open from setup is closed by the stop: the first read may find it
    dropped rather than refused; either way the message says what happened, without class names.
    """
    host = simulator.url.removeprefix("http://")
    await simulator.stop()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_messages", status="sent")
    assert err.value.translation_key in {"cannot_connect_refused", "cannot_connect_dropped"}
    assert host in str(err.value)
    assert "Error" not in str(err.value)


@pytest.mark.usefixtures("integration")
async def test_get_rejected_key(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A rejected key fails the read and starts re-authentication."""
    simulator.faults.reject_key = True
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_messages", status="sent")
    assert err.value.translation_key == "invalid_auth"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


# -- subscribe_contact / unsubscribe_contact ------------------------------------------------


@pytest.mark.usefixtures("integration")
async def test_subscribe_new(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A new number, cleaned, joins the list with its name."""
    response = await call(
        hass, "subscribe_contact", list_id=1, number="+1 (555) 0100", name=" Carol "
    )
    assert params(simulator, CONTACTS) == [{"listID": "1", "number": "+15550100", "name": "Carol"}]
    assert response == {
        "contact": {
            "contact_id": 3,
            "number": "+15550100",
            "name": "Carol",
            "subscribed": True,
            "list_id": 1,
        }
    }


@pytest.mark.usefixtures("integration")
async def test_unsubscribe_and_resubscribe(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """An existing contact leaves the list, then comes back with resubscribe."""
    left = await call(hass, "unsubscribe_contact", list_id=1, number="+33600000101")
    back = await call(
        hass, "subscribe_contact", list_id=1, number="+33600000101", name="", resubscribe=True
    )
    assert params(simulator, CONTACTS) == [
        {"listID": "1", "number": "+33600000101", "unsubscribe": "1"},
        {"listID": "1", "number": "+33600000101", "resubscribe": "1"},
    ]
    assert left["contact"] == {
        "contact_id": 1,
        "number": "+33600000101",
        "name": "Alice",
        "subscribed": False,
        "list_id": 1,
    }
    assert back["contact"]["subscribed"] is True
    assert simulator.contacts[1]["subscribed"] is True


@pytest.mark.parametrize(
    ("action", "data", "text"),
    [
        ("subscribe_contact", {"number": "+33600000101"}, errors.CONTACT_EXISTS),
        ("subscribe_contact", {"list_id": 7, "number": "+15550100"}, errors.INVALID_LIST_ID),
        ("unsubscribe_contact", {"number": "+15550100"}, errors.NOT_A_SUBSCRIBER),
        ("unsubscribe_contact", {"number": "+33600000102"}, errors.ALREADY_UNSUBSCRIBED),
        ("unsubscribe_contact", {"list_id": 7, "number": "+15550100"}, errors.INVALID_LIST_ID),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_contact_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, action: str, data: dict[str, Any], text: str
) -> None:
    """A refusal of the user's input is a validation error quoting the gateway's reason."""
    simulator.contacts[2]["subscribed"] = False
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, **({"list_id": 1} | data))
    assert err.value.translation_key == "request_refused"
    assert err.value.translation_placeholders == {"error": text}
    assert str(err.value) == f"The gateway refused this input: {text}"


@pytest.mark.usefixtures("integration")
async def test_refusal_from_the_frontend_logs_no_traceback(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    """Called from the frontend, a refused input is a validation error, not an unexpected one."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "subscribe_contact",
            "service_data": {"list_id": 1, "number": "+33600000101"},
        }
    )
    reply = await client.receive_json()
    assert not reply["success"]
    assert reply["error"]["code"] == "service_validation_error"
    assert reply["error"]["translation_key"] == "request_refused"
    assert reply["error"]["translation_placeholders"] == {"error": errors.CONTACT_EXISTS}
    assert "Unexpected exception" not in caplog.text
    # Home Assistant keeps the traceback of a validation error for its debug log only.
    assert all(r.exc_info is None for r in caplog.records if r.levelno > logging.DEBUG)


async def test_refusal_through_the_rest_api(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through the REST API, a refused input is a 400 with the gateway's words, and no traceback.

    Where Home Assistant's API tells a validation error apart (2026 and later); older releases
    answer every failed action with 500, which an integration cannot change.
    """
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    response = await client.post(
        f"/api/services/{DOMAIN}/subscribe_contact",
        json={"list_id": 1, "number": "+33600000101"},
    )
    if hasattr(rest_api, "ServiceValidationError"):
        assert response.status == HTTPStatus.BAD_REQUEST
        assert errors.CONTACT_EXISTS in (await response.json())["message"]
        assert "Unexpected exception" not in caplog.text
        assert not logged_tracebacks(caplog)
    else:  # the web server logs the escaped error itself
        assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR


@pytest.mark.parametrize("action", ["subscribe_contact", "unsubscribe_contact"])
@pytest.mark.usefixtures("integration")
async def test_contact_invalid_number(
    hass: HomeAssistant, simulator: GatewaySimulator, action: str
) -> None:
    """A number the gateway could never text is refused before any request."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, list_id=1, number="MyBank")
    assert err.value.translation_key == "invalid_number"
    assert err.value.translation_placeholders == {"number": "MyBank"}
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_contact_without_response(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Called without asking for a response, the action still subscribes."""
    result = await hass.services.async_call(
        DOMAIN, "subscribe_contact", {"list_id": 1, "number": "+15550100"}, blocking=True
    )
    assert result is None
    assert any(c["number"] == "+15550100" for c in simulator.contacts.values())


# -- shared ---------------------------------------------------------------------------------

ACTIONS = [
    ("send_to_contact_list", Capability.LIST_SEND, {"list_id": 1, "message": "Hi"}),
    ("resend_messages", Capability.RESEND, {"message_id": 1}),
    ("get_messages", Capability.READ, {"message_id": 1}),
    ("subscribe_contact", Capability.CONTACTS, {"list_id": 1, "number": "+15550100"}),
    ("unsubscribe_contact", Capability.CONTACTS, {"list_id": 1, "number": "+15550100"}),
    ("send_ussd", Capability.USSD, {"code": "*100#"}),
]


@pytest.mark.parametrize(("action", "capability", "data"), ACTIONS)
@pytest.mark.usefixtures("integration")
async def test_not_supported(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    action: str,
    capability: Capability,
    data: dict[str, Any],
) -> None:
    """A gateway without the capability refuses the action before any request."""
    with (
        patch.object(
            SmsGatewayClient, "capabilities", SmsGatewayClient.capabilities - {capability}
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, action, **data)
    assert err.value.translation_key == "not_supported"
    assert err.value.translation_placeholders == {"feature": capability.value}
    assert simulator.requests == []


@pytest.mark.parametrize(("action", "capability", "data"), ACTIONS)
@pytest.mark.usefixtures("integration")
async def test_unknown_entry(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    action: str,
    capability: Capability,
    data: dict[str, Any],
) -> None:
    """Every action takes config_entry_id and refuses an unknown one."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, config_entry_id="nope", **data)
    assert err.value.translation_key == "entry_not_found"
    assert simulator.requests == []
