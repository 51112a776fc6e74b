"""Shared pieces of the SemySMS client tests: a canned server, parameters."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.simulator.semysms import SemySmsSimulator

TOKEN = "semy-token-0123456789abcdef"  # the simulated account's token


class CannedSemySms:
    """A server answering each script with a hand-made body: answers the simulator never gives."""

    def __init__(self) -> None:
        """Every script answers 404 until set."""
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    def answer(self, script: str, body: Any, status: int = 200) -> None:
        """Serve ``body`` (JSON-encoded unless text) for ``script``."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.answers[script] = (status, text.encode())

    async def _handle(self, request: web.Request) -> web.Response:
        status, body = self.answers.get(request.match_info["script"], (404, b"Not Found"))
        return web.Response(status=status, body=body, content_type="text/html")

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/api/3/{script}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/3"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()


def params_of(sim: SemySmsSimulator, script: str) -> list[dict[str, Any]]:
    """Return the parameters of each call of ``script``, the token checked and removed."""
    found = []
    for request in sim.requests:
        if request.path.endswith("/" + script):
            params = dict(request.params)
            assert params.pop("token") == TOKEN
            found.append(params)
    return found
