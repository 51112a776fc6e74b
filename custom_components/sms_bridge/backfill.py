"""Read back the messages whose webhook never arrived.

Webhooks are not guaranteed: the gateway never retries one, and Home Assistant or its tunnel may
be down. A backfill reads the received messages back from the gateway and feeds them through the
same dedupe as webhooks, so each message still fires once. It reads the messages sent since the
previous backfill (``read_until``) minus a margin. The first backfill of an entry only sets
``read_until`` to now: firing the gateway's whole history at a new user helps no one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .api import (
    Capability,
    Gateway,
    InboundBatch,
    MessageQuery,
    MessageStatus,
    SmsBridgeError,
    id_order,
)
from .const import BACKFILL_MARGIN, DOMAIN, LOGGER
from .inbound_store import InboundStore
from .webhook_url import async_listen_cloud_connected

BACKFILL_INTERVAL = timedelta(minutes=15)
BACKFILL_CAP = 100  # messages fired by one backfill; the next ones read the rest


class Backfill:
    """Read back what the gateway received, on a schedule and on cloud reconnects."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        store: InboundStore,
        process: Callable[[InboundBatch], Awaitable[None]],
    ) -> None:
        """Initialize; ``store`` knows what fired already, ``process`` fires the rest."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._store = store
        self._process = process
        self._running = False
        self._failed = False

    @callback
    def async_start(self) -> None:
        """Backfill once Home Assistant has started, on a schedule and on cloud reconnects.

        Not before start: automations only listen from then on.
        """
        if not {Capability.READ, Capability.INBOUND_WEBHOOK} <= self._gateway.capabilities:
            return
        self._entry.async_on_unload(async_at_started(self._hass, self._async_request))
        self._entry.async_on_unload(
            async_track_time_interval(
                self._hass,
                self._async_request,
                BACKFILL_INTERVAL,
                name=f"{DOMAIN} backfill",
                cancel_on_shutdown=True,
            )
        )
        self._entry.async_on_unload(async_listen_cloud_connected(self._hass, self._async_request))

    @callback
    def _async_request(self, *_: object) -> None:
        """Start a backfill in the background (cancelled on unload), unless one is running."""
        if not self._running:
            self._running = True
            self._entry.async_create_background_task(
                self._hass, self._async_run(), f"{DOMAIN} backfill"
            )

    async def _async_run(self) -> None:
        try:
            await self._async_read_missed()
        finally:
            self._running = False

    async def _async_read_missed(self) -> None:
        """Fire the received messages the webhook did not bring; errors wait for the next run."""
        now = dt_util.utcnow()
        store = self._store
        if store.read_until is None:
            store.read_until = now
            store.async_save_later()
            return
        query = MessageQuery(
            status=MessageStatus.RECEIVED, start=store.read_until - BACKFILL_MARGIN
        )
        try:
            received = await self._gateway.messages(query)
        except SmsBridgeError as err:
            if self._failed:
                LOGGER.debug("Backfill of %s failed again: %s", self._entry.title, err)
            else:
                LOGGER.warning(
                    "Cannot read back the messages %s received, to catch those whose webhook "
                    "did not arrive: %s. Retrying every %s minutes",
                    self._entry.title,
                    err,
                    int(BACKFILL_INTERVAL.total_seconds() // 60),
                )
                self._failed = True
            return
        if self._failed:
            LOGGER.info("Reading back the messages %s received works again", self._entry.title)
            self._failed = False
        ordered = sorted(
            received, key=lambda m: (m.sent_at is None, m.sent_at or now, id_order(m.id))
        )
        missed = [message for message in ordered if not store.fired(message)]
        LOGGER.debug(
            "Backfill of %s: %s received messages read, %s missed",
            self._entry.title,
            len(received),
            len(missed),
        )
        fired = missed[:BACKFILL_CAP]
        if len(missed) > BACKFILL_CAP:
            # The next run goes on from the last message fired, whatever the time now.
            store.read_until = fired[-1].sent_at or store.read_until
        else:
            store.read_until = now
        store.async_save_later()  # superseded by the write of the processing if it fires any
        await self._process(InboundBatch(messages=tuple(fired)))
