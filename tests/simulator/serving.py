"""What every provider's simulator does to serve: listen, tick, close its webhook client."""

from __future__ import annotations

import asyncio
from contextlib import suppress
import ssl

import aiohttp
from aiohttp import web
from yarl import URL

from tests.simulator.tls import TlsSite

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class Serving:
    """A simulator's HTTP server: `start()` and `stop()` around the routes it adds.

    A simulator sets `status_interval` (its automatic mode, or None), adds its routes in
    `_add_routes` and moves its state along in `_tick_forever`.
    """

    status_interval: float | None

    def _init_serving(self) -> None:
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = False

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def _tick_forever(self, interval: float) -> None:
        raise NotImplementedError

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Listen on `host`:`port` (0 = a free port) and start the automatic mode if asked.

        With `ssl_context` the server speaks HTTPS only (see tls.py for a self-signed one).
        """
        app = web.Application()
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = (
            TlsSite(self._runner, host, port, ssl_context)
            if ssl_context
            else web.TCPSite(self._runner, host, port)
        )
        await site.start()
        shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
        scheme = "https" if ssl_context else "http"
        self._url = str(URL.build(scheme=scheme, host=shown, port=self._runner.addresses[0][1]))
        self._stopping = False
        if self.status_interval:
            self._ticker = asyncio.create_task(self._tick_forever(self.status_interval))

    async def stop(self) -> None:
        """Stop listening (hung requests get HTTP 503) and close the webhook client."""
        self._stopping = True
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._url = None
