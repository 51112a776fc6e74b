"""The one send path of an entry: every send, reply, resend, list send and dry run.

A send is checked first (``send_request``), then counted by the send guard, then sent through
the outbox (one send per phone at a time; kept and retried when the gateway cannot be reached),
and what the gateway accepted is tracked until it is final. The guard settles on the messages
the gateway accepted, which may be more than one per recipient (a send through every SIM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import Capability, DeliveryReport, Gateway, Message, MessageQuery, MessageStatus
from .contacts import ContactBook
from .coordinator import SmsBridgeCoordinator
from .errors import translated_gateway_errors
from .outbox import Outbox, OutboxRecord
from .send_guard import Reservation, SendGuard
from .send_request import (
    SendContext,
    SendDefaults,
    build_list_request,
    build_request,
    check_recipient_count,
    given_recipients,
    recipient_number,
    reply_options,
)
from .serialize import refused_recipient, send_response
from .tracking import DeliveryTracker


class SendLog(Protocol):
    """Told of every message an entry sends or keeps for sending (the inbox)."""

    def add_sent(self, messages: Iterable[Message], queued_id: str | None = None) -> None:
        """The gateway took these messages; ``queued_id`` names the record they came from."""

    def add_queued(self, record: OutboxRecord) -> None:
        """A send waits in the outbox."""

    def drop_queued(self, queued_id: str) -> None:
        """A send kept in the outbox was dropped unsent."""


# Drops after which nothing went out: the messages they counted are given back to the limits.
_NOT_SENT = frozenset({"expired", "rejected"})


class Messenger:
    """Send an entry's messages: checked, within its limits, in turn per phone, tracked."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        *,
        coordinator: SmsBridgeCoordinator,
        guard: SendGuard,
        tracker: DeliveryTracker,
        defaults: SendDefaults,
        outbox_ttl: timedelta,
        log: SendLog | None = None,
    ) -> None:
        """Initialize; the outbox it sends through is its own (``outbox``).

        ``log`` is told of every message sent, kept, sent later or given up (the inbox).
        """
        self._log = log
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._coordinator = coordinator
        self._guard = guard
        self._tracker = tracker
        self._defaults = defaults
        self.outbox = Outbox(
            hass,
            entry.entry_id,
            gateway,
            outbox_ttl,
            self._sent_later,
            on_dropped=self._dropped,
            on_account=coordinator.async_set_account,
        )
        # What the sends kept in the outbox counted, until they are sent or given up.
        self._reservations: dict[str, Reservation] = {}

    def context(self) -> SendContext:
        """Return what a send is checked against now."""
        return SendContext(
            capabilities=self._gateway.capabilities,
            limits=self._gateway.limits,
            phones=self._coordinator.data.phones,
            contacts=ContactBook.of(self._hass, self._entry),
            defaults=self._defaults,
            now=dt_util.utcnow(),
        )

    async def async_send(
        self, recipients: Sequence[str] | None, text: str, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check and send one message; return the response data of the send_message action.

        ``options`` holds the keys of ``SEND_OPTIONS``, already through that schema. Without
        recipients the message goes to the entry's default recipients.
        """
        request = build_request(self.context(), recipients, text, options)
        with (
            translated_gateway_errors(self._hass, self._entry, self._gateway),
            self._guard.sending(request.recipients) as reservation,
        ):
            result = await self.outbox.async_send(request)
        if isinstance(result, OutboxRecord):
            # Accepted but not handed to the gateway yet: the outbox retries it.
            self._reservations[result.id] = reservation
            if self._log is not None:
                self._log.add_queued(result)
            return send_response(request, []) | {"queued": result.id}
        self._sent(result, reservation)
        return send_response(request, result) | {"queued": None}

    async def async_reply(self, number: str, text: str, received: Message) -> None:
        """Send ``text`` to ``number`` from the phone (and SIM) that received ``received``."""
        context = self.context()
        await self.async_send([number], text, reply_options(context, received))

    async def async_send_to_list(
        self, list_id: int, text: str, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send to every subscribed contact of one of the gateway's contacts lists."""
        request = build_list_request(self.context(), text, options)
        with (
            translated_gateway_errors(self._hass, self._entry, self._gateway),
            self._guard.sending(None) as reservation,
        ):
            messages = await self.outbox.async_send_to_list(list_id, request)
        self._sent(messages, reservation)
        return send_response(request, messages)

    async def async_resend(self, query: MessageQuery) -> list[Message]:
        """Resend the messages a non-empty ``query`` picks, within the limits, in turn."""
        with (
            translated_gateway_errors(self._hass, self._entry, self._gateway),
            self._guard.sending(None) as reservation,
        ):
            messages = await self.outbox.async_resend(query)
        self._sent(messages, reservation)
        return messages

    async def async_cancel(self, message_id: str) -> MessageStatus | None:
        """Withdraw a message not handed to a phone yet; return its state read back, if known."""
        gateway = self._gateway
        with translated_gateway_errors(self._hass, self._entry, self._gateway):
            await gateway.cancel(message_id)
            if Capability.READ not in gateway.capabilities:
                return None
            found = await gateway.messages(MessageQuery(message_id=message_id))
        message = next((item for item in found if item.id == message_id), None)
        if message is None:
            return None
        if message.status is MessageStatus.CANCELED:
            self._tracker.apply(
                [DeliveryReport(message_id, message.status, phone_id=message.phone_id)]
            )
        return message.status

    def dry_run(
        self, recipients: Sequence[str] | None, text: str, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check a send as ``async_send`` would, send nothing; return what it would send.

        What refuses the send as a whole (the text, the sender, the number of recipients, the
        limits) raises the same ServiceValidationError. A recipient's own problem (a number
        that cannot be dialled, one not among the allowed recipients) is listed with that
        recipient, so one call shows them all; ``would_send`` is False then, as the send would
        be refused. Nothing is counted against the limits.
        """
        context = self.context()
        request = build_list_request(context, text, options)
        checked: dict[str, str | None] = {}  # number (as written when invalid): its problem
        for recipient in given_recipients(context, recipients):
            try:
                number = recipient_number(context.contacts, recipient)
            except ServiceValidationError as err:
                checked[recipient] = err.translation_key
                continue
            checked[number] = None if self._guard.allows(number) else "recipient_not_allowed"
        numbers = tuple(number for number, problem in checked.items() if problem is None)
        check_recipient_count(context, len(numbers))
        self._guard.check(len(numbers))
        response = send_response(replace(request, recipients=numbers), [])
        sendable = {item["number"]: item for item in response["recipients"]}
        response["recipients"] = [
            sendable[number] if problem is None else refused_recipient(number, problem)
            for number, problem in checked.items()
        ]
        return response | {"queued": None, "would_send": len(numbers) == len(checked)}

    @callback
    def _sent(
        self,
        messages: list[Message],
        reservation: Reservation | None,
        queued_id: str | None = None,
    ) -> None:
        """Count what the gateway accepted, log it, and follow it until it is final.

        Without ``reservation`` (a send kept across a restart) it was counted before.
        """
        if messages and reservation is not None:
            # An empty answer tells nothing of what was accepted: the count stays reserved.
            self._guard.settle(reservation, len(messages))
        if self._log is not None:
            self._log.add_sent(messages, queued_id)
        self._tracker.track(messages)

    @callback
    def _sent_later(self, record: OutboxRecord, messages: list[Message]) -> None:
        """Take what a send kept in the outbox finally made (after a retry)."""
        self._sent(messages, self._reservations.pop(record.id, None), record.id)

    @callback
    def _dropped(self, record: OutboxRecord, reason: str) -> None:
        """Give a send the outbox gave up on its count back, when nothing went out."""
        reservation = self._reservations.pop(record.id, None)
        if reservation is not None and reason in _NOT_SENT:
            self._guard.settle(reservation, 0)
        if self._log is not None:
            self._log.drop_queued(record.id)
