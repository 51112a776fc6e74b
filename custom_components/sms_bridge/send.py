"""The one send path of the action and both notify flavours: validate, send, translate errors.

Everything the user can get wrong is checked before the first request, so a bad call never
reaches the gateway (and never costs credits). Then the entry's send guard counts the messages
against its limits, or refuses the send. A dry run checks the same and stops there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .api import PROVIDERS, Capability, Message, Routing, Sender, SendRequest
from .api.numbers import dialled_number, is_emergency_number, number_key
from .api.text import segment_count, sms_encoding
from .compat import vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_PROVIDER,
    CONF_SENDER_ID,
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
ATTR_SENDER_ID: Final = "sender_id"
ATTR_DRY_RUN: Final = "dry_run"

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
    vol.Optional(ATTR_SENDER_ID): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
}
"""Options shared by the action and the legacy notify service's ``data``."""
_SEND_OPTIONS_SCHEMA: Final = vol.Schema(SEND_OPTIONS)


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


async def async_reply(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    number: str,
    text: str,
    received: Message,
) -> None:
    """Send ``text`` to ``number`` from the phone (and SIM) that received ``received``.

    From the account when the provider has no phones, from the gateway's choice of SIM when
    the provider cannot be told one.
    """
    capabilities = entry.runtime_data.gateway.capabilities
    options: dict[str, Any] = {}
    if Capability.PHONES in capabilities and received.phone_id is not None:
        options[ATTR_PHONE] = received.phone_id
        phone = entry.runtime_data.coordinator.data.phones.get(received.phone_id)
        slot = received.sim_slot
        if Capability.SIM_SELECT in capabilities and phone and slot is not None and phone.sim(slot):
            options[ATTR_SIM] = slot + 1
    await async_send(hass, entry, [number], text, _SEND_OPTIONS_SCHEMA(options))


def dry_run_response(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    recipients: Sequence[str] | None,
    text: str,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """Check a send as ``async_send`` would, send nothing; return what it would send.

    What refuses the send as a whole (the text, the sender, the number of recipients, the
    limits) raises the same ServiceValidationError. A recipient's own problem (a number that
    cannot be dialled, one not among the allowed recipients) is listed with that recipient,
    so one call shows them all; ``would_send`` is False then, as the send would be refused.
    Nothing is counted against the limits.
    """
    request = build_list_request(entry, text, options)
    guard = entry.runtime_data.guard
    given = recipients or entry.options.get(CONF_DEFAULT_RECIPIENTS) or ()
    if not given:
        raise validation_error("no_default_recipients")
    checked: dict[str, str | None] = {}  # number (as written when invalid): its problem
    contacts = ContactBook.of(hass, entry)
    for recipient in given:
        try:
            number = recipient_number(contacts, recipient)
        except ServiceValidationError as err:
            checked[recipient] = err.translation_key
            continue
        checked[number] = None if guard.allows(number) else "recipient_not_allowed"
    numbers = tuple(number for number, problem in checked.items() if problem is None)
    _check_recipient_count(entry, len(numbers))
    guard.check(len(numbers))
    response = sent_response(replace(request, recipients=numbers), [])
    sendable = {item["number"]: item for item in response["recipients"]}
    response["recipients"] = [
        sendable[number] if problem is None else _refused(number, problem)
        for number, problem in checked.items()
    ]
    return response | {"queued": None, "would_send": len(numbers) == len(checked)}


def sent_response(request: SendRequest, messages: Sequence[Message]) -> dict[str, Any]:
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


def _refused(number: str, error: str | None) -> dict[str, Any]:
    """Return the response data of a recipient nothing would be sent to, and why."""
    return {"number": number, "error": error, "encoding": None, "segments": None, "cost": None}


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
    sender_id: str | None = options.get(ATTR_SENDER_ID)

    needed = {
        Capability.MMS: mms,
        Capability.SCHEDULE: schedule is not None,
        Capability.PRIORITY: options[ATTR_PRIORITIZE],
        Capability.SIM_SELECT: any(sender.sim_slot is not None for sender in senders),
        Capability.SPREAD: routing is not Routing.SPECIFIED or random_sender or len(senders) > 1,
        Capability.SENDER_ID: sender_id is not None,
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
        sender_id=(
            sender_id or entry.options.get(CONF_SENDER_ID) or None
            if Capability.SENDER_ID in capabilities
            else None
        ),
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
    cleaned = {recipient_number(contacts, number): None for number in numbers}
    _check_recipient_count(entry, len(cleaned))
    return tuple(cleaned)


def recipient_number(contacts: ContactBook, recipient: str) -> str:
    """Return the number to send to for a contact's name (any case) or a number.

    A number goes out in E.164 form when it has one (a national one read in Home Assistant's
    country), else as dialled (a short code). Raises ServiceValidationError for an unknown
    name, a number that cannot be dialled and an emergency number.
    """
    if contact := contacts.by_name(recipient):
        return contact.number
    if (number := dialled_number(recipient, contacts.country)) is not None:
        # An automation must never text the emergency services.
        if is_emergency_number(number, contacts.country):
            raise validation_error("emergency_number", number=recipient)
        return number
    if any(char.isalpha() for char in recipient):
        raise validation_error("unknown_contact", name=recipient)
    raise validation_error("invalid_number", number=recipient)


def _check_recipient_count(entry: SmsBridgeConfigEntry, count: int) -> None:
    limit = PROVIDERS[entry.data[CONF_PROVIDER]].max_recipients
    if limit is not None and count > limit:
        raise validation_error("too_many_recipients", count=count, max=limit)


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
