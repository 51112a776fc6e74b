"""Deduplicate incoming messages and USSD answers, then fire each one once.

The gateway signs no timestamp or nonce, so a captured webhook can be replayed at will and a
retried one arrives twice: the message and USSD ids already seen are kept, across restarts. A
new id is written to storage before its event fires: after a crash or a power cut the backfill
must not fire it a second time.

The ids kept are bounded in number (MAX_SEEN per kind), and each is kept with the date of its
item. Forgetting an id must not let it fire again, so the store covers only what is dated after
the newest date it forgot (its horizon): anything dated at or before the horizon is dropped.

Webhooks are not guaranteed either: the gateway never retries one, and Home Assistant or its
tunnel may be down. A backfill reads the received messages back from the gateway and feeds them
through the same dedupe, so each message still fires once. It reads the messages sent since the
previous backfill (``read_until``) minus a margin. The first backfill of an entry only sets
``read_until`` to now: firing the gateway's whole history at a new user helps no one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
import math
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .api import (
    Capability,
    DeliveryReport,
    Gateway,
    InboundBatch,
    Message,
    MessageQuery,
    MessageStatus,
    SmsBridgeError,
    UssdRequest,
    id_order,
)
from .api.text import to_e164
from .const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    EVENT_USSD_RESPONSE,
    LOGGER,
)
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .serialize import ussd_data
from .webhook import async_listen_cloud_connected

STORAGE_VERSION = 2
MAX_SEEN = 5000  # ids kept per kind: the bound of the store (about 50 bytes an id on disk)
SAVE_DELAY = 10  # seconds; for the backfill mark alone, new ids are written before they fire

BACKFILL_INTERVAL = timedelta(minutes=15)
# The gateway filters on the sent date, which the sender's phone and network set: a message
# can reach the gateway a while after it was sent.
BACKFILL_MARGIN = timedelta(hours=1)
BACKFILL_CAP = 100  # messages fired by one backfill; the next ones read the rest

# The phone id is None for a provider without phones: the account's entities take those.
type InboundSignal = SignalType[str | None, str, dict[str, Any]]


class _StoredSeen(TypedDict):
    ids: list[tuple[str, int | None]]  # (id, date of the item in epoch seconds), oldest first
    horizon: int | None  # epoch seconds; None while nothing was forgotten


class _StoredInbound(TypedDict):
    messages: _StoredSeen
    ussd: _StoredSeen
    read_until: str | None  # ISO time; None before the first backfill


def inbound_signal(entry_id: str) -> InboundSignal:
    """Return the signal carrying (phone id, event type, event attributes) of an entry."""
    return SignalType(f"{DOMAIN}_inbound_{entry_id}")


class _InboundStore(Store[_StoredInbound]):
    """The seen ids and the backfill mark of an entry."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> _StoredInbound:
        """Date the ids of version 1, which had no dates, as of now (the upgrade).

        A full store of version 1 may have forgotten ids already, of unknown dates: it then
        covers what the next backfill reads, not what came before.
        """
        now = math.ceil(dt_util.utcnow().timestamp())
        read_until: str | None = old_data.get("read_until")
        mark = datetime.fromisoformat(read_until) if read_until else dt_util.utcnow()
        horizon = math.floor((mark - BACKFILL_MARGIN).timestamp())

        def seen(ids: list[int | str]) -> _StoredSeen:
            return {
                "ids": [(str(item_id), now) for item_id in ids],
                "horizon": horizon if len(ids) >= MAX_SEEN else None,
            }

        return {
            "messages": seen(old_data["messages"]),
            "ussd": seen(old_data["ussd"]),
            "read_until": read_until,
        }


def _store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> _InboundStore:
    # Private: the ids say when the household received messages.
    return _InboundStore(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry.entry_id}.inbound",
        private=True,
        atomic_writes=True,
    )


async def async_remove_inbound_store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Delete the ids kept for a removed entry."""
    await _store(hass, entry).async_remove()


class SeenIds:
    """The ids of one kind already fired, oldest first, each with its item's date."""

    def __init__(self, stored: _StoredSeen | None = None) -> None:
        """Initialize, from the stored form if there is one."""
        # Dicts keep insertion order: the first key is the oldest id. Versions that had
        # numeric ids stored numbers: they are read as the strings the providers give now.
        self._dates: dict[str, int | None] = (
            {str(item_id): date for item_id, date in stored["ids"]} if stored else {}
        )
        self.horizon: int | None = stored["horizon"] if stored else None

    def __len__(self) -> int:
        """Return how many ids are kept."""
        return len(self._dates)

    def __contains__(self, item_id: object) -> bool:
        """Return True when the id was seen and is still kept."""
        return item_id in self._dates

    def predates_horizon(self, date: datetime | None) -> bool:
        """Return True when an item so dated may have been seen and forgotten since."""
        return date is not None and self.horizon is not None and date.timestamp() <= self.horizon

    def add(self, item_id: str, date: datetime | None) -> None:
        """Keep ``item_id``; past MAX_SEEN forget the oldest, moving the horizon up to its date."""
        self._dates[item_id] = None if date is None else math.ceil(date.timestamp())
        while len(self._dates) > MAX_SEEN:
            forgotten = self._dates.pop(next(iter(self._dates)))
            if forgotten is None:
                continue
            # A date ahead of our clock (a phone set wrong) must not shut out what comes next.
            forgotten = min(forgotten, math.ceil(dt_util.utcnow().timestamp()))
            self.horizon = forgotten if self.horizon is None else max(self.horizon, forgotten)

    def as_stored(self) -> _StoredSeen:
        """Return the stored form."""
        return {"ids": list(self._dates.items()), "horizon": self.horizon}


def _message_date(message: Message) -> datetime | None:
    return message.delivered_at or message.sent_at


def _ussd_date(ussd: UssdRequest) -> datetime | None:
    return ussd.responded_at or ussd.sent_at


class InboundDispatcher:
    """Deduplicate incoming messages (persisted, bounded) and fire them once.

    Delivery reports go to ``apply_reports`` (the delivery tracker): replaying one is harmless,
    as a status never moves backwards.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsBridgeConfigEntry,
        gateway: Gateway,
        coordinator: SmsBridgeCoordinator,
        apply_reports: Callable[[Iterable[DeliveryReport]], None],
    ) -> None:
        """Initialize."""
        self.hass = hass
        self.entry = entry
        self._gateway = gateway
        self._coordinator = coordinator
        self._apply_reports = apply_reports
        self._store = _store(hass, entry)
        self._messages = SeenIds()
        self._ussd = SeenIds()
        self._read_until: datetime | None = None
        self._backfilling = False
        self._backfill_failed = False
        self._reported_too_old = False

    @property
    def seen_count(self) -> int:
        """Return how many ids are kept, messages and USSD answers together."""
        return len(self._messages) + len(self._ussd)

    async def async_load(self) -> None:
        """Load the ids already seen."""
        if stored := await self._store.async_load():
            self._messages = SeenIds(stored["messages"])
            self._ussd = SeenIds(stored["ussd"])
            if read_until := stored["read_until"]:
                self._read_until = datetime.fromisoformat(read_until)

    async def async_flush(self) -> None:
        """Write pending state to storage."""
        await self._store.async_save(self._stored())

    async def async_process(self, batch: InboundBatch) -> None:
        """Fire events for what is new in ``batch`` (already in the order to fire)."""
        if batch.delivery_reports:
            self._apply_reports(batch.delivery_reports)
        messages = [
            message
            for message in batch.messages
            if self._is_new(self._messages, "message", message.id, _message_date(message))
        ]
        answers = [
            ussd
            for ussd in batch.ussd_requests
            if self._is_new(self._ussd, "USSD answer", ussd.id, _ussd_date(ussd))
        ]
        if not messages and not answers:
            return
        # Stored before they fire: after a crash, the backfill must not fire them again.
        # Concurrent requests share a write: the store writes the latest data once a write ends.
        await self._store.async_save(self._stored())
        for message in messages:
            self._fire_message(message)
        for ussd in answers:
            self._fire_ussd(ussd)

    def _is_new(self, seen: SeenIds, kind: str, item_id: str, date: datetime | None) -> bool:
        """Record ``item_id``; return False when it was seen, or may have been."""
        if item_id in seen:
            LOGGER.debug("Dropped %s %s of %s: already received", kind, item_id, self.entry.title)
            return False
        if seen.predates_horizon(date):
            self._report_too_old(seen, kind, item_id, date)
            return False
        seen.add(item_id, date)
        return True

    def _report_too_old(
        self, seen: SeenIds, kind: str, item_id: str, date: datetime | None
    ) -> None:
        """Log the first drop for age at info level, the next ones at debug level."""
        horizon = dt_util.utc_from_timestamp(seen.horizon or 0).isoformat()
        args = (kind, item_id, self.entry.title, date, horizon)
        if self._reported_too_old:
            LOGGER.debug("Dropped %s %s of %s, dated %s: not after %s", *args)
            return
        self._reported_too_old = True
        LOGGER.info(
            "Dropped %s %s of %s, dated %s: the ids kept against replays only cover what is "
            "dated after %s, so it may have fired already. Further ones are logged at debug level",
            *args,
        )

    def _stored(self) -> _StoredInbound:
        return {
            "messages": self._messages.as_stored(),
            "ussd": self._ussd.as_stored(),
            "read_until": self._read_until.isoformat() if self._read_until else None,
        }

    @callback
    def _save_later(self) -> None:
        snapshot = self._stored()  # taken now: the delayed write runs in a worker thread
        self._store.async_delay_save(lambda: snapshot, SAVE_DELAY)

    @callback
    def async_start_backfill(self) -> None:
        """Backfill once Home Assistant has started, on a schedule and on cloud reconnects.

        Not before start: automations only listen from then on.
        """
        capabilities = self._gateway.capabilities
        if not {Capability.READ, Capability.INBOUND_WEBHOOK} <= capabilities:
            return
        self.entry.async_on_unload(async_at_started(self.hass, self._async_request_backfill))
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_request_backfill,
                BACKFILL_INTERVAL,
                name=f"{DOMAIN} backfill",
                cancel_on_shutdown=True,
            )
        )
        self.entry.async_on_unload(
            async_listen_cloud_connected(self.hass, self._async_request_backfill)
        )

    @callback
    def _async_request_backfill(self, *_: object) -> None:
        """Start a backfill in the background (cancelled on unload), unless one is running."""
        if not self._backfilling:
            self._backfilling = True
            self.entry.async_create_background_task(
                self.hass, self._async_backfill(), f"{DOMAIN} backfill"
            )

    async def _async_backfill(self) -> None:
        try:
            await self._async_read_missed()
        finally:
            self._backfilling = False

    async def _async_read_missed(self) -> None:
        """Fire the received messages the webhook did not bring; errors wait for the next run."""
        now = dt_util.utcnow()
        if self._read_until is None:
            self._read_until = now
            self._save_later()
            return
        query = MessageQuery(
            status=MessageStatus.RECEIVED, start=self._read_until - BACKFILL_MARGIN
        )
        try:
            received = await self._gateway.messages(query)
        except SmsBridgeError as err:
            if self._backfill_failed:
                LOGGER.debug("Backfill of %s failed again: %s", self.entry.title, err)
            else:
                LOGGER.warning(
                    "Cannot read back the messages %s received, to catch those whose webhook "
                    "did not arrive: %s. Retrying every %s minutes",
                    self.entry.title,
                    err,
                    int(BACKFILL_INTERVAL.total_seconds() // 60),
                )
                self._backfill_failed = True
            return
        if self._backfill_failed:
            LOGGER.info("Reading back the messages %s received works again", self.entry.title)
            self._backfill_failed = False
        ordered = sorted(
            received, key=lambda m: (m.sent_at is None, m.sent_at or now, id_order(m.id))
        )
        missed = [message for message in ordered if message.id not in self._messages]
        LOGGER.debug(
            "Backfill of %s: %s received messages read, %s missed",
            self.entry.title,
            len(received),
            len(missed),
        )
        fired = missed[:BACKFILL_CAP]
        if len(missed) > BACKFILL_CAP:
            # The next run goes on from the last message fired, whatever the time now.
            self._read_until = fired[-1].sent_at or self._read_until
        else:
            self._read_until = now
        self._save_later()  # superseded by the write of async_process if it fires anything
        await self.async_process(InboundBatch(messages=tuple(fired)))

    @callback
    def _fire_message(self, message: Message) -> None:
        attributes = {
            "message_id": message.id,
            "number": message.number,
            "number_e164": to_e164(message.number),
            "text": message.text,
            "phone_id": message.phone_id,
            "phone_name": self._phone_name(message.phone_id),
            "sim": None if message.sim_slot is None else message.sim_slot + 1,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "received_at": message.delivered_at.isoformat() if message.delivered_at else None,
        }
        self._fire(EVENT_MESSAGE_RECEIVED, EVENT_TYPE_SMS_RECEIVED, message.phone_id, attributes)

    @callback
    def _fire_ussd(self, ussd: UssdRequest) -> None:
        self._fire(EVENT_USSD_RESPONSE, EVENT_TYPE_USSD_RESPONSE, ussd.phone_id, ussd_data(ussd))

    @callback
    def _fire(
        self, bus_event: str, event_type: str, phone_id: str | None, attributes: dict[str, Any]
    ) -> None:
        self.hass.bus.async_fire(bus_event, {"config_entry_id": self.entry.entry_id, **attributes})
        async_dispatcher_send(
            self.hass, inbound_signal(self.entry.entry_id), phone_id, event_type, attributes
        )

    def _phone_name(self, phone_id: str | None) -> str | None:
        """Return the phone's name; ask for the phone list again when the phone is new to us."""
        if phone_id is None:
            return None
        coordinator = self._coordinator
        if phone := coordinator.data.phones.get(phone_id):
            return phone.display_name
        LOGGER.debug("A message arrived through phone %s, unknown so far", phone_id)
        # In the background: the webhook answers without waiting for the gateway.
        self.entry.async_create_background_task(
            self.hass, coordinator.async_request_refresh(), f"{DOMAIN} phone list refresh"
        )
        return None
