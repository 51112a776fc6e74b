"""Client for SemySMS (semysms.net), API v3: the account's Android phones as an SMS gateway.

Every script lives at ``<base>/<script>.php`` and takes the account's secret ``token`` with the
other parameters (sent here as a POST form; ``sms_more.php`` alone takes a JSON body). Answers
are JSON objects: ``code`` is ``0`` on success, as a number (``user.php``, ``devices.php``) or as
text (``sms.php``, ``sms_more.php``), and absent from the message lists; any other ``code``
comes with an ``error`` text.

Incoming messages and delivery states are posted per phone as forms of text fields. They carry
no signature: the webhook URL is the secret, and a request naming a phone that is not one of
the account's is refused. Incoming messages can also be polled. A USSD request is an SMS to the
code whose text is ``[ussd]``; the answer comes in as an SMS from the code.

Unconfirmed
-----------
These points are not settled by the vendor's documentation; the client decides as follows.

* Error codes: the vendor publishes no table. An error whose text speaks of the token (in
  English or Russian) is taken as invalid credentials; any other non-zero code is an API error.
* Time zone: the dates carry no offset. They are read in the configured zone (UTC unless
  ``timezone`` is set), and date filters are written in it. Polling only needs it on the first
  poll: later polls ask for the ids after the last one seen, which no clock can disturb.
* Polling asks for ``start_id`` without ``end_id``, without ``device`` and without paging; the
  outbox is read without ``device`` too.
* Webhooks are taken as POST forms, JSON objects or multipart forms alike; a request carrying
  ``is_send`` or ``is_delivered`` is a delivery state, any other an incoming message. A state
  with neither flag set reports nothing, unless an ``is_error`` flag says the message failed.
* ``priority`` is sent as 1 to put a message ahead of those without one; ``active`` lets the
  service pick one of the working phones (used when no phone is named, and for a random one);
  a list of phones is sent comma-separated, in bulk sends too.
* Credits are the paid messages left (``messages_premium``); a premium plan with an end date
  and no message count is taken as unlimited.
* An answer to a USSD request is recognised by the code as its sender, on the phone that dialled
  it, after the request was made. A USSD answer the client never asked for keeps its own id.
* A phone's operator is shown as the detail of one SIM in slot 0, when the phone names it.
* The ids of received and of sent messages are separate sequences: a query by message id reads
  the sent ones, received ones are read with the ``received`` status.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.parser import BytesParser
from email.policy import HTTP
import hashlib
import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from .errors import (
    CapabilityNotSupportedError,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayResponseError,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookUnknownPhoneError,
)
from .gateway import (
    Capability,
    Gateway,
    MessageQuery,
    Routing,
    SendRequest,
    UssdQuery,
    WebhookRequest,
    WebhookResult,
)
from .models import (
    Account,
    DeliveryReport,
    InboundBatch,
    Message,
    MessageStatus,
    MessageType,
    Phone,
    Sim,
    UssdRequest,
)
from .transport import Transport
from .values import (
    EARLIEST,
    MAX_ID,
    as_datetime,
    as_dicts,
    as_flag,
    as_float,
    as_id,
    as_int,
    as_text,
    header,
)

DEFAULT_URL: Final = "https://semysms.net/api/3"
DEFAULT_TIMEOUT: Final = 30.0

# Config keys read by from_config.
CONF_API_KEY: Final = "api_key"  # the account's token
CONF_URL: Final = "url"  # optional: another base URL (a proxy, the tests' simulator)
CONF_TIMEZONE: Final = "timezone"  # optional: IANA name of the zone of the service's dates
CONF_USER_ID: Final = "user_id"  # optional: the account's id, once known (user.php)
CONF_PHONE_IDS: Final = "phone_ids"  # optional: the account's phones, before phones() is read

USSD_TEXT: Final = "[ussd]"
PRIORITY: Final = "1"
ACTIVE_PHONES: Final = "active"
FORM: Final = "application/x-www-form-urlencoded"
MAX_TEXT: Final = 10_000  # characters of one message text
MAX_CREDITS: Final = 1e15
USSD_LOOKBACK: Final = timedelta(days=2)  # how far back earlier answers to a code are looked for
USSD_WAIT: Final = timedelta(minutes=10)  # a request older than this is not read back any more
MAX_REMEMBERED: Final = 200  # USSD requests and answers kept to match answers to requests

_STATUS_FIELDS = frozenset({"is_send", "is_delivered", "send_date", "delivered_date"})
# Starts with * or #, ends with #, holds at least one digit: *100#, *123*1#, #123#.
_USSD_CODE = re.compile(r"[*#][0-9*#]*[0-9][0-9*#]*#")
_TOKEN_WORDS = re.compile(r"token|токен", re.IGNORECASE)
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def is_ussd_code(value: str) -> bool:
    """Return True when ``value`` is a USSD code (the sender of a USSD answer)."""
    return _USSD_CODE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class _Dialled:
    """A USSD request sent by this client, waiting for (or matched with) its answer."""

    request: UssdRequest
    after_id: int  # the answer is an incoming message with a higher id


class SemySmsClient(Gateway):
    """Asynchronous client of one SemySMS account."""

    capabilities = frozenset(
        {
            Capability.PHONES,
            Capability.PRIORITY,
            Capability.SPREAD,
            Capability.CREDITS,
            Capability.BATTERY,
            Capability.LAST_SEEN,
            Capability.READ,
            Capability.USSD,
            Capability.INBOUND_WEBHOOK,
            Capability.INBOUND_POLL,
            Capability.STATUS_WEBHOOK,
            Capability.STATUS_POLL,
            Capability.CANCEL,
        }
    )
    webhook_methods = frozenset({"POST"})
    ussd_sends_sms = True  # an SMS to the code, whose text is USSD_TEXT

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        url: str = DEFAULT_URL,
        timeout: float = DEFAULT_TIMEOUT,
        server_timezone: tzinfo = UTC,
        user_id: str | None = None,
        phone_ids: Iterable[str] = (),
    ) -> None:
        """Create a client.

        ``phone_ids`` are the account's phones as last known: webhooks naming them are accepted
        before ``phones()`` has been read. ``user_id`` makes ``account_id`` the account's from
        the start, instead of after ``account()``.
        """
        self._transport = Transport(session, "SemySMS", timeout=timeout)
        self._token = token
        self._base_url = normalize_url(url)
        self._zone = server_timezone
        self._user_id = user_id
        self._phone_ids = frozenset(phone_ids)
        self._sending_ids: tuple[str, ...] | None = None  # phones that may send, once read
        self._inbox_mark: int | None = None
        self._dialled: OrderedDict[str, _Dialled] = OrderedDict()
        self._answers: OrderedDict[str, UssdRequest] = OrderedDict()  # by incoming message id

    def __repr__(self) -> str:
        """Name the account, never the token."""
        return f"<SemySmsClient {self.account_id}>"

    @property
    def account_id(self) -> str:
        """Return the base URL + the account's id, or a digest of the token until it is known."""
        if self._user_id is not None:
            return f"{self._base_url}#user-{self._user_id}"
        return f"{self._base_url}#{hashlib.sha256(self._token.encode()).hexdigest()[:16]}"

    @property
    def user_id(self) -> str | None:
        """Return the account's id, once ``account()`` has read it (or it was given)."""
        return self._user_id

    @property
    def phone_ids(self) -> frozenset[str]:
        """Return the ids of the phones whose webhooks are accepted."""
        return self._phone_ids

    # -- account and phones -------------------------------------------------------------

    async def account(self) -> Account:
        """Return the paid messages left; the account's id is kept for ``account_id``."""
        data = await self._call("user.php", {})
        if (user_id := as_id(data.get("id_user"))) is not None:
            self._user_id = user_id
        credits = as_float(data.get("messages_premium"), MAX_CREDITS)
        if credits is None and data.get("date_end_premium"):
            return Account(credits=None, unlimited=True)
        return Account(credits=credits)

    async def phones(self) -> list[Phone]:
        """Return the account's phones that are not archived; webhooks are accepted from them."""
        data = await self._call("devices.php", {"is_arhive": "0"})
        phones = [phone for item in as_dicts(data.get("data")) if (phone := self._phone(item))]
        self._phone_ids = frozenset(phone.id for phone in phones)
        self._sending_ids = tuple(
            phone.id for phone in phones if phone.sending_enabled is not False
        )
        return phones

    # -- messages -----------------------------------------------------------------------

    async def send(self, request: SendRequest) -> list[Message]:
        """Send in one request: ``sms.php`` for one recipient, ``sms_more.php`` for more."""
        if request.mms:
            raise CapabilityNotSupportedError("The provider does not offer mms")
        if request.schedule is not None:
            raise CapabilityNotSupportedError("The provider does not offer schedule")
        if any(sender.sim_slot is not None for sender in request.senders):
            raise CapabilityNotSupportedError("The provider does not offer sim_select")
        if request.routing is Routing.ALL_SIMS:
            raise CapabilityNotSupportedError("The provider cannot send through every SIM")
        if request.routing is Routing.ALL_PHONES:
            if self._sending_ids is None:
                await self.phones()
            if not self._sending_ids:
                raise GatewayApiError("No phone of the account may send")
            pairs = [
                (number, phone_id)
                for number in request.recipients
                for phone_id in self._sending_ids
            ]
            return await self._send_more(request, pairs)
        device = _device(request)
        if len(request.recipients) == 1:
            return [await self._send_one(request, request.recipients[0], device)]
        return await self._send_more(request, [(number, device) for number in request.recipients])

    async def _send_one(self, request: SendRequest, number: str, device: str) -> Message:
        params = {"device": device, "phone": number, "msg": request.text}
        if request.prioritize:
            params["priority"] = PRIORITY
        data = await self._call("sms.php", params)
        if (message_id := as_id(data.get("id"))) is None:
            raise GatewayResponseError("The service's answer has no message id")
        phone_id = as_id(data.get("id_device")) or (device if device.isdecimal() else None)
        return _accepted(message_id, number, request, phone_id)

    async def _send_more(self, request: SendRequest, pairs: list[tuple[str, str]]) -> list[Message]:
        entries = []
        for position, (number, device) in enumerate(pairs):
            entry = {"my_id": str(position), "device": device, "phone": number, "msg": request.text}
            if request.prioritize:
                entry["priority"] = PRIORITY
            entries.append(entry)
        data = await self._call("sms_more.php", {"data": entries}, as_json=True)
        rows = as_dicts(data.get("data"))
        if len(rows) != len(entries):
            raise GatewayResponseError(
                f"The service answered {len(rows)} message ids for {len(entries)} messages"
            )
        messages = []
        for position, row in enumerate(rows):
            # Matched by the echoed reference; the answer's order is the fallback.
            echoed = as_int(row.get("my_id"), 0, len(entries) - 1)
            number, device = pairs[position if echoed is None else echoed]
            if (message_id := as_id(row.get("id"))) is None:
                raise GatewayResponseError("The service's answer lacks a message id")
            phone_id = as_id(row.get("id_device")) or (device if device.isdecimal() else None)
            messages.append(_accepted(message_id, number, request, phone_id))
        return messages

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the matching messages: sent ones from the outbox, received ones from the inbox.

        Without an id or a start the service answers only today's messages.
        """
        if query.group_id is not None or query.sim_slot is not None:
            return []  # the service has neither send groups nor SIM slots
        params = _compact(
            {
                "list_id": query.message_id,
                "device": query.phone_id,
                "date_start": self._format(query.start) if query.start else None,
                "date_end": self._format(query.end) if query.end else None,
            }
        )
        found: list[Message] = []
        received = query.status is MessageStatus.RECEIVED
        if received or (query.status is None and query.message_id is None):
            data = await self._call("inbox_sms.php", params)
            found += [
                message
                for item in as_dicts(data.get("data"))
                if (message := self._inbox_message(item)) and not is_ussd_code(message.number)
            ]
        if not received:
            data = await self._call("outbox_sms.php", params)
            found += [
                message
                for item in as_dicts(data.get("data"))
                if (message := self._outbox_message(item))
            ]
        return [
            message
            for message in found
            if (query.status is None or message.status is query.status)
            and (query.message_id is None or message.id == query.message_id)
            and (query.phone_id is None or message.phone_id == query.phone_id)
        ]

    async def cancel(self, message_id: str) -> None:
        """Withdraw a message the service has not handed to its phone yet.

        The service answers alike whether or not it could: read the message back to know.
        """
        await self._call("cancel_sms.php", {"id_sms": message_id})

    def sequence(self, message: Message) -> int | None:
        """Return a sent message's id as a number: the service numbers them in order."""
        if message.status is MessageStatus.RECEIVED or not message.id.isdecimal():
            return None
        return int(message.id)

    # -- incoming -----------------------------------------------------------------------

    async def poll_inbound(self, since: datetime) -> InboundBatch:
        """Return what came in after the last message seen, or since ``since`` on the first poll."""
        if self._inbox_mark is None:
            params = {"date_start": self._format(since)}
        else:
            params = {"start_id": str(self._inbox_mark + 1)}
        data = await self._call("inbox_sms.php", params)
        rows = sorted(
            (row for item in as_dicts(data.get("data")) if (row := _inbox_row(item))),
            key=lambda row: int(row["id"]),
        )
        if rows:
            self._inbox_mark = max(self._inbox_mark or 0, int(rows[-1]["id"]))
        return self._batch(rows)

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Read an incoming message or a delivery state posted by one of the account's phones.

        Nothing signs it: a request is refused unless it names one of the account's phones.
        """
        fields = _webhook_fields(request)
        phone_id = as_id(fields.get("id_device"))
        if phone_id is None or phone_id not in self._phone_ids:
            raise WebhookUnknownPhoneError(
                "The request names none of the account's phones", phone_id
            )
        if (message_id := as_id(fields.get("id"))) is None:
            raise WebhookPayloadError(f"The request has no valid 'id' (0 to {MAX_ID})")
        if _STATUS_FIELDS & fields.keys():
            report = self._report(message_id, phone_id, fields)
            return WebhookResult(InboundBatch(delivery_reports=(report,) if report else ()))
        number, text = fields.get("phone"), fields.get("msg")
        if not number or text is None:
            raise WebhookPayloadError("The request lacks its 'phone' or 'msg'")
        if len(text) > MAX_TEXT:
            raise WebhookPayloadTooLargeError(f"A message is longer than {MAX_TEXT} characters")
        row = {"id": message_id, "id_device": phone_id, "phone": number, "msg": text}
        row["date"] = fields.get("date", "")
        return WebhookResult(self._batch([row]))

    def _batch(self, rows: Iterable[Mapping[str, str]]) -> InboundBatch:
        """Split incoming rows into messages and answers to USSD requests."""
        messages: list[Message] = []
        answers: list[UssdRequest] = []
        for row in rows:
            if is_ussd_code(row["phone"]):
                answers.append(self._answer(row))
            elif (message := self._inbox_message(row)) is not None:
                messages.append(message)
        return InboundBatch(messages=tuple(messages), ussd_requests=tuple(answers))

    def _report(
        self, message_id: str, phone_id: str, fields: Mapping[str, str]
    ) -> DeliveryReport | None:
        # The furthest state first, in the same order as the outbox's flags are read.
        if as_flag(fields.get("is_delivered")):
            status, at = MessageStatus.DELIVERED, self._date(fields.get("delivered_date"))
        elif as_flag(fields.get("is_error")) or as_flag(fields.get("is_error_send")):
            status, at = MessageStatus.FAILED, self._date(fields.get("error_date"))
        elif as_flag(fields.get("is_send")):
            status, at = MessageStatus.SENT, self._date(fields.get("send_date"))
        else:
            return None
        return DeliveryReport(
            message_id=message_id,
            status=status,
            phone_id=phone_id,
            number=fields.get("phone") or None,
            at=at,
            failure_reason="error" if status is MessageStatus.FAILED else None,
        )

    # -- USSD ---------------------------------------------------------------------------

    async def send_ussd(
        self, phone_id: str, code: str, *, sim_slot: int | None = None
    ) -> UssdRequest:
        """Dial a USSD code on a phone; the answer comes in as a message from the code."""
        if sim_slot is not None:
            raise CapabilityNotSupportedError("The provider does not offer sim_select")
        earlier = await self._call(
            "inbox_sms.php",
            {
                "device": phone_id,
                "phone": code,
                "date_start": self._format(datetime.now(UTC) - USSD_LOOKBACK),
            },
        )
        after_id = max(
            (as_int(item.get("id"), 0, MAX_ID) or 0 for item in as_dicts(earlier.get("data"))),
            default=0,
        )
        data = await self._call("sms.php", {"device": phone_id, "phone": code, "msg": USSD_TEXT})
        if (request_id := as_id(data.get("id"))) is None:
            raise GatewayResponseError("The service's answer has no message id")
        request = UssdRequest(
            id=request_id, request=code, phone_id=phone_id, sent_at=datetime.now(UTC)
        )
        _remember(self._dialled, request_id, _Dialled(request, after_id))
        return request

    async def ussd_requests(self, query: UssdQuery) -> list[UssdRequest]:
        """Return the USSD requests this client sent that match, with their answers if in."""
        if query.sim_slot is not None:
            return []
        found = []
        for dialled in list(self._dialled.values()):
            request = dialled.request
            if (
                (query.ussd_id is not None and request.id != query.ussd_id)
                or (query.request is not None and request.request != query.request)
                or (query.phone_id is not None and request.phone_id != query.phone_id)
                or (query.start is not None and (request.sent_at or EARLIEST) < query.start)
                or (query.end is not None and (request.sent_at or EARLIEST) > query.end)
            ):
                continue
            answer = self._answered(request.id)
            if answer is None and (request.sent_at or EARLIEST) >= datetime.now(UTC) - USSD_WAIT:
                answer = await self._read_answer(dialled)
            found.append(answer or request)
        return found

    async def _read_answer(self, dialled: _Dialled) -> UssdRequest | None:
        request = dialled.request
        params = {
            "device": request.phone_id or "",
            "phone": request.request,
            "start_id": str(dialled.after_id + 1),
        }
        data = await self._call("inbox_sms.php", params)
        rows = sorted(
            (row for item in as_dicts(data.get("data")) if (row := _inbox_row(item))),
            key=lambda row: int(row["id"]),
        )
        for row in rows:
            if row["phone"] == request.request and row["id_device"] == request.phone_id:
                return self._answer(row)
        return None

    def _answered(self, request_id: str) -> UssdRequest | None:
        return next((a for a in self._answers.values() if a.id == request_id), None)

    def _answer(self, row: Mapping[str, str]) -> UssdRequest:
        """Return the USSD answer an incoming message is, the same each time it is read."""
        if (known := self._answers.get(row["id"])) is not None:
            return known
        answered_at = self._date(row.get("date")) or datetime.now(UTC)
        dialled = next(
            (
                item
                for item in self._dialled.values()
                if item.request.request == row["phone"]
                and item.request.phone_id == row["id_device"]
                and int(row["id"]) > item.after_id
                and self._answered(item.request.id) is None
            ),
            None,
        )
        if dialled is None:
            answer = UssdRequest(
                id=f"answer-{row['id']}",
                request=row["phone"],
                response=row["msg"],
                phone_id=row["id_device"],
                responded_at=answered_at,
            )
        else:
            answer = UssdRequest(
                id=dialled.request.id,
                request=dialled.request.request,
                response=row["msg"],
                phone_id=dialled.request.phone_id,
                sent_at=dialled.request.sent_at,
                responded_at=answered_at,
            )
        _remember(self._answers, row["id"], answer)
        return answer

    # -- parsing ------------------------------------------------------------------------

    def _phone(self, item: Mapping[str, Any]) -> Phone | None:
        if (phone_id := as_id(item.get("id"))) is None:
            return None
        operator = as_text(item.get("mobile_operator"))
        return Phone(
            id=phone_id,
            name=as_text(item.get("dop_name")),
            model=_model(as_text(item.get("manufacturer")), as_text(item.get("device_name"))),
            android_version=as_text(item.get("android_version")),
            app_version=as_text(item.get("version")),
            last_seen=self._date(item.get("date_last_active")),
            sims=(Sim(slot=0, label=f"SIM #1 [{operator}]", detail=operator),) if operator else (),
            battery=as_int(item.get("bat"), 0, 100),
            charging=as_flag(item.get("power")),
            sending_enabled=as_flag(item.get("is_work")),
        )

    def _outbox_message(self, item: Mapping[str, Any]) -> Message | None:
        if (message_id := as_id(item.get("id"))) is None:
            return None
        status = _outbox_status(item)
        return Message(
            id=message_id,
            number=as_text(item.get("phone")) or "",
            text=as_text(item.get("msg")) or "",
            status=status,
            phone_id=as_id(item.get("id_device")),
            type=_kind(item.get("type")),
            sent_at=self._date(item.get("send")) or self._date(item.get("date")),
            delivered_at=self._date(item.get("delivered")),
            failure_reason="error" if status is MessageStatus.FAILED else None,
        )

    def _inbox_message(self, item: Mapping[str, Any]) -> Message | None:
        if (message_id := as_id(item.get("id"))) is None:
            return None
        received_at = self._date(item.get("date"))
        return Message(
            id=message_id,
            number=as_text(item.get("phone")) or "",
            text=as_text(item.get("msg")) or "",
            status=MessageStatus.RECEIVED,
            phone_id=as_id(item.get("id_device")),
            type=_kind(item.get("type")),
            sent_at=received_at,
            delivered_at=received_at,
        )

    def _date(self, value: Any) -> datetime | None:
        """Read a date of the service, in its zone unless it carries an offset."""
        return as_datetime(value, self._zone)

    def _format(self, value: datetime) -> str:
        """Write a moment as the service's date filters take it, in its zone."""
        return value.astimezone(self._zone).strftime(_DATE_FORMAT)

    # -- transport ----------------------------------------------------------------------

    async def _call(
        self, script: str, params: Mapping[str, Any], *, as_json: bool = False
    ) -> dict[str, Any]:
        url = f"{self._base_url}/{script}"
        payload = {"token": self._token, **params}
        if as_json:
            answer = await self._transport.post(url, json=payload)
        else:
            answer = await self._transport.post(url, form=payload)
        return self._answer_data(answer.body)

    def _answer_data(self, body: str) -> dict[str, Any]:
        """Return the answer's object, mapping error codes to typed errors."""
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            kind = "an HTML page" if body.lstrip().startswith("<") else "something that is not JSON"
            raise GatewayResponseError(f"SemySMS answered {kind}") from None
        if not isinstance(document, dict):
            raise GatewayResponseError("SemySMS's answer is not a JSON object")
        code = document.get("code")
        error = as_text(document.get("error"))
        if code is None and error is None:
            return document  # the message lists carry no code
        if as_int(code, 0, 0) == 0:
            return document
        # Never echo the token, should the service quote the request.
        message = (error or "Unknown SemySMS error").replace(self._token, "***")
        if _TOKEN_WORDS.search(message):
            raise GatewayAuthenticationError(message)
        raise GatewayApiError(message, code=as_int(code, -(2**31), 2**31 - 1))


def from_config(session: aiohttp.ClientSession, config: Mapping[str, Any]) -> SemySmsClient:
    """Return a client configured from an entry's data (see the ``CONF_*`` keys)."""
    zone_name = config.get(CONF_TIMEZONE)
    try:
        zone: tzinfo = ZoneInfo(zone_name) if zone_name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    user_id = config.get(CONF_USER_ID)
    return SemySmsClient(
        session,
        config[CONF_API_KEY],
        url=config.get(CONF_URL) or DEFAULT_URL,
        server_timezone=zone,
        user_id=str(user_id) if user_id is not None else None,
        phone_ids=tuple(str(phone_id) for phone_id in config.get(CONF_PHONE_IDS) or ()),
    )


def normalize_url(url: str) -> str:
    """Return the API base URL, without a trailing slash or a pasted script name."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if path.endswith(".php"):
        path = path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


# -- helpers -------------------------------------------------------------------------------


def _device(request: SendRequest) -> str:
    """Return the ``device`` parameter: the named phones (the service spreads over a list),
    else one working phone the service picks.
    """
    if request.senders:
        return ",".join(sender.phone_id for sender in request.senders)
    return ACTIVE_PHONES


def _accepted(message_id: str, number: str, request: SendRequest, phone_id: str | None) -> Message:
    return Message(
        id=message_id,
        number=number,
        text=request.text,
        status=MessageStatus.PENDING,
        phone_id=phone_id,
        type=MessageType.SMS,
        prioritize=request.prioritize,
    )


def _outbox_status(item: Mapping[str, Any]) -> MessageStatus:
    """Return the state the outbox row's flags tell, the furthest first."""
    if as_flag(item.get("is_cancel")):
        return MessageStatus.CANCELED
    if as_flag(item.get("is_delivered")):
        return MessageStatus.DELIVERED
    if as_flag(item.get("is_error")) or as_flag(item.get("is_error_send")):
        return MessageStatus.FAILED
    if as_flag(item.get("is_send")):
        return MessageStatus.SENT
    if as_flag(item.get("is_send_to_phone")):
        return MessageStatus.QUEUED
    return MessageStatus.PENDING


def _kind(value: Any) -> MessageType | None:
    """Return SMS for type 0 or none given; WhatsApp and others are no type of ours."""
    return MessageType.SMS if value in (None, "") or as_int(value, 0, 0) == 0 else None


def _model(manufacturer: str | None, device_name: str | None) -> str | None:
    if not manufacturer or not device_name:
        return device_name or manufacturer
    if device_name.lower().startswith(manufacturer.lower()):
        return device_name
    return f"{manufacturer} {device_name}"


def _webhook_fields(request: WebhookRequest) -> dict[str, str]:
    """Return the posted fields as text: a form (the service's), JSON or multipart alike."""
    content_type = header(request.headers, "Content-Type") or FORM
    media_type = content_type.partition(";")[0].strip().lower()
    try:
        text = request.body.decode()
    except UnicodeDecodeError:
        raise WebhookPayloadError("body not UTF-8") from None
    if media_type == FORM:
        pairs = parse_qsl(text, keep_blank_values=True)
    elif media_type == "application/json":
        pairs = _json_pairs(text)
    elif media_type == "multipart/form-data":
        pairs = _multipart_pairs(content_type, request.body)
    else:
        raise WebhookMediaTypeError("not a form")
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise WebhookPayloadError(f"The field '{name}' is given twice")
        fields[name] = value
    return fields


def _json_pairs(text: str) -> list[tuple[str, str]]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise WebhookPayloadError("The body is not valid JSON") from None
    if not isinstance(document, dict):
        raise WebhookPayloadError("The body is not a JSON object")
    pairs = []
    for name, value in document.items():
        if (text_value := as_text(value)) is None and value not in ("", None):
            raise WebhookPayloadError(f"The field '{name}' is not text")
        pairs.append((name, text_value or ""))
    return pairs


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, str]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    document = BytesParser(policy=HTTP).parsebytes(head + body)
    if not document.is_multipart():
        raise WebhookPayloadError("The multipart body has no parts")
    pairs = []
    for part in document.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        # The body is UTF-8; a part it carries encoded (base64) may not be.
        pairs.append((name, payload.decode(errors="replace")))
    return pairs


def _inbox_row(item: Mapping[str, Any]) -> dict[str, str] | None:
    """Return an incoming message's fields as text, or None without an id and a sender."""
    message_id, number = as_id(item.get("id")), as_text(item.get("phone"))
    if message_id is None or number is None:
        return None
    return {
        "id": message_id,
        "id_device": as_id(item.get("id_device")) or "",
        "phone": number,
        "msg": as_text(item.get("msg")) or "",
        "date": as_text(item.get("date")) or "",
        "type": as_text(item.get("type")) or "",
    }


def _remember[T](store: OrderedDict[str, T], key: str, value: T) -> None:
    store[key] = value
    while len(store) > MAX_REMEMBERED:
        store.popitem(last=False)


def _compact(values: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}
