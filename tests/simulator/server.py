"""`GatewaySimulator`: a real aiohttp server speaking the RBSoft SMS Gateway legacy API.

    sim = GatewaySimulator(api_key="test-api-key")
    await sim.start()                       # sim.url == "http://127.0.0.1:<free port>"
                                            # (https://... with start(ssl_context=...))
    ...                                     # the API is under sim.url + "/services/*.php"
    await sim.stop()

Every `services/*.php` answer is HTTP 200, `Content-Type: text/html; charset=UTF-8`, with the
JSON envelope encoded like PHP `json_encode` (see services.py and send.py for the scripts). The
API also answers under any path prefix (`sim.url + "/sms/services/send.php"`), like an
installation in a sub-folder. Each call is recorded in `sim.requests`, then `sim.faults` may
delay, hang or spoil the answer (a faulty answer changes nothing in the state).
`sim.peak_in_flight` is the most API calls the server was answering at the same time.

Webhooks are posted like the real server's Guzzle client: `POST`, one form field (`messages`:
JSON array of received messages, or `ussdRequest`: JSON object), `User-Agent: GuzzleHttp/7`,
`X-SG-Signature: base64(HMAC-SHA256(api key, exact JSON text))`. A webhook that cannot be
delivered is recorded as status 0.

Status changes only happen through `advance()` / `set_status()` unless `status_interval` is set:
then a background task, every `status_interval` seconds, marks the enabled phones as seen,
advances every message one step and answers the USSD requests that have waited at least that
long ("Your balance is 12.50 EUR.").
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
import hashlib
import hmac
import logging
from typing import Any

import aiohttp
from aiohttp import web

from tests.simulator import php
from tests.simulator.control import control_routes
from tests.simulator.errors import INVALID_API_KEY, ApiError
from tests.simulator.request import read_request
from tests.simulator.services import SCRIPTS
from tests.simulator.serving import Serving
from tests.simulator.state import (
    Faults,
    GatewayState,
    RecordedRequest,
    Row,
    utcnow,
    webhook_view,
)

_LOGGER = logging.getLogger(__name__)

USSD_AUTO_ANSWER = "Your balance is 12.50 EUR."
HANG_POLL = 0.02
WEBHOOK_TIMEOUT = aiohttp.ClientTimeout(total=30)

HTML_500 = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>500 Internal Server Error</title>
</head><body>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error or misconfiguration and was unable to complete
your request.</p>
<hr>
<address>Apache/2.4.62 (Debian) Server</address>
</body></html>
"""
HTML_ERROR = """<br />
<b>Warning</b>:  mysqli::__construct(): (HY000/2002): Connection refused in \
<b>/var/www/sms/vendor/thingengineer/mysqli-database-class/MysqliDb.php</b> on line \
<b>1330</b><br />
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in | SMS Gateway</title></head>
<body><form method="post" action="login.php"><input type="email" name="email">
<input type="password" name="password"><button type="submit">Sign in</button></form></body>
</html>
"""


class GatewaySimulator(GatewayState, Serving):
    """The simulated server: state (see state.py), HTTP API, control API and webhooks."""

    def __init__(
        self,
        api_key: str = "test-api-key",
        *,
        credits: int | None = 100,
        webhook_url: str | None = None,
        status_interval: float | None = None,
    ) -> None:
        """Prepare a simulator; nothing listens until `start()`."""
        super().__init__(api_key, credits=credits)
        self.webhook_url = webhook_url
        self.status_interval = status_interval
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.webhook_results: list[int] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._init_serving()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. "http://127.0.0.1:41234"."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{prefix:(?:.*/)?}services/{script}", self._handle_api)
        app.add_routes(control_routes(self))

    # The PHP API

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        php_request = await read_request(request)
        self.requests.append(RecordedRequest(request.path, request.method, php_request.fields))
        _LOGGER.info("%s %s", request.method, request.path)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            failure = await self._failure()
        finally:
            self.in_flight -= 1
        if failure is not None:
            return failure
        handler = SCRIPTS.get(request.match_info["script"])
        if handler is None:
            raise web.HTTPNotFound
        try:
            data = handler(self, php_request)
        except ApiError as error:
            return _php_response(_error_body(error))
        return _php_response({"success": True, "data": data, "error": None})

    async def _failure(self) -> web.Response | None:
        """Apply `self.faults`; return the spoilt answer, if any."""
        if self.faults.healthy_calls > 0:
            self.faults.healthy_calls -= 1
            return None
        # Faults are plain attributes that tests flip at will, so poll rather than wait.
        while self.faults.hang and not self._stopping:  # noqa: ASYNC110
            await asyncio.sleep(HANG_POLL)
        if self._stopping:
            return web.Response(status=503, text="Service Unavailable")
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)
        if self.faults.rate_limit:
            headers = {"Retry-After": str(self.faults.rate_limit)}
            return web.Response(status=429, text="Too Many Requests", headers=headers)
        if self.faults.http_500:
            return web.Response(status=500, text=HTML_500, content_type="text/html")
        if self.faults.html_error:
            return web.Response(text=HTML_ERROR, content_type="text/html", charset="UTF-8")
        if self.faults.reject_key:
            return _php_response(_error_body(ApiError(401, INVALID_API_KEY)))
        return None

    # Webhooks

    def sign(self, payload: str) -> str:
        """`X-SG-Signature` of a payload: base64(HMAC-SHA256(key=api key, msg=payload))."""
        digest = hmac.new(self.api_key.encode(), payload.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    async def post_webhook(
        self,
        field: str,
        json_text: str,
        *,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> int:
        """POST one form field to `webhook_url`; return the HTTP status (0 if unreachable).

        `signature=None` signs `json_text` correctly; `signature=""` omits the header.
        """
        if self.webhook_url is None:
            raise RuntimeError("no webhook URL is set")
        signature = self.sign(json_text) if signature is None else signature
        headers = {
            "User-Agent": "GuzzleHttp/7",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if signature:
            headers["X-SG-Signature"] = signature
        headers.update(extra_headers or {})
        body = php.form_encode(field, json_text).encode()
        try:
            async with self._client().post(self.webhook_url, data=body, headers=headers) as reply:
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as error:
            _LOGGER.warning("webhook to %s failed: %s", self.webhook_url, error)
            status = 0
        self.webhook_results.append(status)
        return status

    async def notify(self, field: str, data: Any) -> int | None:
        """Post `data` as the real server would (PHP JSON); None when no webhook URL is set."""
        if self.webhook_url is None:
            return None
        return await self.post_webhook(field, php.json_encode(data))

    async def receive_sms(
        self,
        number: str,
        text: str,
        *,
        phone_id: int = 1,
        sim_slot: int | None = 0,
        sent_date: datetime | None = None,
    ) -> Row:
        """An SMS arrives on a phone: store it (Received) and post the `messages` webhook."""
        row = self.add_received(number, text, phone_id, sim_slot, sent_date)
        await self.notify("messages", [webhook_view(row)])
        return dict(row)

    async def answer_ussd(self, ussd_id: int | str, response: str) -> Row:
        """The phone answers a USSD request: store it and post the `ussdRequest` webhook."""
        row = self.set_ussd_response(ussd_id, response)
        await self.notify("ussdRequest", row)
        return dict(row)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=WEBHOOK_TIMEOUT, skip_auto_headers=("Accept", "Accept-Encoding")
            )
        return self._session

    # Automatic mode

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._tick(interval)

    async def _tick(self, interval: float) -> None:
        now = utcnow()
        for phone in self.enabled_phones():
            phone.last_seen = now
        await self.advance()
        for row in list(self.ussd_requests.values()):
            asked = php.parse_iso8601(row["sentDate"]).timestamp()
            if row["response"] is None and asked <= now.timestamp() - interval:
                await self.answer_ussd(row["ID"], USSD_AUTO_ANSWER)


def _error_body(error: ApiError) -> dict[str, Any]:
    return {
        "success": False,
        "data": None,
        "error": {"code": error.code, "message": error.message},
    }


def _php_response(body: dict[str, Any]) -> web.Response:
    return web.Response(text=php.json_encode(body), content_type="text/html", charset="UTF-8")
