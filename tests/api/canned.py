"""A gateway answering every script with a hand-made body: answers the simulator never gives."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

DROP = 0  # status that makes the server close the connection without answering


class CannedGateway:
    """An HTTP server answering every script with the body set for it."""

    def __init__(self) -> None:
        """Start with no answers (every script answers 404 until set)."""
        self.answers: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    def answer(
        self, script: str, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Serve ``body`` (JSON-encoded unless text or bytes) for ``script``."""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.answers[script] = (status, body, headers or {})

    def succeed(self, script: str, data: Any) -> None:
        """Serve a successful envelope carrying ``data``."""
        self.answer(script, {"success": True, "data": data, "error": None})

    def fail(self, script: str, code: Any, message: Any) -> None:
        """Serve an error envelope."""
        error = {"code": code, "message": message}
        self.answer(script, {"success": False, "data": None, "error": error})

    async def _handle(self, request: web.Request) -> web.Response:
        status, body, headers = self.answers.get(
            request.match_info["script"], (404, b"Not Found", {})
        )
        if status == DROP:
            assert request.transport is not None
            request.transport.close()
        return web.Response(
            status=status or 200, body=body, content_type="text/html", headers=headers
        )

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/services/{script}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
