"""Delivery tracking: follow sent messages until they reach a final state.

States come two ways, whichever the provider offers: delivery reports it pushes (applied as they
arrive), and reading the messages back, with a growing interval while nothing changes. A status
only ever moves forward: a late, replayed or out-of-order report never lowers it.

The messages followed are stored (ids, groups and states, no numbers or texts), so tracking
goes on after a restart, once Home Assistant has started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from .api import (
    Capability,
    DeliveryReport,
    Gateway,
    GatewayRateLimitedError,
    Message,
    MessageQuery,
    MessageStatus,
    SmsBridgeError,
    TrackedMessage,
)
from .const import DOMAIN, EVENT_MESSAGE_STATUS, LOGGER
from .serialize import MESSAGE_KEYS, message_data

FIRST_POLL = 10.0  # seconds after a send
MAX_POLL_INTERVAL = 600.0
MAX_TRACKED = 1000  # messages followed at once, and stored; the oldest are dropped beyond
MAX_TRACK_AGE = timedelta(hours=24)
MAX_QUERIES_PER_POLL = 20
QUERY_CONCURRENCY = 4

STORAGE_VERSION = 1
SAVE_DELAY = 10  # seconds; Home Assistant writes what is pending when it stops


class _StoredMessage(TypedDict):
    id: str  # a number in the stores of versions that had numeric ids
    status: str
    group_id: str | None
    since: str  # ISO time tracking started


class _StoredTracking(TypedDict):
    messages: list[_StoredMessage]


def _store(hass: HomeAssistant, entry_id: str) -> Store[_StoredTracking]:
    return Store(
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.tracking", private=True, atomic_writes=True
    )


async def async_remove_tracking_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the messages followed for a removed entry."""
    await _store(hass, entry_id).async_remove()


type StatusChanges = dict[str | None, list[dict[str, Any]]]
"""Per phone id (None: no phone, as with a provider without phones), the bus event data of
each message of that phone whose status changed."""


def signal_message_status(entry_id: str) -> SignalType[StatusChanges]:
    """Return the dispatcher signal carrying the status changes of one poll, once per poll.

    Once per poll, not per message: a large send changes many messages at once, and each
    phone's entities write one state for all of them, not one recorder row per message.
    """
    return SignalType(f"{DOMAIN}_{entry_id}_message_status")


@dataclass(slots=True)
class PhoneCounters:
    """Messages of one phone that reached Sent or Failed since local midnight."""

    day: date
    sent: int = 0
    failed: int = 0
    last_failure: str | None = None


@dataclass(slots=True)
class _Tracked:
    status: MessageStatus
    group_id: str | None
    since: datetime = field(default_factory=dt_util.utcnow)


class DeliveryTracker:
    """Poll the gateway for the messages this entry sent until each one is final."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        gateway: Gateway,
        *,
        on_status: Callable[[str, MessageStatus], None] | None = None,
    ) -> None:
        """Initialize the tracker; ``on_status`` is told each status a message moves to."""
        self._hass = hass
        self._on_status = on_status
        self._entry_id = entry_id
        self._gateway = gateway
        self._store = _store(hass, entry_id)
        self._tracked: dict[str, _Tracked] = {}
        self._counters: dict[str, PhoneCounters] = {}
        self._interval = FIRST_POLL
        self._next_query = 0
        self._cancel_poll: CALLBACK_TYPE | None = None
        self._poll_task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """Return True when the provider reports message states, or lets us read them back."""
        return bool(
            {Capability.STATUS_POLL, Capability.STATUS_WEBHOOK} & self._gateway.capabilities
        )

    @property
    def _polls(self) -> bool:
        return Capability.STATUS_POLL in self._gateway.capabilities

    @property
    def tracked_count(self) -> int:
        """Return how many messages are followed now."""
        return len(self._tracked)

    def counters(self, phone_id: str) -> PhoneCounters:
        """Return today's counters of a phone."""
        today = dt_util.now().date()
        counters = self._counters.get(phone_id)
        if counters is None or counters.day != today:
            counters = self._counters[phone_id] = PhoneCounters(day=today)
        return counters

    async def async_load(self) -> None:
        """Load the messages followed before a restart (polled once Home Assistant started)."""
        stored = await self._store.async_load()
        for item in stored["messages"] if stored else ():
            self._tracked[str(item["id"])] = _Tracked(
                MessageStatus(item["status"]),
                item["group_id"],
                datetime.fromisoformat(item["since"]),
            )
        self._bound()
        self._expire()

    async def async_flush(self) -> None:
        """Write the messages followed to storage now (entry unload)."""
        await self._store.async_save(self._stored())

    @callback
    def async_resume(self, _hass: HomeAssistant) -> None:
        """Poll the messages followed before a restart."""
        if self._tracked and self._polls:
            LOGGER.debug("Resuming the tracking of %s message(s)", len(self._tracked))
            self._start_poll(dt_util.utcnow())

    @callback
    def track(self, messages: Iterable[Message]) -> None:
        """Follow these messages (a resend restarts a message from its new state)."""
        if not self.enabled:
            return
        for message in messages:
            if message.status.is_final:
                continue
            self._tracked.pop(message.id, None)
            self._tracked[message.id] = _Tracked(message.status, message.group_id)
        self._bound()
        self._save_later()
        if self._polls:
            self._interval = FIRST_POLL
            self._schedule(FIRST_POLL)

    @callback
    def apply(self, reports: Iterable[DeliveryReport]) -> None:
        """Apply the delivery reports the provider pushed; untracked messages are ignored."""
        changes: StatusChanges = {}
        changed = False
        for report in reports:
            changed |= self._advance(
                report.message_id,
                report.status,
                changes,
                phone_id=report.phone_id,
                failure_reason=report.failure_reason,
                describe=partial(_report_data, report),
            )
        if changes:
            async_dispatcher_send(self._hass, signal_message_status(self._entry_id), changes)
        if changed:
            self._save_later()

    def _bound(self) -> None:
        while len(self._tracked) > MAX_TRACKED:
            dropped = next(iter(self._tracked))
            LOGGER.debug("Stopped tracking message %s: too many tracked", dropped)
            del self._tracked[dropped]

    def _stored(self) -> _StoredTracking:
        return {
            "messages": [
                {
                    "id": message_id,
                    "status": tracked.status.value,
                    "group_id": tracked.group_id,
                    "since": tracked.since.isoformat(),
                }
                for message_id, tracked in self._tracked.items()
            ]
        }

    @callback
    def _save_later(self) -> None:
        snapshot = self._stored()  # taken now: the delayed write runs in a worker thread
        self._store.async_delay_save(lambda: snapshot, SAVE_DELAY)

    @callback
    def async_stop(self, _event: Event | None = None) -> None:
        """Stop polling (entry unload, Home Assistant stop: the messages are stored)."""
        if self._cancel_poll:
            self._cancel_poll()
            self._cancel_poll = None
        if self._poll_task:
            self._poll_task.cancel()

    @callback
    def _schedule(self, delay: float) -> None:
        if self._cancel_poll:
            self._cancel_poll()
        self._cancel_poll = async_call_later(self._hass, delay, self._start_poll)

    @callback
    def _start_poll(self, _now: datetime) -> None:
        self._cancel_poll = None
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = self._hass.async_create_background_task(
                self.async_poll(), f"{DOMAIN} delivery tracking"
            )

    async def async_poll(self) -> None:
        """Read the tracked messages back once and report what changed."""
        if self._expire():
            self._save_later()
        if not self._tracked:
            return
        semaphore = asyncio.Semaphore(QUERY_CONCURRENCY)
        wait = 0.0  # what the gateway asked us to wait before the next poll

        async def read(query: MessageQuery) -> list[Message]:
            nonlocal wait
            async with semaphore:
                try:
                    return await self._gateway.messages(query)
                except GatewayRateLimitedError as err:
                    LOGGER.debug("Asked to slow down while reading message states: %s", err)
                    wait = max(wait, err.retry_after or 0.0)
                    return []
                except SmsBridgeError as err:
                    LOGGER.debug("Could not read message states: %s", err)
                    return []

        results = await asyncio.gather(*(read(query) for query in self._queries()))
        changed = False
        changes: StatusChanges = {}
        for message in (message for result in results for message in result):
            changed |= self._update(message, changes)
        if changes:
            async_dispatcher_send(self._hass, signal_message_status(self._entry_id), changes)
        if changed:
            self._save_later()
        if self._tracked:
            self._interval = FIRST_POLL if changed else min(self._interval * 2, MAX_POLL_INTERVAL)
            self._schedule(max(self._interval, wait))

    def _queries(self) -> list[MessageQuery]:
        """Return the queries the provider reads the tracked messages back with.

        Beyond MAX_QUERIES_PER_POLL, each poll goes on where the previous one stopped: the
        first sends, stuck at Sent without delivery reports, must not hide the later ones.
        """
        queries = self._gateway.status_queries(
            TrackedMessage(message_id, tracked.group_id)
            for message_id, tracked in self._tracked.items()
        )
        if len(queries) <= MAX_QUERIES_PER_POLL:
            return queries
        start = self._next_query % len(queries)
        self._next_query = start + MAX_QUERIES_PER_POLL
        return (queries[start:] + queries[:start])[:MAX_QUERIES_PER_POLL]

    def _expire(self) -> bool:
        """Stop following the messages tracked too long; return True if there were some."""
        oldest = dt_util.utcnow() - MAX_TRACK_AGE
        expired = [mid for mid, t in self._tracked.items() if t.since < oldest]
        for message_id in expired:
            LOGGER.debug("Stopped tracking message %s: no final state in time", message_id)
            del self._tracked[message_id]
        return bool(expired)

    def _update(self, message: Message, changes: StatusChanges) -> bool:
        """Apply a read-back state; return True if it moved the message forward."""
        return self._advance(
            message.id,
            message.status,
            changes,
            phone_id=message.phone_id,
            failure_reason=message.failure_reason,
            describe=partial(message_data, message),
        )

    def _advance(
        self,
        message_id: str,
        status: MessageStatus,
        changes: StatusChanges,
        *,
        phone_id: str | None,
        failure_reason: str | None,
        describe: Callable[[], dict[str, Any]],
    ) -> bool:
        """Move a tracked message to ``status``, never backwards; return True if it moved."""
        tracked = self._tracked.get(message_id)
        if tracked is None or status.rank <= tracked.status.rank:
            return False
        previous = tracked.status
        tracked.status = status
        if status.is_final:
            del self._tracked[message_id]
        if self._on_status is not None:
            self._on_status(message_id, status)
        self._count(phone_id, status, previous, failure_reason)
        changes.setdefault(phone_id, []).append(self._fire(describe(), previous))
        return True

    def _count(
        self,
        phone_id: str | None,
        status: MessageStatus,
        previous: MessageStatus,
        failure_reason: str | None,
    ) -> None:
        if phone_id is None:
            return
        counters = self.counters(phone_id)
        if status is MessageStatus.FAILED:
            counters.failed += 1
            counters.last_failure = failure_reason
        elif (
            status in (MessageStatus.SENT, MessageStatus.DELIVERED)
            and previous.rank < MessageStatus.SENT.rank
        ):
            counters.sent += 1

    def _fire(self, message: dict[str, Any], previous: MessageStatus) -> dict[str, Any]:
        """Fire the bus event of one change (one per message); return its data."""
        data: dict[str, Any] = {
            "config_entry_id": self._entry_id,
            **message,
            "previous_status": previous.value,
        }
        self._hass.bus.async_fire(EVENT_MESSAGE_STATUS, data)
        return data


def _report_data(report: DeliveryReport) -> dict[str, Any]:
    """Return the event data of a pushed report: what it does not tell is None."""
    at = report.at.isoformat() if report.at else None
    return dict.fromkeys(MESSAGE_KEYS) | {
        "message_id": report.message_id,
        "number": report.number,
        "status": report.status.value,
        "phone_id": report.phone_id,
        "attachments": [],
        "delivered_at": at if report.status is MessageStatus.DELIVERED else None,
        "error_code": report.error_code,
        "failure_reason": report.failure_reason,
    }
