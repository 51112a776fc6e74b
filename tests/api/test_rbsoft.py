"""Tests of `SmsGatewayClient` over real HTTP against the gateway simulator.

Each operation of the vendor's PHP client is driven through our client; the
parameters the simulator received are asserted exactly, so a renamed or missing field fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import json
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    Account,
    ConnectionErrorKind,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayConnectionError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    InvalidQueryError,
    Message,
    MessageQuery,
    MessageStatus,
    MessageType,
    Routing,
    Sender,
    SendRequest,
    Sim,
    SmsBridgeError,
    UssdQuery,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from tests.api.conftest import API_KEY
from tests.simulator import GatewaySimulator

ATTACHMENTS = ("https://example.com/a.png", "https://example.com/b.jpg")


def last_params(sim: GatewaySimulator, path: str) -> dict[str, Any]:
    """Return the parameters of the only request the simulator received, without the key."""
    (request,) = sim.requests
    assert request.path == path
    assert request.method == "POST"
    params = dict(request.params)
    assert params.pop("key") == API_KEY
    return params


async def sent(
    client: SmsGatewayClient, sim: GatewaySimulator, request: SendRequest
) -> list[Message]:
    """Send ``request`` and return the messages, checking it took one request."""
    messages = await client.send(request)
    assert len(sim.requests) == 1
    return messages


# -- account and phones ----------------------------------------------------------------------


async def test_credits(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """The credits query is send.php with the key alone."""
    assert await client.account() == Account(credits=100.0)
    assert last_params(simulator, "/services/send.php") == {}


async def test_credits_unlimited(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """`credits: null` means unlimited."""
    simulator.credits = None
    assert await client.account() == Account(credits=None, unlimited=True)


async def test_phones(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Phones with their SIMs (list form), last-seen time and versions; no battery."""
    office, pixel = await client.phones()
    assert last_params(simulator, "/services/get-devices.php") == {}
    assert office.id == "1"
    assert office.name == "Office phone"
    assert office.model == "SM-A600FN"
    assert office.android_version == "10"
    assert office.app_version == "9.4.9"
    assert office.last_seen == simulator.phones[1].last_seen
    assert office.last_seen is not None
    assert office.last_seen.tzinfo is not None
    assert office.sims == (
        Sim(slot=0, label="SIM #1 [Free]", detail="Free"),
        Sim(slot=1, label="SIM #2 [+33600000002]", detail="+33600000002"),
    )
    assert office.battery is None
    assert pixel.id == "2"
    assert pixel.display_name == "Pixel 7"
    assert pixel.sims == (Sim(slot=0, label="SIM #1 [Orange F]", detail="Orange F"),)


async def test_phones_sims_as_object(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Non-contiguous SIM slots come as a JSON object; a phone without SIMs has none."""
    simulator.remove_phone(2)
    solo = simulator.add_phone(None, model="Pixel 8", sims={1: "SIM #2 [+33600000009]"})
    bare = simulator.add_phone("Bare", sims={})
    simulator.add_phone("Disabled", enabled=False)
    phones = {phone.id: phone for phone in await client.phones()}
    assert set(phones) == {"1", str(solo.id), str(bare.id)}
    assert phones[str(solo.id)].sims == (
        Sim(slot=1, label="SIM #2 [+33600000009]", detail="+33600000009"),
    )
    assert phones[str(solo.id)].display_name == "Pixel 8"
    assert phones[str(bare.id)].sims == ()


async def test_phones_empty(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """An account without phones is an empty list, not an error."""
    simulator.remove_phone(1)
    simulator.remove_phone(2)
    assert await client.phones() == []


# -- sending one message -----------------------------------------------------------------------


async def test_send_single_primary(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """One recipient, no sender: `number` + `message`, the primary phone sends it."""
    (message,) = await sent(client, simulator, SendRequest(("+15550100",), "Hello single"))
    assert last_params(simulator, "/services/send.php") == {
        "type": "sms",
        "number": "+15550100",
        "message": "Hello single",
    }
    row = simulator.messages[message.id]
    assert message.number == row["number"] == "+15550100"
    assert message.text == "Hello single"
    assert message.status is MessageStatus.PENDING
    assert message.phone_id == "1"
    assert message.sim_slot is None
    assert message.type is MessageType.SMS
    assert message.group_id == row["groupID"]
    assert message.prioritize is False
    assert message.retries is None
    assert message.sent_at is not None
    assert simulator.credits == 99


@pytest.mark.parametrize(
    ("sender", "devices", "used"),
    [
        (Sender("2"), "2", ("2", None)),
        (Sender("1", 0), "1|0", ("1", 0)),
        (Sender("1", 1), "1|1", ("1", 1)),
    ],
)
async def test_send_single_with_sender(
    client: SmsGatewayClient,
    simulator: GatewaySimulator,
    sender: Sender,
    devices: str,
    used: tuple[str, int | None],
) -> None:
    """A phone is named "id", a SIM "id|slot" (0-based)."""
    request = SendRequest(("+15550100",), "Hi", senders=(sender,))
    (message,) = await sent(client, simulator, request)
    assert last_params(simulator, "/services/send.php")["devices"] == devices
    assert (message.phone_id, message.sim_slot) == used


async def test_send_scheduled(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A schedule goes as a Unix timestamp; the message comes back Scheduled."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    (message,) = await sent(client, simulator, SendRequest(("+15550100",), "Later", schedule=when))
    assert last_params(simulator, "/services/send.php") == {
        "type": "sms",
        "number": "+15550100",
        "message": "Later",
        "schedule": str(int(when.timestamp())),
    }
    assert message.status is MessageStatus.SCHEDULED
    assert message.schedule == when


async def test_send_mms(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """An MMS sends `type=mms` and comma-separated attachment URLs."""
    request = SendRequest(
        ("+15550100",), "MMS body", mms=True, attachments=ATTACHMENTS, senders=(Sender("1"),)
    )
    (message,) = await sent(client, simulator, request)
    assert last_params(simulator, "/services/send.php") == {
        "type": "mms",
        "attachments": ",".join(ATTACHMENTS),
        "number": "+15550100",
        "message": "MMS body",
        "devices": "1",
    }
    assert message.type is MessageType.MMS
    assert message.attachments == ATTACHMENTS


async def test_send_prioritized(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """`prioritize=1` (the gateway refuses "true"); send.php answers a JSON boolean."""
    request = SendRequest(("+15550100",), "OTP 1234", prioritize=True, senders=(Sender("1", 0),))
    (message,) = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert params["prioritize"] == "1"
    assert message.prioritize is True


# -- sending many in one request ---------------------------------------------------------------


def bulk_entries(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the `messages` JSON of a bulk send."""
    entries: list[dict[str, Any]] = json.loads(params["messages"])
    return entries


async def test_send_many_to_specified_sims(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Several recipients and SIMs: one bulk request, `devices` a JSON list, split in order."""
    request = SendRequest(
        ("+15550101", "+15550102", "+15550103"),
        "bulk",
        senders=(Sender("1", 0), Sender("1", 1)),
    )
    messages = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert params == {"type": "sms", "devices": '["1|0", "1|1"]', "messages": params["messages"]}
    assert bulk_entries(params) == [
        {"number": "+15550101", "message": "bulk", "type": "sms"},
        {"number": "+15550102", "message": "bulk", "type": "sms"},
        {"number": "+15550103", "message": "bulk", "type": "sms"},
    ]
    assert [(m.number, m.phone_id, m.sim_slot) for m in messages] == [
        ("+15550101", "1", 0),
        ("+15550102", "1", 0),
        ("+15550103", "1", 1),
    ]
    assert len({message.group_id for message in messages}) == 1


async def test_send_many_from_several_phones(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Several phones (no SIM named) share the recipients; one group per phone."""
    request = SendRequest(("+15550101", "+15550102"), "hi", senders=(Sender("1"), Sender("2")))
    messages = await sent(client, simulator, request)
    assert last_params(simulator, "/services/send.php")["devices"] == '["1", "2"]'
    assert [m.phone_id for m in messages] == ["1", "2"]
    assert messages[0].group_id != messages[1].group_id


async def test_one_recipient_several_senders_is_bulk(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Two senders for one recipient cannot use `number` mode (it takes one device)."""
    request = SendRequest(("+15550101",), "hi", senders=(Sender("2"), Sender("1")))
    (message,) = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert "number" not in params
    assert params["devices"] == '["2", "1"]'
    assert message.phone_id == "2"


async def test_send_many_primary(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Without senders or routing, the bulk goes to the primary phone with no device field."""
    messages = await sent(client, simulator, SendRequest(("+15550101", "+15550102"), "hi"))
    params = last_params(simulator, "/services/send.php")
    assert set(params) == {"type", "messages"}
    assert {m.phone_id for m in messages} == {"1"}


async def test_send_many_all_phones(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """`option=1`: every phone with its default SIM."""
    request = SendRequest(
        ("+15550101", "+15550102"), "hi", routing=Routing.ALL_PHONES, senders=(Sender("1", 1),)
    )
    messages = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert params["option"] == "1"
    assert "devices" not in params  # the routing wins over the senders
    assert [(m.phone_id, m.sim_slot) for m in messages] == [("1", None), ("2", None)]


async def test_send_many_all_sims(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """`option=2`: every SIM of every phone."""
    request = SendRequest(("+15550101", "+15550102", "+15550103"), "hi", routing=Routing.ALL_SIMS)
    messages = await sent(client, simulator, request)
    assert last_params(simulator, "/services/send.php")["option"] == "2"
    assert [(m.phone_id, m.sim_slot) for m in messages] == [("1", 0), ("1", 1), ("2", 0)]


async def test_send_many_random_sender(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """`useRandomDevice=1` picks one of the given senders for every message."""
    request = SendRequest(
        ("+15550101", "+15550102", "+15550103"),
        "hi",
        senders=(Sender("1", 0), Sender("2", 0)),
        random_sender=True,
    )
    messages = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert params["useRandomDevice"] == "1"
    assert params["devices"] == '["1|0", "2|0"]'
    assert len({(m.phone_id, m.sim_slot) for m in messages}) == 1


async def test_random_sender_for_one_recipient_is_bulk(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """A random pick among all SIMs is only possible in bulk mode, even for one recipient."""
    request = SendRequest(("+15550101",), "hi", routing=Routing.ALL_SIMS, random_sender=True)
    (message,) = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert "number" not in params
    assert (params["option"], params["useRandomDevice"]) == ("2", "1")
    assert (message.phone_id, message.sim_slot) in {("1", 0), ("1", 1), ("2", 0)}


async def test_send_many_mms_scheduled_prioritized(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Bulk MMS: attachments at top level (the gateway reads only those), plus each entry."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    request = SendRequest(
        ("+15550101", "+15550102"),
        "pics",
        mms=True,
        attachments=ATTACHMENTS,
        schedule=when,
        prioritize=True,
    )
    messages = await sent(client, simulator, request)
    params = last_params(simulator, "/services/send.php")
    assert params["attachments"] == ",".join(ATTACHMENTS)
    assert params["type"] == "mms"
    assert params["schedule"] == str(int(when.timestamp()))
    assert params["prioritize"] == "1"
    assert all(entry["type"] == "mms" for entry in bulk_entries(params))
    assert all(entry["attachments"] == ",".join(ATTACHMENTS) for entry in bulk_entries(params))
    for message in messages:
        assert message.type is MessageType.MMS
        assert message.attachments == ATTACHMENTS
        assert message.status is MessageStatus.SCHEDULED
        assert message.prioritize is True


async def test_send_refused(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Business errors keep the gateway's text and code; nothing is stored.

    Code 500 is the gateway failing, not a refusal of the input.
    """
    simulator.credits = 1
    with pytest.raises(GatewayApiError) as err:
        await client.send(SendRequest(("+15550101", "+15550102"), "too many"))
    assert not isinstance(err.value, GatewayRequestRefusedError)
    assert err.value.code == 500
    assert str(err.value) == (
        "You have insufficient credits to complete this operation. "
        "Please get more credits to continue."
    )
    with pytest.raises(GatewayApiError, match=r"^This device doesn't exist in database\.$"):
        await client.send(SendRequest(("+15550101",), "x", senders=(Sender("99"),)))
    with pytest.raises(GatewayApiError, match="There is no SIM card present on slot index 5"):
        await client.send(SendRequest(("+15550101",), "x", senders=(Sender("1", 5),)))
    with pytest.raises(GatewayApiError, match=r"^Please use a valid Mobile Number\.$"):
        await client.send(SendRequest(("MyBank",), "x"))
    assert simulator.messages == {}


# -- contacts lists ------------------------------------------------------------------------------


async def test_send_to_list(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A list send names the list; the gateway personalises each subscriber's copy."""
    messages = await client.send_to_list(1, SendRequest((), "Hi %name% (%number%) list %listID%"))
    assert last_params(simulator, "/services/send.php") == {
        "type": "sms",
        "listID": "1",
        "message": "Hi %name% (%number%) list %listID%",
    }
    assert [(m.number, m.text) for m in messages] == [
        ("+33600000101", "Hi Alice (%2B33600000101) list 1"),
        ("+33600000102", "Hi Bob (%2B33600000102) list 1"),
    ]


async def test_send_to_list_routing(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """List sends take the same routing, schedule and MMS fields as bulk sends."""
    request = SendRequest(
        (), "hi", mms=True, attachments=ATTACHMENTS[:1], senders=(Sender("1", 1), Sender("2"))
    )
    messages = await client.send_to_list(1, request)
    params = last_params(simulator, "/services/send.php")
    assert params == {
        "type": "mms",
        "attachments": ATTACHMENTS[0],
        "devices": '["1|1", "2"]',
        "listID": "1",
        "message": "hi",
    }
    assert [(m.phone_id, m.sim_slot, m.type) for m in messages] == [
        ("1", 1, MessageType.MMS),
        ("2", None, MessageType.MMS),
    ]
    simulator.requests.clear()
    await client.send_to_list(1, SendRequest((), "hi", routing=Routing.ALL_PHONES))
    assert last_params(simulator, "/services/send.php")["option"] == "1"


async def test_send_to_list_one_sender(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """A single sender of a list send is not dropped, whatever the request's recipients."""
    request = SendRequest(("+15550100",), "hi", senders=(Sender("2"),))
    messages = await client.send_to_list(1, request)
    assert last_params(simulator, "/services/send.php")["devices"] == '["2"]'
    assert {m.phone_id for m in messages} == {"2"}


async def test_send_to_list_refused(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """An unknown list (400) and a list without subscribers (204) are refusals of the input."""
    with pytest.raises(GatewayRequestRefusedError) as err:
        await client.send_to_list(999, SendRequest((), "x"))
    assert (err.value.code, str(err.value)) == (
        400,
        "Invalid List ID! Unable to find the contacts list.",
    )
    await client.unsubscribe_contact(1, "+33600000101")
    await client.unsubscribe_contact(1, "+33600000102")
    with pytest.raises(GatewayRequestRefusedError) as err:
        await client.send_to_list(1, SendRequest((), "x"))
    assert (err.value.code, str(err.value)) == (
        204,
        "There are no subscribers present in the contacts list.",
    )


async def test_subscribe_contact(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A new contact is added, subscribed, with its name."""
    contact = await client.subscribe_contact(1, "+11234567001", name="Alice2")
    assert last_params(simulator, "/services/manage-contacts.php") == {
        "listID": "1",
        "number": "+11234567001",
        "name": "Alice2",
    }
    assert contact.number == "+11234567001"
    assert contact.name == "Alice2"
    assert contact.subscribed is True
    assert contact.list_id == 1
    assert contact.id is not None
    assert simulator.contacts[contact.id]["subscribed"] is True


async def test_unsubscribe_and_resubscribe(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Unsubscribe sets `unsubscribe=1`; resubscribe sets `resubscribe=1` and renames."""
    contact = await client.unsubscribe_contact(1, "+33600000101")
    assert last_params(simulator, "/services/manage-contacts.php") == {
        "listID": "1",
        "number": "+33600000101",
        "unsubscribe": "1",
    }
    assert (contact.id, contact.name, contact.subscribed) == (1, "Alice", False)
    simulator.requests.clear()
    contact = await client.subscribe_contact(1, "+33600000101", name="Alicia", resubscribe=True)
    assert last_params(simulator, "/services/manage-contacts.php") == {
        "listID": "1",
        "number": "+33600000101",
        "name": "Alicia",
        "resubscribe": "1",
    }
    assert (contact.id, contact.name, contact.subscribed) == (1, "Alicia", True)


async def test_resubscribe_unknown_number_adds_it(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Resubscribing a number the list does not have adds it (no name sent when none given)."""
    contact = await client.subscribe_contact(1, "+11234567003", resubscribe=True)
    params = last_params(simulator, "/services/manage-contacts.php")
    assert "name" not in params
    assert (contact.name, contact.subscribed) == (None, True)


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (
            lambda c: c.subscribe_contact(1, "+33600000101"),
            400,
            "This mobile number already exists in the contacts list.",
        ),
        (
            lambda c: c.unsubscribe_contact(1, "+11234567999"),
            400,
            "This number is not present in the subscribers list.",
        ),
        (
            lambda c: c.subscribe_contact(999, "+11234567001"),
            403,
            "Invalid List ID! Unable to find the contacts list.",
        ),
        (
            lambda c: c.unsubscribe_contact(2, "+11234567001"),
            403,
            "Invalid List ID! Unable to find the contacts list.",
        ),
    ],
)
async def test_contact_refusals(
    client: SmsGatewayClient, simulator: GatewaySimulator, call: Any, code: int, message: str
) -> None:
    """The gateway's 400/403 refusals of the input are typed as such, with its code and text."""
    with pytest.raises(GatewayRequestRefusedError) as err:
        await call(client)
    assert (err.value.code, str(err.value)) == (code, message)


async def test_unsubscribe_twice(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Unsubscribing an unsubscribed contact is refused with the gateway's words."""
    await client.unsubscribe_contact(1, "+33600000102")
    with pytest.raises(GatewayApiError, match=r"^This number is already unsubscribed"):
        await client.unsubscribe_contact(1, "+33600000102")


# -- reading messages ------------------------------------------------------------------------------


async def test_read_by_id(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Read one message by id; read-back values are native ints (`prioritize` 0/1)."""
    (original,) = await client.send(SendRequest(("+15550100",), "hi", prioritize=True))
    simulator.requests.clear()
    (message,) = await client.messages(MessageQuery(message_id=original.id))
    assert last_params(simulator, "/services/read-messages.php") == {"id": str(original.id)}
    assert message.id == original.id
    assert message.text == "hi"
    assert message.prioritize is True
    assert message.retries == 0


async def test_read_follows_the_lifecycle(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Pending → Queued → Sent → Delivered, with the codes and dates the gateway fills in."""
    (original,) = await client.send(SendRequest(("+15550100",), "hi"))
    query = MessageQuery(message_id=original.id)
    seen = []
    for _ in range(3):
        await simulator.advance()
        (message,) = await client.messages(query)
        seen.append(message.status)
    assert seen == [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]
    assert message.sim_slot == 0
    assert (message.result_code, message.error_code) == (-1, -1)
    assert message.delivered_at is not None
    assert message.failure_reason is None


async def test_read_failed(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A failed message carries its result code and the decoded reason."""
    (original,) = await client.send(SendRequest(("+15550000",), "doomed"))
    await simulator.advance()
    await simulator.advance()
    (message,) = await client.messages(MessageQuery(message_id=original.id))
    assert message.status is MessageStatus.FAILED
    assert (message.result_code, message.error_code) == (1, 0)
    assert message.failure_reason == "generic_failure"


async def test_read_by_group(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Read a group with `groupId` (the gateway ignores `groupID` and would return everything)."""
    first, second = await client.send(SendRequest(("+15550101", "+15550102"), "group"))
    await client.send(SendRequest(("+15550103",), "other"))
    simulator.requests.clear()
    messages = await client.messages(MessageQuery(group_id=first.group_id))
    assert last_params(simulator, "/services/read-messages.php") == {"groupId": first.group_id}
    assert [m.id for m in messages] == [first.id, second.id]


async def test_read_by_status_and_filters(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Status, phone, SIM and a time window are all sent and all applied."""
    await client.send(
        SendRequest(("+15550101", "+15550102"), "x", senders=(Sender("1", 0), Sender("1", 1)))
    )
    start = datetime.now(UTC) - timedelta(hours=1)
    end = datetime.now(UTC) + timedelta(hours=1)
    simulator.requests.clear()
    query = MessageQuery(
        status=MessageStatus.PENDING, phone_id="1", sim_slot=1, start=start, end=end
    )
    (message,) = await client.messages(query)
    assert last_params(simulator, "/services/read-messages.php") == {
        "status": "Pending",
        "deviceID": "1",
        "simSlot": "1",
        "startTimestamp": str(int(start.timestamp())),
        "endTimestamp": str(int(end.timestamp())),
    }
    assert (message.number, message.sim_slot) == ("+15550102", 1)


async def test_read_nothing_found(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """The gateway's "404 No messages found." is an empty list."""
    assert await client.messages(MessageQuery(status=MessageStatus.RECEIVED)) == []
    assert await client.messages(MessageQuery(message_id="999999")) == []
    past = datetime.now(UTC) - timedelta(days=2)
    assert await client.messages(MessageQuery(end=past)) == []


async def test_read_received(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Received messages are read back with type sms (not null as in the webhook)."""
    await simulator.receive_sms("+33612345678", "hello", phone_id=2, sim_slot=0)
    (message,) = await client.messages(MessageQuery(status=MessageStatus.RECEIVED))
    assert last_params(simulator, "/services/read-messages.php") == {"status": "Received"}
    assert (message.number, message.text, message.phone_id) == ("+33612345678", "hello", "2")
    assert message.type is MessageType.SMS


async def test_unknown_status_filter_is_not_sent(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Our UNKNOWN status has no wire name: it filters nothing rather than sending junk."""
    await client.messages(MessageQuery(status=MessageStatus.UNKNOWN, phone_id="2"))
    assert last_params(simulator, "/services/read-messages.php") == {"deviceID": "2"}


# -- resending -------------------------------------------------------------------------------------


async def test_resend_by_id(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A failed message goes back to Pending with a new group and one more retry, for free."""
    (original,) = await client.send(SendRequest(("+15550000",), "retry me"))
    await simulator.advance()
    await simulator.advance()
    credits = simulator.credits
    simulator.requests.clear()
    (message,) = await client.resend(MessageQuery(message_id=original.id))
    assert last_params(simulator, "/services/resend.php") == {"id": str(original.id)}
    assert message.id == original.id
    assert message.status is MessageStatus.PENDING
    assert message.retries == 1
    assert message.group_id != original.group_id
    assert simulator.credits == credits


async def test_resend_by_group_and_status(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Only the messages of the group in the given status are resent."""
    ok, failed = await client.send(SendRequest(("+15550101", "+15550000"), "pair"))
    await simulator.advance()
    await simulator.advance()
    simulator.requests.clear()
    (message,) = await client.resend(
        MessageQuery(group_id=ok.group_id, status=MessageStatus.FAILED)
    )
    assert last_params(simulator, "/services/resend.php") == {
        "groupId": ok.group_id,
        "status": "Failed",
    }
    assert message.id == failed.id
    assert simulator.messages[ok.id]["status"] == "Sent"


async def test_resend_by_status_and_filters(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """Resend by status, phone, SIM and window sends every filter."""
    await client.send(SendRequest(("+15550000",), "x", senders=(Sender("2", 0),)))
    await client.send(SendRequest(("+15550000",), "y", senders=(Sender("1", 1),)))
    await simulator.advance()
    await simulator.advance()
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = datetime.now(UTC) + timedelta(minutes=5)
    simulator.requests.clear()
    query = MessageQuery(
        status=MessageStatus.FAILED, phone_id="2", sim_slot=0, start=start, end=end
    )
    (message,) = await client.resend(query)
    assert last_params(simulator, "/services/resend.php") == {
        "status": "Failed",
        "deviceID": "2",
        "simSlot": "0",
        "startTimestamp": str(int(start.timestamp())),
        "endTimestamp": str(int(end.timestamp())),
    }
    assert (message.text, message.phone_id) == ("x", "2")


async def test_resend_nothing_found(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Nothing to resend is an empty list."""
    assert await client.resend(MessageQuery(message_id="999999")) == []


async def test_resend_refuses_an_empty_query(
    client: SmsGatewayClient, simulator: GatewaySimulator
) -> None:
    """An empty query would resend the whole history: refused before any request."""
    with pytest.raises(InvalidQueryError, match="filter"):
        await client.resend(MessageQuery())
    assert simulator.requests == []


# -- USSD ------------------------------------------------------------------------------------------


async def test_send_ussd(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A USSD request names the phone and, when given, the SIM slot."""
    request = await client.send_ussd("1", "*150#", sim_slot=1)
    assert last_params(simulator, "/services/send-ussd-request.php") == {
        "request": "*150#",
        "device": "1",
        "sim": "1",
    }
    assert (request.request, request.phone_id, request.sim_slot) == ("*150#", "1", 1)
    assert request.response is None
    assert request.responded_at is None
    assert request.sent_at is not None
    assert simulator.ussd_requests[request.id]["request"] == "*150#"


async def test_send_ussd_default_sim(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Without a slot no `sim` field is sent; slot 0 is sent as "0"."""
    request = await client.send_ussd("2", "*100#")
    assert last_params(simulator, "/services/send-ussd-request.php") == {
        "request": "*100#",
        "device": "2",
    }
    assert request.sim_slot is None
    simulator.requests.clear()
    request = await client.send_ussd("1", "*101#", sim_slot=0)
    assert last_params(simulator, "/services/send-ussd-request.php")["sim"] == "0"
    assert request.sim_slot == 0


async def test_send_ussd_refused(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A missing SIM is error 404 here: a refusal, not "nothing found"."""
    with pytest.raises(GatewayApiError) as err:
        await client.send_ussd("1", "*150#", sim_slot=5)
    assert err.value.code == 404
    assert "there is sim present in slot 5" in str(err.value)
    with pytest.raises(GatewayApiError, match=r"^This device doesn't exist in database\.$"):
        await client.send_ussd("99", "*150#")


async def test_read_ussd(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Read a USSD request by id before and after the phone answers."""
    sent_request = await client.send_ussd("1", "*150#", sim_slot=0)
    simulator.requests.clear()
    (unanswered,) = await client.ussd_requests(UssdQuery(ussd_id=sent_request.id))
    assert last_params(simulator, "/services/read-ussd-requests.php") == {
        "id": str(sent_request.id)
    }
    assert unanswered.response is None
    await simulator.answer_ussd(sent_request.id, "Your balance is 12.50 EUR / valid till 31/12")
    (answered,) = await client.ussd_requests(UssdQuery(ussd_id=sent_request.id))
    assert answered.response == "Your balance is 12.50 EUR / valid till 31/12"
    assert answered.responded_at is not None


async def test_read_ussd_by_filters(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """Request text, phone, SIM and window are all sent and applied; nothing found is empty."""
    await client.send_ussd("1", "*150#", sim_slot=0)
    await client.send_ussd("1", "*150#", sim_slot=1)
    await client.send_ussd("2", "*150#")
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = datetime.now(UTC) + timedelta(minutes=5)
    simulator.requests.clear()
    query = UssdQuery(request="*150#", phone_id="1", sim_slot=1, start=start, end=end)
    (request,) = await client.ussd_requests(query)
    assert last_params(simulator, "/services/read-ussd-requests.php") == {
        "request": "*150#",
        "deviceID": "1",
        "simSlot": "1",
        "startTimestamp": str(int(start.timestamp())),
        "endTimestamp": str(int(end.timestamp())),
    }
    assert (request.phone_id, request.sim_slot) == ("1", 1)
    assert len(await client.ussd_requests(UssdQuery())) == 3
    assert await client.ussd_requests(UssdQuery(request="*999#")) == []


# -- typed errors ---------------------------------------------------------------------------------


async def test_wrong_key(session: aiohttp.ClientSession, simulator: GatewaySimulator) -> None:
    """The gateway's 401 is an authentication error, for every operation."""
    wrong = SmsGatewayClient(session, simulator.url, "wrong-key")
    calls: list[Callable[[], Awaitable[object]]] = [
        wrong.account,
        wrong.phones,
        lambda: wrong.send(SendRequest(("+15550100",), "x")),
        lambda: wrong.messages(MessageQuery(message_id="1")),
        lambda: wrong.resend(MessageQuery(message_id="1")),
        lambda: wrong.subscribe_contact(1, "+15550100"),
        lambda: wrong.unsubscribe_contact(1, "+33600000101"),
        lambda: wrong.send_to_list(1, SendRequest((), "x")),
        lambda: wrong.send_ussd("1", "*150#"),
        lambda: wrong.ussd_requests(UssdQuery(ussd_id="1")),
    ]
    for call in calls:
        with pytest.raises(GatewayAuthenticationError, match=r"^This API key is invalid\.$"):
            await call()
    assert len(simulator.requests) == len(calls)
    assert simulator.messages == {}


async def test_key_revoked(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A key that stops working mid-life is an authentication error too."""
    await client.account()
    simulator.faults.reject_key = True
    with pytest.raises(GatewayAuthenticationError):
        await client.account()


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening: a connection error that certainly sent nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = SmsGatewayClient(session, f"http://127.0.0.1:{port}", API_KEY)
    with pytest.raises(GatewayConnectionError) as err:
        await unreachable.send(SendRequest(("+15550100",), "x"))
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.REFUSED
    assert str(err.value) == "Cannot connect to the gateway: connection refused"
    assert API_KEY not in str(err.value)


class _NameNotFound(aiohttp.abc.AbstractResolver):
    """A resolver answering as the system's does for a name no DNS server knows."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        """Nothing to release."""


async def test_unknown_host() -> None:
    """A host name that does not resolve: a DNS failure, nothing sent."""
    # Tests may not use the network's DNS: the resolver answers as the system does.
    connector = aiohttp.TCPConnector(resolver=_NameNotFound())
    async with aiohttp.ClientSession(connector=connector) as session:
        nowhere = SmsGatewayClient(session, "http://sms-gateway.invalid", API_KEY)
        with pytest.raises(GatewayConnectionError) as err:
            await nowhere.account()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.DNS
    assert str(err.value) == "Cannot connect to the gateway: host name not found"


async def test_https_to_a_plain_http_server(
    session: aiohttp.ClientSession, simulator: GatewaySimulator
) -> None:
    """An https:// URL for a server that only speaks HTTP: the secure connection fails."""
    wrong_scheme = SmsGatewayClient(session, simulator.url.replace("http://", "https://"), API_KEY)
    with pytest.raises(GatewayConnectionError) as err:
        await wrong_scheme.account()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.TLS


async def test_timeout_after_sending(
    session: aiohttp.ClientSession, simulator: GatewaySimulator
) -> None:
    """The gateway got the request but never answered: it may have been sent."""
    slow = SmsGatewayClient(session, simulator.url, API_KEY, timeout=0.2)
    simulator.faults.hang = True
    try:
        with pytest.raises(GatewayConnectionError) as err:
            await slow.send(SendRequest(("+15550100",), "x"))
    finally:
        simulator.faults.reset()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.TIMEOUT
    assert [request.path for request in simulator.requests] == ["/services/send.php"]
    assert API_KEY not in str(err.value)


async def test_http_500(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """HTTP 500 with an Apache error page is a response error that quotes no page."""
    simulator.faults.http_500 = True
    with pytest.raises(GatewayResponseError) as err:
        await client.phones()
    assert str(err.value) == "The gateway answered HTTP 500"


async def test_html_error_page(client: SmsGatewayClient, simulator: GatewaySimulator) -> None:
    """A PHP warning and a login page with HTTP 200 is a response error."""
    simulator.faults.html_error = True
    with pytest.raises(GatewayResponseError) as err:
        await client.account()
    assert str(err.value) == "The gateway answered an HTML page"
    assert "mysqli" not in str(err.value)


async def test_wrong_base_url(session: aiohttp.ClientSession, simulator: GatewaySimulator) -> None:
    """A URL pasted with the script path still reaches the API; a sub-folder install works."""
    pasted = SmsGatewayClient(session, f"{simulator.url}/services/send.php", API_KEY)
    assert (await pasted.account()).credits == 100
    subfolder = SmsGatewayClient(session, f"{simulator.url}/sms/", API_KEY)
    assert (await subfolder.account()).credits == 100
    assert simulator.requests[-1].path == "/sms/services/send.php"


async def test_errors_never_contain_the_key(
    session: aiohttp.ClientSession, simulator: GatewaySimulator
) -> None:
    """No error text, repr or argument carries the API key."""
    errors: list[SmsBridgeError] = []
    wrong_key = "wrong-" + API_KEY
    for client, fault in [
        (SmsGatewayClient(session, simulator.url, wrong_key), None),
        (SmsGatewayClient(session, simulator.url, API_KEY), "http_500"),
        (SmsGatewayClient(session, simulator.url, API_KEY), "html_error"),
        (SmsGatewayClient(session, simulator.url, API_KEY), "reject_key"),
        (SmsGatewayClient(session, simulator.url, API_KEY, timeout=0.1), "hang"),
    ]:
        simulator.faults.reset()
        if fault:
            setattr(simulator.faults, fault, True)
        with pytest.raises(SmsBridgeError) as err:
            await client.send(SendRequest(("+15550100",), "x"))
        errors.append(err.value)
    simulator.faults.reset()
    with pytest.raises(SmsBridgeError) as err:
        await SmsGatewayClient(session, simulator.url, API_KEY).send_ussd("99", "*1#")
    errors.append(err.value)
    for error in errors:
        for text in (str(error), repr(error), *map(str, error.args)):
            assert API_KEY not in text
