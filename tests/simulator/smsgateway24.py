"""`SmsGateway24Simulator`: a real aiohttp server speaking the SmsGateway24 API.

    sim = SmsGateway24Simulator(webhook_url="http://127.0.0.1:8123/api/webhook/...")
    await sim.start()                       # sim.url == "http://127.0.0.1:<free port>"
    ...                                     # the API is under sim.url + "/getdata/<method>"
    await sim.stop()

Like the service, every method takes GET and POST, its fields in the query string, a URL-encoded
or a multipart form (the body wins on clashes), and answers HTTP 200 with JSON carrying
`error` (0 or 1) and `message` (`getalldevices` answers without them, as documented). The
account's e-mail and password (`gettoken`, `smstosend`) give tokens that expire after
`token_lifetime` seconds (`expire_tokens()` ends them all now); a missing, unknown or expired
token is answered `{"error": 1, "message": token_error}` ("Login or password incorrect").

Phones (`phones`, by id) each have two webhook URLs, as configured on the service's website:
`webhook_url` (incoming messages) and `status_webhook_url` (delivery states); the
constructor's `webhook_url` sets both on the default phones. Webhooks are JSON POSTs; with
`legacy_webhooks` they take the older shape (`sim` instead of `channel_id`, `address` a number,
no `type`). Each post's HTTP status (0 when unreachable) is kept in `webhook_results`.

Statuses move one step per `advance()` (or every `status_interval` seconds), in the order the
service documents, 1 → 3 → 2 → 6 → 7: a scheduled message waits for its `timetosend`, and a
message moves only while its phone is online. A recipient ending in `FAILING_SUFFIX` fails
with 9 instead of 6, one ending in `UNDELIVERED_SUFFIX` gets 8 instead of 7. Every change posts
the phone's status webhook.

Where the service's page is silent, a knob covers each plausible reading:

* `device_status` (a `DeviceStatus`): `getdevicestatus` is not on the page. By default it is
  absent (HTTP 404, as any method the service lacks); it can answer the online state, or fail
  with HTTP 500, an HTML page or the API's error object.
* `token_methods`: the page says `gettoken` is a GET; public clients post a form. Both are taken
  by default; a method left out is answered HTTP 405 with an HTML page, as a web framework does.
* `rows_with_sim`: the page's `getallsms` rows carry no SIM slot (nor does the simulator's, by
  default); set, they carry a `sim` column. The `sim` filter works either way.

`faults` (a `Faults`) spoils answers: latency, HTTP 500 page, HTML page, `reject_key` (every
call, `gettoken` included, answers "Login or password incorrect"), hang, rate limit.
`canned[method] = (status, body)` answers a method with a hand-made body instead (status 0
closes the connection without answering): answers the service may give that nothing provokes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
import itertools
import json
import logging
import secrets
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from tests.simulator import php
from tests.simulator.server import HANG_POLL, HTML_500, HTML_ERROR
from tests.simulator.serving import Serving
from tests.simulator.state import Faults, RecordedRequest

_LOGGER = logging.getLogger(__name__)

EMAIL = "owner@example.test"
PASSWORD = "sg24-Secret-Pass"
FIRST_SMS_ID = 62807347
FIRST_TAG_ID = 8303
FIRST_CONTACT_ID = 15954765
FIRST_PAKET_ID = 4101
FAILING_SUFFIX = "0000"
UNDELIVERED_SUFFIX = "0008"
WEBHOOK_TIMEOUT = aiohttp.ClientTimeout(total=30)

LOGIN_FAILED = "Login or password incorrect"
SAVED = "Sms has been saved successfully"
DEVICE_NOT_FOUND = "Device not found"
SMS_NOT_FOUND = "Sms not found"
TAG_NOT_FOUND = "Tag not found"
WRONG_DATE = "Wrong date format"
WRONG_SIM = "Wrong sim slot"
BAD_DATAJSON = "datajson is not valid"

# What `statustitle` and `status_description` say, and the status webhook's `status_message`.
STATUS_TITLES = {
    1: "New",
    2: "sending",
    3: "queued",
    5: "incoming",
    6: "sent",
    7: "delivered",
    8: "not delivered",
    9: "Generic failure",
    10: "No service",
    11: "Null PDU",
    12: "Radio off",
    100: "NOT ALLOWED",
    101: "NOT ALLOWED",
}
STATUS_MESSAGES = {
    1: "SMS has been created",
    2: "SMS has been taken by the phone",
    3: "SMS is queued for sending",
    6: "SMS has been Sent",
    7: "SMS has been Delivered",
    8: "SMS has not been Delivered",
    9: "SMS has not been sent: Generic failure",
    10: "SMS has not been sent: No service",
    11: "SMS has not been sent: Null PDU",
    12: "SMS has not been sent: Radio off",
    100: "SMS has not been sent: NOT ALLOWED",
    101: "SMS has not been sent: NOT ALLOWED",
}
HTML_405 = """<!DOCTYPE html>
<html><head><title>Method Not Allowed (#405)</title></head>
<body><h1>Method Not Allowed (#405)</h1><p>Method Not Allowed. This URL can only handle the
following request methods: GET.</p></body></html>
"""
_NEXT = {1: 3, 3: 2}  # then 2 → 6 (or 9) and 6 → 7 (or 8)
FINAL_STATUSES = frozenset({5, 7, 8, 9, 10, 11, 12, 100, 101})

Row = dict[str, Any]


class DeviceStatus(StrEnum):
    """How `getdevicestatus`, a method the service's page does not list, answers."""

    ABSENT = "absent"  # HTTP 404, as for any method the service does not have
    PRESENT = "present"  # the phone's online state and when it was last seen
    HTTP_500 = "http_500"
    HTML_PAGE = "html_page"  # HTTP 200 with an HTML page
    API_ERROR = "api_error"  # the API's error object


class SimError(Exception):
    """An `{"error": 1, "message": ...}` answer."""


def utcnow() -> datetime:
    """Now, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class SimPhone:
    """A phone of the account, as `getalldevices` describes it."""

    id: int
    title: str
    siminfo: list[dict[str, str]]
    last_seen: datetime
    app_version: str = "12.1.21"
    subscription: bool = True
    online: bool = True
    webhook_url: str | None = None
    status_webhook_url: str | None = None
    created: datetime = field(default_factory=utcnow)


def sim_info(slot: int, number: str, carrier: str) -> dict[str, str]:
    """One `siminfo` entry."""
    return {
        "Slot": str(slot),
        "IccId": f"8949226172233934{slot:03d}",
        "Number": number,
        "Roaming": "0",
        "CountryIso": "de",
        "CarrierName": carrier,
    }


def php_date(moment: datetime, zone: tzinfo = UTC) -> dict[str, Any]:
    """A PHP `DateTime` as `json_encode` writes it (zone type 3: a name)."""
    local = moment.astimezone(zone)
    return {
        "date": local.strftime("%Y-%m-%d %H:%M:%S.000000"),
        "timezone_type": 3,
        "timezone": getattr(zone, "key", "UTC"),
    }


def webhook_date(moment: datetime) -> str:
    """How the simulator writes dates in webhook bodies."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class SmsGateway24Simulator(Serving):
    """The simulated service: one account, its phones, messages, tags and contacts."""

    def __init__(
        self,
        *,
        email: str = EMAIL,
        password: str = PASSWORD,
        webhook_url: str | None = None,
        status_interval: float | None = None,
        token_lifetime: float = 3600.0,
        legacy_webhooks: bool = False,
    ) -> None:
        """Prepare a simulator with two phones; nothing listens until `start()`."""
        now = utcnow()
        self.email = email
        self.password = password
        self.token_lifetime = token_lifetime
        self.token_error = LOGIN_FAILED
        self.legacy_webhooks = legacy_webhooks
        self.status_interval = status_interval
        self.device_status = DeviceStatus.ABSENT
        self.token_methods = frozenset({"GET", "POST"})
        self.rows_with_sim = False
        self.phones: dict[int, SimPhone] = {
            1576: SimPhone(
                1576,
                "AOSP_on_IA_Emulator",
                [sim_info(0, " 15555215554", "Android (T-Mobile)")],
                now,
            ),
            1297: SimPhone(
                1297,
                "Office Pixel",
                [
                    sim_info(0, "+4915752982212", "Drillisch (o2)"),
                    sim_info(1, "", "Vodafone.de"),
                ],
                now,
                subscription=False,
            ),
        }
        for phone in self.phones.values():
            phone.webhook_url = phone.status_webhook_url = webhook_url
        self.sms: dict[int, Row] = {}
        self.tags: dict[int, str] = {}
        self.contacts: dict[int, Row] = {}
        self.pakets: dict[int, Row] = {}
        self.tokens: dict[str, float] = {}
        self.faults = Faults()
        self.canned: dict[str, tuple[int, str]] = {}
        self.requests: list[RecordedRequest] = []
        self.webhook_results: list[tuple[str, int]] = []
        self._sms_ids = itertools.count(FIRST_SMS_ID)
        self._tag_ids = itertools.count(FIRST_TAG_ID)
        self._contact_ids = itertools.count(FIRST_CONTACT_ID)
        self._paket_ids = itertools.count(FIRST_PAKET_ID)
        self._init_serving()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. "http://127.0.0.1:41234"."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/getdata/{method}", self._handle_api)

    # Account and phones

    def issue_token(self) -> str:
        """A new token, valid for `token_lifetime` seconds."""
        token = secrets.token_hex(16)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return token

    def expire_tokens(self) -> None:
        """End every token now, as when they reach their lifetime."""
        self.tokens.clear()

    def add_phone(self, title: str, *, online: bool = True, sims: int = 1) -> SimPhone:
        """Register one more phone with the next free id."""
        phone = SimPhone(
            max(self.phones, default=0) + 1,
            title,
            [sim_info(slot, f"+49157000000{slot}", "Telekom.de") for slot in range(sims)],
            utcnow(),
            online=online,
        )
        self.phones[phone.id] = phone
        return phone

    # Messages

    def store_sms(
        self,
        sendto: str,
        body: str,
        device_id: int,
        *,
        sim: int = 0,
        status: int = 1,
        customerid: int | None = None,
        urgent: bool = False,
        timetosend: datetime | None = None,
        paket: int | None = None,
    ) -> Row:
        """Keep a new message row."""
        row: Row = {
            "id": next(self._sms_ids),
            "sendto": sendto,
            "body": body,
            "customerid": customerid,
            "status": status,
            "deviceid": device_id,
            "urgent": True if urgent else None,
            "created": utcnow(),
            "senttime": None,
            "timetosend": timetosend,
            "sim": sim,
            "paketid": paket,
        }
        self.sms[row["id"]] = row
        return row

    async def receive_sms(
        self, address: str, body: str, *, phone_id: int = 1576, sim: int = 0
    ) -> Row:
        """An SMS arrives on a phone: store it (status 5) and post the phone's webhook."""
        row = self.store_sms(address, body, phone_id, sim=sim, status=5)
        phone = self.phones[phone_id]
        payload: Row = {
            "address": address,
            "date": webhook_date(row["created"]),
            "date_sent": webhook_date(row["created"] - timedelta(seconds=2)),
            "body": body,
            "internal_id": 55,
            "sms_id": row["id"],
            "device_id": phone_id,
            "device_name": phone.title,
        }
        if self.legacy_webhooks:
            payload["sim"] = sim
            if address.lstrip("+").isdigit():
                payload["address"] = int(address.lstrip("+"))
        else:
            payload |= {"channel_id": sim, "type": "text"}
        await self._post_webhook(phone.webhook_url, payload)
        return dict(row)

    async def receive_image(self, address: str, image_url: str, *, phone_id: int = 1576) -> Row:
        """A WhatsApp image arrives: only the webhook tells (`type: "img"`)."""
        payload: Row = {
            "address": address,
            "date": webhook_date(utcnow()),
            "date_sent": webhook_date(utcnow()),
            "body": "",
            "internal_id": None,
            "channel_id": 0,
            "sms_id": next(self._sms_ids),
            "device_id": phone_id,
            "device_name": self.phones[phone_id].title,
            "type": "img",
            "img_url": image_url,
        }
        await self._post_webhook(self.phones[phone_id].webhook_url, payload)
        return payload

    async def advance(self) -> list[Row]:
        """Move every outgoing message one step (see the module docstring); return those moved."""
        moved = [row for row in list(self.sms.values()) if self._step(row)]
        for row in moved:
            await self._report(row)
        return [dict(row) for row in moved]

    async def set_status(self, sms_id: int, status: int) -> Row:
        """Force a message's status and post the status webhook."""
        row = self.sms[sms_id]
        row["status"] = status
        await self._report(row)
        return dict(row)

    def _step(self, row: Row) -> bool:
        status = row["status"]
        phone = self.phones.get(row["deviceid"])
        if status in FINAL_STATUSES or phone is None or not phone.online:
            return False
        if status == 1 and row["timetosend"] is not None and row["timetosend"] > utcnow():
            return False
        if status in _NEXT:
            row["status"] = _NEXT[status]
        elif status == 2:
            row["status"] = 9 if row["sendto"].endswith(FAILING_SUFFIX) else 6
            row["senttime"] = utcnow()
        elif status == 6:
            row["status"] = 8 if row["sendto"].endswith(UNDELIVERED_SUFFIX) else 7
        else:
            return False
        return True

    async def _report(self, row: Row) -> None:
        phone = self.phones.get(row["deviceid"])
        if phone is None:
            return
        payload: Row = {
            "sms_id": row["id"],
            "status_id": row["status"],
            "status_message": STATUS_MESSAGES.get(row["status"], "Unknown"),
            "sendto": row["sendto"],
            "senttime": webhook_date(row["senttime"]) if row["senttime"] else None,
            "device_id": row["deviceid"],
        }
        payload["sim" if self.legacy_webhooks else "channel_id"] = row["sim"]
        await self._post_webhook(phone.status_webhook_url, payload)

    async def _post_webhook(self, url: str | None, payload: Row) -> None:
        if url is None:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=WEBHOOK_TIMEOUT)
        try:
            async with self._session.post(
                url, data=json.dumps(payload), headers={"Content-Type": "application/json"}
            ) as reply:
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as error:
            _LOGGER.warning("webhook to %s failed: %s", url, error)
            status = 0
        self.webhook_results.append((url, status))

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            for phone in self.phones.values():
                if phone.online:
                    phone.last_seen = utcnow()
            await self.advance()

    # The HTTP API

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        fields = dict(request.query)
        if request.method == "POST":
            posted = await request.post()
            fields |= {name: value for name, value in posted.items() if isinstance(value, str)}
        self.requests.append(RecordedRequest(request.path, request.method, dict(fields)))
        failure = await self._failure()
        if failure is not None:
            return failure
        if (canned := self.canned.get(request.match_info["method"])) is not None:
            status, text = canned
            if status == 0:
                assert request.transport is not None
                request.transport.close()
            return web.Response(status=status or 200, text=text, content_type="application/json")
        method = request.match_info["method"]
        if method == "gettoken" and request.method not in self.token_methods:
            allowed = ", ".join(sorted(self.token_methods))
            return web.Response(
                status=405, text=HTML_405, content_type="text/html", headers={"Allow": allowed}
            )
        if method == "getdevicestatus" and (spoilt := self._device_status_failure()) is not None:
            return spoilt
        handler = _METHODS.get(method)
        if handler is None:
            raise web.HTTPNotFound
        try:
            body = handler(self, fields)
        except SimError as error:
            body = {"error": 1, "message": str(error)}
        return web.Response(text=php.json_encode(body), content_type="application/json")

    async def _failure(self) -> web.Response | None:
        """Apply `self.faults`; return the spoilt answer, if any."""
        if self.faults.healthy_calls > 0:
            self.faults.healthy_calls -= 1
            return None
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
            body = php.json_encode({"error": 1, "message": LOGIN_FAILED})
            return web.Response(text=body, content_type="application/json")
        return None

    def _device_status_failure(self) -> web.Response | None:
        """Answer `getdevicestatus` as `device_status` says, unless it is present."""
        if self.device_status is DeviceStatus.ABSENT:
            raise web.HTTPNotFound
        if self.device_status is DeviceStatus.HTTP_500:
            return web.Response(status=500, text=HTML_500, content_type="text/html")
        if self.device_status is DeviceStatus.HTML_PAGE:
            return web.Response(text=HTML_ERROR, content_type="text/html", charset="UTF-8")
        if self.device_status is DeviceStatus.API_ERROR:
            body = php.json_encode({"error": 1, "message": "Unknown method"})
            return web.Response(text=body, content_type="application/json")
        return None

    def _check_token(self, token: str | None) -> None:
        expiry = self.tokens.get(token or "")
        if expiry is None or expiry <= time.monotonic():
            self.tokens.pop(token or "", None)
            raise SimError(self.token_error)

    def _phone(self, value: object) -> SimPhone:
        phone = self.phones.get(_number(value, "device_id"))
        if phone is None:
            raise SimError(DEVICE_NOT_FOUND)
        return phone

    # Methods

    def gettoken(self, fields: dict[str, str]) -> Row:
        """Exchange the e-mail and password for a token."""
        if fields.get("email") != self.email or fields.get("pass") != self.password:
            raise SimError(LOGIN_FAILED)
        return {"error": 0, "message": "OK", "token": self.issue_token()}

    def addsms(self, fields: dict[str, str]) -> Row:
        """Save one message (one per number of a comma list; the first id is answered)."""
        self._check_token(fields.get("token"))
        return self._add_sms(fields)

    def smstosend(self, fields: dict[str, str]) -> Row:
        """`addsms` authenticated with the e-mail and password instead of a token."""
        if fields.get("email") != self.email or fields.get("pass") != self.password:
            raise SimError(LOGIN_FAILED)
        return self._add_sms(fields)

    def _add_sms(self, fields: dict[str, str]) -> Row:
        entry = {name: fields.get(name) for name in _SMS_FIELDS}
        rows = [self._save(entry | {"sendto": number}) for number in _numbers(fields)]
        return {"error": 0, "sms_id": rows[0]["id"], "message": SAVED}

    def addalotofsms(self, fields: dict[str, str]) -> Row:
        """Save every message of `datajson` (all or none)."""
        try:
            data = json.loads(fields.get("datajson") or "")
        except ValueError:
            raise SimError(BAD_DATAJSON) from None
        if not isinstance(data, dict) or not isinstance(data.get("smsdata"), list):
            raise SimError(BAD_DATAJSON)
        self._check_token(data.get("token"))
        entries = [entry for entry in data["smsdata"] if isinstance(entry, dict)]
        if not entries or len(entries) != len(data["smsdata"]):
            raise SimError(BAD_DATAJSON)
        checked = [self._validate(entry) for entry in entries]
        for entry in checked:
            self._save(entry, validated=True)
        return {"error": 0, "message": SAVED}

    def _validate(self, entry: dict[str, Any]) -> dict[str, Any]:
        for name in ("sendto", "body", "device_id"):
            if entry.get(name) in (None, ""):
                raise SimError(f"Field {name} is required")
        phone = self._phone(entry["device_id"])
        sim = _number(entry.get("sim") or 0, "sim")
        if sim not in (0, 1):
            raise SimError(WRONG_SIM)
        when = entry.get("timetosend")
        customer = entry.get("customerid")
        return {
            "sendto": str(entry["sendto"]),
            "body": str(entry["body"]),
            "device_id": phone.id,
            "sim": sim,
            "timetosend": _date(when) if when else None,
            "customerid": None if customer in (None, "") else _number(customer, "customerid"),
            "urgent": str(entry.get("urgent") or "0") not in ("0", "false"),
        }

    def _save(self, entry: dict[str, Any], *, validated: bool = False) -> Row:
        checked = entry if validated else self._validate(entry)
        return self.store_sms(
            checked["sendto"],
            checked["body"],
            checked["device_id"],
            sim=checked["sim"],
            customerid=checked["customerid"],
            urgent=checked["urgent"],
            timetosend=checked["timetosend"],
        )

    def getallsms(self, fields: dict[str, str]) -> Row:
        """List messages by the given filters, dates in `timezone` (UTC by default)."""
        self._check_token(fields.get("token"))
        try:
            zone: tzinfo = ZoneInfo(fields["timezone"]) if fields.get("timezone") else UTC
        except (ValueError, KeyError, OSError):
            raise SimError("Unknown timezone") from None
        rows = list(self.sms.values())
        for name, column in (
            ("device_id", "deviceid"),
            ("status", "status"),
            ("sim", "sim"),
            ("customerid", "customerid"),
        ):
            if fields.get(name):
                wanted = _number(fields[name], name)
                rows = [row for row in rows if row[column] == wanted]
        if fields.get("phone"):
            rows = [row for row in rows if fields["phone"] in row["sendto"]]
        if fields.get("begindate"):
            begin = _date(fields["begindate"], zone)
            rows = [row for row in rows if row["created"] >= begin]
        if fields.get("enddate"):
            end = _date(fields["enddate"], zone)
            rows = [row for row in rows if row["created"] <= end]
        rows.sort(key=lambda row: row["id"], reverse=fields.get("orderbydesc") == "1")
        if fields.get("onlycount") == "1":
            return {"error": 0, "count": len(rows), "message": "Ok"}
        smss: dict[str, Row] | list[Row] = {
            str(row["id"]): _sms_view(row, zone, with_sim=self.rows_with_sim) for row in rows
        } or []
        return {"error": 0, "smss": smss, "count": len(rows), "message": "Ok"}

    def getsmsstatus(self, fields: dict[str, str]) -> Row:
        """One message's status."""
        self._check_token(fields.get("token"))
        row = self.sms.get(_number(fields.get("sms_id"), "sms_id"))
        if row is None:
            raise SimError(SMS_NOT_FOUND)
        return {
            "error": 0,
            "sms_id": row["id"],
            "status": row["status"],
            "status_description": STATUS_TITLES.get(row["status"], "Unknown"),
            "message": "Ok",
        }

    def getalldevices(self, fields: dict[str, str]) -> Row:
        """The account's phones, keyed by id (no `error` nor `message`, as documented)."""
        self._check_token(fields.get("token"))
        return {
            "count": len(self.phones),
            "device": {str(key): _device_view(self.phones[key]) for key in sorted(self.phones)},
        }

    def getdevicestatus(self, fields: dict[str, str]) -> Row:
        """Whether a phone is online, and when it was last seen."""
        self._check_token(fields.get("token"))
        phone = self._phone(fields.get("device_id"))
        return {
            "online": phone.online,
            "error": 0,
            "message": "OK",
            "device_id": phone.id,
            "lastseen": php_date(phone.last_seen),
            "diffseconds": int((utcnow() - phone.last_seen).total_seconds()),
            "title": phone.title,
        }

    def savetag(self, fields: dict[str, str]) -> Row:
        """Create a tag."""
        self._check_token(fields.get("token"))
        title = _required(fields, "title")
        tag_id = next(self._tag_ids)
        self.tags[tag_id] = title
        return {"error": 0, "tag_id": tag_id, "message": "OK"}

    def savecontact(self, fields: dict[str, str]) -> Row:
        """Add a contact to a tag (`ctag_id`; the name is required)."""
        self._check_token(fields.get("token"))
        phone, name = _required(fields, "phone"), _required(fields, "fullname")
        tag_id = _number(_required(fields, "ctag_id"), "ctag_id")
        if tag_id not in self.tags:
            raise SimError(TAG_NOT_FOUND)
        contact_id = next(self._contact_ids)
        self.contacts[contact_id] = {"phone": phone, "fullname": name, "tag_id": tag_id}
        return {"error": 0, "contact_id": contact_id, "message": "ok"}

    def savepaket(self, fields: dict[str, str]) -> Row:
        """Create a newsletter: one message per contact of the tags, at `time_to_send`."""
        self._check_token(fields.get("token"))
        title, body = _required(fields, "title"), _required(fields, "body")
        phone = self._phone(_required(fields, "device_id"))
        tag_ids = [_number(tag, "tags") for tag in _required(fields, "tags").split(",")]
        if any(tag_id not in self.tags for tag_id in tag_ids):
            raise SimError(TAG_NOT_FOUND)
        sim = _number(_required(fields, "sim"), "sim")
        try:
            when = datetime.strptime(_required(fields, "time_to_send"), "%d.%m.%Y %H:%M:%S")
        except ValueError:
            raise SimError(WRONG_DATE) from None
        paket_id = next(self._paket_ids)
        self.pakets[paket_id] = {"title": title, "body": body, "tags": tag_ids}
        for contact in self.contacts.values():
            if contact["tag_id"] in tag_ids:
                self.store_sms(
                    contact["phone"],
                    body,
                    phone.id,
                    sim=sim,
                    timetosend=when.replace(tzinfo=UTC),
                    paket=paket_id,
                )
        return {"error": 0, "message": "OK", "paket_id": paket_id}


_SMS_FIELDS = ("body", "device_id", "sim", "timetosend", "customerid", "urgent")
_METHODS = {
    name: getattr(SmsGateway24Simulator, name)
    for name in (
        "gettoken",
        "addsms",
        "smstosend",
        "addalotofsms",
        "getallsms",
        "getsmsstatus",
        "getalldevices",
        "getdevicestatus",
        "savetag",
        "savecontact",
        "savepaket",
    )
}


def _numbers(fields: dict[str, str]) -> list[str]:
    numbers = [number.strip() for number in _required(fields, "sendto").split(",")]
    if not all(numbers):
        raise SimError("Field sendto is required")
    return numbers


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name)
    if not value:
        raise SimError(f"Field {name} is required")
    return value


def _number(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise SimError(f"Field {name} must be a number")


def _date(text: object, zone: tzinfo = UTC) -> datetime:
    """Read `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` in `zone`."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(text), pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    raise SimError(WRONG_DATE)


def _sms_view(row: Row, zone: tzinfo, *, with_sim: bool) -> Row:
    """A row as the page's sample shows it: no SIM slot unless `with_sim`."""
    view = {
        "id": row["id"],
        "sendto": row["sendto"],
        "body": row["body"],
        "customerid": row["customerid"],
        "status": row["status"],
        "statustitle": STATUS_TITLES.get(row["status"], "Unknown"),
        "deviceid": row["deviceid"],
        "urgent": row["urgent"],
        "created": php_date(row["created"], zone),
        "senttime": php_date(row["senttime"], zone) if row["senttime"] else None,
        "timetosend": php_date(row["timetosend"], zone) if row["timetosend"] else None,
        "paketid": row["paketid"],
        "pakettitle": None,
        "paketbody": None,
    }
    return view | {"sim": row["sim"]} if with_sim else view


def _device_view(phone: SimPhone) -> Row:
    return {
        "id": phone.id,
        "title": phone.title,
        "number": None,
        "imei": "358240051111110",
        "created": php_date(phone.created),
        "createdhumanformat": phone.created.strftime("%d.%m.%Y %H:%M:%S"),
        "lastseen": php_date(phone.last_seen),
        "lastseenhumanformat": phone.last_seen.strftime("%d.%m.%Y %H:%M:%S"),
        "serialnumber": "EMULATOR30X0X5X0",
        "siminfo": phone.siminfo,
        "appversion": phone.app_version,
        "isappversionactual": False,
        "delaybetweeneachsms": None,
        "delaybetweenrequest": 1,
        "subscription": phone.subscription,
    }
