"""Durable outbox: a validated send that could not reach the gateway is kept and retried.

Records are stored (privately: they hold numbers and texts) when a send fails to reach the
gateway, retried with a growing delay, kept across restarts, and dropped with an event when they
expire. A send that may have reached the gateway (timeout after sending, garbled answer) is never
sent again blindly: the gateway's message list is searched for it first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
import uuid

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    Capability,
    Gateway,
    GatewayConnectionError,
    GatewayResponseError,
    Message,
    MessageQuery,
    Routing,
    Sender,
    SendRequest,
    SmsBridgeError,
)
from .api.sms import clean_number, may_be_sent_as
from .const import DOMAIN, EVENT_MESSAGE_EXPIRED, LOGGER

STORAGE_VERSION = 1
RETRY_DELAYS = (30, 60, 120, 300, 600, 900)  # seconds, by attempt; the last one repeats
RECONCILE_MARGIN = timedelta(minutes=2)

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

    A garbled answer (GatewayResponseError) means the gateway did receive the request.
    """
    if isinstance(err, GatewayConnectionError) and not err.request_sent:
        return PENDING
    return UNKNOWN


def signal_outbox_changed(entry_id: str) -> str:
    """Return the dispatcher signal sent when the outbox size changes."""
    return f"{DOMAIN}_{entry_id}_outbox"


@dataclass(slots=True)
class OutboxRecord:
    """A send waiting for the gateway."""

    id: str
    request: SendRequest
    created: datetime
    state: str
    attempts: int = 1

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        request = self.request
        return {
            "id": self.id,
            "created": self.created.isoformat(),
            "state": self.state,
            "attempts": self.attempts,
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
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxRecord:
        """Rebuild a record from its stored form."""
        req = data["request"]
        return cls(
            id=data["id"],
            created=datetime.fromisoformat(data["created"]),
            state=data["state"],
            attempts=data["attempts"],
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
            ),
        )


class Outbox:
    """Keep, retry and expire sends the gateway did not take."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        gateway: Gateway,
        ttl: timedelta,
        on_sent: Callable[[list[Message]], None],
    ) -> None:
        """Initialize the outbox; ``on_sent`` receives what a retry finally sent."""
        self._hass = hass
        self._entry_id = entry_id
        self._gateway = gateway
        self._ttl = ttl
        self._on_sent = on_sent
        self._store = _store(hass, entry_id)
        self._records: dict[str, OutboxRecord] = {}
        self._cancel_retry: CALLBACK_TYPE | None = None
        self._running = False

    def __len__(self) -> int:
        """Return how many sends wait."""
        return len(self._records)

    async def async_load(self) -> None:
        """Load the records kept across a restart and retry them soon."""
        stored = await self._store.async_load()
        for data in (stored or {}).get("records", []):
            record = OutboxRecord.from_dict(data)
            self._records[record.id] = record
        if self._records:
            LOGGER.info("Resuming %s unsent message(s) from the outbox", len(self._records))
            self._schedule(0)

    @callback
    def async_stop(self) -> None:
        """Stop retrying (entry unload); the records stay stored."""
        if self._cancel_retry:
            self._cancel_retry()
            self._cancel_retry = None

    async def async_send(self, request: SendRequest) -> list[Message] | OutboxRecord:
        """Send now; if the gateway cannot be reached, keep the send and return its record."""
        try:
            return await self._gateway.send(request)
        except (GatewayConnectionError, GatewayResponseError) as err:
            record = OutboxRecord(
                id=uuid.uuid4().hex,
                request=request,
                created=dt_util.utcnow(),
                state=_state_after(err),
            )
            LOGGER.warning("Gateway unavailable (%s); the message waits in the outbox", err)
            await self._add(record)
            return record

    async def _add(self, record: OutboxRecord) -> None:
        self._records[record.id] = record
        await self._save()
        self._schedule(self._delay(record))

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
        await self._save()
        if self._records:
            self._schedule(min(self._delay(r) for r in self._records.values()))

    async def _retry(self, record: OutboxRecord) -> None:
        if dt_util.utcnow() - record.created > self._ttl:
            self._drop(record, "expired")
            return
        if record.state == UNKNOWN:
            try:
                found = await self._find(record)
            except SmsBridgeError:
                record.attempts += 1
                return
            if found:
                LOGGER.info("A message kept in the outbox had reached the gateway")
                del self._records[record.id]
                self._on_sent(found)
                return
            if found is None:
                self._drop(record, "unconfirmed")
                return
        try:
            messages = await self._gateway.send(record.request)
        except (GatewayConnectionError, GatewayResponseError) as err:
            record.state = _state_after(err)
            record.attempts += 1
            return
        except SmsBridgeError as err:
            LOGGER.error("The gateway refused a message from the outbox: %s", err)
            self._drop(record, "rejected")
            return
        del self._records[record.id]
        self._on_sent(messages)

    async def _find(self, record: OutboxRecord) -> list[Message] | None:
        """Return the messages the gateway has for this send ([] when none, None if unknowable)."""
        if Capability.READ not in self._gateway.capabilities:
            return None
        request = record.request
        candidates = await self._gateway.messages(
            MessageQuery(start=record.created - RECONCILE_MARGIN)
        )
        recipients = {clean_number(number) for number in request.recipients}
        return [
            message
            for message in candidates
            if clean_number(message.number) in recipients
            and may_be_sent_as(request.text, message.text)
        ]

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

    def _delay(self, record: OutboxRecord) -> float:
        return RETRY_DELAYS[min(record.attempts, len(RETRY_DELAYS)) - 1]

    async def _save(self) -> None:
        await self._store.async_save({"records": [r.as_dict() for r in self._records.values()]})
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
