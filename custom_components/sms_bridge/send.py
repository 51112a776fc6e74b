"""The one send path of the action and both notify flavours: validate, send, translate errors.

Everything the user can get wrong is checked before the first request, so a bad call never
reaches the gateway (and never costs credits). Then the entry's send guard counts the messages
against its limits, or refuses the send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .api import PROVIDERS, Capability, Message, Routing, Sender, SendRequest
from .api.text import clean_number, segment_count
from .compat import vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_PROVIDER,
)
from .contacts import ContactBook
from .data import SmsBridgeConfigEntry
from .errors import translated_gateway_errors, validation_error
from .outbox import OutboxRecord
from .serialize import message_data
from .sim_choice import find_sim, sim_choice

ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"
ATTR_TYPE: Final = "type"
ATTR_ATTACHMENTS: Final = "attachments"
ATTR_PHONE: Final = "phone"
ATTR_SIM: Final = "sim"
ATTR_ROUTING: Final = "routing"
ATTR_PHONES: Final = "phones"
ATTR_RANDOM_PHONE: Final = "random_phone"
ATTR_SCHEDULE: Final = "schedule"
ATTR_PRIORITIZE: Final = "prioritize"

TYPE_SMS: Final = "sms"
TYPE_MMS: Final = "mms"

SEND_OPTIONS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_TYPE, default=TYPE_SMS): vol.In([TYPE_SMS, TYPE_MMS]),
    vol.Optional(ATTR_ATTACHMENTS): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_PHONE): cv.string,
    vol.Optional(ATTR_SIM): sim_choice,
    vol.Optional(ATTR_ROUTING, default=Routing.SPECIFIED.value): vol.Coerce(Routing),
    vol.Optional(ATTR_PHONES): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_RANDOM_PHONE, default=False): cv.boolean,
    vol.Optional(ATTR_SCHEDULE): cv.datetime,
    vol.Optional(ATTR_PRIORITIZE, default=False): cv.boolean,
}
"""Options shared by the action and the legacy notify service's ``data``."""


async def async_send(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    recipients: Sequence[str] | None,
    text: str,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """Validate and send one message; return the response data of the send_message action.

    ``options`` holds the keys of ``SEND_OPTIONS``, already through that schema. Without
    recipients the message goes to the entry's default recipients.
    """
    request = build_request(hass, entry, recipients, text, options)
    with (
        translated_gateway_errors(hass, entry),
        entry.runtime_data.guard.sending(request.recipients),
    ):
        result = await entry.runtime_data.outbox.async_send(request)
    if isinstance(result, OutboxRecord):
        # Accepted but not delivered to the gateway yet: the outbox retries it.
        return sent_response(request, []) | {"queued": result.id}
    entry.runtime_data.tracker.track(result)
    return sent_response(request, result) | {"queued": None}


def sent_response(request: SendRequest, messages: Sequence[Message]) -> dict[str, Any]:
    """Return the response data describing the messages a send created."""
    return {
        "messages": [message_data(message) for message in messages],
        "group_ids": list(dict.fromkeys(m.group_id for m in messages if m.group_id)),
        "segments": 1 if request.mms else segment_count(request.text),
    }


def build_request(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    recipients: Sequence[str] | None,
    text: str,
    options: Mapping[str, Any],
) -> SendRequest:
    """Return the request to send, or raise ServiceValidationError for the user's mistake."""
    request = build_list_request(entry, text, options)
    return replace(request, recipients=_recipients(hass, entry, recipients))


def build_list_request(
    entry: SmsBridgeConfigEntry, text: str, options: Mapping[str, Any]
) -> SendRequest:
    """Return a request without recipients (a contacts list gives them), validated."""
    capabilities = entry.runtime_data.gateway.capabilities
    mms = options[ATTR_TYPE] == TYPE_MMS
    attachments = tuple(options.get(ATTR_ATTACHMENTS) or ())
    routing: Routing = options[ATTR_ROUTING]
    schedule: datetime | None = options.get(ATTR_SCHEDULE)
    random_sender: bool = options[ATTR_RANDOM_PHONE]
    senders = _senders(entry, options)

    needed = {
        Capability.MMS: mms,
        Capability.SCHEDULE: schedule is not None,
        Capability.PRIORITY: options[ATTR_PRIORITIZE],
        Capability.SIM_SELECT: any(sender.sim_slot is not None for sender in senders),
        Capability.SPREAD: routing is not Routing.SPECIFIED or random_sender or len(senders) > 1,
    }
    for capability, used in needed.items():
        if used and capability not in capabilities:
            raise validation_error("not_supported", feature=capability.value)

    if mms:
        if not attachments:
            raise validation_error("mms_without_attachments")
        allow_http = entry.options.get(CONF_ALLOW_HTTP_ATTACHMENTS, False)
        for url in attachments:
            if not _is_attachment_url(url):
                raise validation_error("invalid_attachment", url=url)
            # The phone downloads the file: over plain HTTP anyone on the way can read it.
            if urlsplit(url).scheme != "https" and not allow_http:
                raise validation_error("attachment_not_https", url=url)
    elif attachments:
        raise validation_error("attachments_need_mms")
    elif not text.strip():
        raise validation_error("empty_message")
    elif (limit := PROVIDERS[entry.data[CONF_PROVIDER]].max_segments) is not None and (
        segments := segment_count(text)
    ) > limit:
        raise validation_error("message_too_long", segments=segments, max=limit)

    if schedule is not None:
        schedule = dt_util.as_utc(schedule)
        if schedule <= dt_util.utcnow():
            raise validation_error(
                "schedule_in_past", schedule=dt_util.as_local(schedule).isoformat()
            )

    return SendRequest(
        recipients=(),
        text=text,
        mms=mms,
        attachments=attachments,
        senders=senders,
        routing=routing,
        random_sender=random_sender,
        schedule=schedule,
        prioritize=options[ATTR_PRIORITIZE],
    )


def _recipients(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry, recipients: Sequence[str] | None
) -> tuple[str, ...]:
    """Return the cleaned numbers without duplicates, in the order given.

    A recipient is a contact's name (any case) or a number.
    """
    numbers = recipients or entry.options.get(CONF_DEFAULT_RECIPIENTS) or ()
    if not numbers:
        raise validation_error("no_default_recipients")
    contacts = ContactBook.of(hass, entry)
    cleaned: dict[str, None] = {}
    for number in numbers:
        if contact := contacts.by_name(number):
            cleaned[contact.number] = None
        elif (clean := clean_number(number)) is not None:
            cleaned[clean] = None
        elif any(char.isalpha() for char in number):
            raise validation_error("unknown_contact", name=number)
        else:
            raise validation_error("invalid_number", number=number)
    limit = PROVIDERS[entry.data[CONF_PROVIDER]].max_recipients
    if limit is not None and len(cleaned) > limit:
        raise validation_error("too_many_recipients", count=len(cleaned), max=limit)
    return tuple(cleaned)


def _senders(entry: SmsBridgeConfigEntry, options: Mapping[str, Any]) -> tuple[Sender, ...]:
    """Return the phones (and SIM) to send from; empty lets the gateway choose."""
    phone_id: str | None = options.get(ATTR_PHONE)
    sim: int | str | None = options.get(ATTR_SIM)
    phone_ids: list[str] = options.get(ATTR_PHONES) or []
    explicit = phone_id is not None or sim is not None
    if (explicit and phone_ids) or (
        (explicit or phone_ids) and options[ATTR_ROUTING] is not Routing.SPECIFIED
    ):
        raise validation_error("sender_conflict")
    if options[ATTR_ROUTING] is not Routing.SPECIFIED:
        return ()

    phones = entry.runtime_data.coordinator.data.phones
    for other in phone_ids:
        if other not in phones:
            raise validation_error("unknown_phone", phone=other)
    if phone_ids:
        return tuple(Sender(other) for other in dict.fromkeys(phone_ids))

    default_phone: str | None = entry.options.get(CONF_DEFAULT_PHONE) or None
    phone_id = phone_id or default_phone
    if sim is None and phone_id == default_phone:
        sim = entry.options.get(CONF_DEFAULT_SIM) or None
    if phone_id is None:
        if sim is not None:
            raise validation_error("sim_without_phone", sim=sim)
        return ()
    if (phone := phones.get(phone_id)) is None:
        raise validation_error("unknown_phone", phone=phone_id)
    return (Sender(phone_id, None if sim is None else find_sim(phone, sim).slot),)


def _is_attachment_url(url: str) -> bool:
    # The gateway splits the attachment list on commas, so a comma would cut a URL in two.
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(char == "," or char.isspace() for char in url)
    )
