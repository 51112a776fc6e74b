"""`SmscSimulator`: a real aiohttp server speaking the SMSC HTTP API, for tests and demos.

    sim = SmscSimulator(callback_url="http://127.0.0.1:8123/api/webhook/x?charset=utf-8&sha1=s")
    await sim.start()          # sim.url == "http://127.0.0.1:<free port>"; scripts under /sys/
    ...
    await sim.stop()

One account, authenticated by `login` + `psw`, by `apikey`, or by `psw=<api key>` with an empty
login, with a money balance that each send lowers by its cost (`price` per SMS part). The
scripts `send.php`, `status.php` and `balance.php` answer GET or POST, read their parameters
in the request's `charset` (windows-1251 by default) and answer `fmt=3` JSON with HTTP 200,
errors included: `{"error": <text>, "error_code": <n>}` (plus `"id"` where a message id was
given to a refused send).

Numbers are normalised like the service does (digits only, a Russian `8` prefix becomes `7`).
Status progression, one step per `advance()`: -1 (waiting; until its `time` when scheduled)
→ 0 (handed to the operator) → 1 (delivered), or the failure that `FAILURES` gives the
number's last four digits. Each change posts a status callback when `callback_url` is set.

Callbacks go like the service's: the handler URL's own parameters and the callback's fields,
form-encoded in the URL's `charset` (windows-1251 without one), POSTed to the URL without its
query (`callback_method="GET"`: all in the query instead); an `md5`/`sha1`/`crc32` parameter
carries the hash of the fields and the secret instead of the secret. `callback_results`
records each callback's HTTP status (0 when it could not be delivered). Besides statuses and
incoming SMS, `confirm_call` posts the service message of "number confirmation by a call"
(told apart by its `waitcall` field).

What the vendor's page leaves open has a knob per plausible reading:

* `crc32_format`: how a `crc32` hash is written, the page names the algorithm only:
  `"decimal"` (PHP's `crc32()`), `"crc32b"` (PHP's `hash("crc32b")`, 8 hex digits) or `"php"`
  (PHP's `hash("crc32")`: the BZIP2 CRC, its bytes reversed, 8 hex digits).
* `keeps_client_ids`: whether `send.php` keeps the `id` a client gives a send (True) or numbers
  the send itself, as without one (False).

`sim.faults` (an `SmscFaults`) spoils API answers after recording the request: latency, hang,
HTTP 500, HTML page, a rejected login (error 2), too many requests (error 9, HTTP 200),
`http_429` (a proxy's HTTP 429 with `Retry-After`), `proxy_status` (a proxy's 502, 503 or 504
page), and `healthy_calls` before any of them. With `after_processing` the script does its work
first (a send goes out) and only its answer is spoiled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import hashlib
import itertools
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
import zlib

import aiohttp
from aiohttp import web
from yarl import URL

from tests.simulator.server import HTML_500, HTML_ERROR
from tests.simulator.serving import Serving
from tests.simulator.state import Faults, RecordedRequest

_LOGGER = logging.getLogger(__name__)

LOGIN = "sim-login"
PASSWORD = "sim-password-42"
API_KEY = "sim-api-key-0123456789"
CURRENCY = "RUB"
PRICE = Decimal("2.90")  # per SMS part
RECEIVING_NUMBER = "79990000000"  # the account's number for incoming SMS
FAILURES: dict[str, tuple[int, int]] = {
    "0000": (20, 6),  # impossible to deliver: subscriber offline
    "0022": (22, 1),  # invalid number: subscriber does not exist
    "0025": (25, 0),  # unavailable number
}
"""Last four digits of a number → (final status, err) instead of delivery."""

ERRORS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP is blocked",
    5: "invalid date format",
    6: "message is denied",
    7: "invalid phone",
    8: "can't deliver",
    9: "duplicate request, wait a minute",
}
CODECS = {"utf-8": "utf-8", "windows-1251": "cp1251", "koi8-r": "koi8_r"}
HANG_POLL = 0.02
CALLBACK_TIMEOUT = aiohttp.ClientTimeout(total=30)
_MSK = timedelta(hours=3)  # the service writes its dates in Moscow time


@dataclass
class SmscFaults(Faults):
    """The shared fault knobs, plus a proxy's HTTP 429."""

    http_429: int = 0
    """When > 0, answer HTTP 429 with `Retry-After: <http_429>`."""
    proxy_status: int = 0
    """When set (502, 503, 504), a proxy in front of the service answers it with an HTML page."""
    after_processing: bool = False
    """Spoil the answer only after the script did its work: a send goes out, its answer is lost."""


@dataclass
class SentSms:
    """One number of a send, as status.php reports it."""

    id: int
    phone: str
    text: str
    sender: str | None
    parts: int
    cost: Decimal
    sent: datetime
    scheduled: datetime | None = None
    mms: bool = False
    fileurl: str | None = None
    status: int = -1
    err: int = 0
    changed: datetime = field(default_factory=lambda: datetime.now(UTC))


class SmscError(Exception):
    """An error answer of a script."""

    def __init__(self, code: int, message_id: int | None = None) -> None:
        """Keep the error code, and the message id when the send was given one."""
        super().__init__(ERRORS[code])
        self.code = code
        self.message_id = message_id


def normalize(number: str) -> str | None:
    """Return the number as the service stores it, or None when it is not a phone number."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits if 7 <= len(digits) <= 15 else None


def parts_of(text: str) -> int:
    """SMS parts of a text: 160/153 characters in GSM, 70/67 otherwise."""
    single, multi = (160, 153) if text.isascii() else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


CRC32_FORMATS = ("decimal", "crc32b", "php")


def sign(algorithm: str, fields: list[bytes], secret: str, crc32_format: str = "decimal") -> str:
    """The callback hash of the fields: hex md5/sha1, or crc32 written as `crc32_format` says."""
    data = b":".join([*fields, secret.encode()])
    if algorithm != "crc32":
        return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()
    if crc32_format == "decimal":
        return str(zlib.crc32(data))
    if crc32_format == "crc32b":
        return f"{zlib.crc32(data):08x}"
    if crc32_format == "php":
        return _bzip2_crc(data).to_bytes(4, "little").hex()
    raise ValueError(f"crc32_format is one of {CRC32_FORMATS}")


def _bzip2_crc(data: bytes) -> int:
    """The CRC-32 of BZIP2 (polynomial 0x04C11DB7, most significant bit first)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


class SmscSimulator(Serving):
    """The simulated SMSC service: one account, its messages, callbacks and fault knobs."""

    def __init__(
        self,
        *,
        login: str = LOGIN,
        password: str = PASSWORD,
        api_key: str = API_KEY,
        balance: Decimal = Decimal("100.00"),
        currency: str = CURRENCY,
        price: Decimal = PRICE,
        callback_url: str | None = None,
        callback_method: str = "POST",
        status_interval: float | None = None,
    ) -> None:
        """Prepare the service; nothing listens until `start()`."""
        self.login = login
        self.password = password
        self.api_key = api_key
        self.balance = balance
        self.currency = currency
        self.price = price
        self.mms_allowed = True
        self.keeps_client_ids = True
        self.crc32_format = "decimal"
        self.callback_url = callback_url
        self.callback_method = callback_method
        self.status_interval = status_interval
        self.faults = SmscFaults()
        self.requests: list[RecordedRequest] = []
        self.messages: dict[tuple[int, str], SentSms] = {}
        self.callback_results: list[int] = []
        self._ids = itertools.count(1001)
        self._incoming_ids = itertools.count(5001)
        self._call_ids = itertools.count(7001)
        self._init_serving()

    @property
    def url(self) -> str:
        """Base URL of the running service, e.g. "http://127.0.0.1:41234"."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/sys/{script}.php", self._handle_api)

    # -- the HTTP API ---------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        params = await _read_params(request)
        self.requests.append(RecordedRequest(request.path, request.method, dict(params)))
        if not self.faults.after_processing and (failure := await self._failure()) is not None:
            return failure
        charset = params.get("charset", "windows-1251")
        handler = {
            "send": self._send,
            "status": self._status,
            "balance": self._balance,
        }.get(request.match_info["script"])
        if handler is None:
            raise web.HTTPNotFound
        try:
            self._authenticate(params)
            body = handler(params)
        except SmscError as error:
            body = {"error": str(error), "error_code": error.code}
            if error.message_id is not None:
                body["id"] = error.message_id
        if self.faults.after_processing and (failure := await self._failure()) is not None:
            return failure
        return _json(body, charset)

    async def _failure(self) -> web.Response | None:
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
        if self.faults.http_429:
            headers = {"Retry-After": str(self.faults.http_429)}
            return web.Response(status=429, text="Too Many Requests", headers=headers)
        if self.faults.http_500:
            return web.Response(status=500, text=HTML_500, content_type="text/html")
        if status := self.faults.proxy_status:
            page = f"<html><body><h1>{status}</h1>nginx</body></html>"
            return web.Response(status=status, text=page, content_type="text/html")
        if self.faults.html_error:
            return web.Response(text=HTML_ERROR, content_type="text/html", charset="UTF-8")
        if self.faults.reject_key:
            return _json({"error": ERRORS[2], "error_code": 2}, "utf-8")
        if self.faults.rate_limit:
            return _json({"error": ERRORS[9], "error_code": 9}, "utf-8")
        return None

    def _authenticate(self, params: dict[str, str]) -> None:
        login, password = params.get("login", ""), params.get("psw", "")
        if params.get("apikey") == self.api_key:
            return
        if not login and password == self.api_key:
            return
        if login == self.login and password == self.password:
            return
        raise SmscError(2)

    def _balance(self, params: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {"balance": f"{self.balance:.2f}"}
        if params.get("cur") == "1":
            body["currency"] = self.currency
        return body

    def _send(self, params: dict[str, str]) -> dict[str, Any]:
        raw_phones = [part for part in re.split(r"[,;]", params.get("phones", "")) if part.strip()]
        mms = params.get("mms") == "1"
        text = params.get("mes")
        if not raw_phones or (text is None and not mms):
            raise SmscError(1)
        text = text or ""
        phones = [normalize(number) for number in raw_phones]
        if any(phone is None for phone in phones):
            raise SmscError(7)
        numbers = list(dict.fromkeys(phone for phone in phones if phone))
        scheduled = _schedule(params.get("time"))
        if mms and not self.mms_allowed:
            raise SmscError(6)
        parts = 1 if mms else parts_of(text)
        price = self.price * parts
        total = price * len(numbers)
        answer: dict[str, Any] = {"cnt": parts * len(numbers)}
        mode = params.get("cost", "0")
        if mode == "1":  # the cost only; nothing is sent
            return answer | {"cost": f"{total:.2f}"}
        given = params.get("id", "")
        keep = self.keeps_client_ids and given.isdecimal() and 1 <= int(given) <= 2147483647
        message_id = int(given) if keep else next(self._ids)
        if total > self.balance:
            raise SmscError(3, message_id)
        self.balance -= total
        now = datetime.now(UTC).replace(microsecond=0)
        for phone in numbers:
            self.messages[(message_id, phone)] = SentSms(
                id=message_id,
                phone=phone,
                text=text,
                sender=params.get("sender"),
                parts=parts,
                cost=price,
                sent=now,
                scheduled=scheduled,
                mms=mms,
                fileurl=params.get("fileurl"),
                changed=now,
            )
        answer = {"id": message_id, **answer}
        if mode in ("2", "3"):
            answer["cost"] = f"{total:.2f}"
        if mode == "3":
            answer["balance"] = f"{self.balance:.2f}"
        if params.get("op") == "1":
            answer["phones"] = [
                {"phone": phone, "mccmnc": "25001", "cost": f"{price:.2f}", "status": "0"}
                for phone in numbers
            ]
        return answer

    def _status(self, params: dict[str, str]) -> dict[str, Any]:
        message_id, phone = params.get("id", ""), normalize(params.get("phone", ""))
        if not message_id.isdecimal() or phone is None:
            raise SmscError(1)
        sms = self.messages.get((int(message_id), phone))
        if sms is None:
            return {"status": -3, "last_date": "", "last_timestamp": 0, "flag": 0, "err": 0}
        body: dict[str, Any] = {
            "status": sms.status,
            "last_date": _msk(sms.changed),
            "last_timestamp": int(sms.changed.timestamp()),
            "flag": 0,
            "err": sms.err,
        }
        if params.get("all") in ("1", "2"):
            body |= {
                "send_date": _msk(sms.sent),
                "send_timestamp": int(sms.sent.timestamp()),
                "phone": sms.phone,
                "cost": f"{sms.cost:.2f}",
                "sender_id": sms.sender or "SMSC.RU",
                "status_name": str(sms.status),
                "message": sms.text,
                "comment": "",
                "type": 10 if sms.mms else 0,
            }
        return body

    # -- statuses and callbacks -----------------------------------------------------------

    async def advance(self) -> int:
        """Move every message one step; post a status callback for each; return how many."""
        now = datetime.now(UTC)
        changed = []
        for sms in self.messages.values():
            if sms.status == -1 and (sms.scheduled is None or sms.scheduled <= now):
                sms.status = 0
            elif sms.status == 0:
                sms.status, sms.err = FAILURES.get(sms.phone[-4:], (1, 0))
            else:
                continue
            sms.changed = now.replace(microsecond=0)
            changed.append(sms)
        for sms in changed:
            await self.notify_status(sms)
        return len(changed)

    async def set_status(self, message_id: int, phone: str, status: int, err: int = 0) -> SentSms:
        """Give a message a status (and post its callback)."""
        sms = self.messages[(message_id, phone)]
        sms.status, sms.err = status, err
        sms.changed = datetime.now(UTC).replace(microsecond=0)
        await self.notify_status(sms)
        return sms

    async def notify_status(self, sms: SentSms) -> int | None:
        """Post the status callback of a message; None when no callback URL is set."""
        ts = str(int(sms.changed.timestamp()))
        fields = {
            "id": str(sms.id),
            "phone": sms.phone,
            "status": str(sms.status),
            "err": str(sms.err),
            "time": ts,
            "ts": ts,
            "cnt": str(sms.parts),
        }
        return await self.callback(fields, ("id", "phone", "status"))

    async def receive_sms(
        self, phone: str, text: str, *, to: str = RECEIVING_NUMBER, sent: datetime | None = None
    ) -> int | None:
        """An SMS arrives on the account's number: post the incoming callback."""
        now = int(datetime.now(UTC).timestamp())
        fields = {
            "id": str(next(self._incoming_ids)),
            "phone": phone,
            "mes": text,
            "to": to,
            "sent": str(int(sent.timestamp()) if sent else now),
            "time": str(now),
        }
        return await self.callback(fields, ("phone", "mes", "to"))

    async def confirm_call(
        self,
        phone: str,
        *,
        waitcall: str = RECEIVING_NUMBER,
        hashed: tuple[str, ...] = ("id", "phone", "status"),
    ) -> int | None:
        """A subscriber called to confirm their number: post the service message.

        The page names the service and its `waitcall` field but lists no other field nor a
        hash of its own: the fields here are a plausible set, hashed as a status by default.
        """
        fields = {
            "id": str(next(self._call_ids)),
            "phone": phone,
            "waitcall": waitcall,
            "time": str(int(datetime.now(UTC).timestamp())),
        }
        return await self.callback(fields, hashed)

    async def callback(
        self, fields: dict[str, str], hashed: tuple[str, ...], *, url: str | None = None
    ) -> int | None:
        """Send callback fields to the handler URL as the service does; return the HTTP status.

        The URL's parameters are added to the fields, its `md5`/`sha1`/`crc32` secret replaced
        by the hash of the `hashed` fields; everything is encoded in the URL's charset.
        """
        url = url or self.callback_url
        if url is None:
            return None
        parts = urlsplit(url)
        url_params = parse_qsl(parts.query, keep_blank_values=True)
        codec = CODECS.get(dict(url_params).get("charset", "windows-1251"), "cp1251")
        encoded = {name: value.encode(codec) for name, value in fields.items()}
        pairs = list(encoded.items())
        for name, value in url_params:
            if name in ("md5", "sha1", "crc32"):
                hashed_fields = [encoded.get(item, b"") for item in hashed]
                value = sign(name, hashed_fields, value, self.crc32_format)  # noqa: PLW2901
            pairs.append((name, value.encode(codec)))
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        body = urlencode(pairs)
        try:
            if self.callback_method == "GET":
                request = self._client().get(URL(f"{target}?{body}", encoded=True))
            else:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                request = self._client().post(target, data=body.encode(), headers=headers)
            async with request as reply:
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as error:
            _LOGGER.warning("callback to %s failed: %s", target, error)
            status = 0
        self.callback_results.append(status)
        return status

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=CALLBACK_TIMEOUT)
        return self._session

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.advance()


async def _read_params(request: web.Request) -> dict[str, str]:
    """The query and the form (the form wins), decoded in the request's `charset`."""
    raw = _parse_raw(request.query_string)
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        raw |= _parse_raw((await request.read()).decode("latin-1"))
    codec = CODECS.get(raw.get("charset", b"windows-1251").decode("latin-1"), "cp1251")
    return {name: value.decode(codec, errors="replace") for name, value in raw.items()}


def _parse_raw(text: str) -> dict[str, bytes]:
    pairs = parse_qsl(text, keep_blank_values=True, encoding="latin-1")
    return {name: value.encode("latin-1") for name, value in pairs}


def _schedule(value: str | None) -> datetime | None:
    """Read `time`: `0<Unix seconds>`, `+<minutes>` or `DDMMYYhhmm` (Moscow time)."""
    if not value:
        return None
    if value.startswith("0") and value[1:].isdecimal() and len(value) > 1:
        return datetime.fromtimestamp(int(value[1:]), UTC)
    if value.startswith("+") and value[1:].isdecimal():
        return datetime.now(UTC) + timedelta(minutes=int(value[1:]))
    try:
        return datetime.strptime(value, "%d%m%y%H%M").replace(tzinfo=UTC) - _MSK
    except ValueError:
        raise SmscError(5) from None


def _msk(moment: datetime) -> str:
    return (moment + _MSK).strftime("%d.%m.%Y %H:%M:%S")


def _json(body: dict[str, Any], charset: str) -> web.Response:
    codec = CODECS.get(charset, "cp1251")
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(codec, errors="replace"),
        content_type="application/json",
        charset=charset,
    )
