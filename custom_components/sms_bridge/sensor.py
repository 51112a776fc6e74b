"""Sensors of the account (credits, outbox) and of each phone (status, delivery figures)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import Account, Capability, Phone, Sim
from .const import ONLINE_WINDOW
from .contacts import ContactBook
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgeAccountEntity, SmsBridgePhoneEntity, async_add_phone_entities
from .inbox_store import InboxChange, InboxStore
from .outbox import Outbox, signal_outbox_changed
from .send_guard import SendGuard
from .tracking import DeliveryTracker, PhoneCounters, StatusChanges, signal_message_status

PARALLEL_UPDATES = 0

# The states of "Last send failure". A failure_reason of "unknown" would read as Home
# Assistant's unknown state, hence "unknown_reason"; a reason the integration does not name
# (an unknown result code) reads "other", the exact reason is in the message_status event.
NO_FAILURE = "none"
UNKNOWN_REASON = "unknown_reason"
OTHER_REASON = "other"
FAILURE_REASONS = (
    "delivery_failure",
    "generic_failure",
    "radio_off",
    "null_pdu",
    "no_service",
    "limit_exceeded",
    "fdn_check_failure",
    "short_code_not_allowed",
    "short_code_never_allowed",
    "app_error",
)


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


@dataclass(frozen=True, kw_only=True)
class SmsBridgeDeliverySensorDescription(SensorEntityDescription):
    """A figure of today's sends of a phone, kept by the delivery tracker."""

    value_fn: Callable[[PhoneCounters], int | str | None]
    restore_fn: Callable[[PhoneCounters, object], None]
    daily_total: bool = False  # a total that starts again from 0 at local midnight


def _credits(account: Account) -> StateType:
    if account.credits is None:
        return None
    return int(account.credits) if account.credits.is_integer() else account.credits


ACCOUNT_SENSORS: tuple[SmsBridgeAccountSensorDescription, ...] = (
    # A number, so that it has statistics and graphs. An unlimited account has no balance: the
    # state is unknown then, and the "Unlimited credits" binary sensor says why.
    # The unit ("credits") comes from the translations.
    SmsBridgeAccountSensorDescription(
        key="credits",
        translation_key="credits",
        state_class=SensorStateClass.MEASUREMENT,
        capability=Capability.CREDITS,
        value_fn=_credits,
    ),
)

# The credits of a provider whose account holds money: the balance in the account's currency
# (the unit, set from the account). Monetary sensors take no measurement state class: a
# balance goes up and down, and is not the total of anything.
BALANCE = SmsBridgeAccountSensorDescription(
    key="credits",
    translation_key="balance",
    device_class=SensorDeviceClass.MONETARY,
    suggested_display_precision=2,
    capability=Capability.CREDITS,
    value_fn=lambda account: account.credits,
)


def _account_sensor_description(
    description: SmsBridgeAccountSensorDescription, account: Account | None
) -> SmsBridgeAccountSensorDescription:
    """Return the balance instead of the credits when the account counts in a currency."""
    if description.key == BALANCE.key and account is not None and account.currency:
        return BALANCE
    return description


OUTBOX = SensorEntityDescription(
    key="outbox",
    translation_key="outbox",
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)

# Counted by the send guard when a send is accepted, and given back when the gateway refuses it:
# the count can go down, which TOTAL_INCREASING would read as a new cycle. Hence TOTAL with a
# last_reset at local midnight. The unit ("SMS") comes from the translations, as for the
# counters of each phone.
SENT_TODAY = SensorEntityDescription(
    key="sent_today",
    translation_key="sent_today",
    state_class=SensorStateClass.TOTAL,
)

# The unit ("SMS") comes from the translations. The attributes name the threads (numbers and
# contacts, never texts).
UNREAD = SensorEntityDescription(
    key="unread_messages",
    translation_key="unread_messages",
    state_class=SensorStateClass.MEASUREMENT,
)

# Disabled by default: "Online" tells whether the phone is there. See SmsBridgeLastSeenSensor.
LAST_SEEN = SmsBridgePhoneSensorDescription(
    key="last_seen",
    translation_key="last_seen",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    capability=Capability.LAST_SEEN,
    value_fn=lambda phone: phone.last_seen,
)


def _sim(sim: Sim) -> dict[str, Any]:
    return {"sim": sim.number, "number": sim.phone_number, "operator": sim.operator}


def _operator(phone: Phone) -> str | None:
    """Return the operator of a phone with one SIM; a phone with more has them in "SIMs"."""
    return phone.sims[0].operator if len(phone.sims) == 1 else None


PHONE_SENSORS: tuple[SmsBridgePhoneSensorDescription, ...] = (
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
        key="app_version",
        translation_key="app_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda phone: phone.app_version is not None,
        value_fn=lambda phone: phone.app_version,
    ),
    SmsBridgePhoneSensorDescription(
        key="sims",
        translation_key="sims",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda phone: len(phone.sims),
        attributes_fn=lambda phone: {"sims": [_sim(sim) for sim in phone.sims]},
    ),
    SmsBridgePhoneSensorDescription(
        key="operator",
        translation_key="operator",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda phone: _operator(phone) is not None,
        value_fn=_operator,
    ),
)


def _last_failure(counters: PhoneCounters) -> str:
    reason = counters.last_failure
    if reason is None:
        return NO_FAILURE
    if reason in {"unknown", UNKNOWN_REASON}:
        return UNKNOWN_REASON
    return reason if reason in FAILURE_REASONS else OTHER_REASON


def _count(value: object) -> int:
    """Return a restored count, or 0 when the stored value is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _restore_sent(counters: PhoneCounters, value: object) -> None:
    counters.sent += _count(value)


def _restore_failed(counters: PhoneCounters, value: object) -> None:
    counters.failed += _count(value)


def _restore_last_failure(counters: PhoneCounters, value: object) -> None:
    # A failure counted since the start is newer than the one kept from before.
    if isinstance(value, str) and value != NO_FAILURE and counters.last_failure is None:
        counters.last_failure = value


# The counters start again from 0 at local midnight: totals whose last_reset is that midnight,
# so that statistics know each day's count. Their unit comes from the translations: "SMS",
# which reads right for one message and for many ("1 messages" did not). Home Assistant takes
# the unit from the English translations whatever the language, so statistics keep one unit.
DELIVERY_SENSORS: tuple[SmsBridgeDeliverySensorDescription, ...] = (
    SmsBridgeDeliverySensorDescription(
        key="messages_sent",
        translation_key="messages_sent",
        state_class=SensorStateClass.TOTAL,
        daily_total=True,
        value_fn=lambda counters: counters.sent,
        restore_fn=_restore_sent,
    ),
    SmsBridgeDeliverySensorDescription(
        key="messages_failed",
        translation_key="messages_failed",
        state_class=SensorStateClass.TOTAL,
        daily_total=True,
        value_fn=lambda counters: counters.failed,
        restore_fn=_restore_failed,
    ),
    SmsBridgeDeliverySensorDescription(
        key="last_failure",
        translation_key="last_failure",
        device_class=SensorDeviceClass.ENUM,
        options=[NO_FAILURE, *FAILURE_REASONS, UNKNOWN_REASON, OTHER_REASON],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_last_failure,
        restore_fn=_restore_last_failure,
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
        SmsBridgeAccountSensor(
            coordinator, _account_sensor_description(description, coordinator.data.account)
        )
        for description in ACCOUNT_SENSORS
        if description.capability in capabilities
    )
    async_add_entities(
        [
            SmsBridgeOutboxSensor(coordinator, entry.runtime_data.outbox, OUTBOX),
            SmsBridgeSentTodaySensor(coordinator, entry.runtime_data.guard, SENT_TODAY),
            SmsBridgeUnreadSensor(coordinator, entry.runtime_data.inbox, UNREAD),
        ]
    )

    tracker = entry.runtime_data.tracker

    def create(phone: Phone) -> list[SensorEntity]:
        entities: list[SensorEntity] = [
            SmsBridgePhoneSensor(coordinator, phone, description)
            for description in PHONE_SENSORS
            if (description.capability is None or description.capability in capabilities)
            and description.exists_fn(phone)
        ]
        if Capability.LAST_SEEN in capabilities:
            entities.append(SmsBridgeLastSeenSensor(coordinator, phone, LAST_SEEN))
        if tracker.enabled:
            entities += [
                SmsBridgeDeliverySensor(coordinator, tracker, phone, description)
                for description in DELIVERY_SENSORS
            ]
        return entities

    async_add_phone_entities(entry, async_add_entities, create)


class SmsBridgeAccountSensor(SmsBridgeAccountEntity, SensorEntity):
    """A sensor of the account."""

    entity_description: SmsBridgeAccountSensorDescription

    @property
    def native_value(self) -> StateType:
        """Return the state."""
        account = self.coordinator.data.account
        return None if account is None else self.entity_description.value_fn(account)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the account's currency for a balance; else the description's unit."""
        if self.entity_description.device_class is SensorDeviceClass.MONETARY:
            account = self.coordinator.data.account
            return account.currency if account is not None else None
        return super().native_unit_of_measurement


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


class SmsBridgeLastSeenSensor(SmsBridgePhoneSensor):
    """When the gateway last saw the phone, moved only when that says something new.

    The phone polls the gateway every few seconds, so the exact time changes at every update:
    a state (and a logbook line) per update. This one moves when the phone comes back after
    being offline, or when it is more than the online window behind; it is never further behind
    than that window, and "Online" follows the exact time.
    """

    _shown: datetime | None = None

    @property
    def native_value(self) -> datetime | None:
        """Return the time shown."""
        return None if self.phone is None else self._shown

    async def async_added_to_hass(self) -> None:
        """Show the time the gateway gives now."""
        await super().async_added_to_hass()
        self._shown = self._seen

    @property
    def _seen(self) -> datetime | None:
        phone = self.phone
        return None if phone is None else phone.last_seen

    @callback
    def _handle_coordinator_update(self) -> None:
        seen, shown = self._seen, self._shown
        if seen is None or shown is None or seen < shown or seen - shown >= ONLINE_WINDOW:
            self._shown = seen
        super()._handle_coordinator_update()


class SmsBridgeOutboxSensor(SmsBridgeAccountEntity, SensorEntity):
    """How many sends wait in the outbox for the gateway."""

    def __init__(
        self,
        coordinator: SmsBridgeCoordinator,
        outbox: Outbox,
        description: SensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, description)
        self._outbox = outbox

    @property
    def available(self) -> bool:
        """Stay available while the gateway is unreachable: that is when sends wait."""
        return True

    @property
    def native_value(self) -> int:
        """Return the number of waiting sends."""
        return len(self._outbox)

    async def async_added_to_hass(self) -> None:
        """Follow the outbox."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_outbox_changed(self.coordinator.config_entry.entry_id),
                self.async_write_ha_state,
            )
        )


class SmsBridgeSentTodaySensor(SmsBridgeAccountEntity, SensorEntity):
    """Messages the entry accepted for sending since local midnight, as its send guard counts."""

    def __init__(
        self,
        coordinator: SmsBridgeCoordinator,
        guard: SendGuard,
        description: SensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, description)
        self._guard = guard

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: the count is ours."""
        return True

    @property
    def native_value(self) -> int:
        """Return today's count."""
        return self._guard.sent_today

    @property
    def last_reset(self) -> datetime:
        """Return the local midnight the count started from."""
        return dt_util.start_of_local_day()

    async def async_added_to_hass(self) -> None:
        """Follow the count (it also changes at midnight)."""
        await super().async_added_to_hass()
        self.async_on_remove(self._guard.async_add_listener(self.async_write_ha_state))


class SmsBridgeUnreadSensor(SmsBridgeAccountEntity, SensorEntity):
    """Messages in the entry's inbox not read yet; the attributes name their threads."""

    def __init__(
        self,
        coordinator: SmsBridgeCoordinator,
        inbox: InboxStore,
        description: SensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, description)
        self._inbox = inbox

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: the inbox is ours."""
        return True

    @property
    def native_value(self) -> int:
        """Return how many messages are unread."""
        return sum(self._inbox.unread.values())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the threads with unread messages, the contact's name where there is one."""
        contacts = ContactBook.of(self.hass, self.coordinator.config_entry)
        names = {contact.number: contact.name for contact in contacts.contacts}
        return {
            "threads": [
                {"number": number, "name": names.get(number), "unread": unread}
                for number, unread in self._inbox.unread.items()
            ]
        }

    async def async_added_to_hass(self) -> None:
        """Follow the inbox: a state when the unread messages change."""
        await super().async_added_to_hass()
        self.async_on_remove(self._inbox.async_add_listener(self._changed))

    @callback
    def _changed(self, change: InboxChange) -> None:
        if change["event"] in ("message", "read", "deleted") and (
            change["event"] != "message" or not change["message"].read
        ):
            self.async_write_ha_state()


@dataclass(slots=True)
class DailyValue(ExtraStoredData):
    """A sensor's value of one day, kept across restarts."""

    day: date
    value: int | str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {"day": self.day.isoformat(), "value": self.value}


class SmsBridgeDeliverySensor(SmsBridgePhoneEntity, SensorEntity, RestoreEntity):
    """A figure of today's sends of a phone; it starts again from nothing at local midnight.

    The delivery tracker keeps the figures in memory; this entity restores today's value into the
    tracker after a restart, so that counting goes on.
    """

    entity_description: SmsBridgeDeliverySensorDescription

    def __init__(
        self,
        coordinator: SmsBridgeCoordinator,
        tracker: DeliveryTracker,
        phone: Phone,
        description: SmsBridgeDeliverySensorDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, phone, description)
        self._tracker = tracker
        # Set once restored: an entity re-added (its entity id changed) must not add it twice.
        self._restored = False

    @property
    def _counters(self) -> PhoneCounters:
        return self._tracker.counters(self.phone_id)

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: the figures are ours."""
        return self.phone_id in self.coordinator.data.phones

    @property
    def native_value(self) -> StateType:
        """Return today's value."""
        return self.entity_description.value_fn(self._counters)

    @property
    def last_reset(self) -> datetime | None:
        """Return the local midnight the total started from, for a daily total."""
        if not self.entity_description.daily_total:
            return None
        return dt_util.start_of_local_day(self._counters.day)

    @property
    def extra_restore_state_data(self) -> DailyValue:
        """Return today's value with its day."""
        counters = self._counters
        return DailyValue(counters.day, self.entity_description.value_fn(counters))

    async def async_added_to_hass(self) -> None:
        """Restore today's value, then follow status changes and midnight."""
        await super().async_added_to_hass()
        if not self._restored:
            self._restored = True
            await self._async_restore()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_message_status(self.coordinator.config_entry.entry_id),
                self._status_changed,
            )
        )
        self.async_on_remove(
            async_track_time_change(self.hass, self._midnight, hour=0, minute=0, second=0)
        )

    async def _async_restore(self) -> None:
        if (extra := await self.async_get_last_extra_data()) is None:
            return
        stored = extra.as_dict()
        if stored.get("day") == self._counters.day.isoformat():
            self.entity_description.restore_fn(self._counters, stored.get("value"))

    @callback
    def _status_changed(self, changes: StatusChanges) -> None:
        if self.phone_id in changes:  # once per poll, however many of its messages changed
            self.async_write_ha_state()

    @callback
    def _midnight(self, _now: datetime) -> None:
        self.async_write_ha_state()
