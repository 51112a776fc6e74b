"""Sensors: the account's credits and, per phone, last seen, battery and SIM cards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import Account, Capability, Phone
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgeAccountEntity, SmsBridgePhoneEntity, async_add_phone_entities

PARALLEL_UPDATES = 0

CREDITS_UNLIMITED = "unlimited"


@dataclass(frozen=True, kw_only=True)
class SmsBridgeAccountSensorDescription(SensorEntityDescription):
    """A sensor of the account, present when the gateway has ``capability``."""

    capability: Capability
    value_fn: Callable[[Account], StateType]


@dataclass(frozen=True, kw_only=True)
class SmsBridgePhoneSensorDescription(SensorEntityDescription):
    """A sensor of a phone, present when the gateway has ``capability`` and ``exists_fn``."""

    capability: Capability | None = None
    exists_fn: Callable[[Phone], bool] = lambda _: True
    value_fn: Callable[[Phone], StateType | datetime]
    attributes_fn: Callable[[Phone], dict[str, Any]] | None = None


def _credits(account: Account) -> StateType:
    if account.unlimited:
        return CREDITS_UNLIMITED
    if account.credits is None:
        return None
    return int(account.credits) if account.credits.is_integer() else account.credits


ACCOUNT_SENSORS: tuple[SmsBridgeAccountSensorDescription, ...] = (
    # The gateway reports either a balance or "unlimited", and "unlimited" is the honest state
    # of an unlimited account (a numeric sensor would read "unknown"). So this sensor has no
    # unit and no state class: HA would refuse the word as state of a numeric sensor. The cost
    # is no long-term statistics; numeric_state triggers still work on the balance.
    SmsBridgeAccountSensorDescription(
        key="credits",
        translation_key="credits",
        capability=Capability.CREDITS,
        value_fn=_credits,
    ),
)

PHONE_SENSORS: tuple[SmsBridgePhoneSensorDescription, ...] = (
    SmsBridgePhoneSensorDescription(
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.LAST_SEEN,
        value_fn=lambda phone: phone.last_seen,
    ),
    SmsBridgePhoneSensorDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.BATTERY,
        exists_fn=lambda phone: phone.battery is not None,
        value_fn=lambda phone: phone.battery,
    ),
    SmsBridgePhoneSensorDescription(
        key="sims",
        translation_key="sims",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda phone: len(phone.sims),
        attributes_fn=lambda phone: {"sims": [sim.label for sim in phone.sims]},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of the account, and of every phone as it appears."""
    coordinator = entry.runtime_data.coordinator
    capabilities = coordinator.gateway.capabilities
    async_add_entities(
        SmsBridgeAccountSensor(coordinator, description)
        for description in ACCOUNT_SENSORS
        if description.capability in capabilities
    )

    def create(phone: Phone) -> list[SmsBridgePhoneSensor]:
        return [
            SmsBridgePhoneSensor(coordinator, phone, description)
            for description in PHONE_SENSORS
            if (description.capability is None or description.capability in capabilities)
            and description.exists_fn(phone)
        ]

    async_add_phone_entities(entry, async_add_entities, create)


class SmsBridgeAccountSensor(SmsBridgeAccountEntity, SensorEntity):
    """A sensor of the account."""

    entity_description: SmsBridgeAccountSensorDescription

    @property
    def native_value(self) -> StateType:
        """Return the state."""
        account = self.coordinator.data.account
        return None if account is None else self.entity_description.value_fn(account)


class SmsBridgePhoneSensor(SmsBridgePhoneEntity, SensorEntity):
    """A sensor of one phone."""

    entity_description: SmsBridgePhoneSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """Return the state."""
        phone = self.phone
        return None if phone is None else self.entity_description.value_fn(phone)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes the description asks for."""
        phone = self.phone
        attributes_fn = self.entity_description.attributes_fn
        return None if phone is None or attributes_fn is None else attributes_fn(phone)
