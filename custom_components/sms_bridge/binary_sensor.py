"""Binary sensors: whether each phone is online."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api import Capability, Phone
from .compat import BinarySensorDeviceClass
from .const import ONLINE_WINDOW
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgePhoneEntity, async_add_phone_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsBridgePhoneBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of a phone whose state may change by itself as time passes."""

    capability: Capability
    is_on_fn: Callable[[Phone, datetime], bool | None]
    changes_at_fn: Callable[[Phone], datetime | None]  # when the state flips without new data


def _online(phone: Phone, now: datetime) -> bool:
    # A phone that never polled the gateway is not online: off, not unknown.
    return phone.last_seen is not None and now - phone.last_seen < ONLINE_WINDOW


PHONE_BINARY_SENSORS: tuple[SmsBridgePhoneBinarySensorDescription, ...] = (
    SmsBridgePhoneBinarySensorDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        capability=Capability.LAST_SEEN,
        is_on_fn=_online,
        changes_at_fn=lambda phone: phone.last_seen and phone.last_seen + ONLINE_WINDOW,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of every phone, as it appears."""
    coordinator = entry.runtime_data.coordinator
    descriptions = [
        description
        for description in PHONE_BINARY_SENSORS
        if description.capability in coordinator.gateway.capabilities
    ]
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [
            SmsBridgePhoneBinarySensor(coordinator, phone, description)
            for description in descriptions
        ],
    )


class SmsBridgePhoneBinarySensor(SmsBridgePhoneEntity, BinarySensorEntity):
    """A binary sensor of one phone, updated on new data and when its state expires."""

    entity_description: SmsBridgePhoneBinarySensorDescription
    _cancel_timer: CALLBACK_TYPE | None = None

    @property
    def is_on(self) -> bool | None:
        """Return the state."""
        phone = self.phone
        return None if phone is None else self.entity_description.is_on_fn(phone, dt_util.utcnow())

    async def async_added_to_hass(self) -> None:
        """Schedule the first state change."""
        await super().async_added_to_hass()
        self._schedule_change()
        self.async_on_remove(self._unschedule)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._schedule_change()
        super()._handle_coordinator_update()

    @callback
    def _schedule_change(self) -> None:
        self._unschedule()
        phone = self.phone
        changes_at = phone and self.entity_description.changes_at_fn(phone)
        if changes_at and changes_at > dt_util.utcnow():
            self._cancel_timer = async_track_point_in_utc_time(
                self.hass, self._state_changed, changes_at
            )

    @callback
    def _state_changed(self, _now: datetime) -> None:
        self._cancel_timer = None
        self.async_write_ha_state()

    @callback
    def _unschedule(self) -> None:
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
