"""`SemySmsSimulator`: a real aiohttp server speaking the SemySMS API v3 (semysms.net).

    sim = SemySmsSimulator(token="test-token")
    await sim.start()                       # the API is under sim.url, e.g.
    ...                                     # sim.url + "/sms.php" (sim.url ends in /api/3)
    await sim.stop()

Every script takes `token` from the query or a POST form (`sms_more.php`: a JSON body) and
answers HTTP 200 with JSON, `code` written exactly as the vendor's samples show it: the number
0 for `user.php`, `devices.php` and `cancel_sms.php`, the text "0" for `sms.php` and
`sms_more.php`, and no `code` at all on the message lists and deletions. `sms_more.php` answers
as the vendor's sample does, `data` written without quotes (not strict JSON) unless
`strict_json` is set. `cancel_sms.php` takes the `device` whose messages not yet handed to it
are all withdrawn, the one parameter the vendor shows; `cancel_by_id` makes it honour an
`id_sms` too, a reading the vendor never states. An error is
`{"code": <n>, "error": <text>}`, the code a text where success would be one; the vendor
publishes no code table, so the codes of `ERRORS` are this simulator's own. Dates are written
without an offset, in `timezone` (UTC unless given); list calls without `start_id`, `list_id`,
`date_start` or `date_end` answer only today's messages, as the vendor warns.

Each call is recorded in `sim.requests` (`sms_more.php`: `data` is the JSON text of the list),
then `sim.faults` may delay, hang or spoil the answer (a spoilt answer changes nothing).

The phones post webhooks, each to its own URLs (`webhook_url` sets every phone's): incoming
messages and delivery states, as URL-encoded forms whose values are all text, unsigned. The
vendor does not show their fields: an incoming message carries the inbox row's `type` unless
`incoming_type` is off, and a delivery state names its dates as the outbox rows do (`send`,
`delivered`, `error_date`) unless `status_dates` is "blog" (`send_date`, `delivered_date`).

Besides SMS, the inbox and outbox hold WhatsApp messages (`type` 1, WhatsApp Business 2), and
the outbox messages created outside the service (`is_out`: typed on the phone and uploaded):
`receive_sms(kind=...)` and `add_outside_message()` make them.

Status changes happen through `advance()`, or every `status_interval` seconds when it is set.
One step moves each message of a working phone on: handed to the phone, then sent (or failed,
for a number ending in "0000"), then delivered. A message whose text is `[ussd]` is a USSD
request: once sent, the phone receives the answer as a message from the code. Each step also
moves the phones' batteries: down while unplugged, up while charging, plugged in when low and
unplugged when full; the working phones are seen active.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
import itertools
import json
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web

from tests.simulator.server import HTML_500, HTML_ERROR
from tests.simulator.serving import Serving
from tests.simulator.state import Faults, RecordedRequest

_LOGGER = logging.getLogger(__name__)

API_PATH = "/api/3"
USSD_TEXT = "[ussd]"
USSD_ANSWER = "Balance: 125.40 UAH"
FAILING_SUFFIX = "0000"
"""Messages to a number ending with this fail when the phone sends them."""
HANG_POLL = 0.02
WEBHOOK_TIMEOUT = aiohttp.ClientTimeout(total=30)
BATTERY_DRAIN = 3  # percent per step while unplugged
BATTERY_CHARGE = 7  # percent per step while charging
BATTERY_LOW = 20  # the owner plugs the phone in at this level
SMS, WHATSAPP, WHATSAPP_BUSINESS = 0, 1, 2  # the rows' `type`
FIRST_OUTBOX_ID = 1201158
FIRST_INBOX_ID = 15
PREMIUM_END = "2031-01-01 00:00:00"

# The simulator's own error codes (the vendor publishes none).
INVALID_TOKEN = 1
DEVICE_NOT_FOUND = 2
MISSING_PARAMETER = 3
NO_ACTIVE_DEVICE = 4
NO_MESSAGES_LEFT = 5
BAD_REQUEST = 6
ERRORS = {
    INVALID_TOKEN: "Invalid token",
    DEVICE_NOT_FOUND: "Device not found",
    MISSING_PARAMETER: "Required parameter is missing",
    NO_ACTIVE_DEVICE: "No active devices",
    NO_MESSAGES_LEFT: "No paid messages left",
    BAD_REQUEST: "Invalid request",
}

LOOSE = "__loose__"  # marks an answer written as the vendor's sample, not strict JSON

# How each script writes `code`: a number, a text, or nothing on success.
_TEXT_CODE = frozenset({"sms.php", "sms_more.php"})
_DATE = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?\s*"
)

Row = dict[str, Any]


class SemySmsError(Exception):
    """An error answer of a script."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        """Keep the code; the text is the code's, with a detail when given."""
        self.code = code
        self.text = ERRORS[code] + (f": {detail}" if detail else "")
        super().__init__(self.text)


@dataclass
class SemyPhone:
    """An Android phone running the SemySMS app, as devices.php describes it."""

    id: int
    device_name: str
    dop_name: str
    manufacturer: str
    android_version: str
    battery: int
    charging: bool
    last_active: datetime
    mobile_operator: str | None = None
    version: str = "60"
    working: bool = True
    """`is_work`: the owner lets the service send through it."""
    archived: bool = False
    webhook_url: str | None = None
    """Where incoming messages are posted."""
    status_webhook_url: str | None = None
    """Where delivery states are posted."""
    webhook_sent: bool = True
    """Post a state when a message is sent."""
    webhook_delivered: bool = True
    """Post a state when a message is delivered."""

    def tick(self) -> None:
        """Move the battery one step; the owner plugs in a low phone and unplugs a full one."""
        if self.charging:
            self.battery = min(100, self.battery + BATTERY_CHARGE)
            self.charging = self.battery < 100
        else:
            self.battery = max(1, self.battery - BATTERY_DRAIN)
            self.charging = self.battery <= BATTERY_LOW


def default_phones(now: datetime) -> list[SemyPhone]:
    """The two phones of a fresh simulator: one charging, one not."""
    return [
        SemyPhone(351, "U8186", "+380501234567", "HUAWEI", "2.3.6", 58, True, now, "Kyivstar"),
        SemyPhone(352, "Pixel 7", "Office", "Google", "14", 90, False, now, "lifecell"),
    ]


class SemySmsSimulator(Serving):
    """The simulated service: one account, its phones and messages, the API and webhooks."""

    def __init__(
        self,
        token: str = "test-semysms-token",
        *,
        user_id: int = 1,
        messages_premium: int | None = 4998,
        webhook_url: str | None = None,
        status_interval: float | None = None,
        timezone: tzinfo = UTC,
    ) -> None:
        """Prepare a simulator; nothing listens until `start()`."""
        self.token = token
        self.strict_json = False
        """Answer `sms_more.php` in strict JSON instead of the vendor's sample shape."""
        self.cancel_by_id = False
        """`cancel_sms.php` also withdraws the one message named by `id_sms`."""
        self.incoming_type = True
        """The incoming webhook carries the message's `type`."""
        self.status_dates = "outbox"
        """Date names of the status webhook: "outbox" (`send`...) or "blog" (`send_date`...)."""
        self.user_id = user_id
        self.messages_premium = messages_premium
        self.timezone = timezone
        self.status_interval = status_interval
        self.phones: dict[int, SemyPhone] = {
            phone.id: phone for phone in default_phones(self.now())
        }
        self.outbox: dict[int, Row] = {}
        self.inbox: dict[int, Row] = {}
        self.priorities: dict[int, int] = {}
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.webhook_results: list[tuple[str, int]] = []
        """(kind, HTTP status) of each posted webhook, 0 when it could not be delivered."""
        self._outbox_ids = itertools.count(FIRST_OUTBOX_ID)
        self._inbox_ids = itertools.count(FIRST_INBOX_ID)
        self._spread = itertools.count()
        self._init_serving()
        if webhook_url is not None:
            self.webhook_url = webhook_url

    @property
    def webhook_url(self) -> str | None:
        """The URL every phone posts to, when they all post to the same one."""
        urls = {phone.webhook_url for phone in self.phones.values()}
        urls |= {phone.status_webhook_url for phone in self.phones.values()}
        return urls.pop() if len(urls) == 1 else None

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        for phone in self.phones.values():
            phone.webhook_url = phone.status_webhook_url = url

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. "http://127.0.0.1:41234/api/3"."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url + API_PATH

    def now(self) -> datetime:
        """The service's clock, in its zone."""
        return datetime.now(self.timezone)

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", API_PATH + r"/{script:[a-z_]+\.php}", self._handle_api)

    # Phones

    def add_phone(
        self,
        device_name: str = "Galaxy A52",
        *,
        battery: int = 75,
        charging: bool = False,
        working: bool = True,
        archived: bool = False,
        mobile_operator: str | None = None,
    ) -> SemyPhone:
        """Register one more phone with the next free id (posting to the common webhook URL)."""
        phone = SemyPhone(
            id=max(self.phones, default=350) + 1,
            device_name=device_name,
            dop_name="",
            manufacturer="samsung",
            android_version="13",
            battery=battery,
            charging=charging,
            last_active=self.now(),
            mobile_operator=mobile_operator,
            working=working,
            archived=archived,
        )
        phone.webhook_url = phone.status_webhook_url = self.webhook_url
        self.phones[phone.id] = phone
        return phone

    # The API

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        script = request.match_info["script"]
        params = await _read_params(request, script)
        self.requests.append(RecordedRequest(request.path, request.method, dict(params)))
        _LOGGER.info("%s %s", request.method, request.path)
        if (failure := await self._failure(script)) is not None:
            return failure
        handler = self._scripts().get(script)
        if handler is None:
            raise web.HTTPNotFound
        if params.get("token") != self.token:
            return _json_response(_error_body(script, SemySmsError(INVALID_TOKEN)))
        try:
            body = handler(params)
        except SemySmsError as error:
            return _json_response(_error_body(script, error))
        return _json_response(body)

    def _scripts(self) -> dict[str, Any]:
        return {
            "user.php": self._user,
            "devices.php": self._devices,
            "sms.php": self._sms,
            "sms_more.php": self._sms_more,
            "outbox_sms.php": lambda params: self._list(self.outbox, params),
            "inbox_sms.php": lambda params: self._list(self.inbox, params),
            "del_outbox_sms.php": lambda params: self._list(self.outbox, params, delete=True),
            "del_inbox_sms.php": lambda params: self._list(self.inbox, params, delete=True),
            "cancel_sms.php": self._cancel,
        }

    async def _failure(self, script: str) -> web.Response | None:
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
            return _json_response(_error_body(script, SemySmsError(INVALID_TOKEN)))
        return None

    def _user(self, _: dict[str, Any]) -> Row:
        return {
            "code": 0,
            "id_user": self.user_id,
            "is_pay": 1,
            "type_premium": 1,
            # A plan paid by time has an end date instead of a message count.
            "date_end_premium": None if self.messages_premium is not None else PREMIUM_END,
            "messages_premium": self.messages_premium,
        }

    def _devices(self, params: dict[str, Any]) -> Row:
        phones = sorted(self.phones.values(), key=lambda phone: phone.id)
        if (archived := params.get("is_arhive")) in ("0", "1"):
            phones = [phone for phone in phones if phone.archived == (archived == "1")]
        if list_id := params.get("list_id"):
            wanted = {item.strip() for item in str(list_id).split(",")}
            phones = [phone for phone in phones if str(phone.id) in wanted]
        data = [self._device_row(phone) for phone in phones]
        return {"code": 0, "count": len(data), "data": data}

    def _device_row(self, phone: SemyPhone) -> Row:
        return {
            "id": phone.id,
            "is_arhive": int(phone.archived),
            "is_deliv": 1,
            "is_work": int(phone.working),
            "power": int(phone.charging),
            "device_name": phone.device_name,
            "dop_name": phone.dop_name,
            "speed_sms": 1,
            "date_last_active": _microseconds(phone.last_active.astimezone(self.timezone)),
            "version": phone.version,
            "limit_phone": None,
            "limit_use": None,
            "limit_date": _microseconds(phone.last_active.astimezone(self.timezone)),
            "limit_period": " ",
            "manufacturer": phone.manufacturer,
            "android_version": phone.android_version,
            "bat": str(phone.battery),
            "type": 0,
            "mobile_operator": phone.mobile_operator,
        }

    def _sms(self, params: dict[str, Any]) -> Row:
        entry = _entry(params)
        phone = self._choose_phone(entry["device"])
        row = self._store_outgoing(phone, entry)
        return {"code": "0", "id": row["id"]}

    def _sms_more(self, params: dict[str, Any]) -> Row:
        try:
            entries = json.loads(params.get("data") or "null")
        except ValueError:
            raise SemySmsError(BAD_REQUEST) from None
        if not isinstance(entries, list) or not entries:
            raise SemySmsError(MISSING_PARAMETER, "data")
        if not all(isinstance(entry, dict) for entry in entries):
            raise SemySmsError(BAD_REQUEST)
        checked = [_entry(entry) for entry in entries]
        chosen = [self._choose_phone(entry["device"]) for entry in checked]
        answer = []
        for entry, phone in zip(checked, chosen, strict=True):
            row = self._store_outgoing(phone, entry)
            item: Row = {"id": row["id"]}
            if entry.get("my_id") is not None:
                item = {"my_id": entry["my_id"], **item}
            answer.append(item)
        return {"code": "0", "data": answer, LOOSE: not self.strict_json}

    def _choose_phone(self, device: str) -> SemyPhone:
        """The phone a message goes through: one of a comma list, or an active one."""
        if device == "active":
            candidates = [
                phone
                for phone in sorted(self.phones.values(), key=lambda phone: phone.id)
                if phone.working and not phone.archived
            ]
            if not candidates:
                raise SemySmsError(NO_ACTIVE_DEVICE)
        else:
            candidates = []
            for item in device.split(","):
                phone = self.phones.get(int(item)) if item.strip().isdecimal() else None
                if phone is None or phone.archived:
                    raise SemySmsError(DEVICE_NOT_FOUND, item.strip())
                candidates.append(phone)
        return candidates[next(self._spread) % len(candidates)]

    def _store_outgoing(self, phone: SemyPhone, entry: dict[str, Any]) -> Row:
        if self.messages_premium is not None:
            if self.messages_premium <= 0:
                raise SemySmsError(NO_MESSAGES_LEFT)
            self.messages_premium -= 1
        row = outbox_row(next(self._outbox_ids), entry["phone"], entry["msg"], phone.id, self.now())
        self.outbox[row["id"]] = row
        if priority := entry.get("priority"):
            self.priorities[row["id"]] = int(priority)
        return row

    def _list(self, rows: dict[int, Row], params: dict[str, Any], *, delete: bool = False) -> Row:
        """List (or delete) the messages passing the filters; without any, only today's."""
        start_id, end_id = _number(params, "start_id"), _number(params, "end_id")
        date_start, date_end = self._date(params, "date_start"), self._date(params, "date_end")
        list_id = params.get("list_id")
        wanted = {item.strip() for item in list_id.split(",")} if list_id else None
        unfiltered = start_id is None and date_start is None and date_end is None and not wanted
        device, phone = params.get("device"), params.get("phone")
        found = []
        for row in rows.values():
            date = datetime.fromisoformat(row["date"]).replace(tzinfo=self.timezone)
            if (
                (unfiltered and date.date() != self.now().date())
                or (device and str(row["id_device"]) not in device.split(","))
                or (phone and row["phone"] != phone)
                or (wanted is not None and str(row["id"]) not in wanted)
                or (start_id is not None and row["id"] < start_id)
                or (end_id is not None and row["id"] > end_id)
                or (date_start is not None and date < date_start)
                or (date_end is not None and date > date_end)
            ):
                continue
            found.append(row)
        if delete:
            for row in found:
                del rows[row["id"]]
        return {"count": len(found), "data": found}

    def _date(self, params: dict[str, Any], name: str) -> datetime | None:
        if not (value := params.get(name)):
            return None
        if (match := _DATE.fullmatch(value)) is None:
            raise SemySmsError(BAD_REQUEST, name)
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=self.timezone)
        except ValueError:
            raise SemySmsError(BAD_REQUEST, name) from None

    def _cancel(self, params: dict[str, Any]) -> Row:
        """Withdraw every message of the `device` not yet handed to it (`id_sms`: see the knob)."""
        message_id = params.get("id_sms") if self.cancel_by_id else None
        device = params.get("device")
        if not message_id and not device:
            raise SemySmsError(MISSING_PARAMETER, "device")
        now = _microseconds(self.now())
        for row in self.outbox.values():
            if (message_id and str(row["id"]) != message_id) or (
                device and str(row["id_device"]) != device
            ):
                continue
            if not row["is_send_to_phone"] and not row["is_cancel"]:
                row["is_cancel"], row["cancel"] = 1, now
        return {"code": 0}

    # What the phones do

    async def receive_sms(
        self, number: str, text: str, *, phone_id: int = 351, kind: int = SMS
    ) -> Row:
        """A message arrives on a phone (`kind`: SMS, WHATSAPP...): stored, its webhook posted."""
        if phone_id not in self.phones:
            raise ValueError(f"no phone with id {phone_id}")
        row: Row = {
            "id": next(self._inbox_ids),
            "phone": number,
            "date": _seconds(self.now()),
            "msg": text,
            "id_device": phone_id,
            "type": kind,
        }
        self.inbox[row["id"]] = row
        await self.post_webhook("incoming", self.phones[phone_id].webhook_url, self.incoming(row))
        return dict(row)

    def incoming(self, row: Row) -> dict[str, str]:
        """The fields of the incoming webhook of an inbox row."""
        names = ("id", "id_device", "phone", "msg", "date", *(("type",) * self.incoming_type))
        return {name: str(row[name]) for name in names}

    def add_outside_message(
        self, number: str, text: str, *, phone_id: int = 351, kind: int = WHATSAPP
    ) -> Row:
        """A message typed on the phone and uploaded to the service (`is_out`), already sent."""
        now = self.now()
        row = outbox_row(next(self._outbox_ids), number, text, phone_id, now)
        row |= {"is_out": 1, "type": kind, "is_send_to_phone": 1, "is_send": 1}
        row |= {"send_to_phone": _microseconds(now), "send": _seconds(now)}
        self.outbox[row["id"]] = row
        return dict(row)

    async def advance(self) -> list[Row]:
        """Move every battery and every message of a working phone one step; return those moved."""
        for phone in self.phones.values():
            phone.tick()
            if phone.working and not phone.archived:
                phone.last_active = self.now()
        moved = []
        for row in list(self.outbox.values()):
            sender = self.phones.get(row["id_device"])
            if sender is None or not sender.working or sender.archived:
                continue
            if await self._step(row, sender):
                moved.append(dict(row))
        return moved

    async def _step(self, row: Row, phone: SemyPhone) -> bool:
        now = self.now()
        if row["is_cancel"] or row["is_error_send"] or row["is_delivered"]:
            return False
        if not row["is_send_to_phone"]:
            row["is_send_to_phone"], row["send_to_phone"] = 1, _microseconds(now)
            return True
        if not row["is_send"]:
            if row["phone"].endswith(FAILING_SUFFIX):
                row["is_error"] = row["is_error_send"] = 1
                row["error_date"] = _microseconds(now)
                return True
            row["is_send"], row["send"] = 1, _seconds(now)
            if phone.webhook_sent:
                await self.post_status(row)
            if row["msg"] == USSD_TEXT:
                await self.receive_sms(row["phone"], USSD_ANSWER, phone_id=phone.id)
            return True
        if row["msg"] == USSD_TEXT:
            return False  # a USSD request is never delivered
        row["is_delivered"], row["delivered"] = 1, _seconds(now)
        if phone.webhook_delivered:
            await self.post_status(row)
        return True

    async def post_status(self, row: Row) -> int | None:
        """Post a message's delivery state to its phone's status URL."""
        phone = self.phones[row["id_device"]]
        sent, delivered = (
            ("send_date", "delivered_date")
            if self.status_dates == "blog"
            else (
                "send",
                "delivered",
            )
        )
        fields = {
            "id": str(row["id"]),
            "id_device": str(row["id_device"]),
            "phone": row["phone"],
            "msg": row["msg"],
            "is_send": str(row["is_send"]),
            sent: row["send"] or "",
            "is_delivered": str(row["is_delivered"]),
            delivered: row["delivered"] or "",
        }
        if self.status_dates != "blog":  # the outbox's failure fields too
            fields |= {"is_error": str(row["is_error"]), "error_date": row["error_date"] or ""}
        return await self.post_webhook("status", phone.status_webhook_url, fields)

    async def post_webhook(self, kind: str, url: str | None, fields: dict[str, str]) -> int | None:
        """POST a form to `url`; return the HTTP status (0 if unreachable, None without a URL)."""
        if url is None:
            return None
        try:
            async with self._client().post(url, data=fields) as reply:
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as error:
            _LOGGER.warning("webhook to %s failed: %s", url, error)
            status = 0
        self.webhook_results.append((kind, status))
        return status

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=WEBHOOK_TIMEOUT)
        return self._session

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.advance()


def outbox_row(message_id: int, number: str, text: str, phone_id: int, now: datetime) -> Row:
    """A new outgoing message as outbox_sms.php lists it."""
    return {
        "id": message_id,
        "phone": number,
        "date": _microseconds(now),
        "msg": text,
        "id_device": phone_id,
        "send_to_phone": None,
        "is_send_to_phone": 0,
        "is_send": 0,
        "send": None,
        "is_delivered": 0,
        "delivered": None,
        "is_cancel": 0,
        "cancel": None,
        "is_error": 0,
        "is_error_send": 0,
        "error_date": None,
        "is_out": 0,
        "type": 0,
    }


async def _read_params(request: web.Request, script: str) -> dict[str, Any]:
    """The query and the form merged; for sms_more.php the JSON body's token and data."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST":
        return params
    if script == "sms_more.php":
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        if isinstance(body, dict):
            params["token"] = body.get("token")
            params["data"] = json.dumps(body.get("data"), ensure_ascii=False)
        return params
    form = await request.post()
    params.update({name: value for name, value in form.items() if isinstance(value, str)})
    return params


def _entry(fields: dict[str, Any]) -> dict[str, Any]:
    """A message to send, its required fields checked."""
    entry = {name: fields.get(name) for name in ("device", "phone", "msg", "priority", "my_id")}
    for name in ("device", "phone", "msg"):
        if not isinstance(entry[name], str) or not entry[name]:
            raise SemySmsError(MISSING_PARAMETER, name)
    priority = entry["priority"]
    if priority is not None and not str(priority).isdecimal():
        raise SemySmsError(BAD_REQUEST, "priority")
    return entry


def _number(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not str(value).isdecimal():
        raise SemySmsError(BAD_REQUEST, name)
    return int(value)


def _error_body(script: str, error: SemySmsError) -> Row:
    code: int | str = str(error.code) if script in _TEXT_CODE else error.code
    return {"code": code, "error": error.text}


def _json_response(body: Row) -> web.Response:
    loose = body.pop(LOOSE, False)
    text = json.dumps(body, ensure_ascii=False)
    if loose:  # as the vendor's sample writes it: {"code":"0", data:[...]}
        text = text.replace('"data":', "data:", 1)
    return web.Response(text=text, content_type="text/html", charset="UTF-8")


def _microseconds(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _seconds(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
