"""Tests of the library models' JSON-ready form, used by action responses and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from custom_components.sms_bridge.api import (
    Contact,
    Message,
    MessageStatus,
    MessageType,
    UssdRequest,
)
from custom_components.sms_bridge.serialize import contact_data, message_data, ussd_data

SENT = datetime(2026, 11, 22, 2, 15, 56, tzinfo=UTC)


def test_message_data() -> None:
    """Every field is JSON-ready: ISO dates, 1-based SIM number, enum values."""
    message = Message(
        id="4",
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
        cost=5.8,
        segments=2,
    )
    assert message_data(message) == {
        "message_id": "4",
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
        "cost": 5.8,
        "segments": 2,
    }


def test_message_data_with_nothing_known() -> None:
    """Missing values stay None (no SIM 0, no empty date strings)."""
    data = message_data(Message(id="1", number="InfoSMS", text="", status=MessageStatus.UNKNOWN))
    assert data["sim"] is None
    assert data["type"] is None
    assert data["attachments"] == []
    assert data["sent_at"] is None
    assert data["delivered_at"] is None
    assert data["schedule"] is None


def test_ussd_data() -> None:
    """USSD requests serialise with their answer and the 1-based SIM number."""
    request = UssdRequest(
        id="1",
        request="*150#",
        response="Your balance is 12.50 EUR",
        phone_id="1",
        sim_slot=1,
        sent_at=SENT,
    )
    assert ussd_data(request) == {
        "ussd_id": "1",
        "request": "*150#",
        "response": "Your balance is 12.50 EUR",
        "phone_id": "1",
        "sim": 2,
        "sent_at": "2026-11-22T02:15:56+00:00",
        "responded_at": None,
    }


def test_contact_data() -> None:
    """Contacts serialise with their list and subscription state."""
    contact = Contact(id=5, number="+11234567899", name=None, subscribed=False, list_id=1)
    assert contact_data(contact) == {
        "contact_id": 5,
        "number": "+11234567899",
        "name": None,
        "subscribed": False,
        "list_id": 1,
    }
