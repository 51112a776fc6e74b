"""Fire each incoming message and USSD answer once: on the bus and to the entry's entities.

What is new is told by the entry's inbound store (``inbound_store.py``), which writes a new id
before its event fires. Delivery reports go to the delivery tracker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.signal_type import SignalType

from .api import DeliveryReport, InboundBatch, Message, UssdRequest, quoted
from .api.numbers import to_e164
from .const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    EVENT_USSD_RESPONSE,
    LOGGER,
)
from .contacts import ContactBook
from .coordinator import SmsBridgeCoordinator
from .inbound_store import InboundStore
from .inbox_store import InboxStore
from .serialize import ussd_data

# The phone id is None for a provider without phones: the account's entities take those.
type InboundSignal = SignalType[str | None, str, dict[str, Any]]


class ProcessInbound(Protocol):
    """Fire what is new in a batch; ``unconfirmed`` for a webhook's that polling may correct."""

    def __call__(self, batch: InboundBatch, *, unconfirmed: bool = False) -> Awaitable[None]:
        """Process ``batch``."""


def inbound_signal(entry_id: str) -> InboundSignal:
    """Return the signal carrying (phone id, event type, event attributes) of an entry."""
    return SignalType(f"{DOMAIN}_inbound_{entry_id}")


class InboundDispatcher:
    """Fire what is new in an inbound batch, once.

    Delivery reports go to ``apply_reports`` (the delivery tracker): replaying one is harmless,
    as a status never moves backwards.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: SmsBridgeCoordinator,
        store: InboundStore,
        apply_reports: Callable[[Iterable[DeliveryReport]], None],
        *,
        inbox: InboxStore | None = None,
        on_message: Callable[[Message], None] | None = None,
    ) -> None:
        """Initialize; ``store`` tells what is new, ``coordinator`` names the phones.

        ``inbox`` keeps each new message (written before its event fires, as the store's id);
        ``on_message`` is called with each new message once its event has fired.
        """
        self._inbox = inbox
        self.hass = hass
        self.entry = entry
        self._coordinator = coordinator
        self._store = store
        self._apply_reports = apply_reports
        self._on_message = on_message

    async def async_process(self, batch: InboundBatch, *, unconfirmed: bool = False) -> None:
        """Fire events for what is new in ``batch`` (already in the order to fire).

        ``unconfirmed``: a webhook brought it, and the provider's API may contradict it later
        (see ``inbound_store.py``).
        """
        if batch.delivery_reports:
            self._apply_reports(batch.delivery_reports)
        messages = self._store.new_messages(batch.messages, unconfirmed=unconfirmed)
        answers = self._store.new_answers(batch.ussd_requests, unconfirmed=unconfirmed)
        if not messages and not answers:
            return
        # Stored before they fire: after a crash, the backfill must not fire them again.
        if self._inbox is not None and messages:
            self._inbox.add_incoming(messages)
            await asyncio.gather(self._store.async_save(), self._inbox.async_flush())
        else:
            await self._store.async_save()
        contacts = ContactBook.of(self.hass, self.entry)  # once for the whole batch
        for message in messages:
            self._fire_message(message, contacts)
            if self._on_message is not None:
                self._on_message(message)
        for ussd in answers:
            self._fire_ussd(ussd)

    @callback
    def _fire_message(self, message: Message, contacts: ContactBook) -> None:
        contact = contacts.by_number(message.number)
        attributes: dict[str, Any] = {
            "message_id": message.id,
            "number": message.number,
            "number_e164": to_e164(message.number, contacts.country),
            # The name of the contact whose number this is, however the gateway wrote it.
            "contact": contact.name if contact else None,
            "text": message.text,
            "phone_id": message.phone_id,
            "phone_name": self._phone_name(message.phone_id),
            "sim": None if message.sim_slot is None else message.sim_slot + 1,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "received_at": message.delivered_at.isoformat() if message.delivered_at else None,
        }
        if message.attachments:  # an image whose URL is all the provider gives
            attributes["attachments"] = list(message.attachments)
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
        LOGGER.debug("A message arrived through phone %s, unknown so far", quoted(phone_id))
        # In the background: the webhook answers without waiting for the gateway.
        self.entry.async_create_background_task(
            self.hass, coordinator.async_request_refresh(), f"{DOMAIN} phone list refresh"
        )
        return None
