"""Control API under `/_sim/` (plain JSON, no authentication) for end-to-end tests and the demo.

    POST /_sim/incoming         {"number", "message", "phone_id"?, "sim_slot"?}
                                → {"message": row, "webhook_status": int | null}
    POST /_sim/faults           {"latency"?, "http_500"?, "html_error"?, "reject_key"?, "hang"?,
                                 "rate_limit"?, "healthy_calls"?}
                                → the current faults
    POST /_sim/webhook          {"url": str | null} → {"url": ...}
    GET  /_sim/messages         → every stored message row
    GET  /_sim/requests         → [{"path", "params"}], `key` and `password` shown as "***"
    POST /_sim/ussd/{id}/answer {"response"} → {"request": row, "webhook_status": int | null}
    POST /_sim/advance          → the message rows that moved one step

Bad input gets HTTP 400 (404 for an unknown phone or USSD id) and `{"error": "<text>"}`.
"""

from __future__ import annotations

from dataclasses import asdict, fields
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.simulator.state import Faults, webhook_view

if TYPE_CHECKING:
    from tests.simulator.server import GatewaySimulator

HIDDEN_PARAMS = frozenset({"key", "password"})
FAULT_NAMES = frozenset(item.name for item in fields(Faults))


def control_routes(sim: GatewaySimulator) -> list[web.RouteDef]:
    """The `/_sim/` routes acting on `sim`."""
    control = ControlApi(sim)
    return [
        web.post("/_sim/incoming", control.incoming),
        web.post("/_sim/faults", control.faults),
        web.post("/_sim/webhook", control.webhook),
        web.get("/_sim/messages", control.messages),
        web.get("/_sim/requests", control.requests),
        web.post(r"/_sim/ussd/{ussd_id:\d+}/answer", control.answer_ussd),
        web.post("/_sim/advance", control.advance),
    ]


class ControlApi:
    """Handlers of the control routes."""

    def __init__(self, sim: GatewaySimulator) -> None:
        """Act on `sim`."""
        self._sim = sim

    async def incoming(self, request: web.Request) -> web.Response:
        """An SMS arrives on a phone; the webhook is posted before answering."""
        body = await _json_object(request)
        number, text = body.get("number"), body.get("message")
        phone_id, sim_slot = body.get("phone_id", 1), body.get("sim_slot", 0)
        if not isinstance(number, str) or not isinstance(text, str):
            raise _error(web.HTTPBadRequest, "number and message must be strings")
        if not isinstance(phone_id, int) or not isinstance(sim_slot, int | None):
            raise _error(web.HTTPBadRequest, "phone_id and sim_slot must be integers")
        if phone_id not in self._sim.phones:
            raise _error(web.HTTPNotFound, f"no phone with id {phone_id}")
        row = self._sim.add_received(number, text, phone_id, sim_slot, None)
        status = await self._sim.notify("messages", [webhook_view(row)])
        return web.json_response({"message": row, "webhook_status": status})

    async def faults(self, request: web.Request) -> web.Response:
        """Set some faults; answer all of them."""
        body = await _json_object(request)
        for name, value in body.items():
            if name not in FAULT_NAMES:
                raise _error(web.HTTPBadRequest, f"unknown fault {name!r}")
            if not _valid_fault(name, value):
                raise _error(web.HTTPBadRequest, f"bad value for {name!r}: {value!r}")
        for name, value in body.items():
            setattr(self._sim.faults, name, value)
        return web.json_response(asdict(self._sim.faults))

    async def webhook(self, request: web.Request) -> web.Response:
        """Set (or clear, with null) the webhook URL."""
        url = (await _json_object(request)).get("url")
        if not isinstance(url, str | None):
            raise _error(web.HTTPBadRequest, "url must be a string or null")
        self._sim.webhook_url = url
        return web.json_response({"url": url})

    async def messages(self, _: web.Request) -> web.Response:
        """Every stored message row."""
        return web.json_response(list(self._sim.messages.values()))

    async def requests(self, _: web.Request) -> web.Response:
        """The recorded API calls, credentials hidden."""
        return web.json_response(
            [
                {
                    "path": recorded.path,
                    "params": {
                        name: "***" if name in HIDDEN_PARAMS else value
                        for name, value in recorded.params.items()
                    },
                }
                for recorded in self._sim.requests
            ]
        )

    async def answer_ussd(self, request: web.Request) -> web.Response:
        """The phone answers a USSD request; the webhook is posted before answering."""
        ussd_id = int(request.match_info["ussd_id"])
        response = (await _json_object(request)).get("response")
        if not isinstance(response, str):
            raise _error(web.HTTPBadRequest, "response must be a string")
        if ussd_id not in self._sim.ussd_requests:
            raise _error(web.HTTPNotFound, f"no USSD request with id {ussd_id}")
        row = self._sim.set_ussd_response(ussd_id, response)
        status = await self._sim.notify("ussdRequest", row)
        return web.json_response({"request": row, "webhook_status": status})

    async def advance(self, _: web.Request) -> web.Response:
        """Move every message one step."""
        return web.json_response(await self._sim.advance())


_COUNTS = frozenset({"rate_limit", "healthy_calls"})


def _valid_fault(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return name != "latency" and name not in _COUNTS
    if name == "latency":
        return isinstance(value, int | float) and value >= 0
    if name in _COUNTS:
        return isinstance(value, int) and value >= 0
    return False


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise _error(web.HTTPBadRequest, f"invalid JSON: {error}") from error
    if not isinstance(body, dict):
        raise _error(web.HTTPBadRequest, "expected a JSON object")
    return body


def _error(kind: type[web.HTTPError], text: str) -> web.HTTPError:
    return kind(text=json.dumps({"error": text}), content_type="application/json")
