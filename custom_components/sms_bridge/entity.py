"""Base entities: one device per phone, plus a service device for the account."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Phone
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .devices import (
    account_device_info,
    phone_device_info,
    phone_entity_unique_id,
    signal_phone_removed,
)


class SmsBridgeAccountEntity(CoordinatorEntity[SmsBridgeCoordinator]):
    """An entity of the account (service) device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmsBridgeCoordinator, description: EntityDescription) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)


class SmsBridgePhoneEntity(CoordinatorEntity[SmsBridgeCoordinator]):
    """An entity of one phone; unavailable while the gateway no longer lists the phone."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SmsBridgeCoordinator, phone: Phone, description: EntityDescription
    ) -> None:
        """Initialize the entity."""
        super().__init__(coordinator)
        # The coordinator sits below the entry type: the platforms know what the entry holds.
        entry: SmsBridgeConfigEntry = coordinator.config_entry
        self.entity_description = description
        self.phone_id = phone.id
        self._attr_unique_id = phone_entity_unique_id(entry.entry_id, phone.id, description.key)
        self._attr_device_info = phone_device_info(
            coordinator.hass, entry, phone, entry.runtime_data.account_device
        )

    @property
    def phone(self) -> Phone | None:
        """Return the latest data of this phone, or None when it has disappeared."""
        return self.coordinator.data.phones.get(self.phone_id)

    @property
    def available(self) -> bool:
        """Return True while the gateway answers and still lists this phone."""
        return super().available and self.phone_id in self.coordinator.data.phones


def async_add_phone_entities(
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[Phone], Iterable[Entity]],
) -> None:
    """Add the entities of every phone, now and whenever the gateway lists a new one."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_phones() -> None:
        new = [phone for phone in coordinator.data.phones.values() if phone.id not in known]
        if not new:
            return
        known.update(phone.id for phone in new)
        async_add_entities(entity for phone in new for entity in create(phone))

    @callback
    def forget(phone_id: str) -> None:
        """Its device is deleted: should the phone come back, it gets new entities."""
        known.discard(phone_id)

    add_new_phones()
    entry.async_on_unload(coordinator.async_add_listener(add_new_phones))
    entry.async_on_unload(
        async_dispatcher_connect(coordinator.hass, signal_phone_removed(entry.entry_id), forget)
    )
