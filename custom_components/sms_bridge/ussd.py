"""USSD requests: one at a time per SIM, each watched until its answer arrives or time runs out.

A phone handles one USSD session at a time; a second code dialled meanwhile would cancel the
first or be answered in its place. So each (phone, SIM) has a lock, held from the request until
its answer or its timeout, whether the caller waits for the answer or not.

The answer comes by webhook (the ``sms_bridge_ussd_response`` event) when the gateway has our
webhook URL, else only by reading the request back: both are watched and the first one wins. An
answer found by reading goes through the same dedupe as webhooks, so its event still fires once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .api import Gateway, InboundBatch, SmsBridgeError, UssdQuery, UssdRequest
from .const import DOMAIN, EVENT_TYPE_USSD_RESPONSE, EVENT_USSD_TIMEOUT, LOGGER
from .coordinator import SmsBridgeCoordinator
from .errors import translated_gateway_errors
from .inbound import inbound_signal
from .send_guard import SendGuard
from .serialize import ussd_data

MAX_CODE_LENGTH: Final = 30
# Starts with * or #, ends with #, holds at least one digit: *100#, *123*1#, #123#.
_CODE = re.compile(r"[*#][0-9*#]*[0-9][0-9*#]*#")
POLL_DELAYS: Final = (5, 5, 10, 15, 30)  # seconds between reads; the last one repeats


def is_ussd_code(code: str) -> bool:
    """Return True when ``code`` looks like a USSD code a phone can dial."""
    return len(code) <= MAX_CODE_LENGTH and _CODE.fullmatch(code) is not None


class UssdSessions:
    """The USSD requests of an entry: a lock per SIM, and a watcher per request."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        coordinator: SmsBridgeCoordinator,
        *,
        guard: SendGuard,
        process: Callable[[InboundBatch], Awaitable[None]],
    ) -> None:
        """Initialize; ``process`` fires an answer found by reading, through the dedupe.

        ``guard`` counts the requests a provider sends as SMS against the entry's limits.
        """
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._coordinator = coordinator
        self._guard = guard
        self._process = process
        # The watchers holding them are background tasks of the entry, cancelled on unload.
        self._locks: dict[tuple[str, int | None], asyncio.Lock] = {}

    async def async_send(
        self,
        phone_id: str,
        sim_slot: int | None,
        code: str,
        *,
        wait: bool,
        seconds: float,
    ) -> dict[str, Any]:
        """Send a validated USSD code; return the send_ussd response data.

        Waits at most ``seconds`` for an earlier request on the same SIM to finish, then, with
        ``wait``, at most ``seconds`` more for the answer.
        """
        hass, entry = self._hass, self._entry
        lock = self._locks.setdefault((phone_id, sim_slot), asyncio.Lock())
        try:
            async with asyncio.timeout(seconds):
                await lock.acquire()
        except TimeoutError as err:
            phone = self._coordinator.data.phones.get(phone_id)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="ussd_busy",
                translation_placeholders={"phone": phone.display_name if phone else phone_id},
            ) from err
        try:
            with translated_gateway_errors(hass, entry, self._gateway), self._counted():
                request = await self._gateway.send_ussd(phone_id, code, sim_slot=sim_slot)
        except BaseException:
            lock.release()
            raise
        watch = self._async_watch(request, seconds, lock)
        if wait:
            return await watch
        entry.async_create_background_task(hass, watch, f"{DOMAIN} USSD {request.id}")
        return {"request": ussd_data(request), "timed_out": False}

    def _counted(self) -> AbstractContextManager[object]:
        """Count the request as a message when the provider sends it as an SMS."""
        if self._gateway.ussd_sends_sms:
            return self._guard.sending(None, to_code=True)
        return nullcontext()

    async def _async_watch(
        self, request: UssdRequest, seconds: float, lock: asyncio.Lock
    ) -> dict[str, Any]:
        """Wait for the answer, release the SIM, and report a timeout by event."""
        try:
            answer = await self._async_answer(request, seconds)
        finally:
            lock.release()
        if answer is not None:
            return {"request": answer, "timed_out": False}
        LOGGER.debug("No answer to USSD request %s within %s seconds", request.id, seconds)
        data = ussd_data(request)
        self._hass.bus.async_fire(
            EVENT_USSD_TIMEOUT,
            {
                "config_entry_id": self._entry.entry_id,
                **{key: data[key] for key in ("ussd_id", "request", "phone_id", "sim")},
            },
        )
        return {"request": data, "timed_out": True}

    async def _async_answer(self, request: UssdRequest, seconds: float) -> dict[str, Any] | None:
        """Return the answered request (as a dict) from the webhook or a read, None on timeout."""
        hass = self._hass
        from_webhook: asyncio.Future[dict[str, Any]] = hass.loop.create_future()

        @callback
        def _on_answer(_phone_id: str | None, event_type: str, data: dict[str, Any]) -> None:
            if (
                event_type == EVENT_TYPE_USSD_RESPONSE
                and data.get("ussd_id") == request.id
                and not from_webhook.done()
            ):
                from_webhook.set_result(
                    ussd_data(request)
                    | {"response": data.get("response"), "responded_at": data.get("responded_at")}
                )

        # The entry's own signal, not the public bus event, which anything could fire.
        unsubscribe = async_dispatcher_connect(
            hass, inbound_signal(self._entry.entry_id), _on_answer
        )
        poller = hass.async_create_background_task(
            self._async_poll(request.id), f"{DOMAIN} USSD {request.id} poll"
        )
        try:
            async with asyncio.timeout(seconds):
                done, _ = await asyncio.wait(
                    (from_webhook, poller), return_when=asyncio.FIRST_COMPLETED
                )
        except TimeoutError:
            return None
        finally:
            unsubscribe()
            poller.cancel()
        return next(iter(done)).result()

    async def _async_poll(self, ussd_id: str) -> dict[str, Any]:
        """Read the request back, less and less often, until it has an answer."""
        attempt = 0
        while True:
            await asyncio.sleep(POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)])
            attempt += 1
            try:
                found = await self._gateway.ussd_requests(UssdQuery(ussd_id=ussd_id))
            except SmsBridgeError as err:
                LOGGER.debug("Could not read USSD request %s back: %s", ussd_id, err)
                continue
            for answer in found:
                if answer.id == ussd_id and answer.response is not None:
                    await self._process(InboundBatch(ussd_requests=(answer,)))
                    return ussd_data(answer)
