"""Durable outbox: every send goes through it; one that could not reach the gateway is kept.

Sends through the same phone go out one request at a time, in the order they were made. Records
are stored (privately: they hold numbers and texts) when a send fails to reach the gateway,
retried with a growing delay, kept across restarts, and dropped with an event when they expire.
A send that may have reached the gateway (timeout after sending, garbled answer) is never sent
again blindly: the gateway's message list is searched for it first, or, where the provider keeps
an id of ours with each send (``SendRequest.reference``), the gateway is asked for that send. A
send the gateway can be asked about in neither way is not kept: its error is raised, since a
retry could only drop it unsent.

The search must not take another message for this send, or the send would be dropped unsent: a
repeated alert has the same recipient and text as the one before. So a gateway message is
credited to at most one send and, when the provider numbers its messages in order, only if it
is newer than every message the gateway had shown us when this send's first attempt began.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    Account,
    Capability,
    Gateway,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayResponseError,
    GatewayUnavailableError,
    Message,
    MessageQuery,
    MessageStatus,
    Routing,
    Sender,
    SendRequest,
    SmsBridgeError,
    id_order,
)
from .api.numbers import number_key
from .const import DOMAIN, EVENT_MESSAGE_EXPIRED, LOGGER

STORAGE_VERSION = 1
RETRY_DELAYS = (30, 60, 120, 300, 600, 900)  # seconds, by attempt; the last one repeats
# The search reads the gateway's messages from this long before the first attempt: its clock may
# differ from ours. Older messages of that window are told apart by their ids.
RECONCILE_MARGIN = timedelta(minutes=2)
SAVE_DELAY = 10  # seconds; coalesces the store writes of the highest message sequence seen

PENDING = "pending"  # never reached the gateway: safe to send again
UNKNOWN = "unknown"  # may have reached the gateway: look for it before sending again


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox", private=True, atomic_writes=True
    )


async def async_remove_outbox_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored outbox of a removed entry."""
    await _store(hass, entry_id).async_remove()


def _state_after(err: GatewayConnectionError | GatewayResponseError) -> str:
    """Return the state of a send that failed so: UNKNOWN if the request may have got through.

    A garbled answer (GatewayResponseError) means the gateway did receive the request; one
    asking us to slow down (GatewayRateLimitedError) or saying it is unavailable
    (GatewayUnavailableError) says that it did not take it.
    """
    if isinstance(err, GatewayConnectionError) and not err.request_sent:
        return PENDING
    if isinstance(err, (GatewayRateLimitedError, GatewayUnavailableError)):
        return PENDING
    return UNKNOWN


def _not_before(err: Exception) -> datetime | None:
    """Return when the gateway lets us send again, if it asked us to wait."""
    if isinstance(err, GatewayRateLimitedError) and err.retry_after:
        return dt_util.utcnow() + timedelta(seconds=err.retry_after)
    return None


def signal_outbox_changed(entry_id: str) -> str:
    """Return the dispatcher signal sent when the outbox size changes."""
    return f"{DOMAIN}_{entry_id}_outbox"


@dataclass(slots=True)
class OutboxRecord:
    """A send waiting for the gateway.

    ``since`` and ``after_id`` describe the first attempt that may have reached the gateway:
    when it began, and the highest message sequence (``Gateway.sequence``) known then. Only a
    newer message can be this send.
    """

    id: str
    request: SendRequest
    created: datetime
    state: str
    attempts: int = 1
    since: datetime | None = None
    after_id: int = 0
    # Not retried before this moment: the gateway asked us to wait (not stored: after a
    # restart the wait is over or nearly so).
    not_before: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        request = self.request
        return {
            "id": self.id,
            "created": self.created.isoformat(),
            "state": self.state,
            "attempts": self.attempts,
            "since": self.since.isoformat() if self.since else None,
            "after_id": self.after_id,
            "request": {
                "recipients": list(request.recipients),
                "text": request.text,
                "mms": request.mms,
                "attachments": list(request.attachments),
                "senders": [[s.phone_id, s.sim_slot] for s in request.senders],
                "routing": request.routing.value,
                "random_sender": request.random_sender,
                "schedule": request.schedule.isoformat() if request.schedule else None,
                "prioritize": request.prioritize,
                "sender_id": request.sender_id,
                "reference": request.reference,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxRecord:
        """Rebuild a record from its stored form."""
        req = data["request"]
        since = data.get("since")  # absent from records stored by older versions
        return cls(
            id=data["id"],
            created=datetime.fromisoformat(data["created"]),
            state=data["state"],
            attempts=data["attempts"],
            since=datetime.fromisoformat(since) if since else None,
            after_id=data.get("after_id", 0),
            request=SendRequest(
                recipients=tuple(req["recipients"]),
                text=req["text"],
                mms=req["mms"],
                attachments=tuple(req["attachments"]),
                senders=tuple(Sender(phone_id, slot) for phone_id, slot in req["senders"]),
                routing=Routing(req["routing"]),
                random_sender=req["random_sender"],
                schedule=datetime.fromisoformat(req["schedule"]) if req["schedule"] else None,
                prioritize=req["prioritize"],
                sender_id=req.get("sender_id"),  # absent from records of older versions
                reference=req.get("reference"),  # likewise
            ),
        )


class Outbox:
    """Send one request per phone at a time; keep, retry and expire what the gateway missed."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        gateway: Gateway,
        ttl: timedelta,
        on_sent: Callable[[OutboxRecord, list[Message]], None],
        *,
        on_dropped: Callable[[OutboxRecord, str], None] | None = None,
        on_account: Callable[[Account], None] | None = None,
    ) -> None:
        """Initialize the outbox; ``on_sent`` receives a kept send and what it finally sent.

        ``on_dropped`` receives a kept send given up, and why ("expired", "unconfirmed",
        "rejected"), once its event has fired.

        ``on_account`` receives the account figures the answer of a send reported, when the
        provider reports them that way (``Gateway.latest_account``). ``log`` is told of every
        send, first attempts and retries alike.
        """
        self._hass = hass
        self._on_account = on_account
        self._entry_id = entry_id
        self._gateway = gateway
        self._ttl = ttl
        self._on_sent = on_sent
        self._on_dropped = on_dropped
        self._store = _store(hass, entry_id)
        self._records: dict[str, OutboxRecord] = {}
        self._cancel_retry: CALLBACK_TYPE | None = None
        self._running = False
        self._phone_locks: dict[str | None, asyncio.Lock] = {}
        self._highest_id = 0  # the highest message sequence seen
        # Ids credited to a send; only needed while a record or a request could still take them.
        self._claimed: set[str] = set()
        self._in_flight = 0

    def __len__(self) -> int:
        """Return how many sends wait."""
        return len(self._records)

    async def async_load(self) -> None:
        """Load the records kept across a restart and retry them soon."""
        stored = await self._store.async_load() or {}
        for data in stored.get("records", []):
            record = OutboxRecord.from_dict(data)
            self._records[record.id] = record
        self._highest_id = stored.get("highest_id", 0)
        # Versions with numeric ids stored numbers: read as the strings the providers give now.
        self._claimed = {str(item_id) for item_id in stored.get("claimed", [])}
        if self._records:
            LOGGER.info("Resuming %s unsent message(s) from the outbox", len(self._records))
            self._schedule(0)

    @callback
    def async_stop(self) -> None:
        """Stop retrying (entry unload); the records stay stored."""
        if self._cancel_retry:
            self._cancel_retry()
            self._cancel_retry = None

    async def async_unload(self) -> None:
        """Stop retrying and write what is not stored yet (the entry is unloading)."""
        self.async_stop()
        await self._store.async_save(self._stored())

    async def async_send(self, request: SendRequest) -> list[Message] | OutboxRecord:
        """Send now; if the gateway cannot be reached, keep the send and return its record.

        A send that may have reached the gateway, where the gateway cannot tell whether it did,
        is not kept: its error is raised.
        """
        if request.reference is None:
            request = replace(request, reference=uuid.uuid4().hex)
        async with self._phones_free(request):
            since, after_id = dt_util.utcnow(), self._highest_id
            try:
                messages = await self._send(request)
            except (GatewayConnectionError, GatewayResponseError) as err:
                state = _state_after(err)
                if state == UNKNOWN and not self._can_find(request):
                    raise
                record = OutboxRecord(
                    id=request.reference or uuid.uuid4().hex,
                    request=request,
                    created=since,
                    state=state,
                    since=since,
                    after_id=after_id,
                    not_before=_not_before(err),
                )
                self._records[record.id] = record
                LOGGER.warning("Gateway unavailable (%s); the message waits in the outbox", err)
            else:
                return messages
        await self._save()
        self._schedule(self._delay(record))
        return record

    async def async_send_to_list(self, list_id: int, request: SendRequest) -> list[Message]:
        """Send to a contacts list now, in turn with the other sends of its phones."""
        async with self._phones_free(request):
            return await self._send(request, list_id)

    async def async_resend(self, query: MessageQuery) -> list[Message]:
        """Resend the messages ``query`` picks, in turn with the other sends of its phone.

        Without a phone in the query, the gateway's choice: in turn with the sends naming none.
        """
        async with self._turns([query.phone_id]):
            return await self._gateway.resend(query)

    @asynccontextmanager
    async def _phones_free(self, request: SendRequest) -> AsyncIterator[None]:
        """Wait for the turn of every phone the request sends from, in call order.

        A request naming no phone lets the gateway choose (its primary phone, or all of them):
        those share one turn.
        """
        async with self._turns([*sorted({sender.phone_id for sender in request.senders})]):
            yield

    @asynccontextmanager
    async def _turns(self, phones: list[str] | list[str | None]) -> AsyncIterator[None]:
        """Hold the turn of each phone (sorted, so that two sends never wait for each other).

        An empty list or None stands for the gateway's own choice of phone.
        """
        async with AsyncExitStack() as stack:
            for phone in phones or [None]:
                lock = self._phone_locks.setdefault(phone, asyncio.Lock())
                await stack.enter_async_context(lock)
            yield

    async def _send(self, request: SendRequest, list_id: int | None = None) -> list[Message]:
        self._in_flight += 1
        try:
            if list_id is None:
                messages = await self._gateway.send(request)
            else:
                messages = await self._gateway.send_to_list(list_id, request)
        finally:
            self._in_flight -= 1
        self._claim(messages)
        if self._on_account is not None and (account := self._gateway.latest_account):
            self._on_account(account)
        return messages

    def _claim(self, messages: Iterable[Message]) -> None:
        """Credit gateway messages to the send that made them; no other send can have them."""
        messages = list(messages)
        self._claimed |= {message.id for message in messages}
        self._seen(messages)
        self._forget_claims_if_idle()

    def _forget_claims_if_idle(self) -> None:
        if not self._records and not self._in_flight:
            # Every later attempt starts above the claimed ids: none needs them any more.
            self._claimed.clear()

    def _seen(self, messages: Iterable[Message]) -> None:
        sequences = (self._gateway.sequence(message) for message in messages)
        highest = max((sequence for sequence in sequences if sequence is not None), default=0)
        if highest > self._highest_id:
            self._highest_id = highest
            self._store.async_delay_save(self._stored, SAVE_DELAY)

    async def async_retry(self) -> None:
        """Retry every waiting send once (also called by the timer)."""
        if self._running:
            return
        self._running = True
        try:
            for record in list(self._records.values()):
                await self._retry(record)
        finally:
            self._running = False
        self._forget_claims_if_idle()
        await self._save()
        if self._records:
            self._schedule(min(self._delay(r) for r in self._records.values()))

    async def _retry(self, record: OutboxRecord) -> None:
        expired = dt_util.utcnow() - record.created > self._ttl
        if record.state == UNKNOWN:
            # Even past its time to live: if the gateway has it, it was sent.
            try:
                found = await self._find(record)
            except SmsBridgeError:
                if not expired:
                    record.attempts += 1
                    return
                found = None
            if found:
                LOGGER.info("A message kept in the outbox had reached the gateway")
                self._claim(found)
                del self._records[record.id]
                self._on_sent(record, found)
                return
            if found is None:
                self._drop(record, "expired" if expired else "unconfirmed")
                return
        if expired:
            self._drop(record, "expired")
            return
        if record.not_before is not None and dt_util.utcnow() < record.not_before:
            return  # the gateway asked us to wait: another record's retry came first
        async with self._phones_free(record.request):
            if record.state == PENDING:
                record.since, record.after_id = dt_util.utcnow(), self._highest_id
            # Stored before sending: if Home Assistant stops before the answer, the next start
            # looks for the message instead of sending it again.
            record.state = UNKNOWN
            await self._save()
            try:
                messages = await self._send(record.request)
            except (GatewayConnectionError, GatewayResponseError) as err:
                record.state = _state_after(err)
                record.not_before = _not_before(err)
                record.attempts += 1
                return
            except SmsBridgeError as err:
                LOGGER.error("The gateway refused a message from the outbox: %s", err)
                self._drop(record, "rejected")
                return
        del self._records[record.id]
        self._on_sent(record, messages)

    async def _find(self, record: OutboxRecord) -> list[Message] | None:
        """Return the messages the gateway has for this send ([] when none, None if unknowable).

        At most one per recipient: the oldest message that no other send took, newer than what
        the gateway had shown us before this send's first attempt, to that recipient, with a
        text the gateway may have made of ours. Incoming messages never count. A gateway that
        cannot be read is asked for the send by its reference.
        """
        if Capability.READ not in self._gateway.capabilities:
            return await self._gateway.find_sent(record.request)
        request = record.request
        since = record.since or record.created
        candidates = await self._gateway.messages(MessageQuery(start=since - RECONCILE_MARGIN))
        self._seen(candidates)
        region = self._hass.config.country
        recipients = {number_key(number, region) for number in request.recipients}
        found: dict[str, Message] = {}
        for message in sorted(candidates, key=self._order):
            number = number_key(message.number, region)
            sequence = self._gateway.sequence(message)
            if (
                number in recipients
                and number not in found
                and (sequence is None or sequence > record.after_id)
                and message.id not in self._claimed
                and message.status is not MessageStatus.RECEIVED
                and self._gateway.may_have_sent(request.text, message)
            ):
                found[number] = message
        return list(found.values())

    def _can_find(self, request: SendRequest) -> bool:
        """Return True when a send of ``request`` can be looked for before it is sent again."""
        return Capability.READ in self._gateway.capabilities or self._gateway.can_find_sent(request)

    def _order(self, message: Message) -> tuple[int, datetime, tuple[int, int, str]]:
        """Oldest first: by sequence when the provider gives one, else by date."""
        sequence = self._gateway.sequence(message)
        return (
            sequence or 0,
            message.sent_at or datetime.min.replace(tzinfo=UTC),
            id_order(message.id),
        )

    def _drop(self, record: OutboxRecord, reason: str) -> None:
        del self._records[record.id]
        LOGGER.warning("Dropped a message from the outbox (%s)", reason)
        self._hass.bus.async_fire(
            EVENT_MESSAGE_EXPIRED,
            {
                "config_entry_id": self._entry_id,
                "reason": reason,
                "recipients": list(record.request.recipients),
                "text": record.request.text,
                "created": record.created.isoformat(),
                "attempts": record.attempts,
            },
        )
        if self._on_dropped is not None:
            self._on_dropped(record, reason)

    def _delay(self, record: OutboxRecord) -> float:
        delay: float = RETRY_DELAYS[min(record.attempts, len(RETRY_DELAYS)) - 1]
        if record.not_before is not None:
            delay = max(delay, (record.not_before - dt_util.utcnow()).total_seconds())
        return delay

    def _stored(self) -> dict[str, Any]:
        return {
            "records": [record.as_dict() for record in self._records.values()],
            "highest_id": self._highest_id,
            "claimed": sorted(self._claimed),
        }

    async def _save(self) -> None:
        await self._store.async_save(self._stored())
        async_dispatcher_send(self._hass, signal_outbox_changed(self._entry_id))

    @callback
    def _schedule(self, delay: float) -> None:
        if self._cancel_retry:
            self._cancel_retry()

        @callback
        def _fire(_now: datetime) -> None:
            self._cancel_retry = None
            self._hass.async_create_background_task(self.async_retry(), f"{DOMAIN} outbox")

        self._cancel_retry = async_call_later(self._hass, delay, _fire)
