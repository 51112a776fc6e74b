"""An HTTP server catching what a simulator posts, as the integration's webhook would get it."""

from __future__ import annotations

from aiohttp import web

from custom_components.sms_bridge.api import WebhookRequest


class WebhookCatcher:
    """An HTTP server keeping every request posted to it, as the integration would get it."""

    def __init__(self) -> None:
        """Nothing caught yet; nothing listens until `start()`."""
        self.caught: list[WebhookRequest] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.caught.append(
            WebhookRequest(
                method=request.method,
                headers=dict(request.headers),
                query=dict(request.query),
                body=await request.read(),
            )
        )
        return web.Response()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/webhook/secret-id"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
