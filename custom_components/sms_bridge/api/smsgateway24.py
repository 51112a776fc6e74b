"""Client for SmsGateway24 (smsgateway24.com), a hosted service sending through the user's phones.

Every method is ``<base>/getdata/<method>``; the service takes GET and POST (query string,
URL-encoded or multipart form) and answers JSON carrying ``error`` (0 or 1) and ``message``.
The account's e-mail and password are exchanged for a token (``gettoken``) that every other
method takes. The client keeps the token; when the service refuses it, it gets a new one once
and repeats the request, then gives up with ``GatewayAuthenticationError``. Only a refusal is
repeated: the service turned the request away before doing anything, so a send is never made
twice. ``token`` exposes the current token so that the caller may store it and hand it back
(``CONF_TOKEN``).

Messages are numbered by the service (``sms_id``), and every send carries a ``customerid`` the
client draws at random: it is the message's ``group_id``. ``addalotofsms`` (many recipients in
one request) answers no ids, so the client reads the messages of that ``customerid`` back with
``getallsms`` right after saving them, and the delivery tracker reads a whole send back with
one ``getallsms`` per ``customerid`` too.

Webhooks are configured per phone on the service's website: one for incoming messages, one for
delivery states, both JSON bodies. Neither is signed: the webhook URL is the only secret, and a
request is accepted only when its ``device_id`` is one of the account's phones (read by
``phones()``, or handed over with ``phone_ids``).

Unconfirmed
-----------
Decisions on what the service's documentation does not say:

* Which error texts mean a refused token. Requests made with a token are answered "Login or
  password incorrect" when it is not accepted; a text that says the token itself is invalid,
  wrong, expired, unknown or missing ("Token is expired", "Invalid token"), "Unauthorized", and
  HTTP 401 or 403 without the API's object are taken as refusals too, and renew the token. Any
  other ``error: 1`` answer, even one that mentions a password or an authorisation, is a
  ``GatewayApiError`` with the service's text and code 1, never repeated. A ``gettoken`` error
  that mentions the login, the password, the e-mail address, the user or authorisation is a
  ``GatewayAuthenticationError``.
* How ``gettoken`` is called: its page says GET, public clients post a form.
  The client posts (the password stays out of URLs and server logs) and, when the POST is
  answered HTTP 405 (method not allowed), asks again with the documented GET, and keeps to GET.
* Whether ``addsms`` makes one message or several of a comma-separated ``sendto``: the client
  sends one recipient with ``addsms`` and several with ``addalotofsms``, never a comma list.
* Whether the service creates the messages of ``addalotofsms`` before it answers: the client
  reads them back at once, and reports a send it cannot read back as an answer it could not
  read (``GatewayResponseError``, or ``GatewayConnectionError`` with ``request_sent``), so that
  a caller looks for the messages before sending again.
* Whether message ids grow in the order the messages are made: the documented examples do, and
  ``sequence`` relies on it.
* Which time zone ``timetosend``, ``begindate``/``enddate`` and the dates of webhook bodies are
  in: the client writes and reads naive dates in its ``time_zone`` (UTC unless configured),
  asks ``getallsms`` for that zone, widens the dates it asks for by a day and filters the
  answer itself on the dates the service returns with their zone.
* The format of the webhook dates: text (with or without an offset), a PHP date object, or a
  Unix time in seconds or milliseconds are all read. Webhook bodies are read as JSON; a
  URL-encoded form with the same fields is read too.
* Whether ``savecontact`` reads the tag as ``ctag_id`` (its documentation) or ``tag_id`` (the
  vendor's own clients): both are sent. The contact's name is required: the number stands in
  for a missing name. The service has no way to remove a contact from a tag, so
  ``unsubscribe_contact`` is refused.
* A newsletter (``savepaket``, behind ``send_to_list``) may wait for someone to start it on the
  phone, and answers no message ids: ``send_to_list`` returns no messages.
* Status 4 is not documented: any status outside the documented table is ``UNKNOWN``.
* The ``getallsms`` rows of the page carry no SIM slot. A row's ``sim`` is read when there is
  one; else a message read with a SIM filter is on that SIM (the service filtered it), one read
  back after a send is on the SIM it was sent from, and any other's SIM is unknown. A row is
  only filtered out here on what it says, never on a field it lacks.
* ``getdevicestatus`` (whether a phone is online) is not on the page. ``phones()`` asks it for
  each phone, without renewing the token for it; whatever goes wrong (HTTP 404, 500, an HTML
  page, an error object, a timeout), the phone keeps what ``getalldevices`` said and its online
  state is unknown, with one warning for the client's life. After an HTTP 404 it is not asked
  again. The service documents no battery level.
* Zone names of PHP dates (``{"date": ..., "timezone": "Europe/Paris"}``) are looked up in the
  system's list of zones (`zones.ZONES`), read once in the loop's executor, never opened as
  files by name; a name outside the list makes the date unknown. The zones a request's answer
  names are loaded before it is read; a webhook cannot wait, so a zone no answer has named yet
  makes its date unknown while it loads in the background. ``time_zone`` is loaded the same way
  before the first request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
import hashlib
import json
import logging
import re
import secrets
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp

from .errors import (
    CapabilityNotSupportedError,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayConnectionError,
    GatewayResponseError,
    InvalidQueryError,
    SmsBridgeError,
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
    Sender,
    SendRequest,
    TrackedMessage,
    WebhookRequest,
    WebhookResult,
)
from .models import (
    Contact,
    DeliveryReport,
    InboundBatch,
    Message,
    MessageStatus,
    MessageType,
    Phone,
    Sim,
    id_order,
)
from .text import quoted
from .transport import HttpAnswer, Transport
from .values import (
    EARLIEST,
    LATEST,
    MAX_ID,
    as_datetime,
    as_dicts,
    as_flag,
    as_id,
    as_int,
    as_text,
    header,
)
from .zones import ZONES, ZoneTable

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://smsgateway24.com"
DEFAULT_TIMEOUT: Final = 30.0

# Config keys read by ``from_config``.
CONF_EMAIL: Final = "email"
CONF_PASSWORD: Final = "password"  # noqa: S105 - the key's name, not a password
CONF_TOKEN: Final = "token"  # noqa: S105 - the key's name, not a token
CONF_URL: Final = "url"  # optional: another server than smsgateway24.com
CONF_DEVICE_ID: Final = "device_id"  # optional: the phone sending when a request names none
CONF_TIME_ZONE: Final = "time_zone"  # optional: the zone of the account's dates (default UTC)
CONF_PHONE_IDS: Final = "phone_ids"  # optional: the account's phones known before phones()

MAX_BATCH: Final = 500  # items in one webhook request
MAX_TEXT: Final = 10_000  # characters of one message text
MAX_DEPTH: Final = 32  # nesting of JSON arrays and objects
MAX_SIM_SLOT: Final = 255
# How far the service's reading of a date may be off when it reads it in another zone than ours.
DATE_SLACK: Final = timedelta(days=1)
# customerid values the client draws: nine or ten digits, within a signed 32-bit integer.
CUSTOMER_ID_LOW: Final = 100_000_000
CUSTOMER_ID_HIGH: Final = 2**31 - 1

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_PAKET_DATE_FORMAT = "%d.%m.%Y %H:%M:%S"
_JSON_TYPES = frozenset({"application/json", "text/json", "text/plain", ""})
_FORM = "application/x-www-form-urlencoded"
_TOKEN_REFUSALS = frozenset({401, 403})
_NOT_FOUND = 404
_METHOD_NOT_ALLOWED = 405
# Answers that refuse a request's token: the request was turned away before anything was done.
_REFUSED_TOKEN = re.compile(
    r"^\W*(?:login or password (?:is )?incorrect|incorrect login or password)\W*$"
    r"|^\W*(?:unauthori[sz]ed|unauthenticated|not authenticated)\W*$"
    r"|\b(?:invalid|incorrect|wrong|bad|unknown|expired|missing|empty|no)\W+(?:api\W+)?token\b"
    r"|\btoken\W+(?:(?:is|has|was|been)\W+){0,2}"
    r"(?:invalid|incorrect|wrong|expired|unknown|missing|required|empty|not\W+(?:valid|found))\b",
    re.IGNORECASE,
)
# Answers of gettoken that refuse the e-mail address and password (nothing to repeat there).
_REFUSED_LOGIN = re.compile(r"token|login|auth|password|e-?mail|user|credential", re.IGNORECASE)
# Zone names as the time zone database writes them ("America/Argentina/Buenos_Aires").
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,29}(?:/[A-Za-z0-9_+-]{1,30}){0,3}")


class _TokenRefusedError(Exception):
    """The service refused the credentials of a request (never leaves this module)."""


class _HttpStatusError(GatewayResponseError):
    """An answer whose HTTP status is not the API's, not carrying the API's object."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# -- the status table ------------------------------------------------------------------------

# Status numbers do not grow along a message's life (1, 3, 2, then 6…): each maps on its own.
_STATUSES: Final[dict[int, tuple[MessageStatus, str]]] = {
    1: (MessageStatus.PENDING, "New"),
    2: (MessageStatus.QUEUED, "Taken by the phone"),
    3: (MessageStatus.QUEUED, "Waiting to be sent"),
    5: (MessageStatus.RECEIVED, "Incoming"),
    6: (MessageStatus.SENT, "Sent by the phone"),
    7: (MessageStatus.DELIVERED, "Delivered"),
    8: (MessageStatus.FAILED, "Not delivered"),
    9: (MessageStatus.FAILED, "Not sent: generic failure"),
    10: (MessageStatus.FAILED, "Not sent: no service"),
    11: (MessageStatus.FAILED, "Not sent: null PDU"),
    12: (MessageStatus.FAILED, "Not sent: radio off"),
    100: (MessageStatus.FAILED, "Not sent: the app is not allowed to send SMS"),
    101: (MessageStatus.FAILED, "Not sent: the app is not allowed to send SMS"),
}
RECEIVED_STATUS: Final = 5
_WIRE_STATUSES: Final[dict[MessageStatus, tuple[int, ...]]] = {
    status: tuple(code for code, (mapped, _) in _STATUSES.items() if mapped is status)
    for status in MessageStatus
}
_WIRE_STATUSES[MessageStatus.SCHEDULED] = (1,)  # new, with a time to send still to come


def message_status(code: int | None) -> MessageStatus:
    """Return the status a status number stands for (``UNKNOWN`` outside the table)."""
    return _STATUSES[code][0] if code in _STATUSES else MessageStatus.UNKNOWN


def status_description(code: int) -> str | None:
    """Return what the service's documentation calls a status number."""
    return _STATUSES[code][1] if code in _STATUSES else None


class SmsGateway24Client(Gateway):
    """Asynchronous client of one SmsGateway24 account."""

    capabilities = frozenset(
        {
            Capability.PHONES,
            Capability.SCHEDULE,
            Capability.PRIORITY,
            Capability.SIM_SELECT,
            Capability.SPREAD,
            Capability.LAST_SEEN,
            Capability.READ,
            Capability.CONTACTS,
            Capability.LIST_SEND,
            Capability.INBOUND_WEBHOOK,
            Capability.INBOUND_POLL,
            Capability.STATUS_WEBHOOK,
            Capability.STATUS_POLL,
        }
    )
    webhook_methods = frozenset({"POST"})

    def __init__(
        self,
        session: aiohttp.ClientSession,
        email: str,
        password: str,
        *,
        token: str | None = None,
        url: str = DEFAULT_URL,
        device_id: str | None = None,
        time_zone: str = "UTC",
        phone_ids: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        on_token: Callable[[str], None] | None = None,
        zones: ZoneTable = ZONES,
    ) -> None:
        """Create a client.

        ``token`` is one kept from before (a new one is fetched when it is missing or
        refused); ``on_token`` is called with every new one. ``device_id`` sends requests that
        name no phone (else the account's first phone does); ``time_zone`` is how naive dates
        are written and read; ``phone_ids`` are the account's phones until ``phones()`` reads
        them, so that webhooks are accepted from the start. ``zones`` looks zone names up
        (the process's table unless given).

        A ``time_zone`` that cannot be a zone's name raises ``ValueError`` here; one the system
        does not have is found out off the loop, and the first request raises
        ``InvalidQueryError`` then, before anything is sent.
        """
        self._session = session
        self._transport = Transport(session, "the service", timeout=timeout)
        self._email = email
        self._password = password
        self._token = token or None
        self._base_url = normalize_url(url)
        self._device_id = device_id or None
        self._zones = zones
        self._zone_name = "UTC" if time_zone.upper() == "UTC" else time_zone
        self._zone: tzinfo | None = _fixed_zone(self._zone_name)
        if self._zone is None:
            if not _ZONE_NAME.fullmatch(self._zone_name):
                raise ValueError(f"Unknown time zone {time_zone!r}")
            zones.load_soon((self._zone_name,))  # ready for the webhooks before any request
        self._phone_ids = frozenset(phone_ids)
        self._first_phone: str | None = None  # the default sender when none is configured
        self.on_token = on_token  # may be set later: who stores the tokens
        self._login_lock = asyncio.Lock()
        self._login_by_get = False  # the server refused to take gettoken by POST
        self._status_warned = False  # getdevicestatus failed once: warned
        self._status_missing = False  # getdevicestatus answered HTTP 404: not asked again

    def __repr__(self) -> str:
        """Name the account without its credentials."""
        return f"{type(self).__name__}({self.account_id!r})"

    @property
    def account_id(self) -> str:
        """Return the server URL and a digest of the e-mail address (no credentials)."""
        digest = hashlib.sha256(self._email.strip().casefold().encode()).hexdigest()[:16]
        return f"{self._base_url}#{digest}"

    @property
    def token(self) -> str | None:
        """Return the current token (None before the first request)."""
        return self._token

    @property
    def phone_ids(self) -> frozenset[str]:
        """Return the ids of the account's phones as last read: webhooks come from them."""
        return self._phone_ids

    # -- phones -------------------------------------------------------------------------

    async def phones(self) -> list[Phone]:
        """Return the account's phones, with their online state where the service tells it."""
        phones = await self._devices()
        if self._status_missing:
            return phones
        states = await asyncio.gather(*(self._device_status(phone) for phone in phones))
        return [
            replace(phone, online=online, last_seen=last_seen or phone.last_seen)
            for phone, (online, last_seen) in zip(phones, states, strict=True)
        ]

    async def _devices(self) -> list[Phone]:
        """Return the phones of ``getalldevices`` and remember their ids."""
        data = await self._call("getalldevices", {})
        items = _rows(data.get("device"))
        await self._zones.async_load(_zone_names(items))
        phones = [phone for item in items if (phone := self._phone(item))]
        phones.sort(key=lambda phone: id_order(phone.id))
        self._phone_ids = frozenset(phone.id for phone in phones)
        self._first_phone = phones[0].id if phones else None
        return phones

    async def _device_status(self, phone: Phone) -> tuple[bool | None, datetime | None]:
        """Return whether the phone is online, and when it was last seen; unknown on failure.

        The method is not on the service's page: nothing it answers fails the phone list, and
        a refusal does not renew the token that ``getalldevices`` has just been read with.
        """
        try:
            data = await self._call("getdevicestatus", {"device_id": phone.id}, renew=False)
            await self._zones.async_load(_zone_names([data]))
        except SmsBridgeError as err:
            self._status_failed(err)
            return None, None
        online = data.get("online")
        return (
            online if isinstance(online, bool) else as_flag(online),
            self._datetime(data.get("lastseen")),
        )

    def _status_failed(self, err: SmsBridgeError) -> None:
        if isinstance(err, _HttpStatusError) and err.status == _NOT_FOUND:
            self._status_missing = True
        if self._status_warned:
            _LOGGER.debug("No phone status from %s: %.200r", self._base_url, str(err))
            return
        self._status_warned = True
        _LOGGER.warning(
            "%s gave no phone status (getdevicestatus: %.200r); phones are listed without "
            "their online state, which follows the time they were last seen",
            self._base_url,
            str(err),
        )

    def _phone(self, item: Mapping[str, Any]) -> Phone | None:
        if (phone_id := as_id(item.get("id"))) is None:
            return None
        return Phone(
            id=phone_id,
            name=as_text(item.get("title")),
            app_version=as_text(item.get("appversion")),
            last_seen=self._datetime(item.get("lastseen")),
            sims=_sims(item.get("siminfo")),
            subscription=as_flag(item.get("subscription")),
        )

    # -- sending ------------------------------------------------------------------------

    async def send(self, request: SendRequest) -> list[Message]:
        """Send with ``addsms`` to one recipient, with ``addalotofsms`` to several.

        Recipients are spread in turn over the senders the request asks for.
        """
        if request.mms:
            raise CapabilityNotSupportedError("SmsGateway24 sends no MMS")
        if not request.recipients:
            raise InvalidQueryError("A message needs at least one recipient")
        await self._ready()
        senders = await self._senders(request)
        customer_id = new_customer_id()
        pairs = [
            (number, senders[position % len(senders)])
            for position, number in enumerate(request.recipients)
        ]
        if len(pairs) == 1:
            number, sender = pairs[0]
            return [await self._add_sms(number, sender, request, customer_id)]
        return await self._add_many(pairs, request, customer_id)

    async def _add_sms(
        self, number: str, sender: Sender, request: SendRequest, customer_id: int
    ) -> Message:
        params = {
            "sendto": number,
            "body": request.text,
            "device_id": sender.phone_id,
            "customerid": str(customer_id),
        }
        if sender.sim_slot is not None:
            params["sim"] = str(sender.sim_slot)
        if request.schedule is not None:
            params["timetosend"] = self._format(request.schedule, _DATE_FORMAT)
        if request.prioritize:
            params["urgent"] = "1"
        data = await self._call("addsms", params)
        if (message_id := as_id(data.get("sms_id"))) is None:
            raise GatewayResponseError("The service saved the message but answered no sms_id")
        return Message(
            id=message_id,
            number=number,
            text=request.text,
            status=MessageStatus.SCHEDULED if request.schedule else MessageStatus.PENDING,
            phone_id=sender.phone_id,
            sim_slot=sender.sim_slot,
            group_id=str(customer_id),
            type=MessageType.SMS,
            schedule=request.schedule,
            prioritize=request.prioritize,
        )

    async def _add_many(
        self, pairs: list[tuple[str, Sender]], request: SendRequest, customer_id: int
    ) -> list[Message]:
        entries = []
        for number, sender in pairs:
            entry: dict[str, Any] = {
                "sendto": number,
                "body": request.text,
                "device_id": _wire_id(sender.phone_id),
                "customerid": customer_id,
                "urgent": int(request.prioritize),
            }
            if sender.sim_slot is not None:
                entry["sim"] = sender.sim_slot
            if request.schedule is not None:
                entry["timetosend"] = self._format(request.schedule, _DATE_FORMAT)
            entries.append(entry)

        def form(token: str) -> dict[str, str]:
            return {"datajson": json.dumps({"token": token, "smsdata": entries})}

        await self._call("addalotofsms", form)
        # The answer has no ids: the send's customerid finds its messages.
        try:
            messages = await self.messages(MessageQuery(group_id=str(customer_id)))
        except GatewayConnectionError as err:
            raise GatewayConnectionError(
                "The messages were saved but could not be read back",
                request_sent=True,
                kind=err.kind,
            ) from err
        except SmsBridgeError as err:
            raise GatewayResponseError(
                "The messages were saved but could not be read back"
            ) from err
        if len(messages) < len(pairs):
            raise GatewayResponseError(
                f"The service saved {len(pairs)} messages but lists {len(messages)} of them"
            )
        return sorted(_with_sims(messages, pairs), key=lambda message: id_order(message.id))

    async def _senders(self, request: SendRequest) -> list[Sender]:
        """Return the senders to spread the recipients over, in turn."""
        if request.routing is Routing.ALL_PHONES:
            senders = [Sender(phone.id) for phone in await self._devices()]
        elif request.routing is Routing.ALL_SIMS:
            senders = [
                Sender(phone.id, sim.slot if sim else None)
                for phone in await self._devices()
                for sim in (phone.sims or (None,))
            ]
        elif request.senders:
            senders = list(request.senders)
        elif request.random_sender:
            senders = [Sender(phone.id) for phone in await self._devices()]
        else:
            senders = [Sender(await self._default_phone())]
        if not senders:
            raise GatewayApiError("The account has no phone to send from")
        if request.random_sender:
            return [secrets.choice(senders)]
        return senders

    async def _default_phone(self) -> str:
        if self._device_id:
            return self._device_id
        if self._first_phone is None:
            await self._devices()
        if self._first_phone is None:
            raise GatewayApiError("The account has no phone to send from")
        return self._first_phone

    # -- contacts and newsletters ----------------------------------------------------------

    async def create_tag(self, title: str) -> int:
        """Create a tag (a contacts list) and return its id."""
        data = await self._call("savetag", {"title": title})
        if (tag_id := as_int(data.get("tag_id"), 0, MAX_ID)) is None:
            raise GatewayResponseError("The service answered no tag_id")
        return tag_id

    async def subscribe_contact(
        self, list_id: int, number: str, *, name: str | None = None, resubscribe: bool = False
    ) -> Contact:
        """Add a contact to a tag; the service has no unsubscribed state to lift."""
        tag = str(list_id)
        params = {"phone": number, "ctag_id": tag, "tag_id": tag, "fullname": name or number}
        data = await self._call("savecontact", params)
        return Contact(
            id=as_int(data.get("contact_id"), 0, MAX_ID),
            number=number,
            name=name,
            subscribed=True,
            list_id=list_id,
        )

    async def unsubscribe_contact(self, list_id: int, number: str) -> Contact:
        """Refuse: the service offers no way to take a contact off a tag."""
        raise CapabilityNotSupportedError("SmsGateway24 cannot remove a contact from a tag")

    async def send_to_list(self, list_id: int, request: SendRequest) -> list[Message]:
        """Create a newsletter to the contacts of a tag, from one phone.

        The service answers the newsletter's id, not the messages: none are returned.
        """
        if request.mms:
            raise CapabilityNotSupportedError("SmsGateway24 sends no MMS")
        await self._ready()
        senders = await self._senders(request)
        if len(senders) > 1:
            raise InvalidQueryError("A newsletter goes out from one phone")
        sender = senders[0]
        when = request.schedule or datetime.now(UTC)
        params = {
            "title": f"SMS Bridge {self._format(datetime.now(UTC), _DATE_FORMAT)}",
            "device_id": sender.phone_id,
            "body": request.text,
            "tags": str(list_id),
            "sim": str(sender.sim_slot or 0),
            "time_to_send": self._format(when, _PAKET_DATE_FORMAT),
        }
        data = await self._call("savepaket", params)
        if as_int(data.get("paket_id", data.get("paket")), 0, MAX_ID) is None:
            raise GatewayResponseError("The service answered no newsletter id")
        return []

    # -- reading messages -------------------------------------------------------------------

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the matching messages.

        A query by message id alone reads ``getsmsstatus`` (the state, without number nor
        text); any other reads ``getallsms``, filtered again here on what the rows say.
        """
        await self._ready()
        if query.message_id is not None and query == MessageQuery(
            message_id=query.message_id, status=query.status
        ):
            message = await self._sms_status(query.message_id)
            return [message] if message and _has_status(message, query.status) else []
        if query.group_id is not None and as_int(query.group_id, 0, CUSTOMER_ID_HIGH) is None:
            return []  # not a customerid: no message of the service can have it
        params = self._list_params(query)
        data = await self._call("getallsms", params)
        rows = _rows(data.get("smss", data.get("sms")))
        await self._zones.async_load(_zone_names(rows))
        found: list[Message] = []
        for item in rows:
            parsed = self._message(item, query.sim_slot)
            if parsed is not None and self._matches(*parsed, query):
                found.append(parsed[0])
        return found

    async def poll_inbound(self, since: datetime) -> InboundBatch:
        """Return the messages received since ``since``, oldest first."""
        received = await self.messages(MessageQuery(status=MessageStatus.RECEIVED, start=since))
        return InboundBatch(messages=tuple(sorted(received, key=_received_order)))

    async def _sms_status(self, message_id: str) -> Message | None:
        if as_id(message_id) is None:
            return None  # the service numbers its messages
        data = await self._call("getsmsstatus", {"sms_id": message_id})
        code = as_int(data.get("status"), 0, MAX_ID)
        status = message_status(code)
        return Message(
            id=message_id,
            number="",
            text="",
            status=status,
            error_code=code if status is MessageStatus.FAILED else None,
            failure_reason=_failure_reason(code, data.get("status_description")),
        )

    def _list_params(self, query: MessageQuery) -> dict[str, str]:
        params: dict[str, str] = {"timezone": self._zone_name}
        if query.group_id is not None:
            params["customerid"] = query.group_id
        if query.phone_id is not None:
            params["device_id"] = query.phone_id
        if query.sim_slot is not None:
            params["sim"] = str(query.sim_slot)
        if query.status is not None and len(codes := _WIRE_STATUSES[query.status]) == 1:
            params["status"] = str(codes[0])
        if query.start is not None:
            params["begindate"] = self._format(query.start - DATE_SLACK, _DATE_FORMAT)
        if query.end is not None:
            params["enddate"] = self._format(query.end + DATE_SLACK, _DATE_FORMAT)
        return params

    def _message(
        self, item: Mapping[str, Any], asked_sim: int | None
    ) -> tuple[Message, datetime | None] | None:
        """Return a ``getallsms`` row and its creation time; None without a valid id.

        Rows have no SIM slot on the service's page: one asked for (``asked_sim``), which the
        service filtered on, stands in for it.
        """
        if (message_id := as_id(item.get("id"))) is None:
            return None
        code = as_int(item.get("status"), 0, MAX_ID)
        status = message_status(code)
        created = self._datetime(item.get("created"))
        schedule = self._datetime(item.get("timetosend"))
        if status is MessageStatus.PENDING and schedule and schedule > datetime.now(UTC):
            status = MessageStatus.SCHEDULED
        customer_id = as_int(item.get("customerid"), 0, MAX_ID)
        message = Message(
            id=message_id,
            number=as_text(item.get("sendto")) or "",
            text=_text(item.get("body")),
            status=status,
            phone_id=as_id(item.get("deviceid")),
            sim_slot=_slot(item.get("sim"), asked_sim),
            group_id=None if customer_id is None else str(customer_id),
            type=MessageType.SMS,
            sent_at=self._datetime(item.get("senttime")) or created,
            schedule=schedule,
            error_code=code if status is MessageStatus.FAILED else None,
            prioritize=as_flag(item.get("urgent")),
            failure_reason=_failure_reason(code, item.get("statustitle")),
        )
        return message, created

    def _matches(self, message: Message, created: datetime | None, query: MessageQuery) -> bool:
        """Apply the query to a row; a row whose creation time is unreadable passes dates."""
        return (
            (query.message_id is None or message.id == query.message_id)
            and (query.group_id is None or message.group_id == query.group_id)
            and (query.phone_id is None or message.phone_id == query.phone_id)
            and (query.sim_slot is None or message.sim_slot == query.sim_slot)
            and _has_status(message, query.status)
            and (created is None or query.start is None or created >= query.start)
            and (created is None or query.end is None or created <= query.end)
        )

    # -- provider rules ---------------------------------------------------------------------

    def sequence(self, message: Message) -> int | None:
        """Return the message's id as a number: the service numbers its messages in order."""
        return int(message.id) if message.id.isdecimal() and message.id.isascii() else None

    def status_queries(self, tracked: Iterable[TrackedMessage]) -> list[MessageQuery]:
        """Return one ``getallsms`` query per send (its customerid), one per message without."""
        tracked = list(tracked)
        groups = sorted({message.group_id for message in tracked if message.group_id})
        queries = [MessageQuery(group_id=group) for group in groups]
        queries += [
            MessageQuery(message_id=message.message_id)
            for message in tracked
            if not message.group_id
        ]
        return queries

    # -- webhooks -------------------------------------------------------------------------

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Read an incoming-message or delivery-state webhook of one of the account's phones.

        Nothing signs them: a request is authentic when its ``device_id`` is one of the
        account's phones (and the URL was the secret). An empty 200 accepts it.
        """
        items = _webhook_items(request)
        self._zones.load_soon(_zone_names(items))  # read now without a loop, else for next time
        messages: list[Message] = []
        reports: list[DeliveryReport] = []
        for position, item in enumerate(items, 1):
            phone_id = as_id(item.get("device_id"))
            if phone_id is None or phone_id not in self._phone_ids:
                raise WebhookUnknownPhoneError(
                    "The request names no phone of this account", phone_id
                )
            if "status_id" in item:
                reports.append(self._report(item, phone_id, position))
            else:
                messages.append(self._inbound(item, phone_id, position))
        messages.sort(key=_received_order)
        return WebhookResult(
            InboundBatch(messages=tuple(messages), delivery_reports=tuple(reports))
        )

    def _report(self, item: Mapping[str, Any], phone_id: str, position: int) -> DeliveryReport:
        message_id = as_id(item.get("sms_id"))
        code = as_int(item.get("status_id"), 0, MAX_ID)
        if message_id is None or code is None:
            raise WebhookPayloadError(f"Item {position} lacks a valid 'sms_id' or 'status_id'")
        status = message_status(code)
        return DeliveryReport(
            message_id=message_id,
            status=status,
            phone_id=phone_id,
            number=as_text(item.get("sendto")),
            at=self._datetime(item.get("senttime")),
            error_code=code if status is MessageStatus.FAILED else None,
            failure_reason=_failure_reason(code, item.get("status_message")),
        )

    def _inbound(self, item: Mapping[str, Any], phone_id: str, position: int) -> Message:
        message_id = as_id(item.get("sms_id"))
        number = as_text(item.get("address"))
        image = as_text(item.get("img_url")) if item.get("type") == "img" else None
        body = item.get("body")
        if message_id is None or number is None:
            raise WebhookPayloadError(f"Item {position} lacks a valid 'sms_id' or 'address'")
        if not isinstance(body, str) and not (image and body is None):
            raise WebhookPayloadError(f"Item {position} lacks its 'body' text")
        if isinstance(body, str) and len(body) > MAX_TEXT:
            raise WebhookPayloadTooLargeError(f"A message is longer than {MAX_TEXT} characters")
        slot = item.get("channel_id", item.get("sim"))
        return Message(
            id=message_id,
            number=number,
            text=_text(body),
            status=MessageStatus.RECEIVED,
            phone_id=phone_id,
            sim_slot=as_int(slot, 0, MAX_SIM_SLOT),
            type=MessageType.MMS if image else MessageType.SMS,
            attachments=(image,) if image else (),
            sent_at=self._datetime(item.get("date")) or self._datetime(item.get("date_sent")),
        )

    # -- dates ----------------------------------------------------------------------------

    def _format(self, moment: datetime, pattern: str) -> str:
        if self._zone is None:  # _ready() was awaited first
            raise RuntimeError("The client's time zone is not loaded")
        return moment.astimezone(self._zone).strftime(pattern)

    def _datetime(self, value: Any) -> datetime | None:
        """Read a PHP date object, a text date (naive in our zone) or a Unix time; else None."""
        parsed: datetime | None
        if isinstance(value, dict):
            parsed = _php_date(value, self._zones)
        elif isinstance(value, str) and (seconds := as_int(value, -MAX_ID, MAX_ID)) is not None:
            parsed = _unix_date(seconds)  # a form carries numbers as text
        elif isinstance(value, str):
            parsed = as_datetime(value, self._zone)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = _unix_date(value)
        else:
            return None
        return parsed if parsed is not None and EARLIEST <= parsed < LATEST else None

    # -- transport ------------------------------------------------------------------------

    async def _ready(self) -> None:
        """Load the configured time zone off the loop, once; refuse one the system lacks."""
        if self._zone is not None:
            return
        await self._zones.async_load((self._zone_name,))
        if (zone := self._zones.get(self._zone_name)) is None:
            raise InvalidQueryError(f"Unknown time zone {self._zone_name!r}")
        self._zone = zone

    async def _call(
        self,
        method: str,
        params: Mapping[str, str] | Callable[[str], Mapping[str, str]],
        *,
        renew: bool = True,
    ) -> dict[str, Any]:
        """Call a method with the token; a refused token is renewed once, then it gives up.

        Only an answer refusing the token is repeated (see ``_REFUSED_TOKEN``): the service
        did nothing with the request then. Without ``renew``, a refusal is given up at once.
        """
        await self._ready()

        def form(token: str) -> dict[str, str]:
            if callable(params):
                return dict(params(token))
            return {"token": token, **params}

        token = await self._current_token()
        try:
            return await self._post(method, form(token))
        except _TokenRefusedError:
            if not renew:
                raise GatewayAuthenticationError("The service refused the token") from None
        token = await self._renew(token)
        try:
            return await self._post(method, form(token))
        except _TokenRefusedError:
            raise GatewayAuthenticationError("The service refused a new token") from None

    async def _current_token(self) -> str:
        if self._token is not None:
            return self._token
        return await self._renew(None)

    async def _renew(self, refused: str | None) -> str:
        """Get a new token, unless another request already replaced the refused one."""
        async with self._login_lock:
            if self._token is not None and self._token != refused:
                return self._token
            try:
                data = await self._login()
            except _TokenRefusedError:
                raise GatewayAuthenticationError(
                    "The service refused the e-mail address or the password"
                ) from None
            token = data.get("token")
            if not isinstance(token, str) or not token:
                raise GatewayResponseError("The service answered no token")
            self._token = token
        if self.on_token is not None:
            self.on_token(token)
        return token

    async def _login(self) -> dict[str, Any]:
        """Call ``gettoken``: posted, or by the documented GET once a POST is not allowed."""
        form = {"email": self._email, "pass": self._password}
        url = f"{self._base_url}/getdata/gettoken"
        if not self._login_by_get:
            try:
                return await self._post("gettoken", form, refusal=_REFUSED_LOGIN)
            except _HttpStatusError as err:
                if err.status != _METHOD_NOT_ALLOWED:
                    raise
            _LOGGER.debug("%s takes gettoken by GET only", self._base_url)
            self._login_by_get = True
        answer = await self._transport.get(url, query=form, any_status=True)
        return self._read(answer, _REFUSED_LOGIN)

    async def _post(
        self, method: str, form: Mapping[str, str], *, refusal: re.Pattern[str] = _REFUSED_TOKEN
    ) -> dict[str, Any]:
        url = f"{self._base_url}/getdata/{method}"
        return self._read(await self._transport.post(url, form=form, any_status=True), refusal)

    def _read(self, answer: HttpAnswer, refusal: re.Pattern[str]) -> dict[str, Any]:
        """Return the API object of an answer; ``refusal`` tells which errors refuse the token."""
        if answer.status == 200:
            return self._envelope(answer.body, refusal)
        # Some answers may carry the API's own error object with another HTTP status.
        try:
            self._envelope(answer.body, refusal)
        except GatewayResponseError:
            if answer.status in _TOKEN_REFUSALS:
                raise _TokenRefusedError from None
        raise _HttpStatusError(str(self._transport.status_error(answer.status)), answer.status)

    def _envelope(self, body: str, refusal: re.Pattern[str]) -> dict[str, Any]:
        """Unwrap the answer: ``error`` 1 becomes an error, never quoting credentials."""
        document = _loads(body, GatewayResponseError)
        if not isinstance(document, dict):
            raise GatewayResponseError("The service's answer is not an API object")
        error = document.get("error", 0)
        if not error or error == "0":
            return document
        message = as_text(document.get("message")) or "Unknown error"
        for secret in (self._password, self._token):
            if secret:
                message = message.replace(secret, "***")
        if refusal.search(message):
            raise _TokenRefusedError
        raise GatewayApiError(message, code=as_int(error, 0, MAX_ID))


def from_config(session: aiohttp.ClientSession, config: Mapping[str, Any]) -> SmsGateway24Client:
    """Return a client configured from an entry's data (see the ``CONF_*`` keys)."""
    return SmsGateway24Client(
        session,
        config[CONF_EMAIL],
        config[CONF_PASSWORD],
        token=config.get(CONF_TOKEN),
        url=config.get(CONF_URL) or DEFAULT_URL,
        device_id=config.get(CONF_DEVICE_ID),
        time_zone=config.get(CONF_TIME_ZONE) or "UTC",
        phone_ids=tuple(str(phone_id) for phone_id in config.get(CONF_PHONE_IDS) or ()),
    )


def new_customer_id() -> int:
    """Return a fresh ``customerid`` marking one send."""
    return CUSTOMER_ID_LOW + secrets.randbelow(CUSTOMER_ID_HIGH - CUSTOMER_ID_LOW + 1)


def normalize_url(url: str) -> str:
    """Return the server's base URL, without a trailing slash or a pasted ``/getdata`` path."""
    parts = urlsplit(url.strip())
    segments = parts.path.rstrip("/").split("/")
    if "getdata" in segments:
        segments = segments[: segments.index("getdata")]
    path = "/".join(segments)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


# -- parsing ---------------------------------------------------------------------------------


def _webhook_items(request: WebhookRequest) -> list[dict[str, Any]]:
    """Return the objects of a webhook body: one JSON object, a list of them, or a form."""
    content_type = header(request.headers, "Content-Type") or ""
    media = content_type.partition(";")[0].strip().lower()
    try:
        text = request.body.decode()
    except UnicodeDecodeError:
        raise WebhookPayloadError("The body is not UTF-8") from None
    if media == _FORM:
        return [dict(parse_qsl(text, keep_blank_values=True))]
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise WebhookMediaTypeError(f"Unexpected body type {quoted(media)}")
    payload = _loads(text, WebhookPayloadError)
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise WebhookPayloadError("The body holds no item")
    if len(items) > MAX_BATCH:
        raise WebhookPayloadTooLargeError(f"More than {MAX_BATCH} items in one request")
    if not all(isinstance(item, dict) for item in items):
        raise WebhookPayloadError("The body is not a JSON object")
    return items


def _loads(text: str, error: type[SmsBridgeError]) -> Any:
    """Parse JSON nested at most MAX_DEPTH levels, else raise ``error`` (never quoting it)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise error(f"JSON nested over {MAX_DEPTH} levels") from None
    except ValueError:
        kind = "an HTML page" if text.lstrip().startswith("<") else "something that is not JSON"
        raise error(f"The service answered {kind}") from None
    level = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for container in level
            if isinstance(container, dict | list)
            for child in (container.values() if isinstance(container, dict) else container)
        ]
        if not any(isinstance(child, dict | list) for child in level):
            return value
    raise error(f"JSON nested over {MAX_DEPTH} levels")


def _rows(value: Any) -> list[dict[str, Any]]:
    """Return the objects of a list, or of an object keyed by id (PHP arrays come as both)."""
    return as_dicts(list(value.values()) if isinstance(value, dict) else value)


def _sims(value: Any) -> tuple[Sim, ...]:
    """Return the SIMs of ``siminfo`` (a list of objects, or that list as JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    sims: dict[int, Sim] = {}
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        slot = as_int(item.get("Slot"), 0, MAX_SIM_SLOT)
        if slot is None or slot in sims:
            continue
        number = (as_text(item.get("Number")) or "").strip()
        carrier = (as_text(item.get("CarrierName")) or "").strip()
        detail = number if Sim(slot, "", number).phone_number else carrier
        label = f"SIM #{slot + 1} [{detail}]" if detail else f"SIM #{slot + 1}"
        sims[slot] = Sim(slot=slot, label=label, detail=detail or None)
    return tuple(sims[slot] for slot in sorted(sims))


def _failure_reason(code: int | None, text: Any) -> str | None:
    """Return the service's text for a failed state (the documented one when it sends none)."""
    if message_status(code) is not MessageStatus.FAILED or code is None:
        return None
    return as_text(text) or status_description(code)


def _has_status(message: Message, status: MessageStatus | None) -> bool:
    return status is None or message.status is status


def _received_order(message: Message) -> tuple[bool, datetime, tuple[int, int, str]]:
    return (message.sent_at is None, message.sent_at or EARLIEST, id_order(message.id))


def _php_date(value: Mapping[str, Any], zones: ZoneTable) -> datetime | None:
    """Read PHP's JSON of a DateTime: ``date``, ``timezone_type`` and ``timezone``.

    The zone is an offset (+02:00), UTC, or a name the table has loaded; else the date is
    unknown.
    """
    text, zone_name = value.get("date"), value.get("timezone")
    if not isinstance(text, str) or not isinstance(zone_name, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return parsed
    zone = _fixed_zone(zone_name) or zones.get(zone_name)
    return None if zone is None else parsed.replace(tzinfo=zone)


def _fixed_zone(name: str) -> tzinfo | None:
    """Return the zone of an offset (+02:00) or of UTC, which need no database; else None."""
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", name):
        try:
            return datetime.strptime(name.replace(":", ""), "%z").tzinfo
        except ValueError:
            return None
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    return None


def _zone_names(items: Iterable[Mapping[str, Any]]) -> set[str]:
    """Return the zone names of the PHP dates among the fields of ``items``."""
    return {
        name
        for item in items
        for value in item.values()
        if isinstance(value, dict)
        and isinstance(name := value.get("timezone"), str)
        and _fixed_zone(name) is None
    }


def _slot(value: Any, asked: int | None) -> int | None:
    """Return a row's SIM slot, or the one the query asked the service for when it has none."""
    slot = as_int(value, 0, MAX_SIM_SLOT)
    return asked if slot is None else slot


def _with_sims(messages: list[Message], pairs: list[tuple[str, Sender]]) -> list[Message]:
    """Give the messages read back after a send, rows without a SIM, the SIM they went from.

    A number sent from one phone on two SIMs stays without one: which is which is unknown.
    """
    sims: dict[tuple[str, str], set[int | None]] = {}
    for number, sender in pairs:
        sims.setdefault((number, sender.phone_id), set()).add(sender.sim_slot)
    return [
        replace(message, sim_slot=next(iter(slots)))
        if message.sim_slot is None
        and len(slots := sims.get((message.number, message.phone_id or ""), set())) == 1
        else message
        for message in messages
    ]


def _unix_date(value: float) -> datetime | None:
    """Read a Unix time in seconds, or in milliseconds as Android writes them."""
    seconds = value / 1000 if abs(value) >= 1e11 else value
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _wire_id(value: str) -> int | str:
    """Return an id as the service writes it in JSON: a number when it is one."""
    return int(value) if value.isdecimal() and value.isascii() else value


def _text(value: Any) -> str:
    """Return a text field; a number is no text here."""
    return (as_text(value) or "") if isinstance(value, str) else ""
