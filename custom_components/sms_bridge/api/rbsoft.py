"""Client for the RBSoft "SMS Gateway" PHP API (``<server>/services/*.php``).

Self-hosted, and resold by sendapp and others. Every script answers HTTP 200 with a JSON
envelope ``{"success", "data", "error": {"code", "message"}}`` served as ``text/html``; reads
report an empty result as error 404. Webhooks post one form field, ``messages`` (a JSON list)
or ``ussdRequest`` (a JSON object), signed with ``X-SG-Signature`` =
base64(HMAC-SHA256(api key, exact field value)).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
import hashlib
import hmac
import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp

from .errors import (
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    InvalidQueryError,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookSignatureError,
)
from .gateway import (
    Capability,
    Gateway,
    Limits,
    MessageQuery,
    Routing,
    SendRequest,
    TrackedMessage,
    UssdQuery,
    WebhookRequest,
    WebhookResult,
)
from .models import (
    Account,
    Contact,
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
    as_unix_time,
    header,
)

DEFAULT_TIMEOUT: Final = 30.0
SIGNATURE_HEADER: Final = "X-SG-Signature"
FIELD_MESSAGES: Final = "messages"
FIELD_USSD: Final = "ussdRequest"
FORM: Final = "application/x-www-form-urlencoded"  # the only body type the gateway posts
MAX_BATCH: Final = 500  # messages in one webhook request
MAX_TEXT: Final = 10_000  # characters of one message text
MAX_DEPTH: Final = 32  # nesting of JSON arrays and objects; the gateway's deepest answer has 5

# Every number read from the gateway is bounded (see values.py), MAX_ID included.
MAX_SIM_SLOT: Final = 255
MIN_CODE: Final = -(2**31)  # result and error codes are Java ints on the phone
MAX_CODE: Final = 2**31 - 1
MAX_COUNT: Final = 2**31 - 1  # retries
MAX_CREDITS: Final = 1e15

_OPTION = {Routing.SPECIFIED: 0, Routing.ALL_PHONES: 1, Routing.ALL_SIMS: 2}
_NOT_FOUND = 404
_UNAUTHORIZED = 401
# Error codes of refusals of the request's content: an unknown contacts list (400 on send.php,
# 403 on manage-contacts.php), a number already in a list or not in it (400), a list without
# subscribers (204). Failures of the gateway itself (no credits, phone offline) are code 500.
_REFUSED_CODES = frozenset({204, 400, 403})
_SHA256_SIZE = 32


class SmsGatewayClient(Gateway):
    """Asynchronous client of one SMS Gateway server and account."""

    capabilities = frozenset(
        {
            Capability.PHONES,
            Capability.MMS,
            Capability.SCHEDULE,
            Capability.PRIORITY,
            Capability.SIM_SELECT,
            Capability.SPREAD,
            Capability.CREDITS,
            Capability.LAST_SEEN,
            Capability.READ,
            Capability.RESEND,
            Capability.CONTACTS,
            Capability.LIST_SEND,
            Capability.USSD,
            Capability.INBOUND_WEBHOOK,
            Capability.STATUS_POLL,
        }
    )
    # The gateway takes one send's recipients in one request.
    limits = Limits(max_recipients=1000, max_segments=10)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        previous_api_keys: Sequence[str] = (),
        previous_keys_expire: datetime | None = None,
    ) -> None:
        """Create a client.

        ``previous_api_keys`` still authenticate webhooks until ``previous_keys_expire`` (for
        ever without it): the gateway keeps signing with the old key until the user changes it
        there too.
        """
        self._transport = Transport(session, "the gateway", timeout=timeout)
        self._base_url = normalize_url(url)
        self._api_key = api_key
        self._previous_keys = tuple(key for key in previous_api_keys if key)
        self._previous_keys_expire = previous_keys_expire

    @property
    def account_id(self) -> str:
        """Return server URL + a digest of the key: the gateway exposes no account id."""
        digest = hashlib.sha256(self._api_key.encode()).hexdigest()[:16]
        return f"{self._base_url}#{digest}"

    # -- account and phones -------------------------------------------------------------

    async def account(self) -> Account:
        """Return the credits; ``null`` from the gateway means unlimited."""
        data = await self._call("send.php", {})
        if "credits" not in data:
            return Account(credits=None)
        if data["credits"] is None:
            return Account(credits=None, unlimited=True)
        return Account(credits=as_float(data["credits"], MAX_CREDITS))

    async def phones(self) -> list[Phone]:
        """Return the enabled phones of the account."""
        data = await self._call("get-devices.php", {})
        return [phone for item in as_dicts(data.get("devices")) if (phone := _phone(item))]

    # -- messages -----------------------------------------------------------------------

    async def send(self, request: SendRequest) -> list[Message]:
        """Send in one request: ``number`` mode for one recipient, ``messages`` bulk otherwise."""
        params = _send_params(request)
        if _is_single(request):
            params |= {"number": request.recipients[0], "message": request.text}
            if request.senders:
                params["devices"] = _device(
                    request.senders[0].phone_id, request.senders[0].sim_slot
                )
        else:
            kind = MessageType.MMS if request.mms else MessageType.SMS
            entries: list[dict[str, Any]] = [
                {"number": number, "message": request.text, "type": kind.value}
                for number in request.recipients
            ]
            if request.mms:
                for entry in entries:
                    entry["attachments"] = ",".join(request.attachments)
            params["messages"] = json.dumps(entries)
        data = await self._call("send.php", params)
        return _messages(data)

    async def send_to_list(self, list_id: int, request: SendRequest) -> list[Message]:
        """Send ``request.text`` to every subscribed contact of a contacts list."""
        params = _send_params(request) | {"listID": str(list_id), "message": request.text}
        data = await self._call("send.php", params)
        return _messages(data)

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the messages matching ``query``; the gateway's 404 becomes an empty list."""
        data = await self._read("read-messages.php", _query_params(query))
        return _messages(data)

    async def resend(self, query: MessageQuery) -> list[Message]:
        """Resend the matching messages. An empty query would resend the whole history."""
        if query.is_empty:
            raise InvalidQueryError("Refusing to resend without a filter")
        data = await self._read("resend.php", _query_params(query))
        return _messages(data)

    # -- contacts -----------------------------------------------------------------------

    async def subscribe_contact(
        self, list_id: int, number: str, *, name: str | None = None, resubscribe: bool = False
    ) -> Contact:
        """Add a contact to a list (``resubscribe`` also re-enables an existing one)."""
        params = {"listID": str(list_id), "number": number}
        if name:
            params["name"] = name
        if resubscribe:
            params["resubscribe"] = "1"
        return _contact(await self._call("manage-contacts.php", params))

    async def unsubscribe_contact(self, list_id: int, number: str) -> Contact:
        """Mark a contact of a list as unsubscribed."""
        params = {"listID": str(list_id), "number": number, "unsubscribe": "1"}
        return _contact(await self._call("manage-contacts.php", params))

    # -- USSD ---------------------------------------------------------------------------

    async def send_ussd(
        self, phone_id: str, code: str, *, sim_slot: int | None = None
    ) -> UssdRequest:
        """Ask a phone to dial a USSD code; the answer comes by webhook or by reading it back."""
        params = {"request": code, "device": phone_id}
        if sim_slot is not None:
            params["sim"] = str(sim_slot)
        data = await self._call("send-ussd-request.php", params)
        item = data.get("request")
        if not isinstance(item, dict) or (ussd := _ussd(item)) is None:
            raise GatewayResponseError("The gateway's USSD answer has no valid request object")
        return ussd

    async def ussd_requests(self, query: UssdQuery) -> list[UssdRequest]:
        """Return the USSD requests matching ``query``."""
        params = _compact(
            {
                "id": query.ussd_id,
                "request": query.request,
                "deviceID": query.phone_id,
                "simSlot": query.sim_slot,
                "startTimestamp": _timestamp(query.start),
                "endTimestamp": _timestamp(query.end),
            }
        )
        data = await self._read("read-ussd-requests.php", params)
        return [ussd for item in as_dicts(data.get("requests")) if (ussd := _ussd(item))]

    # -- webhook ------------------------------------------------------------------------

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Read the URL-encoded form the gateway posts, then authenticate and parse it.

        The gateway reads no answer beyond the status: an empty 200 accepts the request.
        """
        content_type = header(request.headers, "Content-Type") or ""
        if content_type.partition(";")[0].strip().lower() != FORM:
            raise WebhookMediaTypeError("not a URL-encoded form")
        try:
            form = parse_qsl(request.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise WebhookPayloadError("body not UTF-8") from None
        return WebhookResult(self.parse_form(request.headers, form))

    def parse_form(
        self, headers: Mapping[str, str], form: Iterable[tuple[str, str]]
    ) -> InboundBatch:
        """Authenticate a decoded webhook form, then parse it.

        The signature is checked over the exact (form-decoded) field value: never over
        re-serialised JSON, which PHP escapes differently.
        """
        signature = header(headers, SIGNATURE_HEADER)
        keys = self._webhook_keys()
        if not keys or not signature:
            raise WebhookSignatureError("Missing signature or no API key configured")
        fields = [(name, value) for name, value in form if name in (FIELD_MESSAGES, FIELD_USSD)]
        if len(fields) != 1:
            raise WebhookPayloadError(
                f"Expected one '{FIELD_MESSAGES}' or '{FIELD_USSD}' field, got {len(fields)}"
            )
        name, value = fields[0]
        if not any(verify_signature(key, value, signature) for key in keys):
            raise WebhookSignatureError("Signature does not match")
        payload = _json(value)
        if name == FIELD_MESSAGES:
            return InboundBatch(messages=_inbound_messages(payload))
        return InboundBatch(ussd_requests=(_inbound_ussd(payload),))

    # -- how this gateway numbers and rewrites messages ------------------------------------

    def sequence(self, message: Message) -> int | None:
        """Return the message's id as a number: the gateway numbers its messages in order."""
        return int(message.id) if message.id.isdecimal() else None

    def may_have_sent(self, text: str, message: Message) -> bool:
        """Return True when the gateway may have stored ``text`` as the message's text.

        The gateway rewrites what it sends: spintax ``{a|b}`` picks one option and
        ``%random-N%`` becomes N random characters. Anything else must match exactly.
        """
        return may_be_sent_as(text, message.text)

    def status_queries(self, tracked: Iterable[TrackedMessage]) -> list[MessageQuery]:
        """Return one query per group (a whole send), and per message without a group."""
        tracked = list(tracked)
        groups = sorted({message.group_id for message in tracked if message.group_id})
        queries = [MessageQuery(group_id=group) for group in groups]
        queries += [
            MessageQuery(message_id=message.message_id)
            for message in tracked
            if not message.group_id
        ]
        return queries

    def _webhook_keys(self) -> tuple[str, ...]:
        """Return the keys that authenticate webhooks now: the previous ones until they expire."""
        current = (self._api_key,) if self._api_key else ()
        expire = self._previous_keys_expire
        if expire is not None and datetime.now(UTC) >= expire:
            return current
        return current + self._previous_keys

    # -- transport ----------------------------------------------------------------------

    async def _read(self, script: str, params: dict[str, str]) -> dict[str, Any]:
        """Call a read-like script, for which error 404 only means "nothing found"."""
        try:
            return await self._call(script, params)
        except GatewayApiError as err:
            if err.code == _NOT_FOUND:
                return {}
            raise

    async def _call(self, script: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self._base_url}/services/{script}"
        form = {"key": self._api_key, **params}
        answer = await self._transport.post(url, form=form)
        return _envelope(answer.body)


_TEMPLATE_PART = re.compile(r"\{([^{}]*)\}|%random-(\d*)%")


def may_be_sent_as(text: str, sent: str) -> bool:
    """Return True when the gateway may have stored ``text`` as ``sent``.

    Taking another message for this one would drop it unsent, which is worse than sending it
    twice: only the gateway's own rewrites are allowed for.
    """
    pattern: list[str] = []
    position = 0
    for match in _TEMPLATE_PART.finditer(text):
        pattern.append(re.escape(text[position : match.start()]))
        if match[1] is not None:
            pattern.append(f"(?:{'|'.join(re.escape(option) for option in match[1].split('|'))})")
        else:
            pattern.append(f".{{{int(match[2] or 0)}}}")
        position = match.end()
    pattern.append(re.escape(text[position:]))
    return re.fullmatch("".join(pattern), sent, re.DOTALL) is not None


def normalize_url(url: str) -> str:
    """Return the installation base URL, without a trailing slash or a pasted script path."""
    parts = urlsplit(url.strip())
    segments = parts.path.rstrip("/").split("/")
    if "services" in segments:
        segments = segments[: len(segments) - segments[::-1].index("services") - 1]
    path = "/".join(segments)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def verify_signature(api_key: str, value: str, signature: str) -> bool:
    """Check ``signature`` = base64(HMAC-SHA256(api_key, value)) in constant time; fail closed."""
    if not api_key:
        return False
    try:
        provided = base64.b64decode(signature.encode("ascii"), validate=True)
        message = value.encode("utf-8")
    except (UnicodeError, binascii.Error):
        return False
    if len(provided) != _SHA256_SIZE:
        return False
    expected = hmac.new(api_key.encode("utf-8"), message, hashlib.sha256).digest()
    return hmac.compare_digest(provided, expected)


def sign(api_key: str, value: str) -> str:
    """Return the signature the gateway puts on ``value`` (for tests and the simulator)."""
    digest = hmac.new(api_key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# -- request building ----------------------------------------------------------------------


def _is_single(request: SendRequest) -> bool:
    return (
        len(request.recipients) == 1
        and len(request.senders) <= 1
        and request.routing is Routing.SPECIFIED
        and not request.random_sender
    )


def _send_params(request: SendRequest) -> dict[str, str]:
    """Return the parameters shared by every send mode."""
    params: dict[str, str] = {"type": (MessageType.MMS if request.mms else MessageType.SMS).value}
    if request.mms and request.attachments:
        # In bulk mode the gateway reads MMS attachments from this top-level field only.
        params["attachments"] = ",".join(request.attachments)
    if request.schedule is not None:
        params["schedule"] = str(int(request.schedule.timestamp()))
    if request.prioritize:
        params["prioritize"] = "1"
    if request.routing is not Routing.SPECIFIED:
        params["option"] = str(_OPTION[request.routing])
    elif request.senders:  # single sends replace it with the plain "id|slot" form
        params["devices"] = json.dumps([_device(s.phone_id, s.sim_slot) for s in request.senders])
    if request.random_sender:
        params["useRandomDevice"] = "1"
    return params


def _device(phone_id: str, sim_slot: int | None) -> str:
    return phone_id if sim_slot is None else f"{phone_id}|{sim_slot}"


def _query_params(query: MessageQuery) -> dict[str, str]:
    return _compact(
        {
            "id": query.message_id,
            "groupId": query.group_id,  # camel case: the gateway ignores "groupID"
            "status": _WIRE_STATUS.get(query.status) if query.status else None,
            "deviceID": query.phone_id,
            "simSlot": query.sim_slot,
            "startTimestamp": _timestamp(query.start),
            "endTimestamp": _timestamp(query.end),
        }
    )


def _compact(values: Mapping[str, object]) -> dict[str, str]:
    return {name: str(value) for name, value in values.items() if value is not None}


def _timestamp(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


# -- response parsing ----------------------------------------------------------------------

_STATUS = {
    "Pending": MessageStatus.PENDING,
    "Queued": MessageStatus.QUEUED,
    "Sent": MessageStatus.SENT,
    "Delivered": MessageStatus.DELIVERED,
    "Failed": MessageStatus.FAILED,
    "Received": MessageStatus.RECEIVED,
    "Scheduled": MessageStatus.SCHEDULED,
    "Canceled": MessageStatus.CANCELED,
}
_WIRE_STATUS = {status: wire for wire, status in _STATUS.items()}

# Android SmsManager result codes, as the gateway's own UI decodes them.
_RESULT_CODES = {
    0: "delivery_failure",
    1: "generic_failure",
    2: "radio_off",
    3: "null_pdu",
    4: "no_service",
    5: "limit_exceeded",
    6: "fdn_check_failure",
    7: "short_code_not_allowed",
    8: "short_code_never_allowed",
    26012019: "app_error",
}


def _envelope(body: str) -> dict[str, Any]:
    """Unwrap the JSON envelope, mapping failures to typed errors (never quoting the body)."""
    try:
        document = _loads(body)
    except _NestedTooDeepError:
        raise GatewayResponseError(
            f"The gateway answered JSON nested over {MAX_DEPTH} levels"
        ) from None
    except ValueError:
        kind = "an HTML page" if body.lstrip().startswith("<") else "something that is not JSON"
        raise GatewayResponseError(f"The gateway answered {kind}") from None
    if not isinstance(document, dict) or "success" not in document:
        raise GatewayResponseError("The gateway's answer is not an API envelope")
    if document["success"]:
        data = document.get("data")
        return data if isinstance(data, dict) else {}
    error = document.get("error")
    error = error if isinstance(error, dict) else {}
    message = as_text(error.get("message")) or "Unknown gateway error"
    code = as_int(error.get("code"), MIN_CODE, MAX_CODE)
    if code == _UNAUTHORIZED:
        raise GatewayAuthenticationError(message)
    if code in _REFUSED_CODES:
        raise GatewayRequestRefusedError(message, code=code)
    raise GatewayApiError(message, code=code)


def _json(value: str) -> Any:
    try:
        return _loads(value)
    except _NestedTooDeepError:
        raise WebhookPayloadError(f"The field is JSON nested over {MAX_DEPTH} levels") from None
    except ValueError:
        raise WebhookPayloadError("The field is not valid JSON") from None


class _NestedTooDeepError(ValueError):
    """JSON nested over MAX_DEPTH levels."""


def _loads(text: str) -> Any:
    """Parse JSON nested at most MAX_DEPTH levels.

    How deep Python's JSON reader goes before a RecursionError depends on the Python version
    and on the stack in use, so the depth of what it read is checked as well.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise _NestedTooDeepError from None
    # Counting brackets (strings included) is quick and spares the walk to nearly every text.
    if text.count("[") + text.count("{") > MAX_DEPTH and _nested_over(value, MAX_DEPTH):
        raise _NestedTooDeepError
    return value


def _nested_over(value: Any, limit: int) -> bool:
    """Return True when ``value`` nests lists and dicts over ``limit`` levels (no recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _inbound_messages(payload: Any) -> tuple[Message, ...]:
    """Return the messages of a webhook batch; one unreadable message refuses the whole batch.

    Nothing is fired half-read: the gateway keeps the messages, and the backfill reads them.
    """
    if not isinstance(payload, list):
        raise WebhookPayloadError("'messages' must be a list of message objects")
    if len(payload) > MAX_BATCH:
        raise WebhookPayloadTooLargeError(f"More than {MAX_BATCH} messages in one request")
    messages = []
    for position, item in enumerate(payload, 1):
        if not isinstance(item, dict):
            raise WebhookPayloadError(f"Message {position} of the batch is not an object")
        if (message := _message(item)) is None:
            raise WebhookPayloadError(
                f"Message {position} has no valid 'ID' (a whole number from 0 to {MAX_ID})"
            )
        if not isinstance(item.get("number"), str) or not isinstance(item.get("message"), str):
            raise WebhookPayloadError(f"Message {position} lacks its 'number' or 'message' text")
        if len(item["message"]) > MAX_TEXT:
            raise WebhookPayloadTooLargeError(f"A message is longer than {MAX_TEXT} characters")
        messages.append(message)
    # Fire in the order the messages were written, whatever order the batch came in.
    return tuple(
        sorted(messages, key=lambda m: (m.sent_at is None, m.sent_at or EARLIEST, int(m.id)))
    )


def _inbound_ussd(payload: Any) -> UssdRequest:
    if not isinstance(payload, dict):
        raise WebhookPayloadError("'ussdRequest' must be a USSD request object")
    if (ussd := _ussd(payload)) is None:
        raise WebhookPayloadError(
            f"The USSD request has no valid 'ID' (a whole number from 0 to {MAX_ID})"
        )
    if not isinstance(payload.get("request"), str):
        raise WebhookPayloadError("The USSD request lacks its 'request' text")
    return ussd


def _messages(data: Mapping[str, Any]) -> list[Message]:
    return [message for item in as_dicts(data.get("messages")) if (message := _message(item))]


def _message(item: Mapping[str, Any]) -> Message | None:
    """Return the message, or None without a valid ID: it could be neither tracked nor deduped."""
    if (message_id := as_id(item.get("ID"))) is None:
        return None
    kind = item.get("type")
    return Message(
        id=message_id,
        number=as_text(item.get("number")) or "",
        text=as_text(item.get("message")) or "",
        status=_status(item.get("status")),
        phone_id=as_id(item.get("deviceID")),
        sim_slot=as_int(item.get("simSlot"), 0, MAX_SIM_SLOT),
        group_id=as_text(item.get("groupID")),
        type=MessageType(kind) if kind in ("sms", "mms") else None,
        attachments=_attachments(item.get("attachments")),
        sent_at=as_datetime(item.get("sentDate")),
        delivered_at=as_datetime(item.get("deliveredDate")),
        schedule=as_unix_time(item.get("schedule")),
        result_code=as_int(item.get("resultCode"), MIN_CODE, MAX_CODE),
        error_code=as_int(item.get("errorCode"), MIN_CODE, MAX_CODE),
        retries=as_int(item.get("retries"), 0, MAX_COUNT),
        prioritize=as_flag(item.get("prioritize")),
        failure_reason=_failure_reason(item),
    )


def _status(value: Any) -> MessageStatus:
    """Return the status the gateway names; any other value is unknown."""
    if not isinstance(value, str):
        return MessageStatus.UNKNOWN
    return _STATUS.get(value, MessageStatus.UNKNOWN)


def _attachments(value: Any) -> tuple[str, ...]:
    """Return the attachment URLs of a comma-separated list."""
    text = as_text(value) if isinstance(value, str) else None
    return tuple(url for url in text.split(",") if url) if text else ()


def _failure_reason(item: Mapping[str, Any]) -> str | None:
    """Name why a failed message failed; None for messages that did not fail."""
    if item.get("status") != "Failed":
        return None
    code = as_int(item.get("resultCode"), MIN_CODE, MAX_CODE)
    if code is None or code < 0:
        return "unknown"
    return _RESULT_CODES.get(code, f"result_code_{code}")


def _phone(item: Mapping[str, Any]) -> Phone | None:
    """Return the phone, or None without a valid id (nothing could refer to it)."""
    if (phone_id := as_id(item.get("id"))) is None:
        return None
    return Phone(
        id=phone_id,
        name=as_text(item.get("name")),
        model=as_text(item.get("model")),
        android_version=as_text(item.get("androidVersion")),
        app_version=as_text(item.get("appVersion")),
        last_seen=as_datetime(item.get("lastSeenAt")),
        sims=_sims(item.get("sims")),
    )


def _sims(value: Any) -> tuple[Sim, ...]:
    """Parse the slot → label map, a JSON list for slots 0..n-1 and an object otherwise."""
    if isinstance(value, list):
        pairs: Iterable[tuple[Any, Any]] = enumerate(value)
    elif isinstance(value, dict):
        pairs = value.items()
    else:
        return ()
    sims: dict[int, Sim] = {}
    for key, label in pairs:
        # "1" and " 1" are one slot: keep the first, as one slot is one SIM.
        if (slot := as_int(key, 0, MAX_SIM_SLOT)) is None or slot in sims:
            continue
        text = as_text(label) or f"SIM #{slot + 1}"
        detail = (
            text[text.index("[") + 1 : text.rindex("]")]
            if "[" in text and text.endswith("]")
            else None
        )
        sims[slot] = Sim(slot=slot, label=text, detail=detail or None)
    return tuple(sims[slot] for slot in sorted(sims))


def _ussd(item: Mapping[str, Any]) -> UssdRequest | None:
    """Return the USSD request, or None without a valid ID (its answer could not be matched)."""
    if (ussd_id := as_id(item.get("ID"))) is None:
        return None
    return UssdRequest(
        id=ussd_id,
        request=as_text(item.get("request")) or "",
        response=as_text(item.get("response")),
        phone_id=as_id(item.get("deviceID")),
        sim_slot=as_int(item.get("simSlot"), 0, MAX_SIM_SLOT),
        sent_at=as_datetime(item.get("sentDate")),
        responded_at=as_datetime(item.get("responseDate")),
    )


def _contact(data: Mapping[str, Any]) -> Contact:
    item = data.get("contact")
    if not isinstance(item, dict):
        raise GatewayResponseError("The gateway's answer has no contact object")
    subscribed = item.get("subscribed")
    return Contact(
        id=as_int(item.get("ID"), 0, MAX_ID),
        number=as_text(item.get("number")) or "",
        name=as_text(item.get("name")),
        subscribed=subscribed == "true" or as_flag(subscribed) is True,
        list_id=as_int(item.get("contactsListID"), 0, MAX_ID),
    )
