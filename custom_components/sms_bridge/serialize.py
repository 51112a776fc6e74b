"""The library's models as JSON-serialisable dicts: action responses, events, diagnostics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .api import Contact, Message, UssdRequest

MESSAGE_KEYS = (
    "message_id",
    "group_id",
    "number",
    "text",
    "status",
    "type",
    "phone_id",
    "sim",
    "attachments",
    "sent_at",
    "delivered_at",
    "schedule",
    "result_code",
    "error_code",
    "failure_reason",
    "retries",
    "cost",
    "segments",
)


def message_data(message: Message) -> dict[str, Any]:
    """Return a message as response and event data."""
    return {
        "message_id": message.id,
        "group_id": message.group_id,
        "number": message.number,
        "text": message.text,
        "status": message.status.value,
        "type": message.type.value if message.type else None,
        "phone_id": message.phone_id,
        "sim": sim_number(message.sim_slot),
        "attachments": list(message.attachments),
        "sent_at": _iso(message.sent_at),
        "delivered_at": _iso(message.delivered_at),
        "schedule": _iso(message.schedule),
        "result_code": message.result_code,
        "error_code": message.error_code,
        "failure_reason": message.failure_reason,
        "retries": message.retries,
        "cost": message.cost,
        "segments": message.segments,
    }


def ussd_data(ussd: UssdRequest) -> dict[str, Any]:
    """Return a USSD request as response and event data."""
    return {
        "ussd_id": ussd.id,
        "request": ussd.request,
        "response": ussd.response,
        "phone_id": ussd.phone_id,
        "sim": sim_number(ussd.sim_slot),
        "sent_at": _iso(ussd.sent_at),
        "responded_at": _iso(ussd.responded_at),
    }


def contact_data(contact: Contact) -> dict[str, Any]:
    """Return a contact as response data."""
    return {
        "contact_id": contact.id,
        "number": contact.number,
        "name": contact.name,
        "subscribed": contact.subscribed,
        "list_id": contact.list_id,
    }


def sim_number(slot: int | None) -> int | None:
    """Return the 1-based SIM number people see, of a 0-based slot."""
    return None if slot is None else slot + 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
