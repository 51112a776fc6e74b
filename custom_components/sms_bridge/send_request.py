"""A send as the user asked for it, checked and turned into the library's request.

Pure functions of what the send names and of the entry's context (its capabilities and limits,
its phones, its contacts, its defaults): everything the user can get wrong is refused here,
with a translated ServiceValidationError, before any request reaches the gateway (and costs
credits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    SelectOptionDict,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util

from .api import Capability, Limits, Message, Phone, Routing, Sender, SendRequest
from .api.numbers import dialled_number, is_emergency_number
from .api.text import segment_count
from .compat import vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_SENDER_ID,
)
from .contacts import ContactBook
from .errors import validation_error
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
SEND_OPTIONS_SCHEMA: Final = vol.Schema(SEND_OPTIONS)


@dataclass(frozen=True, slots=True)
class SendDefaults:
    """What an entry's options set for the sends that do not say."""

    phone: str | None = None
    sim: int | None = None
    recipients: tuple[str, ...] = ()
    sender_id: str | None = None
    allow_http_attachments: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SendDefaults:
        """Return the defaults an entry's options set."""
        return cls(
            phone=options.get(CONF_DEFAULT_PHONE) or None,
            sim=options.get(CONF_DEFAULT_SIM) or None,
            recipients=tuple(options.get(CONF_DEFAULT_RECIPIENTS) or ()),
            sender_id=options.get(CONF_SENDER_ID) or None,
            allow_http_attachments=bool(options.get(CONF_ALLOW_HTTP_ATTACHMENTS, False)),
        )


def send_defaults_schema(
    capabilities: frozenset[Capability], phones: Mapping[str, Phone], current_phone: str | None
) -> dict[vol.Marker, Selector[Any]]:
    """Return the options form's fields of the defaults the provider has a use for.

    No phone without phones, no SIM without a choice of SIM, no sender name where the sender
    cannot be chosen. A default phone the gateway no longer lists (or that is unknown while the
    entry is not loaded) stays selectable, so saving other options does not drop it.
    """
    fields: dict[vol.Marker, Selector[Any]] = {}
    if Capability.PHONES in capabilities:
        choices = [
            SelectOptionDict(value=phone.id, label=phone.display_name) for phone in phones.values()
        ]
        if current_phone is not None and current_phone not in phones:
            choices.append(SelectOptionDict(value=current_phone, label=current_phone))
        fields[vol.Optional(CONF_DEFAULT_PHONE)] = SelectSelector(
            SelectSelectorConfig(options=choices, mode=SelectSelectorMode.DROPDOWN)
        )
    if Capability.SIM_SELECT in capabilities:
        sim_count = max([2, *(sim.number for phone in phones.values() for sim in phone.sims)])
        fields[vol.Optional(CONF_DEFAULT_SIM)] = SelectSelector(
            SelectSelectorConfig(
                options=[str(number) for number in range(1, sim_count + 1)],
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    if Capability.SENDER_ID in capabilities:
        fields[vol.Optional(CONF_SENDER_ID)] = TextSelector()
    fields[vol.Optional(CONF_DEFAULT_RECIPIENTS)] = TextSelector(
        TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
    )
    return fields


def send_defaults_options(user_input: Mapping[str, Any], recipients: list[str]) -> dict[str, Any]:
    """Return the defaults to store: the SIM as a number, the cleaned numbers."""
    options: dict[str, Any] = {}
    if phone := user_input.get(CONF_DEFAULT_PHONE):
        options[CONF_DEFAULT_PHONE] = phone
    if sim := user_input.get(CONF_DEFAULT_SIM):
        options[CONF_DEFAULT_SIM] = int(sim)
    if sender_id := str(user_input.get(CONF_SENDER_ID) or "").strip():
        options[CONF_SENDER_ID] = sender_id
    if recipients:
        options[CONF_DEFAULT_RECIPIENTS] = recipients
    return options


def clean_numbers(numbers: Sequence[str], country: str | None) -> list[str] | None:
    """Return the numbers to store, skipping blank ones and repeats; None if one is refused.

    A number is stored in E.164 form when it has one (a national one read in ``country``), else
    as dialled (a short code); one that is not dialable or an emergency number is refused.
    """
    cleaned: dict[str, None] = {}
    for number in numbers:
        if not number.strip():
            continue
        if (value := dialled_number(number, country)) is None or is_emergency_number(
            value, country
        ):
            return None
        cleaned[value] = None
    return list(cleaned)


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a send is checked against: the entry's gateway, phones, contacts and defaults."""

    capabilities: frozenset[Capability]
    limits: Limits
    phones: Mapping[str, Phone]
    contacts: ContactBook
    defaults: SendDefaults
    now: datetime


def build_request(
    context: SendContext,
    recipients: Sequence[str] | None,
    text: str,
    options: Mapping[str, Any],
) -> SendRequest:
    """Return the request to send, or raise ServiceValidationError for the user's mistake.

    ``options`` holds the keys of ``SEND_OPTIONS``, already through that schema. Without
    recipients the message goes to the entry's default recipients.
    """
    request = build_list_request(context, text, options)
    numbers = given_recipients(context, recipients)
    cleaned = {recipient_number(context.contacts, number): None for number in numbers}
    check_recipient_count(context, len(cleaned))
    return replace(request, recipients=tuple(cleaned))


def given_recipients(context: SendContext, recipients: Sequence[str] | None) -> Sequence[str]:
    """Return the recipients of a send: those given, else the entry's default ones."""
    given = recipients or context.defaults.recipients
    if not given:
        raise validation_error("no_default_recipients")
    return given


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


def check_recipient_count(context: SendContext, count: int) -> None:
    """Refuse more recipients than the provider takes in one send."""
    limit = context.limits.max_recipients
    if limit is not None and count > limit:
        raise validation_error("too_many_recipients", count=count, max=limit)


def build_list_request(context: SendContext, text: str, options: Mapping[str, Any]) -> SendRequest:
    """Return a request without recipients (a contacts list gives them), validated."""
    capabilities = context.capabilities
    mms = options[ATTR_TYPE] == TYPE_MMS
    attachments = tuple(options.get(ATTR_ATTACHMENTS) or ())
    routing: Routing = options[ATTR_ROUTING]
    schedule: datetime | None = options.get(ATTR_SCHEDULE)
    random_sender: bool = options[ATTR_RANDOM_PHONE]
    senders = _senders(context, options)
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
        _check_attachments(context, attachments)
    elif attachments:
        raise validation_error("attachments_need_mms")
    elif not text.strip():
        raise validation_error("empty_message")
    elif (limit := context.limits.max_segments) is not None and (
        segments := segment_count(text)
    ) > limit:
        raise validation_error("message_too_long", segments=segments, max=limit)

    if schedule is not None:
        schedule = dt_util.as_utc(schedule)
        if schedule <= context.now:
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
            sender_id or context.defaults.sender_id
            if Capability.SENDER_ID in capabilities
            else None
        ),
    )


def reply_options(context: SendContext, received: Message) -> dict[str, Any]:
    """Return the options sending from the phone (and SIM) that received ``received``.

    From the account when the provider has no phones, from the gateway's choice of SIM when
    the provider cannot be told one.
    """
    options: dict[str, Any] = {}
    if Capability.PHONES in context.capabilities and received.phone_id is not None:
        options[ATTR_PHONE] = received.phone_id
        phone = context.phones.get(received.phone_id)
        slot = received.sim_slot
        if (
            Capability.SIM_SELECT in context.capabilities
            and phone
            and slot is not None
            and phone.sim(slot)
        ):
            options[ATTR_SIM] = slot + 1
    result: dict[str, Any] = SEND_OPTIONS_SCHEMA(options)
    return result


def _check_attachments(context: SendContext, attachments: tuple[str, ...]) -> None:
    if not attachments:
        raise validation_error("mms_without_attachments")
    for url in attachments:
        if not _is_attachment_url(url):
            raise validation_error("invalid_attachment", url=url)
        # The phone downloads the file: over plain HTTP anyone on the way can read it.
        if urlsplit(url).scheme != "https" and not context.defaults.allow_http_attachments:
            raise validation_error("attachment_not_https", url=url)


def _senders(context: SendContext, options: Mapping[str, Any]) -> tuple[Sender, ...]:
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

    phones = context.phones
    for other in phone_ids:
        if other not in phones:
            raise validation_error("unknown_phone", phone=other)
    if phone_ids:
        return tuple(Sender(other) for other in dict.fromkeys(phone_ids))

    default_phone = context.defaults.phone
    phone_id = phone_id or default_phone
    if sim is None and phone_id == default_phone:
        sim = context.defaults.sim
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
