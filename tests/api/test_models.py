"""Tests of the provider-neutral models and request types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.sms_bridge.api import (
    Account,
    Contact,
    InboundBatch,
    Message,
    MessageQuery,
    MessageStatus,
    MessageType,
    Phone,
    Sim,
    UssdRequest,
)

SENT = datetime(2026, 11, 22, 2, 15, 56, tzinfo=UTC)


def test_status_is_final() -> None:
    """Only delivered, failed, canceled and received messages are final."""
    final = {status for status in MessageStatus if status.is_final}
    assert final == {
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
    }


def test_status_rank_follows_the_lifecycle() -> None:
    """A later report never ranks below an earlier one; every final state ranks highest."""
    lifecycle = [
        MessageStatus.UNKNOWN,
        MessageStatus.SCHEDULED,
        MessageStatus.PENDING,
        MessageStatus.QUEUED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
    ]
    ranks = [status.rank for status in lifecycle]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    top = MessageStatus.DELIVERED.rank
    assert all(status.rank == top for status in MessageStatus if status.is_final)
    assert MessageStatus.SENT.rank < MessageStatus.FAILED.rank


def test_sim_number_is_one_based() -> None:
    """SIM slots are 0-based on the wire, numbered from 1 for people."""
    assert Sim(slot=0, label="SIM #1").number == 1
    assert Sim(slot=1, label="SIM #2", detail="Free").number == 2


@pytest.mark.parametrize(
    ("detail", "phone_number", "operator"),
    [
        ("+33600000002", "+33600000002", None),
        ("06 12-34 (56)", "06 12-34 (56)", None),
        ("Free", None, "Free"),
        ("Orange F", None, "Orange F"),
        ("3", None, "3"),
        ("O2 - de", None, "O2 - de"),
        (None, None, None),
    ],
)
def test_sim_detail_is_a_number_or_an_operator(
    detail: str | None, phone_number: str | None, operator: str | None
) -> None:
    """The gateway's one detail is told apart: a phone number, or else the SIM name or carrier."""
    sim = Sim(slot=0, label="SIM #1", detail=detail)
    assert (sim.phone_number, sim.operator) == (phone_number, operator)


def test_phone_display_name_and_sim_lookup() -> None:
    """The name wins over the model, the model over a generic name; sims are found by slot."""
    sims = (Sim(slot=0, label="SIM #1"), Sim(slot=1, label="SIM #2"))
    assert Phone(id="1", name="Office phone", model="SM-A600FN").display_name == "Office phone"
    assert Phone(id="1", model="SM-A600FN").display_name == "SM-A600FN"
    assert Phone(id="7").display_name == "Phone 7"
    phone = Phone(id="1", sims=sims)
    assert phone.sim(1) == sims[1]
    assert phone.sim(2) is None
    assert Phone(id="2").sim(0) is None


def test_account_defaults() -> None:
    """Credits unknown and unlimited are both None; the flag tells them apart."""
    assert Account(credits=None).unlimited is False
    assert Account(credits=None, unlimited=True).unlimited is True


def test_message_as_dict() -> None:
    """Every field is JSON-ready: ISO dates, 1-based SIM number, enum values."""
    message = Message(
        id=4,
        number="+11234567890",
        text="MMS body",
        status=MessageStatus.DELIVERED,
        phone_id="1",
        sim_slot=0,
        group_id="EyCmE0UjimWVlYS8UQ6b02505d876313.22767494",
        type=MessageType.MMS,
        attachments=("https://example.com/a.png", "https://example.com/b.jpg"),
        sent_at=SENT,
        delivered_at=datetime(2026, 11, 22, 4, 17, 30, tzinfo=timezone(timedelta(hours=2))),
        schedule=datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
        result_code=-1,
        error_code=-1,
        retries=0,
        prioritize=True,
        failure_reason=None,
    )
    assert message.as_dict() == {
        "message_id": 4,
        "group_id": "EyCmE0UjimWVlYS8UQ6b02505d876313.22767494",
        "number": "+11234567890",
        "text": "MMS body",
        "status": "delivered",
        "type": "mms",
        "phone_id": "1",
        "sim": 1,
        "attachments": ["https://example.com/a.png", "https://example.com/b.jpg"],
        "sent_at": "2026-11-22T02:15:56+00:00",
        "delivered_at": "2026-11-22T04:17:30+02:00",
        "schedule": "2026-11-22T03:00:00+00:00",
        "result_code": -1,
        "error_code": -1,
        "failure_reason": None,
        "retries": 0,
    }


def test_message_as_dict_with_nothing_known() -> None:
    """Missing values stay None (no SIM 0, no empty date strings)."""
    data = Message(id=1, number="InfoSMS", text="", status=MessageStatus.UNKNOWN).as_dict()
    assert data["sim"] is None
    assert data["type"] is None
    assert data["attachments"] == []
    assert data["sent_at"] is None
    assert data["delivered_at"] is None
    assert data["schedule"] is None


def test_ussd_as_dict() -> None:
    """USSD requests serialise with their answer and the 1-based SIM number."""
    request = UssdRequest(
        id=1,
        request="*150#",
        response="Your balance is 12.50 EUR",
        phone_id="1",
        sim_slot=1,
        sent_at=SENT,
    )
    assert request.as_dict() == {
        "ussd_id": 1,
        "request": "*150#",
        "response": "Your balance is 12.50 EUR",
        "phone_id": "1",
        "sim": 2,
        "sent_at": "2026-11-22T02:15:56+00:00",
        "responded_at": None,
    }


def test_contact_as_dict() -> None:
    """Contacts serialise with their list and subscription state."""
    contact = Contact(id=5, number="+11234567899", name=None, subscribed=False, list_id=1)
    assert contact.as_dict() == {
        "contact_id": 5,
        "number": "+11234567899",
        "name": None,
        "subscribed": False,
        "list_id": 1,
    }


def test_inbound_batch_defaults_to_empty() -> None:
    """An empty batch carries neither messages nor USSD answers."""
    assert InboundBatch() == InboundBatch(messages=(), ussd_requests=())


@pytest.mark.parametrize(
    ("query", "empty"),
    [
        (MessageQuery(), True),
        (MessageQuery(message_id=0), False),
        (MessageQuery(group_id="g"), False),
        (MessageQuery(status=MessageStatus.FAILED), False),
        (MessageQuery(phone_id="1"), False),
        (MessageQuery(sim_slot=0), False),
        (MessageQuery(start=SENT), False),
        (MessageQuery(end=SENT), False),
    ],
)
def test_message_query_is_empty(query: MessageQuery, empty: bool) -> None:
    """Any one filter, even a falsy one like id 0 or slot 0, makes the query non-empty."""
    assert query.is_empty is empty
