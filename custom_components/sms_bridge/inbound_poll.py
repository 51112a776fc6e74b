"""Polling for what comes in, for providers that offer it instead of (or besides) webhooks.

A fallback for a Home Assistant the provider cannot reach: every POLL_INTERVAL the provider is
asked what came in since the previous poll, minus a margin (its clock and ours may differ), and
the answer goes through the same dedupe as a webhook, so each message still fires once. The
first poll only starts the mark, as the backfill does: the provider's history is not fired.
A provider that posts incoming messages too is polled unless the user chose the webhook alone
(``incoming_mode.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .api import Capability, Gateway, InboundBatch, SmsBridgeError, printable
from .const import DOMAIN, LOGGER
from .incoming_mode import incoming_mode, polls

POLL_INTERVAL = timedelta(minutes=1)
POLL_MARGIN = timedelta(minutes=5)
ERROR_LENGTH = 200  # characters of the provider's error text in the log


class InboundPoller:
    """Ask the provider for what came in, on a schedule, once Home Assistant has started."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        process: Callable[[InboundBatch], Awaitable[None]],
    ) -> None:
        """Initialize; ``process`` dedupes and fires what a poll brought."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._process = process
        self._since: datetime | None = None
        self._polling = False
        self._failed = False

    @callback
    def async_start(self) -> None:
        """Poll from Home Assistant's start on, if the provider offers it and the user wants
        it; stop on unload.
        """
        capabilities = self._gateway.capabilities
        if Capability.INBOUND_POLL not in capabilities or not polls(
            incoming_mode(capabilities, self._entry.options)
        ):
            return
        self._entry.async_on_unload(async_at_started(self._hass, self._async_request))
        self._entry.async_on_unload(
            async_track_time_interval(
                self._hass,
                self._async_request,
                POLL_INTERVAL,
                name=f"{DOMAIN} inbound poll",
                cancel_on_shutdown=True,
            )
        )

    @callback
    def _async_request(self, *_: object) -> None:
        if not self._polling:
            self._polling = True
            self._entry.async_create_background_task(
                self._hass, self.async_poll(), f"{DOMAIN} inbound poll"
            )

    async def async_poll(self) -> None:
        """Poll once; a failure is retried at the next interval, from the same mark."""
        try:
            now = dt_util.utcnow()
            if self._since is None:
                self._since = now
                return
            try:
                batch = await self._gateway.poll_inbound(self._since - POLL_MARGIN)
            except SmsBridgeError as err:
                if not self._failed:
                    LOGGER.warning(
                        "Cannot ask %s what came in: %s. Retrying every minute",
                        self._entry.title,
                        printable(err, ERROR_LENGTH),
                    )
                    self._failed = True
                return
            if self._failed:
                LOGGER.info("Asking %s what came in works again", self._entry.title)
                self._failed = False
            self._since = now
            await self._process(batch)
        finally:
            self._polling = False
