"""Binary sensors: whether each phone is online, charging, lets the provider send and has
its subscription, and whether the account's credits are unlimited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api import Account, Capability, Phone
from .compat import BinarySensorDeviceClass
from .const import ONLINE_WINDOW
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgeAccountEntity, SmsBridgePhoneEntity, async_add_phone_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsBridgeAccountBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of the account, present when the gateway has ``capability``."""

    capability: Capability
    is_on_fn: Callable[[Account], bool | None]
    exists_fn: Callable[[Account | None], bool] = lambda _account: True


def _unlimited(account: Account) -> bool | None:
    # A reply without credits says nothing either way.
    return True if account.unlimited else None if account.credits is None else False


# The credits sensor is a number, unknown for an unlimited account: this says why.
ACCOUNT_BINARY_SENSORS: tuple[SmsBridgeAccountBinarySensorDescription, ...] = (
    SmsBridgeAccountBinarySensorDescription(
        key="unlimited_credits",
        translation_key="unlimited_credits",
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.CREDITS,
        is_on_fn=_unlimited,
        # Money in a currency is never unlimited: the balance sensor says all there is.
        exists_fn=lambda account: account is None or account.currency is None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class SmsBridgePhoneBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of a phone, present when the gateway has ``capability`` and ``exists_fn``.

    Its state may change by itself as time passes (``changes_at_fn``).
    """

    capability: Capability | None = None
    exists_fn: Callable[[Phone], bool] = lambda _: True
    is_on_fn: Callable[[Phone, datetime], bool | None]
    # When the state flips without new data.
    changes_at_fn: Callable[[Phone], datetime | None] = lambda _: None


def _online(phone: Phone, now: datetime) -> bool:
    if phone.online is not None:  # the provider tells
        return phone.online
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
    SmsBridgePhoneBinarySensorDescription(
        key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        capability=Capability.BATTERY,
        exists_fn=lambda phone: phone.charging is not None,
        is_on_fn=lambda phone, _now: phone.charging,
    ),
    # Off: the phone's owner stopped the provider from sending through it (it still receives).
    SmsBridgePhoneBinarySensorDescription(
        key="sending_enabled",
        translation_key="sending_enabled",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda phone: phone.sending_enabled is not None,
        is_on_fn=lambda phone, _now: phone.sending_enabled,
    ),
    SmsBridgePhoneBinarySensorDescription(
        key="subscription",
        translation_key="subscription",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda phone: phone.subscription is not None,
        is_on_fn=lambda phone, _now: phone.subscription,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of the account, and of every phone as it appears."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        SmsBridgeAccountBinarySensor(coordinator, description)
        for description in ACCOUNT_BINARY_SENSORS
        if description.capability in coordinator.gateway.capabilities
        and description.exists_fn(coordinator.data.account)
    )
    descriptions = [
        description
        for description in PHONE_BINARY_SENSORS
        if description.capability is None
        or description.capability in coordinator.gateway.capabilities
    ]
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [
            SmsBridgePhoneBinarySensor(coordinator, phone, description)
            for description in descriptions
            if description.exists_fn(phone)
        ],
    )


class SmsBridgeAccountBinarySensor(SmsBridgeAccountEntity, BinarySensorEntity):
    """A binary sensor of the account."""

    entity_description: SmsBridgeAccountBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Return the state."""
        account = self.coordinator.data.account
        return None if account is None else self.entity_description.is_on_fn(account)


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
