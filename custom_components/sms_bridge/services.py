"""The sms_bridge.* actions.

Message filters (get_messages, resend_messages) go to the gateway as they are, and the gateway
answers an empty filter with the whole history: each action needs one filter that picks the
messages (see ``_message_query``), and a SIM only narrows the search together with its phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .api import Capability, MessageQuery, MessageStatus
from .api.numbers import clean_number
from .compat import vol
from .const import CONF_DEFAULT_PHONE, CONF_DEFAULT_SIM, DOMAIN
from .data import SmsBridgeConfigEntry
from .device_choice import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE, async_resolve_devices
from .errors import translated_gateway_errors, validation_error
from .send_request import (
    ATTR_DRY_RUN,
    ATTR_MESSAGE,
    ATTR_PHONE,
    ATTR_RECIPIENTS,
    ATTR_SIM,
    SEND_OPTIONS,
)
from .serialize import contact_data, message_data
from .sim_choice import find_sim, sim_choice, sim_number
from .ussd import is_ussd_code

SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_SEND_TO_CONTACT_LIST: Final = "send_to_contact_list"
SERVICE_RESEND_MESSAGES: Final = "resend_messages"
SERVICE_GET_MESSAGES: Final = "get_messages"
SERVICE_SUBSCRIBE_CONTACT: Final = "subscribe_contact"
SERVICE_UNSUBSCRIBE_CONTACT: Final = "unsubscribe_contact"
SERVICE_SEND_USSD: Final = "send_ussd"
SERVICE_CANCEL_MESSAGE: Final = "cancel_message"

ATTR_LIST_ID: Final = "list_id"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_GROUP_ID: Final = "group_id"
ATTR_STATUS: Final = "status"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_NUMBER: Final = "number"
ATTR_NAME: Final = "name"
ATTR_RESUBSCRIBE: Final = "resubscribe"
ATTR_CODE: Final = "code"
ATTR_WAIT: Final = "wait"
ATTR_TIMEOUT: Final = "timeout"

# A received message resent would go back to its sender: resending is for outgoing ones.
RESEND_STATUSES: Final = [
    status.value
    for status in MessageStatus
    if status not in (MessageStatus.RECEIVED, MessageStatus.UNKNOWN)
]
READ_STATUSES: Final = [status.value for status in MessageStatus if status != MessageStatus.UNKNOWN]

_ENTRY: Final[dict[vol.Marker, Any]] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
_POSITIVE_INT: Final = vol.All(vol.Coerce(int), vol.Range(min=1))
_NOT_BLANK: Final = vol.All(cv.string, vol.Strip, vol.Length(min=1))
# The phone device to act through: it names both the entry and the phone.
_DEVICE: Final[dict[vol.Marker, Any]] = {vol.Optional(ATTR_DEVICE): _NOT_BLANK}
# Ids are strings; a number, as automations written for numeric ids give, is read as one.
_ID: Final = vol.All(
    vol.Any(vol.All(int, vol.Range(min=0)), str), cv.string, vol.Strip, vol.Length(min=1)
)


def _filters(statuses: list[str]) -> dict[vol.Marker, Any]:
    return {
        **_DEVICE,
        vol.Optional(ATTR_MESSAGE_ID): _ID,
        vol.Optional(ATTR_GROUP_ID): _NOT_BLANK,
        vol.Optional(ATTR_STATUS): vol.In(statuses),
        vol.Optional(ATTR_PHONE): _NOT_BLANK,
        vol.Optional(ATTR_SIM): sim_choice,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }


SEND_MESSAGE_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_DEVICE,
        vol.Optional(ATTR_RECIPIENTS): vol.All(cv.ensure_list_csv, [cv.string]),
        vol.Required(ATTR_MESSAGE): cv.string,
        **SEND_OPTIONS,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)
SEND_TO_CONTACT_LIST_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_DEVICE,
        vol.Required(ATTR_LIST_ID): _POSITIVE_INT,
        vol.Required(ATTR_MESSAGE): cv.string,
        **SEND_OPTIONS,
    }
)
RESEND_MESSAGES_SCHEMA = vol.Schema({**_ENTRY, **_filters(RESEND_STATUSES)})
GET_MESSAGES_SCHEMA = vol.Schema({**_ENTRY, **_filters(READ_STATUSES)})
SUBSCRIBE_CONTACT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_LIST_ID): _POSITIVE_INT,
        vol.Required(ATTR_NUMBER): cv.string,
        vol.Optional(ATTR_NAME): vol.All(cv.string, vol.Strip),
        vol.Optional(ATTR_RESUBSCRIBE, default=False): cv.boolean,
    }
)
UNSUBSCRIBE_CONTACT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_LIST_ID): _POSITIVE_INT,
        vol.Required(ATTR_NUMBER): cv.string,
    }
)
SEND_USSD_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_DEVICE,
        vol.Optional(ATTR_PHONE): _NOT_BLANK,
        vol.Optional(ATTR_SIM): sim_choice,
        vol.Required(ATTR_CODE): vol.All(cv.string, vol.Strip),
        vol.Optional(ATTR_WAIT, default=False): cv.boolean,
        vol.Optional(ATTR_TIMEOUT, default=60): vol.All(vol.Coerce(int), vol.Range(min=5, max=300)),
    }
)
CANCEL_MESSAGE_SCHEMA = vol.Schema({**_ENTRY, **_DEVICE, vol.Required(ATTR_MESSAGE_ID): _ID})


@callback
def async_get_entry(hass: HomeAssistant, entry_id: str | None) -> SmsBridgeConfigEntry:
    """Return the loaded entry an action is for; without an id, the only loaded one."""
    if entry_id is None:
        loaded = hass.config_entries.async_loaded_entries(DOMAIN)
        if not loaded:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_loaded_entry"
            )
        if len(loaded) > 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="entry_required"
            )
        return cast(SmsBridgeConfigEntry, loaded[0])
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_title": entry.title},
        )
    return cast(SmsBridgeConfigEntry, entry)


def _entry_with(
    call: ServiceCall, capability: Capability
) -> tuple[SmsBridgeConfigEntry, dict[str, Any]]:
    """Return the entry of the call, if its gateway can do what the action needs, and its data."""
    data = async_resolve_devices(call.hass, call.data)
    entry = async_get_entry(call.hass, data.get(ATTR_CONFIG_ENTRY_ID))
    if capability not in entry.runtime_data.gateway.capabilities:
        raise validation_error("not_supported", feature=capability.value)
    return entry, data


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    data = async_resolve_devices(call.hass, call.data)
    entry = async_get_entry(call.hass, data.get(ATTR_CONFIG_ENTRY_ID))
    messenger = entry.runtime_data.messenger
    recipients, text = data.get(ATTR_RECIPIENTS), data[ATTR_MESSAGE]
    if data[ATTR_DRY_RUN]:
        response = messenger.dry_run(recipients, text, data)
    else:
        response = await messenger.async_send(recipients, text, data)
    return response if call.return_response else None


async def _async_send_to_contact_list(call: ServiceCall) -> ServiceResponse:
    entry, data = _entry_with(call, Capability.LIST_SEND)
    response = await entry.runtime_data.messenger.async_send_to_list(
        data[ATTR_LIST_ID], data[ATTR_MESSAGE], data
    )
    return response if call.return_response else None


async def _async_resend_messages(call: ServiceCall) -> ServiceResponse:
    entry, data = _entry_with(call, Capability.RESEND)
    query = _message_query(
        entry, data, (ATTR_MESSAGE_ID, ATTR_GROUP_ID, ATTR_STATUS), "resend_needs_filter"
    )
    messages = await entry.runtime_data.messenger.async_resend(query)
    if not call.return_response:
        return None
    return {"messages": [message_data(message) for message in messages]}


async def _async_get_messages(call: ServiceCall) -> ServiceResponse:
    entry, data = _entry_with(call, Capability.READ)
    query = _message_query(
        entry,
        data,
        (ATTR_MESSAGE_ID, ATTR_GROUP_ID, ATTR_STATUS, ATTR_START),
        "get_messages_needs_filter",
    )
    with translated_gateway_errors(call.hass, entry, entry.runtime_data.gateway):
        messages = await entry.runtime_data.gateway.messages(query)
    return {"messages": [message_data(message) for message in messages]}


def _message_query(
    entry: SmsBridgeConfigEntry,
    data: Mapping[str, Any],
    selecting: tuple[str, ...],
    missing_key: str,
) -> MessageQuery:
    """Return the query of the filters; one of ``selecting`` must be among them.

    Phone, SIM and end only narrow what a selecting filter picks.
    """
    if not any(name in data for name in selecting):
        raise validation_error(missing_key)
    sim: int | str | None = data.get(ATTR_SIM)
    if sim is not None and ATTR_PHONE not in data:
        raise validation_error("sim_filter_without_phone", sim=sim)
    slot = None if sim is None else _filter_slot(entry, data[ATTR_PHONE], sim)
    start = _utc(data.get(ATTR_START))
    end = _utc(data.get(ATTR_END))
    if start is not None and end is not None and start > end:
        raise validation_error(
            "invalid_time_window",
            start=dt_util.as_local(start).isoformat(),
            end=dt_util.as_local(end).isoformat(),
        )
    status = data.get(ATTR_STATUS)
    return MessageQuery(
        message_id=data.get(ATTR_MESSAGE_ID),
        group_id=data.get(ATTR_GROUP_ID),
        status=None if status is None else MessageStatus(status),
        phone_id=data.get(ATTR_PHONE),
        sim_slot=slot,
        start=start,
        end=end,
    )


def _filter_slot(entry: SmsBridgeConfigEntry, phone_id: str, sim: int | str) -> int:
    """Return the slot of the SIM a filter names.

    A SIM number is taken as it is, as old messages may come from a SIM since removed; an
    operator or phone number is looked up among the SIMs of the phone.
    """
    if (number := sim_number(sim)) is not None:
        return number - 1
    if (phone := entry.runtime_data.coordinator.data.phones.get(phone_id)) is None:
        raise validation_error("unknown_phone", phone=phone_id)
    return find_sim(phone, sim).slot


def _utc(value: datetime | None) -> datetime | None:
    """Return ``value`` in UTC; a time without offset is in Home Assistant's time zone."""
    return None if value is None else dt_util.as_utc(value)


def _contact_number(data: Mapping[str, Any]) -> str:
    number: str = data[ATTR_NUMBER]
    if (clean := clean_number(number)) is None:
        raise validation_error("invalid_number", number=number)
    return clean


async def _async_subscribe_contact(call: ServiceCall) -> ServiceResponse:
    entry, _ = _entry_with(call, Capability.CONTACTS)
    number = _contact_number(call.data)
    with translated_gateway_errors(call.hass, entry, entry.runtime_data.gateway):
        contact = await entry.runtime_data.gateway.subscribe_contact(
            call.data[ATTR_LIST_ID],
            number,
            name=call.data.get(ATTR_NAME) or None,
            resubscribe=call.data[ATTR_RESUBSCRIBE],
        )
    return {"contact": contact_data(contact)} if call.return_response else None


async def _async_unsubscribe_contact(call: ServiceCall) -> ServiceResponse:
    entry, _ = _entry_with(call, Capability.CONTACTS)
    number = _contact_number(call.data)
    with translated_gateway_errors(call.hass, entry, entry.runtime_data.gateway):
        contact = await entry.runtime_data.gateway.unsubscribe_contact(
            call.data[ATTR_LIST_ID], number
        )
    return {"contact": contact_data(contact)} if call.return_response else None


async def _async_send_ussd(call: ServiceCall) -> ServiceResponse:
    entry, data = _entry_with(call, Capability.USSD)
    code: str = data[ATTR_CODE]
    if not is_ussd_code(code):
        raise validation_error("invalid_ussd_code", code=code)
    default_phone: str | None = entry.options.get(CONF_DEFAULT_PHONE) or None
    phone_id: str | None = data.get(ATTR_PHONE) or default_phone
    sim: int | str | None = data.get(ATTR_SIM)
    if phone_id is None:
        raise validation_error("ussd_needs_phone")
    if sim is None and phone_id == default_phone:
        sim = entry.options.get(CONF_DEFAULT_SIM) or None
    if (phone := entry.runtime_data.coordinator.data.phones.get(phone_id)) is None:
        raise validation_error("unknown_phone", phone=phone_id)
    response = await entry.runtime_data.ussd.async_send(
        phone_id,
        None if sim is None else find_sim(phone, sim).slot,
        code,
        wait=data[ATTR_WAIT],
        seconds=data[ATTR_TIMEOUT],
    )
    return response if call.return_response else None


async def _async_cancel_message(call: ServiceCall) -> ServiceResponse:
    """Withdraw a message not handed to a phone yet; read it back to tell whether it was."""
    entry, data = _entry_with(call, Capability.CANCEL)
    message_id: str = data[ATTR_MESSAGE_ID]
    status = await entry.runtime_data.messenger.async_cancel(message_id)
    if not call.return_response:
        return None
    return {
        "message_id": message_id,
        "canceled": None if status is None else status is MessageStatus.CANCELED,
        "status": None if status is None else status.value,
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; they are available as soon as the integration is set up."""
    for name, handler, schema in (
        (SERVICE_SEND_MESSAGE, _async_send_message, SEND_MESSAGE_SCHEMA),
        (SERVICE_SEND_TO_CONTACT_LIST, _async_send_to_contact_list, SEND_TO_CONTACT_LIST_SCHEMA),
        (SERVICE_RESEND_MESSAGES, _async_resend_messages, RESEND_MESSAGES_SCHEMA),
        (SERVICE_SUBSCRIBE_CONTACT, _async_subscribe_contact, SUBSCRIBE_CONTACT_SCHEMA),
        (SERVICE_UNSUBSCRIBE_CONTACT, _async_unsubscribe_contact, UNSUBSCRIBE_CONTACT_SCHEMA),
        (SERVICE_SEND_USSD, _async_send_ussd, SEND_USSD_SCHEMA),
        (SERVICE_CANCEL_MESSAGE, _async_cancel_message, CANCEL_MESSAGE_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_MESSAGES,
        _async_get_messages,
        schema=GET_MESSAGES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
