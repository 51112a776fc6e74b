"""Client for SMSC (smsc.ru, smsc.kz, smsc.ua, smscentre.com and white labels on other hosts).

SMSC is an SMS centre: no phones, a money balance, one account per login. Every script is
``https://<host>/sys/<name>.php``, called here by POST with ``fmt=3`` (JSON answers) and
``charset=utf-8``, authenticated by ``login`` + ``psw`` or by ``apikey``. Errors come as
``{"error": <text>, "error_code": <1..9>}`` with HTTP 200.

* ``balance.php?cur=1`` gives the balance and the account's currency.
* ``send.php`` sends one text to every recipient in one request. It is asked ``cost=3`` (the
  answer carries the cost and the balance left) and ``op=1`` (one entry per number, with the
  number as the service normalised it and its cost). The service gives one id to the whole
  send, so a message here is one number of a send: its id is ``<send id>:<number digits>``
  and its group is the send id. The balance of the last answer is kept in ``latest_account``,
  so a send updates the credits without another request.
* ``status.php`` reads the state of one message (id + number); it is the fallback of the
  status callbacks, and tells whether a send whose answer was lost went out: a send given a
  ``reference`` carries an id of ours (``id``, derived from the reference), by which its
  numbers are looked up before it is sent again (``find_sent``).
* Callbacks: the account's "handler URL" receives delivery statuses, incoming SMS and the
  service messages of "number confirmation by a call" as form fields (POST; GET accepted).
  The URL shown to the user carries ``charset=utf-8`` and ``sha1=<secret>`` (see
  ``callback_query``); the service sends the URL's parameters back with the secret replaced
  by ``sha1("<id>:<phone>:<status>:<secret>")`` for a status, or
  ``sha1("<phone>:<mes>:<to>:<secret>")`` for an incoming SMS (``md5`` and ``crc32``
  likewise). A callback without a valid hash is refused. Without a ``charset`` parameter the
  fields are windows-1251. An incoming SMS is told by its ``mes`` field, a number
  confirmation by its ``waitcall`` field (acknowledged and ignored), a status otherwise.
* Nothing but those three fields is signed, so a captured callback can be posted again under
  a new ``id`` or ``sent``: each incoming SMS carries a ``replay_key`` made of its digest, by
  which the caller refuses the same signed SMS twice, and is dated when it was received. The
  kind of a callback is bound to its fields (an SMS's sender is a number and its receiving
  number no status code; a status's id and status are numbers), and the sender and receiving
  number may not contain the separator ``:``, so that no signed string reads two ways.
* A replaced callback secret (``rotate_callback_secret``) still authenticates callbacks until
  it expires: the service hashes with the old one until the handler URL is changed there.

Unconfirmed
-----------
What the service's pages do not settle, and what this client decided:

* Only ``id``, ``phone``, ``status`` (statuses) and ``phone``, ``mes``, ``to`` (incoming SMS)
  are known callback fields. ``err`` is read as the status's error code, ``ts`` or ``time``
  (Unix seconds) as its moment, ``sent`` or ``time`` as an incoming SMS's; an incoming SMS is
  identified by its ``id`` (or ``sms_id``), and without one by a digest of its fields, so a
  repeated callback fires once.
* The incoming-SMS formula ``phone:mes:to`` comes from a third-party client, not from the
  service's page, which shows only the status formula. A refused callback is logged at debug
  level with the fields it hashed (names only).
* The hash is computed over the fields' bytes as sent, in their charset. A GET callback's
  query arrives already decoded as UTF-8, so a GET callback must use ``charset=utf-8``.
* The page allows ``crc32`` without saying how it is written: PHP's ``crc32()`` (decimal),
  ``hash("crc32b")`` and ``hash("crc32")`` (8 hex digits each) are all accepted. A crc32
  check can be forged by anyone who saw one callback: a warning says so once.
* A number confirmation's fields and hash are not listed: it changes nothing here, so it is
  acknowledged without being checked.
* ``send.php`` keeping the ``id`` a client gives a send is not on the page: where its answer
  names another id, the client stops relying on it (``can_find_sent`` is then False, and an
  HTTP 502, 503 or 504 reads as a send not taken).
* When both the URL's query and the form carry a field, the form wins (the service repeats
  the URL's parameters in the form, with the hash instead of the secret).
* ``status.php`` is asked ``all=1``; its JSON keys ``message``, ``send_timestamp``,
  ``last_timestamp`` and ``cost`` are read when present. Status -3 (not found) reads as no
  message.
* A schedule is sent as ``time=0<Unix seconds>``; an MMS as ``mms=1`` with its one attachment
  as ``fileurl`` (several attachments are refused).
* Error 4 (address blocked after repeated errors) is treated like error 9 (too many
  requests): wait a minute. Errors 1, 5, 6, 7 and 8 refuse the request itself.
* Status 2 (read) and 4 (link clicked) count as delivered; 3 (expired) and 20-25 as failed;
  -2 (stopped) as canceled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
import logging
import re
import secrets
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit
import zlib

import aiohttp

from .errors import (
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayInsufficientFundsError,
    GatewayRateLimitedError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    GatewayUnavailableError,
    InvalidQueryError,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookSignatureError,
)
from .gateway import (
    Capability,
    Gateway,
    MessageQuery,
    SendRequest,
    WebhookReply,
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
)
from .text import quoted
from .transport import Transport
from .values import as_dicts, as_float, as_id, as_int, as_text, as_unix_time, header

# Keys of the configuration ``from_config`` reads.
CONF_HOST: Final = "host"  # a host name ("smsc.kz") or a base URL ("https://smsc.kz")
CONF_LOGIN: Final = "login"
CONF_PASSWORD: Final = "password"  # noqa: S105 (a key name)
CONF_API_KEY: Final = "api_key"
CONF_CALLBACK_SECRET: Final = "callback_secret"  # noqa: S105 (a key name)
CONF_SENDER_ID: Final = "sender_id"  # the default sender name, when the user set one
# A replaced callback secret, kept while the service may still hash with it, and until when.
CONF_PREVIOUS_CALLBACK_SECRET: Final = "previous_callback_secret"  # noqa: S105 (a key name)
CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES: Final = "previous_callback_secret_expires"  # noqa: S105
SECRET_ROTATION_GRACE: Final = timedelta(hours=24)

DEFAULT_HOST: Final = "smsc.ru"
KNOWN_HOSTS: Final = ("smsc.ru", "smsc.kz", "smsc.ua", "smscentre.com")
DEFAULT_TIMEOUT: Final = 30.0
RATE_LIMIT_WAIT: Final = 60.0  # seconds; the service counts its request limits per minute
CALLBACK_ALGORITHMS: Final = ("sha1", "md5", "crc32")  # checked in this order
CALLBACK_CHARSET: Final = "utf-8"
DEFAULT_CALLBACK_CHARSET: Final = "windows-1251"  # when the handler URL names none
FORM: Final = "application/x-www-form-urlencoded"

MAX_MONEY: Final = 1e15
MAX_PARTS: Final = 10_000
MAX_SEND_ID: Final = 2_147_483_647  # the ids the service takes for a send: 1 to this

_LOGGER = logging.getLogger(__name__)

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,200}")  # the alphabet the service allows in secrets
_NUMBER = re.compile(r"\+?[0-9]{1,20}")  # a phone number as a callback writes it
_STATUS_CODE = re.compile(r"-?[0-9]{1,3}")  # what a status callback's third field looks like
_INCOMING: Final = ("phone", "mes", "to")  # the fields an incoming SMS's hash covers, in order
_STATUS: Final = ("id", "phone", "status")  # and a status's
_UNAVAILABLE = frozenset({502, 503, 504})  # a proxy's answers that the service is not there
# Each byte with its bits in reverse order: the BZIP2 CRC is zlib's CRC over reversed bits.
_REVERSED_BITS = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))
_CHARSETS: Final = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "windows-1251": "cp1251",
    "cp1251": "cp1251",
    "koi8-r": "koi8_r",
}
_AUTHENTICATION = 2
_NO_MONEY = 3
_BLOCKED = 4
_TOO_MANY = 9
_REFUSED_CODES = frozenset({1, 5, 6, 7, 8})
_NOT_FOUND = -3

# status code -> (our status, name of the outcome, shown as failure reason when it failed)
_STATUSES: Final[dict[int, tuple[MessageStatus, str]]] = {
    -3: (MessageStatus.UNKNOWN, "not_found"),
    -2: (MessageStatus.CANCELED, "stopped"),
    -1: (MessageStatus.PENDING, "waiting"),
    0: (MessageStatus.SENT, "sent_to_operator"),
    1: (MessageStatus.DELIVERED, "delivered"),
    2: (MessageStatus.DELIVERED, "read"),
    3: (MessageStatus.FAILED, "expired"),
    4: (MessageStatus.DELIVERED, "link_clicked"),
    20: (MessageStatus.FAILED, "undeliverable"),
    22: (MessageStatus.FAILED, "invalid_number"),
    23: (MessageStatus.FAILED, "prohibited"),
    24: (MessageStatus.FAILED, "insufficient_funds"),
    25: (MessageStatus.FAILED, "unavailable_number"),
}
# ``err`` of a status: why the operator could not deliver (the codes the service documents).
_ERRORS: Final = {
    1: "subscriber_not_found",
    6: "subscriber_offline",
    11: "no_service",
    12: "subscriber_phone_error",
    13: "subscriber_blocked",
    21: "service_not_supported",
    200: "virtual_sending",
    219: "sim_replaced",
    220: "operator_queue_full",
}


def status_from_code(code: int) -> MessageStatus:
    """Return our status for an SMSC status code; codes the service does not list are unknown."""
    return _STATUSES.get(code, (MessageStatus.UNKNOWN, ""))[0]


def failure_reason(code: int, err: int | None) -> str | None:
    """Name why a message failed: its ``err`` if it has one, else its status; None otherwise."""
    status, name = _STATUSES.get(code, (MessageStatus.UNKNOWN, ""))
    if status is not MessageStatus.FAILED:
        return None
    if err:
        return _ERRORS.get(err, f"error_{err}")
    return name


def service_url(host: str) -> str:
    """Return the base URL of a service host: ``smsc.kz`` → ``https://smsc.kz``.

    A typed URL keeps its scheme and port (a white label on HTTP, a test server); a pasted
    script path (``/sys/send.php``) is dropped.
    """
    text = host.strip() or DEFAULT_HOST
    parts = urlsplit(text if "://" in text else f"https://{text}")
    segments = parts.path.rstrip("/").split("/")
    if "sys" in segments:
        segments = segments[: segments.index("sys")]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/".join(segments), "", ""))


def generate_callback_secret() -> str:
    """Return a new callback secret in the alphabet the service allows (letters, digits, - _)."""
    return secrets.token_urlsafe(24)


def callback_query(secret: str, algorithm: str = "sha1") -> str:
    """Return the query to append to the callback URL shown to the user.

    ``charset=utf-8`` makes the service send UTF-8; ``sha1=<secret>`` makes it hash every
    callback with the secret (which it never sends back).
    """
    if algorithm not in CALLBACK_ALGORITHMS:
        raise ValueError(f"The callback hash is one of {', '.join(CALLBACK_ALGORITHMS)}")
    if not _SECRET.fullmatch(secret):
        raise ValueError("A callback secret has only letters, digits, '-' and '_'")
    return f"charset={CALLBACK_CHARSET}&{algorithm}={secret}"


def callback_hash(algorithm: str, fields: Sequence[bytes | str], secret: str) -> str:
    """Return the service's hash of callback fields: ``algorithm("f1:f2:f3:secret")``.

    Hex for md5 and sha1; a crc32 in decimal, one of the ways the service may write it.
    """
    return _digests(algorithm, _signed(fields, secret))[0]


def _signed(fields: Sequence[bytes | str], secret: str) -> bytes:
    parts = [field.encode() if isinstance(field, str) else field for field in fields]
    return b":".join([*parts, secret.encode()])


def _digests(algorithm: str, data: bytes) -> tuple[str, ...]:
    """Return each way the service may write the hash of ``data``, the canonical one first."""
    if algorithm != "crc32":
        # The service chose these digests; the flag keeps md5 available on FIPS systems.
        return (hashlib.new(algorithm, data, usedforsecurity=False).hexdigest(),)
    crc = zlib.crc32(data)
    # PHP's hash("crc32") is the BZIP2 CRC (zlib's over bit-reversed bytes, reversed back),
    # written with its bytes in reverse order.
    bzip2 = int(f"{zlib.crc32(data.translate(_REVERSED_BITS)):032b}"[::-1], 2)
    return (str(crc), f"{crc:08x}", bzip2.to_bytes(4, "little").hex())


def rotate_callback_secret(
    data: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Return an entry's data with a new callback secret, the replaced one kept for a while.

    The service hashes with the replaced secret until the user changes the handler URL there:
    it authenticates callbacks for ``SECRET_ROTATION_GRACE`` more.
    """
    rotated = dict(data)
    if old := data.get(CONF_CALLBACK_SECRET):
        expires = (now or datetime.now(UTC)) + SECRET_ROTATION_GRACE
        rotated[CONF_PREVIOUS_CALLBACK_SECRET] = old
        rotated[CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES] = expires.isoformat()
    rotated[CONF_CALLBACK_SECRET] = generate_callback_secret()
    return rotated


def prune_callback_secrets(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return an entry's data without the replaced callback secret once it expired, else None."""
    expires = data.get(CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES)
    if not expires or datetime.fromisoformat(expires) > datetime.now(UTC):
        return None
    pruned = dict(data)
    pruned.pop(CONF_PREVIOUS_CALLBACK_SECRET, None)
    pruned.pop(CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES)
    return pruned


class SmscClient(Gateway):
    """Asynchronous client of one SMSC account."""

    capabilities = frozenset(
        {
            Capability.MMS,
            Capability.SCHEDULE,
            Capability.CREDITS,
            Capability.INBOUND_WEBHOOK,
            Capability.STATUS_WEBHOOK,
            Capability.STATUS_POLL,
            Capability.SENDER_ID,
        }
    )
    webhook_methods = frozenset({"POST", "GET"})

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        host: str = DEFAULT_HOST,
        login: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        callback_secret: str | None = None,
        previous_callback_secrets: Sequence[str] = (),
        previous_secrets_expire: datetime | None = None,
        sender_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client authenticated by ``api_key``, or else by ``login`` + ``password``.

        ``callback_secret`` authenticates the callbacks (none are accepted without it), and so
        do ``previous_callback_secrets`` until ``previous_secrets_expire`` (for ever without
        it); ``sender_id`` is the sender name of sends that do not choose one.
        """
        if not api_key and not (login and password):
            raise GatewayAuthenticationError("SMSC needs a login and password, or an API key")
        # The service is asked for UTF-8, whatever charset its answers declare.
        self._transport = Transport(session, "SMSC", timeout=timeout, encoding="utf-8")
        self._base_url = service_url(host)
        self._login = None if api_key else login
        self._credentials: dict[str, str] = (
            {"apikey": api_key} if api_key else {"login": str(login), "psw": str(password)}
        )
        self._callback_secret = callback_secret or None
        self._previous_secrets = tuple(secret for secret in previous_callback_secrets if secret)
        self._previous_secrets_expire = previous_secrets_expire
        self._secrets = tuple(
            value
            for value in (api_key, password, callback_secret, *self._previous_secrets)
            if value
        )
        self._sender_id = sender_id or None
        self._currency: str | None = None
        self._latest_account: Account | None = None
        # Whether send.php kept the ids we gave sends: None until a send answered.
        self._keeps_ids: bool | None = None
        self._warned_crc32 = False

    def __repr__(self) -> str:
        """Name the service and the account, never a secret."""
        return f"SmscClient({self.account_id!r})"

    @property
    def account_id(self) -> str:
        """Return the service URL + the login, or a digest of the API key."""
        if self._login:
            return f"{self._base_url}#{self._login}"
        digest = hashlib.sha256(self._credentials["apikey"].encode()).hexdigest()[:16]
        return f"{self._base_url}#key-{digest}"

    @property
    def latest_account(self) -> Account | None:
        """Return the balance the service last reported, by ``account()`` or by a send.

        A send's answer carries the balance left, so the credits can follow each send without
        another request. None until the service reported one.
        """
        return self._latest_account

    # -- account --------------------------------------------------------------------------

    async def account(self) -> Account:
        """Return the balance, in the account's currency."""
        data = _object(await self._call("balance", {"cur": "1"}))
        balance = as_float(data.get("balance"), MAX_MONEY)
        if balance is None:
            raise GatewayResponseError("The service's balance answer has no balance")
        self._currency = as_text(data.get("currency")) or self._currency
        self._latest_account = Account(credits=balance, currency=self._currency)
        return self._latest_account

    # -- messages -------------------------------------------------------------------------

    async def send(self, request: SendRequest) -> list[Message]:
        """Send the text to every recipient in one request; one message per recipient.

        A request with a ``reference`` is sent with the id derived from it, by which
        ``find_sent`` looks it up when this answer is lost.
        """
        if not request.recipients:
            raise InvalidQueryError("A send needs at least one recipient")
        if any("," in number or ";" in number for number in request.recipients):
            raise InvalidQueryError("A recipient number cannot contain ',' or ';'")
        params = {
            "phones": ",".join(request.recipients),
            "mes": request.text,
            "cost": "3",
            "op": "1",
        }
        if (sender := request.sender_id or self._sender_id) is not None:
            params["sender"] = sender
        if request.schedule is not None:
            params["time"] = f"0{int(request.schedule.timestamp())}"
        if request.mms:
            if len(request.attachments) > 1:
                raise InvalidQueryError("SMSC takes one attachment per MMS")
            params["mms"] = "1"
            if request.attachments:
                params["fileurl"] = request.attachments[0]
        ours = None if request.reference is None else send_id_of(request.reference)
        if ours is not None:
            params["id"] = ours
        # A send that can be looked up is looked up after any unclear answer; one that cannot
        # reads a proxy's "unavailable" as not taken, so that it is kept and sent again.
        traceable = self.can_find_sent(request)
        data = _object(await self._call("send", params, unavailable_is_refusal=not traceable))
        send_id = _id(data.get("id"))
        if send_id is None:
            raise GatewayResponseError("The service's send answer has no message id")
        if ours is not None:
            self._note_kept_id(send_id == ours)
        balance = as_float(data.get("balance"), MAX_MONEY)
        if balance is not None:
            self._latest_account = Account(credits=balance, currency=self._currency)
        return _sent_messages(request, send_id, data)

    def can_find_sent(self, request: SendRequest) -> bool:
        """Return True unless the request has no reference or the service ignores our ids."""
        return request.reference is not None and self._keeps_ids is not False

    async def find_sent(self, request: SendRequest) -> list[Message] | None:
        """Return the numbers of the send that the service has under our id ([] when none)."""
        if request.reference is None or not self.can_find_sent(request):
            return None
        send_id = send_id_of(request.reference)
        found: list[Message] = []
        for digits in dict.fromkeys(_digits(number) for number in request.recipients):
            for message in await self.messages(MessageQuery(message_id=f"{send_id}:{digits}")):
                known = _digits(message.number) or digits
                found.append(
                    replace(message, id=f"{send_id}:{known}", text=message.text or request.text)
                )
        return found

    def _note_kept_id(self, kept: bool) -> None:
        if not kept and self._keeps_ids is not False:
            _LOGGER.info(
                "SMSC numbered a send itself instead of keeping the id it was given: a send "
                "whose answer is lost cannot be looked up, so it fails instead of waiting in the "
                "outbox (an unavailable service still makes it wait)"
            )
        self._keeps_ids = kept

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the message ``query.message_id`` names (``<send id>:<number>``), if found.

        The service reads messages back by id and number only: any other query is refused.
        """
        if query.message_id is None or (key := _split_id(query.message_id)) is None:
            raise InvalidQueryError("SMSC reads a message back by its id only")
        send_id, number = key
        data = _object(await self._call("status", {"id": send_id, "phone": number, "all": "1"}))
        code = as_int(data.get("status"), -1000, 1000)
        if code is None:
            raise GatewayResponseError("The service's status answer has no status")
        if code == _NOT_FOUND:
            return []
        err = as_int(data.get("err"), 0, 2**31 - 1)
        status = status_from_code(code)
        cost = as_float(data.get("cost"), MAX_MONEY)
        return [
            Message(
                id=query.message_id,
                number=as_text(data.get("phone")) or number,
                text=as_text(data.get("message")) or "",
                status=status,
                group_id=send_id,
                sent_at=_timestamp(data.get("send_timestamp")),
                delivered_at=(
                    _timestamp(data.get("last_timestamp"))
                    if status is MessageStatus.DELIVERED
                    else None
                ),
                result_code=code,
                error_code=err or None,
                failure_reason=failure_reason(code, err),
                cost=cost,
            )
        ]

    # -- callbacks ------------------------------------------------------------------------

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Authenticate a callback by its hash, then read a status or an incoming SMS.

        A number confirmation (``waitcall``, no ``mes``) is acknowledged and ignored.
        """
        received = datetime.now(UTC)
        fields = _callback_fields(request)
        incoming = "mes" in fields
        if not incoming and "waitcall" in fields:
            _LOGGER.debug("Ignored an SMSC number confirmation callback: not an SMS nor a status")
            return WebhookResult(InboundBatch(), WebhookReply(text="OK"), authentic=False)
        names = _INCOMING if incoming else _STATUS
        algorithm, digest = self._authenticate(fields, names)
        text = _decoder(fields)
        if incoming:
            key = hashlib.sha256(f"sms:{algorithm}:{digest}".encode()).hexdigest()[:32]
            message = _incoming(fields, text, received, key)
            return WebhookResult(InboundBatch(messages=(message,)), WebhookReply(text="OK"))
        return WebhookResult(
            InboundBatch(delivery_reports=(_report(fields, text),)), WebhookReply(text="OK")
        )

    def _authenticate(self, fields: Mapping[str, bytes], names: Sequence[str]) -> tuple[str, str]:
        """Return the algorithm and our digest of the fields that the callback's hash matches."""
        hashes = [(name, fields[name]) for name in CALLBACK_ALGORITHMS if name in fields]
        if not hashes:
            raise WebhookSignatureError("The callback carries no md5, sha1 or crc32 hash")
        secrets_now = self._callback_secrets()
        if not secrets_now:
            raise WebhookSignatureError("No callback secret is configured")
        algorithm, provided = hashes[0]
        given = provided.strip().lower()
        values = [fields.get(name, b"") for name in names]
        for secret in secrets_now:
            digests = _digests(algorithm, _signed(values, secret))
            # Every reading is compared, in constant time, whichever matches.
            if sum(hmac.compare_digest(digest.encode(), given) for digest in digests):
                self._warn_if_weak(algorithm)
                return algorithm, digests[0]
        # Names only, quoted and bounded (they are the sender's): never a value or a digest.
        others = sorted(name[:20] for name in fields if name not in (*names, algorithm))[:10]
        _LOGGER.debug(
            "Refused an SMSC callback: its %s is not the hash of %s joined with ':' and the "
            "callback secret (%s secret(s) tried; fields hashed as received in charset %r; "
            "empty: %s; other fields: %r)",
            algorithm,
            ":".join(names),
            len(secrets_now),
            fields.get("charset", DEFAULT_CALLBACK_CHARSET.encode()).decode("latin-1")[:20],
            ", ".join(name for name in names if not fields.get(name)) or "none",
            others,
        )
        raise WebhookSignatureError("Callback hash does not match")

    def _callback_secrets(self) -> tuple[str, ...]:
        """Return the secrets that authenticate callbacks now: replaced ones until they expire."""
        current = (self._callback_secret,) if self._callback_secret else ()
        expire = self._previous_secrets_expire
        if expire is not None and datetime.now(UTC) >= expire:
            return current
        return current + self._previous_secrets

    def _warn_if_weak(self, algorithm: str) -> None:
        if algorithm == "crc32" and not self._warned_crc32:
            self._warned_crc32 = True
            _LOGGER.warning(
                "SMSC callbacks are checked with crc32, which anyone who has seen one callback "
                "can forge: use sha1 in the handler URL, as the integration shows it"
            )

    # -- transport ------------------------------------------------------------------------

    async def _call(
        self, script: str, params: dict[str, str], *, unavailable_is_refusal: bool = True
    ) -> Any:
        """Call a script; a proxy's 502, 503 or 504 raises ``GatewayUnavailableError`` (the
        request was not taken) unless ``unavailable_is_refusal`` is False."""
        url = f"{self._base_url}/sys/{script}.php"
        form = {**self._credentials, "fmt": "3", "charset": "utf-8", **params}
        answer = await self._transport.post(url, form=form, any_status=True)
        if answer.status != 200:
            if answer.status in _UNAVAILABLE and unavailable_is_refusal:
                raise GatewayUnavailableError(
                    f"SMSC answered HTTP {answer.status}: the service is unavailable"
                )
            raise self._transport.status_error(answer.status)
        return self._answer(answer.body)

    def _answer(self, body: str) -> Any:
        """Parse a JSON answer, raising the typed error of an error answer."""
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            kind = "an HTML page" if body.lstrip().startswith("<") else "something that is not JSON"
            raise GatewayResponseError(f"SMSC answered {kind}") from None
        if not isinstance(document, dict) or not {"error", "error_code"} & document.keys():
            return document
        code = as_int(document.get("error_code"), -(2**31), 2**31 - 1)
        text = self._scrub(as_text(document.get("error")) or "unknown error")
        message = f"SMSC error {code}: {text}"
        if code == _AUTHENTICATION:
            raise GatewayAuthenticationError(message)
        if code in (_TOO_MANY, _BLOCKED):
            raise GatewayRateLimitedError(message, retry_after=RATE_LIMIT_WAIT)
        if code == _NO_MONEY:
            raise GatewayInsufficientFundsError(message, code=code)
        if code in _REFUSED_CODES:
            raise GatewayRequestRefusedError(message, code=code)
        raise GatewayApiError(message, code=code)

    def _scrub(self, text: str) -> str:
        """Mask any secret an error text might quote."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def from_config(session: aiohttp.ClientSession, config: Mapping[str, Any]) -> SmscClient:
    """Create a client from an entry's data (the ``CONF_*`` keys of this module)."""
    previous = config.get(CONF_PREVIOUS_CALLBACK_SECRET)
    expires = config.get(CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES)
    return SmscClient(
        session,
        host=config.get(CONF_HOST) or DEFAULT_HOST,
        login=config.get(CONF_LOGIN) or None,
        password=config.get(CONF_PASSWORD) or None,
        api_key=config.get(CONF_API_KEY) or None,
        callback_secret=config.get(CONF_CALLBACK_SECRET) or None,
        # A replaced secret without its expiry (a hand-edited entry) is not honoured for ever.
        previous_callback_secrets=(previous,) if previous and expires else (),
        previous_secrets_expire=datetime.fromisoformat(expires) if expires else None,
        sender_id=config.get(CONF_SENDER_ID) or None,
    )


def send_id_of(reference: str) -> str:
    """Return the id a send with this reference is given: a number from 1 to MAX_SEND_ID."""
    digest = hashlib.sha256(reference.encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % MAX_SEND_ID + 1)


# -- sends ---------------------------------------------------------------------------------


def _digits(number: str) -> str:
    return "".join(char for char in number if char.isascii() and char.isdigit())


def _split_id(message_id: str) -> tuple[str, str] | None:
    """Return (send id, number digits) of a message id made by this client, else None."""
    send_id, _, number = message_id.partition(":")
    if _id(send_id) is None or not number or _digits(number) != number:
        return None
    return send_id, number


def _sent_messages(request: SendRequest, send_id: str, data: Mapping[str, Any]) -> list[Message]:
    """Return one message per number of the send.

    The ``phones`` list names each number as the service normalised it (the number status
    callbacks will name); without it the digits of the numbers as given stand in.
    """
    kind = MessageType.MMS if request.mms else MessageType.SMS
    pending = (
        MessageStatus.SCHEDULED
        if request.schedule is not None and request.schedule > datetime.now(UTC)
        else MessageStatus.PENDING
    )
    total_parts = as_int(data.get("cnt"), 0, MAX_PARTS)
    entries = as_dicts(data.get("phones"))
    given = {_digits(number): number for number in request.recipients}
    numbers: list[tuple[str, str, float | None]] = []  # (number, digits, cost)
    for item in entries:
        digits = _digits(as_text(item.get("phone")) or "")
        if digits:
            numbers.append(
                (given.get(digits, digits), digits, as_float(item.get("cost"), MAX_MONEY))
            )
    if not numbers:
        numbers = [(number, _digits(number), None) for number in request.recipients]
        if len(numbers) == 1:
            numbers = [(*numbers[0][:2], as_float(data.get("cost"), MAX_MONEY))]
    count = len(numbers)
    parts = total_parts // count if total_parts is not None and total_parts % count == 0 else None
    return [
        Message(
            id=f"{send_id}:{digits}",
            number=number,
            text=request.text,
            status=pending,
            group_id=send_id,
            type=kind,
            attachments=request.attachments if request.mms else (),
            schedule=request.schedule,
            cost=cost,
            segments=parts,
        )
        for number, digits, cost in numbers
    ]


# -- callbacks -----------------------------------------------------------------------------


def _callback_fields(request: WebhookRequest) -> dict[str, bytes]:
    """Return the callback's fields as bytes: the URL's query, then the form over it."""
    fields = {name: value.encode() for name, value in request.query.items()}
    method = request.method.upper()
    if method not in SmscClient.webhook_methods:
        raise WebhookPayloadError(f"SMSC does not send {quoted(method)} callbacks")
    if method == "GET" or not request.body:
        return fields
    content_type = header(request.headers, "Content-Type") or ""
    if content_type.partition(";")[0].strip().lower() != FORM:
        raise WebhookMediaTypeError("not a URL-encoded form")
    # Latin-1 maps each byte to one character and back: the fields keep their exact bytes.
    form = parse_qsl(request.body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    fields.update((name, value.encode("latin-1")) for name, value in form)
    return fields


def _decoder(fields: Mapping[str, bytes]) -> dict[str, str]:
    """Decode the fields in the charset the handler URL named (windows-1251 without one)."""
    name = fields.get("charset", DEFAULT_CALLBACK_CHARSET.encode()).decode("latin-1")
    codec = _CHARSETS.get(name.strip().lower())
    if codec is None:
        raise WebhookPayloadError("The callback names a charset SMSC does not use")
    try:
        return {key: value.decode(codec) for key, value in fields.items()}
    except UnicodeDecodeError:
        raise WebhookPayloadError(f"The callback's fields are not {name}") from None


def _incoming(
    raw: Mapping[str, bytes], fields: Mapping[str, str], received: datetime, replay_key: str
) -> Message:
    """Read an authentic incoming SMS, dated when it was received.

    Its fields must read as an SMS only: a sender that is a number and a receiving number that
    is no status code, neither holding the separator, so that the signed ``phone:mes:to``
    cannot be the signed ``id:phone:status`` of a status, nor another split of the same text.
    ``sent`` is not signed: it never dates the SMS later than its arrival.
    """
    number = fields.get("phone", "").strip()
    if not number:
        raise WebhookPayloadError("The incoming SMS has no 'phone'")
    if not _NUMBER.fullmatch(number):
        raise WebhookPayloadError("The incoming SMS's 'phone' is not a phone number")
    to = fields.get("to", "")
    if ":" in to or _STATUS_CODE.fullmatch(to.strip()):
        raise WebhookPayloadError("The incoming SMS's 'to' is not a receiving number")
    sent = _timestamp(fields.get("sent")) or _timestamp(fields.get("time"))
    sms_id = _id(fields.get("id")) or _id(fields.get("sms_id"))
    if sms_id is None:
        # No id: the same fields make the same id, so a repeated callback fires once.
        digest = hashlib.sha256(
            b"\0".join(raw.get(name, b"") for name in ("phone", "mes", "to", "sent", "time"))
        ).hexdigest()[:20]
        sms_id = f"h{digest}"
    return Message(
        id=sms_id,
        number=number,
        text=fields["mes"],
        status=MessageStatus.RECEIVED,
        type=MessageType.SMS,
        sent_at=None if sent is None else min(sent, received),
        delivered_at=received,
        replay_key=replay_key,
    )


def _report(raw: Mapping[str, bytes], fields: Mapping[str, str]) -> DeliveryReport:
    send_id = _id(fields.get("id"))
    phone = fields.get("phone", "").strip()
    digits = _digits(phone) if _NUMBER.fullmatch(phone) else ""
    code = as_int(fields.get("status"), -1000, 1000)
    if send_id is None or not digits or code is None:
        raise WebhookPayloadError("The status callback lacks a valid 'id', 'phone' or 'status'")
    err = as_int(fields.get("err"), 0, 2**31 - 1)
    return DeliveryReport(
        message_id=f"{send_id}:{digits}",
        status=status_from_code(code),
        number=fields["phone"].strip(),
        at=_timestamp(fields.get("ts")) or _timestamp(fields.get("time")),
        error_code=err or None,
        failure_reason=failure_reason(code, err),
    )


# -- values --------------------------------------------------------------------------------


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GatewayResponseError("SMSC's answer is not a JSON object")
    return value


def _id(value: Any) -> str | None:
    """Return an id of the service, which numbers from 1."""
    return as_id(value, low=1)


def _timestamp(value: Any) -> datetime | None:
    """Return the moment of a Unix time in seconds; 0 reads as no moment."""
    return as_unix_time(value, low=1)
