"""Deduplicate incoming messages and USSD answers, then fire each one once.

The gateway signs no timestamp or nonce, so a captured webhook can be replayed at will and a
retried one arrives twice: the message and USSD ids already seen are kept, across restarts.

Webhooks are not guaranteed either: the gateway never retries one, and Home Assistant or its
tunnel may be down. A backfill reads the received messages back from the gateway and feeds them
through the same dedupe, so each message still fires once. It reads the messages sent since the
previous backfill (``read_until``) minus a margin. The first backfill of an entry only sets
``read_until`` to now: firing the gateway's whole history at a new user helps no one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .api import (
    Capability,
    InboundBatch,
    Message,
    MessageQuery,
    MessageStatus,
    SmsBridgeError,
    UssdRequest,
)
from .api.sms import to_e164
from .const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    EVENT_USSD_RESPONSE,
    LOGGER,
)
from .data import SmsBridgeConfigEntry
from .webhook import async_listen_cloud_connected

STORAGE_VERSION = 1
MAX_SEEN = 5000  # ids kept per kind; a gateway never resends anything that old
SAVE_DELAY = 10  # seconds

BACKFILL_INTERVAL = timedelta(minutes=15)
# The gateway filters on the sent date, which the sender's phone and network set: a message
# can reach the gateway a while after it was sent.
BACKFILL_MARGIN = timedelta(hours=1)
BACKFILL_CAP = 100  # messages fired by one backfill; the next ones read the rest

type InboundSignal = SignalType[str, str, dict[str, Any]]


class _StoredIds(TypedDict):
    messages: list[int]
    ussd: list[int]
    read_until: NotRequired[str | None]  # ISO time; absent before the first backfill


def inbound_signal(entry_id: str) -> InboundSignal:
    """Return the signal carrying (phone id, event type, event attributes) of an entry."""
    return SignalType(f"{DOMAIN}_inbound_{entry_id}")


def _store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> Store[_StoredIds]:
    # Private: the ids say when the household received messages.
    return Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry.entry_id}.inbound",
        private=True,
        atomic_writes=True,
    )


async def async_remove_inbound_store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Delete the ids kept for a removed entry."""
    await _store(hass, entry).async_remove()


class InboundDispatcher:
    """Deduplicate incoming messages (persisted, bounded) and fire them once."""

    def __init__(self, hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
        """Initialize."""
        self.hass = hass
        self.entry = entry
        self._store = _store(hass, entry)
        # Dicts keep insertion order: the first key is the oldest id.
        self._messages: dict[int, None] = {}
        self._ussd: dict[int, None] = {}
        self._read_until: datetime | None = None
        self._backfilling = False
        self._backfill_failed = False

    async def async_load(self) -> None:
        """Load the ids already seen."""
        if stored := await self._store.async_load():
            self._messages = dict.fromkeys(stored["messages"])
            self._ussd = dict.fromkeys(stored["ussd"])
            if read_until := stored.get("read_until"):
                self._read_until = datetime.fromisoformat(read_until)

    async def async_flush(self) -> None:
        """Write pending state to storage."""
        await self._store.async_save(self._stored_ids())

    async def async_process(self, batch: InboundBatch) -> None:
        """Fire events for what is new in ``batch`` (already in the order to fire)."""
        messages = [m for m in batch.messages if self._remember(self._messages, m.id)]
        answers = [u for u in batch.ussd_requests if self._remember(self._ussd, u.id)]
        if messages or answers:
            self._store.async_delay_save(self._stored_ids, SAVE_DELAY)
        for message in messages:
            self._fire_message(message)
        for ussd in answers:
            self._fire_ussd(ussd)

    def _remember(self, seen: dict[int, None], item_id: int) -> bool:
        """Record ``item_id``; return False when it was seen before."""
        if item_id in seen:
            LOGGER.debug("Dropped id %s of %s: already received", item_id, self.entry.title)
            return False
        seen[item_id] = None
        if len(seen) > MAX_SEEN:
            del seen[next(iter(seen))]
        return True

    def _stored_ids(self) -> _StoredIds:
        return {
            "messages": list(self._messages),
            "ussd": list(self._ussd),
            "read_until": self._read_until.isoformat() if self._read_until else None,
        }

    @callback
    def async_start_backfill(self) -> None:
        """Backfill once Home Assistant has started, on a schedule and on cloud reconnects.

        Not before start: automations only listen from then on.
        """
        capabilities = self.entry.runtime_data.gateway.capabilities
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
            self._store.async_delay_save(self._stored_ids, SAVE_DELAY)
            return
        query = MessageQuery(
            status=MessageStatus.RECEIVED, start=self._read_until - BACKFILL_MARGIN
        )
        try:
            received = await self.entry.runtime_data.gateway.messages(query)
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
        ordered = sorted(received, key=lambda m: (m.sent_at is None, m.sent_at or now, m.id))
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
        self._store.async_delay_save(self._stored_ids, SAVE_DELAY)
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
        self._fire(EVENT_USSD_RESPONSE, EVENT_TYPE_USSD_RESPONSE, ussd.phone_id, ussd.as_dict())

    @callback
    def _fire(
        self, bus_event: str, event_type: str, phone_id: str | None, attributes: dict[str, Any]
    ) -> None:
        self.hass.bus.async_fire(bus_event, {"config_entry_id": self.entry.entry_id, **attributes})
        if phone_id is not None:
            async_dispatcher_send(
                self.hass, inbound_signal(self.entry.entry_id), phone_id, event_type, attributes
            )

    def _phone_name(self, phone_id: str | None) -> str | None:
        """Return the phone's name; ask for the phone list again when the phone is new to us."""
        if phone_id is None:
            return None
        coordinator = self.entry.runtime_data.coordinator
        if phone := coordinator.data.phones.get(phone_id):
            return phone.display_name
        LOGGER.debug("A message arrived through phone %s, unknown so far", phone_id)
        # In the background: the webhook answers without waiting for the gateway.
        self.entry.async_create_background_task(
            self.hass, coordinator.async_request_refresh(), f"{DOMAIN} phone list refresh"
        )
        return None
