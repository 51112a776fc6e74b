"""The library's models as JSON-serialisable dicts: action responses, events, diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .api import Contact, Message, SendRequest, UssdRequest
from .api.numbers import number_key
from .api.text import segment_count, sms_encoding

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


def send_response(request: SendRequest, messages: Sequence[Message]) -> dict[str, Any]:
    """Return the response data describing the messages a send created.

    ``cost`` is what the provider charged for the whole send, when it told.
    Each recipient is listed with the encoding and parts of the text and, when the provider's
    answer tells, the parts it billed and what it cost.
    """
    costs = [message.cost for message in messages if message.cost is not None]
    by_number: dict[str, Message] = {}
    for sent in messages:
        by_number.setdefault(number_key(sent.number), sent)
    encoding = None if request.mms else sms_encoding(request.text)
    segments = 1 if request.mms else segment_count(request.text)
    recipients = []
    for number in request.recipients or tuple(by_number):
        message = by_number.get(number)
        recipients.append(
            {
                "number": number,
                "error": None,
                "encoding": encoding,
                "segments": message.segments if message and message.segments else segments,
                "cost": message.cost if message else None,
            }
        )
    return {
        "messages": [message_data(message) for message in messages],
        "group_ids": list(dict.fromkeys(m.group_id for m in messages if m.group_id)),
        "segments": segments,
        "encoding": encoding,
        "recipients": recipients,
        "cost": round(sum(costs), 6) if costs else None,
    }


def refused_recipient(number: str, error: str | None) -> dict[str, Any]:
    """Return the response data of a recipient nothing would be sent to, and why."""
    return {"number": number, "error": error, "encoding": None, "segments": None, "cost": None}


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
