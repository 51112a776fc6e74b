"""Device triggers: an SMS received, a USSD answer, a message that failed, per phone.

They listen to the bus events every message already fires, on the phone's device; a provider
without phones has them on its account device, for all the account's messages. An SMS trigger
can be narrowed to a sender (a number or a contact of the entry) and to a text, both compared
leniently (see ``_SmsFilter``). Trigger configs are stored in automations as written, so the
number is compared in E.164 form each time an SMS comes, not converted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .api import Capability, MessageStatus
from .api.numbers import number_key
from .compat import async_get_device_by_id, device_config_entry_ids, vol
from .const import (
    CONF_PROVIDER,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_USSD_RESPONSE,
)
from .contacts import ContactBook
from .data import SmsBridgeConfigEntry
from .devices import account_device_identifier, device_phone_id
from .providers import PROVIDERS

TRIGGER_SMS_RECEIVED: Final = "sms_received"
TRIGGER_USSD_RESPONSE: Final = "ussd_response"
TRIGGER_MESSAGE_FAILED: Final = "message_failed"

# The optional fields of the SMS trigger.
CONF_NUMBER: Final = "number"
CONF_CONTACT: Final = "contact"  # a contact of the entry: its subentry id, or its name
CONF_TEXT_CONTAINS: Final = "text_contains"
CONF_TEXT_EQUALS: Final = "text_equals"
SMS_FILTERS: Final = (CONF_NUMBER, CONF_CONTACT, CONF_TEXT_CONTAINS, CONF_TEXT_EQUALS)

# The bus event each trigger listens to.
BUS_EVENTS: Final = {
    TRIGGER_SMS_RECEIVED: EVENT_MESSAGE_RECEIVED,
    TRIGGER_USSD_RESPONSE: EVENT_USSD_RESPONSE,
    TRIGGER_MESSAGE_FAILED: EVENT_MESSAGE_STATUS,
}

TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(list(BUS_EVENTS)),
        vol.Optional(CONF_NUMBER): cv.string,
        vol.Optional(CONF_CONTACT): cv.string,
        vol.Optional(CONF_TEXT_CONTAINS): cv.string,
        vol.Optional(CONF_TEXT_EQUALS): cv.string,
    }
)


@dataclass(frozen=True, slots=True)
class _Source:
    """What a device receives: the messages of one phone of an entry, or of the whole entry."""

    entry: SmsBridgeConfigEntry
    phone_id: str | None  # None: the account device, which takes every message of its entry

    def takes(self, data: dict[str, Any]) -> bool:
        """Return True for the event data of a message this device received or sent."""
        if data.get("config_entry_id") != self.entry.entry_id:
            return False
        return self.phone_id is None or data.get("phone_id") == self.phone_id


@callback
def _source(hass: HomeAssistant, device_id: str) -> _Source | None:
    """Return what the device receives, or None when it is no SMS Bridge device."""
    device = async_get_device_by_id(dr.async_get(hass), device_id)
    if device is None:
        return None
    for entry_id in device_config_entry_ids(device):
        entry: SmsBridgeConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if account_device_identifier(entry) in device.identifiers:
            return _Source(entry, None)
        if (phone_id := device_phone_id(entry.entry_id, device)) is not None:
            return _Source(entry, phone_id)
    return None


def _capabilities(entry: SmsBridgeConfigEntry) -> frozenset[Capability]:
    """Return what the entry's gateway can do; while not loaded, what its provider declares."""
    if entry.state is ConfigEntryState.LOADED:
        return entry.runtime_data.gateway.capabilities
    provider = PROVIDERS.get(entry.data.get(CONF_PROVIDER, ""))
    return provider.capabilities if provider else frozenset()


def _trigger_types(source: _Source) -> list[str]:
    """Return the triggers the device offers: those that can fire on it."""
    capabilities = _capabilities(source.entry)
    if source.phone_id is None and Capability.PHONES in capabilities:
        return []  # the phones receive the messages: the triggers are on their devices
    types = [TRIGGER_SMS_RECEIVED]
    if Capability.USSD in capabilities:
        types.append(TRIGGER_USSD_RESPONSE)
    if {Capability.STATUS_POLL, Capability.STATUS_WEBHOOK} & capabilities:
        types.append(TRIGGER_MESSAGE_FAILED)
    return types


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Validate a trigger, and that its device offers it."""
    config = TRIGGER_SCHEMA(config)
    if config[CONF_TYPE] != TRIGGER_SMS_RECEIVED and (
        given := [key for key in SMS_FILTERS if key in config]
    ):
        raise vol.Invalid(f"{', '.join(given)}: only an SMS received trigger takes these")
    source = _source(hass, config[CONF_DEVICE_ID])
    if source is None:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is no SMS Bridge phone or account"
        )
    if config[CONF_TYPE] not in _trigger_types(source):
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} has no trigger {config[CONF_TYPE]}: its gateway "
            "cannot report it, or its phones receive the messages"
        )
    if (contact := config.get(CONF_CONTACT, "").strip()) and _find_contact(
        ContactBook.of(hass, source.entry), contact
    ) is None:
        raise InvalidDeviceAutomationConfig(
            f"{source.entry.title} has no contact {contact}: add it on the entry's page"
        )
    return config


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Return the triggers of a phone device, or of the account device of a phoneless provider."""
    if (source := _source(hass, device_id)) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in _trigger_types(source)
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """Return the optional fields of a trigger: the sender and text filters of an SMS.

    The contact field is there when the device's entry has contacts.
    """
    if config[CONF_TYPE] != TRIGGER_SMS_RECEIVED:
        return {}
    fields: dict[vol.Marker, Any] = {vol.Optional(CONF_NUMBER): str}
    source = _source(hass, config[CONF_DEVICE_ID])
    if source is not None and (contacts := ContactBook.of(hass, source.entry).contacts):
        options = [
            SelectOptionDict(value=contact.subentry_id, label=contact.name) for contact in contacts
        ]
        fields[vol.Optional(CONF_CONTACT)] = SelectSelector(
            SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
        )
    fields[vol.Optional(CONF_TEXT_CONTAINS)] = str
    fields[vol.Optional(CONF_TEXT_EQUALS)] = str
    return {"extra_fields": vol.Schema(fields)}


def _find_contact(contacts: ContactBook, contact: str) -> str | None:
    """Return the subentry id of the contact a trigger names by id or by name."""
    found = contacts.by_id(contact) or contacts.by_name(contact)
    return found.subentry_id if found else None


@dataclass(frozen=True, slots=True)
class _SmsFilter:
    """The sender and text an SMS trigger is narrowed to; a blank field narrows nothing.

    The text is compared case-insensitively; "equals" also ignores surrounding spaces.
    """

    number: str | None  # the sender's number or name, as written; None: anyone
    contact: str | None  # subentry id of the contact the SMS must come from
    contains: str | None
    equals: str | None

    @classmethod
    def from_config(cls, config: ConfigType, contacts: ContactBook) -> _SmsFilter:
        """Return the filter of a validated trigger.

        The contact is kept by its subentry id, and its number looked up for each SMS: the
        trigger follows the contact when it is renamed or gets a new number.
        """
        number = config.get(CONF_NUMBER, "").strip()
        contact = config.get(CONF_CONTACT, "").strip()
        contains = config.get(CONF_TEXT_CONTAINS, "")
        equals = config.get(CONF_TEXT_EQUALS, "").strip()
        return cls(
            number=number or None,
            # A contact removed since: the id of no contact, so nothing matches.
            contact=(_find_contact(contacts, contact) or contact) if contact else None,
            contains=contains.casefold() if contains.strip() else None,
            equals=equals.casefold() if equals else None,
        )

    def matches(self, data: dict[str, Any], contacts: ContactBook) -> bool:
        """Return True when the SMS of this event data passes the filter."""
        number = str(data.get("number") or "")
        # ``+33 6 12-34-56-78``, ``0033612345678``, ``+33612345678`` and, in France,
        # ``06 12 34 56 78`` are one number; a sender name (``MyBank``) matches in any case.
        if self.number is not None and number_key(number, contacts.country) != number_key(
            self.number, contacts.country
        ):
            return False
        if self.contact is not None and (
            (sender := contacts.by_number(number)) is None or sender.subentry_id != self.contact
        ):
            return False
        text = str(data.get("text") or "").casefold()
        if self.contains is not None and self.contains not in text:
            return False
        return self.equals is None or text.strip() == self.equals


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run ``action`` for each bus event of the device that passes the trigger's filters."""
    trigger_type: str = config[CONF_TYPE]
    source = _source(hass, config[CONF_DEVICE_ID])
    if source is None:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is no SMS Bridge phone or account"
        )
    sms_filter = _SmsFilter.from_config(config, ContactBook.of(hass, source.entry))
    job = HassJob(action, f"{DOMAIN} device trigger {trigger_info}")

    @callback
    def wanted(data: dict[str, Any]) -> bool:
        if not source.takes(data):
            return False
        if trigger_type == TRIGGER_MESSAGE_FAILED:
            return data.get("status") == MessageStatus.FAILED
        if trigger_type == TRIGGER_SMS_RECEIVED:
            return sms_filter.matches(data, ContactBook.of(hass, source.entry))
        return True

    @callback
    def fire(event: Event[dict[str, Any]]) -> None:
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_info["trigger_data"],
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                    CONF_TYPE: trigger_type,
                    "event": event,
                    "description": f"{DOMAIN} {trigger_type}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(BUS_EVENTS[trigger_type], fire, event_filter=wanted)
