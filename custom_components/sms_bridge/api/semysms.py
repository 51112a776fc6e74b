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
* ``sms_more.php``: the vendor's sample answer writes ``data`` without quotes, which is not
  JSON. Names without quotes are read as names, in any answer; nothing else is forgiven.
* Webhooks are taken as POST forms, JSON objects or multipart forms alike, of at most
  ``MAX_FIELDS`` fields (a multipart part may not be multipart itself), and refused as not
  the account's before anything but ``id_device`` is read. A request carrying a delivery flag
  or date is a delivery state, any other an incoming message. A state's dates are read under
  the outbox's names (``send``, ``delivered``, ``error_date``) or ``send_date`` and
  ``delivered_date``. A state with neither flag set reports nothing, unless an ``is_error``
  flag says the message failed.
* WhatsApp messages (``type`` 1 and 2) and messages created outside the service (``is_out``)
  are no SMS of ours: they are neither listed nor brought in. A row or a webhook without a
  ``type`` is an SMS.
* ``cancel_sms.php`` takes the ``device`` whose messages not yet handed to it are all
  withdrawn, and nothing naming one message. A message is withdrawn only when no other message
  of its phone waits in the outbox of the last ``CANCEL_LOOKBACK``; else the cancel is refused.
  A message queued through that phone between the check and the cancel is withdrawn too.
* ``priority`` is sent as 1 to put a message ahead of those without one; ``active`` lets the
  service pick one of the working phones (used when no phone is named, and for a random one);
  a list of phones is sent comma-separated, in bulk sends too. Spreading over every phone takes
  the phones that may send in turn, one message per recipient.
* Credits are the paid messages left (``messages_premium``); a premium plan with an end date
  and no message count is taken as unlimited.
* An answer to a USSD request is recognised by the code as its sender, on the phone that dialled
  it, after the request was made: it answers the latest such request not answered by another
  message. A USSD answer the client never asked for keeps its own id. Either way its
  ``response_id`` is the received message's id. A webhook changes nothing in the client: only
  what the client reads itself (polling, reading a request back) is kept.
* A phone's operator is shown as the detail of one SIM in slot 0, when the phone names it.
* The ids of received and of sent messages are separate sequences: a query by message id reads
  the sent ones, received ones are read with the ``received`` status.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
import hashlib
import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from .errors import (
    CancelNotExactError,
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
from .text import quoted
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
MAX_FIELDS: Final = 32  # fields of one webhook request: the service posts about ten
MAX_HEADER: Final = 1000  # characters of a header of a multipart part
CANCEL_LOOKBACK: Final = timedelta(days=7)  # how far back other waiting messages are looked for

_STATUS_FIELDS = frozenset(
    {
        "is_send",
        "is_delivered",
        "is_error",
        "is_error_send",
        "send",
        "send_date",
        "delivered",
        "delivered_date",
        "error_date",
    }
)
_SMS_TYPE: Final = 0  # the rows' type: 1 and 2 are WhatsApp and WhatsApp Business
# Starts with * or #, ends with #, holds at least one digit: *100#, *123*1#, #123#.
_USSD_CODE = re.compile(r"[*#][0-9*#]*[0-9][0-9*#]*#")
_TOKEN_WORDS = re.compile(r"token|токен", re.IGNORECASE)
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# A parameter of a header: ; name=value or ; name="value"
_PARAMETER = re.compile(
    r';\s*(?P<name>[^=;\s]+)\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^;\s]*))'
)
# A JSON text (skipped whole), or a name without quotes where an object's name goes.
_BARE_NAME = re.compile(r'"(?:[^"\\]|\\.)*"|([{,]\s*)([A-Za-z_$][\w$]*)(\s*:)')


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
        self._next_sender = 0  # where spreading over the phones goes on
        self._inbox_mark: int | None = None
        self._dialled: OrderedDict[str, _Dialled] = OrderedDict()
        # The answers read (never those posted), by the id of the request they answer.
        self._answers: OrderedDict[str, UssdRequest] = OrderedDict()

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
            pairs = await self._spread(request.recipients)
        else:
            device = _device(request)
            pairs = [(number, device) for number in request.recipients]
        if len(pairs) == 1:
            return [await self._send_one(request, *pairs[0])]
        return await self._send_more(request, pairs)

    async def _spread(self, recipients: tuple[str, ...]) -> list[tuple[str, str]]:
        """Give each recipient one of the phones that may send, in turn (one message each)."""
        if self._sending_ids is None:
            await self.phones()
        phones = self._sending_ids
        if not phones:
            raise GatewayApiError("No phone of the account may send")
        first = self._next_sender
        self._next_sender = (first + len(recipients)) % len(phones)
        return [
            (number, phones[(first + position) % len(phones)])
            for position, number in enumerate(recipients)
        ]

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
                if _is_sms(item)
                and (message := self._inbox_message(item))
                and not is_ussd_code(message.number)
            ]
        if not received:
            data = await self._call("outbox_sms.php", params)
            found += [
                message
                for item in as_dicts(data.get("data"))
                if _is_sms(item)
                and not as_flag(item.get("is_out"))
                and (message := self._outbox_message(item))
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

        The service withdraws every waiting message of a phone at once: the cancel is made only
        when no other message of that phone waits, else ``CancelNotExactError`` is raised and
        nothing is withdrawn. A message that is not waiting (on its phone already, or unknown)
        is left as it is. The service answers alike whether or not it could: read it back.
        """
        data = await self._call("outbox_sms.php", {"list_id": message_id})
        row = next(
            (item for item in as_dicts(data.get("data")) if as_id(item.get("id")) == message_id),
            None,
        )
        if row is None or not _is_waiting(row):
            return
        if (phone_id := as_id(row.get("id_device"))) is None:
            raise CapabilityNotSupportedError("The service does not say whose message it is")
        since = datetime.now(UTC) - CANCEL_LOOKBACK
        data = await self._call(
            "outbox_sms.php", {"device": phone_id, "date_start": self._format(since)}
        )
        others = {
            item_id
            for item in as_dicts(data.get("data"))
            if (item_id := as_id(item.get("id"))) != message_id
            and as_id(item.get("id_device")) == phone_id
            and _is_waiting(item)
        }
        if others:
            raise CancelNotExactError(phone_id, len(others))
        await self._call("cancel_sms.php", {"device": phone_id})

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
        return self._batch(rows, keep=True)

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Read an incoming message or a delivery state posted by one of the account's phones.

        Nothing signs it: a request is refused unless it names one of the account's phones,
        which is checked before the rest of it is read. It changes nothing in the client: the
        caller may discard what it brings.
        """
        pairs = _webhook_pairs(request)
        named = [value for name, value in pairs if name == "id_device"]
        phone_id = as_id(_field_text(named[0])) if len(named) == 1 else None
        if phone_id is None or phone_id not in self._phone_ids:
            raise WebhookUnknownPhoneError(
                "The request names none of the account's phones", phone_id
            )
        fields = _field_texts(pairs)
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
        row["type"] = fields.get("type", "")
        return WebhookResult(self._batch([row], keep=False))

    def _batch(self, rows: Iterable[Mapping[str, str]], *, keep: bool) -> InboundBatch:
        """Split incoming SMS into messages and answers to USSD requests (``keep``: see _answer)."""
        messages: list[Message] = []
        answers: list[UssdRequest] = []
        for row in rows:
            if not _is_sms(row):
                continue  # WhatsApp
            if is_ussd_code(row["phone"]):
                answers.append(self._answer(row, keep=keep))
            elif (message := self._inbox_message(row)) is not None:
                messages.append(message)
        return InboundBatch(messages=tuple(messages), ussd_requests=tuple(answers))

    def _report(
        self, message_id: str, phone_id: str, fields: Mapping[str, str]
    ) -> DeliveryReport | None:
        # The furthest state first, in the same order as the outbox's flags are read.
        # Dates under the outbox's names or the other ones seen (send_date, delivered_date).
        names: tuple[str, ...]
        if as_flag(fields.get("is_delivered")):
            status, names = MessageStatus.DELIVERED, ("delivered", "delivered_date")
        elif as_flag(fields.get("is_error")) or as_flag(fields.get("is_error_send")):
            status, names = MessageStatus.FAILED, ("error_date",)
        elif as_flag(fields.get("is_send")):
            status, names = MessageStatus.SENT, ("send", "send_date")
        else:
            return None
        at = next((date for name in names if (date := self._date(fields.get(name)))), None)
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
            if (
                _is_sms(row)
                and row["phone"] == request.request
                and row["id_device"] == request.phone_id
                and self._dialled_before(row) is dialled
            ):
                return self._answer(row, keep=True)
        return None

    def _answered(self, request_id: str) -> UssdRequest | None:
        return self._answers.get(request_id)

    def _dialled_before(self, row: Mapping[str, str]) -> _Dialled | None:
        """Return the request an incoming message from a code answers, if one of ours.

        The latest request of that code on that phone made before the message came, unless
        another message answered it already.
        """
        row_id = int(row["id"])
        for item in reversed(self._dialled.values()):
            request = item.request
            if request.request != row["phone"] or request.phone_id != row["id_device"]:
                continue
            if row_id <= item.after_id:
                continue
            known = self._answers.get(request.id)
            if known is None or known.response_id == row["id"]:
                return item
        return None

    def _answer(self, row: Mapping[str, str], *, keep: bool) -> UssdRequest:
        """Return the USSD answer an incoming message is, the same each time it is read.

        ``keep`` records it as its request's answer: only for what the client read itself,
        never for what a webhook posted (which the caller may discard, or may be forged).
        """
        answered_at = self._date(row.get("date")) or datetime.now(UTC)
        dialled = self._dialled_before(row)
        if dialled is None:
            return UssdRequest(
                id=f"answer-{row['id']}",
                request=row["phone"],
                response=row["msg"],
                phone_id=row["id_device"],
                responded_at=answered_at,
                response_id=row["id"],
            )
        answer = UssdRequest(
            id=dialled.request.id,
            request=dialled.request.request,
            response=row["msg"],
            phone_id=dialled.request.phone_id,
            sent_at=dialled.request.sent_at,
            responded_at=answered_at,
            response_id=row["id"],
        )
        if keep:
            _remember(self._answers, answer.id, answer)
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
            document = _json(body)
        except ValueError:
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


def _json(body: str) -> Any:
    """Return an answer's JSON, its names read even without quotes (the vendor's sample).

    Raises ValueError when it is not JSON even so.
    """
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        pass
    text = _BARE_NAME.sub(
        lambda match: match[0] if match[2] is None else f'{match[1]}"{match[2]}"{match[3]}', body
    )
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deep") from None


def _is_sms(row: Mapping[str, Any]) -> bool:
    """Return True for an SMS row: type 0, or no type given (WhatsApp is 1 and 2)."""
    kind = row.get("type")
    return kind in (None, "") or as_int(kind, _SMS_TYPE, _SMS_TYPE) is not None


def _is_waiting(row: Mapping[str, Any]) -> bool:
    """Return True for an outbox row not handed to its phone yet (what a cancel withdraws)."""
    return _outbox_status(row) is MessageStatus.PENDING


type _Value = str | bytes | int | float | bool | list[Any] | dict[str, Any] | None


def _webhook_pairs(request: WebhookRequest) -> list[tuple[str, _Value]]:
    """Return the posted fields, their values not read yet: a form (the service's), JSON or
    multipart alike, of at most MAX_FIELDS fields, counted before they are parsed.
    """
    content_type = header(request.headers, "Content-Type") or FORM
    media_type = content_type.partition(";")[0].strip().lower()
    body = request.body
    too_many = WebhookPayloadTooLargeError(f"The request has more than {MAX_FIELDS} fields")
    if media_type == FORM:
        if body.count(b"&") >= MAX_FIELDS:
            raise too_many
        return [
            (name.decode(errors="replace"), value)
            for name, value in parse_qsl(body, keep_blank_values=True)
        ]
    if media_type == "multipart/form-data":
        return _multipart_pairs(content_type, body)
    if media_type != "application/json":
        raise WebhookMediaTypeError("not a form")
    try:
        document = json.loads(body.decode())
    except UnicodeDecodeError:
        raise WebhookPayloadError("body not UTF-8") from None
    except (ValueError, RecursionError):
        raise WebhookPayloadError("The body is not valid JSON") from None
    if not isinstance(document, dict):
        raise WebhookPayloadError("The body is not a JSON object")
    if len(document) > MAX_FIELDS:
        raise too_many
    return list(document.items())


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, _Value]]:
    """Split a multipart form into its named parts; a part that is multipart is refused.

    Only what a form carries is read: each part's headers and text, nothing nested, no
    transfer encoding.
    """
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise WebhookPayloadError("The multipart body has no boundary")
    delimiter = b"\r\n--" + boundary.encode(errors="replace")
    body = b"\r\n" + body  # the first delimiter may open the body
    if body.count(delimiter) > MAX_FIELDS + 1:
        raise WebhookPayloadTooLargeError(f"The request has more than {MAX_FIELDS} fields")
    pairs: list[tuple[str, _Value]] = []
    for section in body.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break  # the closing delimiter
        _, _, part = section.partition(b"\r\n")  # the rest of the delimiter's line
        if part.startswith(b"\r\n"):  # a part without headers
            head, value = b"", part[2:]
        else:
            head, _, value = part.partition(b"\r\n\r\n")
        headers = _part_headers(head)
        if headers.get("content-type", "").strip().lower().startswith("multipart/"):
            raise WebhookPayloadError("A part of the multipart body is nested multipart")
        name = _header_param(headers.get("content-disposition", ""), "name")
        if name is not None:
            pairs.append((name, value))
    if not pairs:
        raise WebhookPayloadError("The multipart body has no parts")
    return pairs


def _part_headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode(errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


def _header_param(value: str, name: str) -> str | None:
    """Return a parameter of a header value (``boundary``, ``name``), else None."""
    if len(value) > MAX_HEADER:
        raise WebhookPayloadError("A header of the multipart body is too long")
    for match in _PARAMETER.finditer(value):
        if match["name"].lower() == name:
            if match["quoted"] is not None:
                return re.sub(r"\\(.)", r"\1", match["quoted"])
            return match["token"]
    return None


def _field_text(value: _Value) -> str | None:
    """Return a field's value as text (UTF-8 when posted as bytes), else None."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    if value in ("", None):
        return ""
    return as_text(value)


def _field_texts(pairs: list[tuple[str, _Value]]) -> dict[str, str]:
    """Return the fields as text, each given once."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise WebhookPayloadError(f"The field {quoted(name)} is given twice")
        if (text := _field_text(value)) is None:
            kind = "not UTF-8" if isinstance(value, bytes) else "not text"
            raise WebhookPayloadError(f"The field {quoted(name)} is {kind}")
        fields[name] = text
    return fields


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
