"""Notify: an entity per phone (or for the account), one per contact, and the legacy service.

The legacy service is notify.<entry title>; it takes numbers and contact names as targets.
"""

from __future__ import annotations

from typing import Any, cast

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .api import Capability, Phone
from .compat import NotifyEntityFeature, vol
from .const import DOMAIN
from .contacts import Contact, contact_of
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .device_choice import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE, async_resolve_devices
from .entity import SmsBridgeAccountEntity, SmsBridgePhoneEntity, async_add_phone_entities
from .messenger import Messenger
from .send_request import ATTR_PHONE, SEND_OPTIONS

PARALLEL_UPDATES = 1

NOTIFY_DATA_SCHEMA = vol.Schema(SEND_OPTIONS)
# The legacy service's data also takes the phone device, as the send_message action does.
LEGACY_DATA_SCHEMA = NOTIFY_DATA_SCHEMA.extend({vol.Optional(ATTR_DEVICE): cv.string})

SMS_DESCRIPTION = NotifyEntityDescription(key="sms", translation_key="sms")


def _text(message: str, title: str | None) -> str:
    return f"{title}\n{message}" if title else message


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity for every phone, or one for the account of a provider without phones."""
    coordinator = entry.runtime_data.coordinator
    messenger = entry.runtime_data.messenger
    for subentry in entry.subentries.values():
        if contact := contact_of(subentry):
            async_add_entities(
                [SmsBridgeContactNotifyEntity(entry, messenger, subentry, contact)],
                config_subentry_id=subentry.subentry_id,
            )
    if Capability.PHONES not in coordinator.gateway.capabilities:
        async_add_entities([SmsBridgeAccountNotifyEntity(coordinator, messenger)])
        return
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [SmsBridgeNotifyEntity(coordinator, messenger, phone)],
    )


class SmsBridgeAccountNotifyEntity(SmsBridgeAccountEntity, NotifyEntity):
    """Send an SMS through the account to the default recipients (a provider without phones)."""

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, coordinator: SmsBridgeCoordinator, messenger: Messenger) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, SMS_DESCRIPTION)
        self._messenger = messenger

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message; the provider chooses how."""
        await self._messenger.async_send(None, _text(message, title), NOTIFY_DATA_SCHEMA({}))


class SmsBridgeNotifyEntity(SmsBridgePhoneEntity, NotifyEntity):
    """Send an SMS from one phone to the default recipients."""

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(
        self, coordinator: SmsBridgeCoordinator, messenger: Messenger, phone: Phone
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, phone, SMS_DESCRIPTION)
        self._messenger = messenger

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message from this phone."""
        options = NOTIFY_DATA_SCHEMA({ATTR_PHONE: self.phone_id})
        await self._messenger.async_send(None, _text(message, title), options)


class SmsBridgeContactNotifyEntity(NotifyEntity):
    """Send an SMS to one contact, from the entry's default phone (notify.<contact name>).

    It has no device: its name alone makes its entity id.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_supported_features = NotifyEntityFeature.TITLE
    _attr_translation_key = "contact"

    def __init__(
        self,
        entry: SmsBridgeConfigEntry,
        messenger: Messenger,
        subentry: ConfigSubentry,
        contact: Contact,
    ) -> None:
        """Initialize the entity."""
        self._messenger = messenger
        self.contact = contact
        self._attr_name = contact.name
        self._attr_unique_id = f"{entry.entry_id}_contact_{subentry.subentry_id}"

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message to the contact's number."""
        await self._messenger.async_send(
            [self.contact.number], _text(message, title), NOTIFY_DATA_SCHEMA({})
        )


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> SmsBridgeNotificationService | None:
    """Return the legacy notify service of the entry that asked for it."""
    if discovery_info is None:
        return None
    entry = hass.config_entries.async_get_entry(discovery_info["entry_id"])
    if entry is None:
        return None
    return SmsBridgeNotificationService(cast(SmsBridgeConfigEntry, entry))


class SmsBridgeNotificationService(BaseNotificationService):
    """notify.<entry title>: send to the given numbers, with the action's options in data."""

    def __init__(self, entry: SmsBridgeConfigEntry) -> None:
        """Initialize the service."""
        self._entry = entry

    async def async_register_services(self) -> None:
        """Register the service while the entry is loaded, and remove it otherwise.

        HA keeps every legacy service object and only ever registers them again (on
        ``notify.async_reload``), so this is where an unloaded entry's service goes away.
        """
        if self._entry.state in (ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.LOADED):
            await super().async_register_services()
        else:
            await self.async_unregister_services()

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send the message to the targets, or to the default recipients."""
        try:
            options = LEGACY_DATA_SCHEMA(kwargs.get(ATTR_DATA) or {})
        except vol.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"error": str(err)},
            ) from err
        # The service belongs to one entry: a device of another entry is refused.
        options = async_resolve_devices(
            self.hass,
            options | {ATTR_CONFIG_ENTRY_ID: self._entry.entry_id},
            notify_service=True,
        )
        await self._entry.runtime_data.messenger.async_send(
            kwargs.get(ATTR_TARGET), _text(message, kwargs.get(ATTR_TITLE)), options
        )
