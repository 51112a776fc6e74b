"""The provider protocol every gateway module implements, with its request types.

The integration asks a gateway what it can do (``capabilities``) and never looks at which
provider it is talking to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum, auto
from urllib.parse import urlsplit

from .errors import CapabilityNotSupportedError
from .models import Account, Contact, InboundBatch, Message, MessageStatus, Phone, UssdRequest

MAX_WEBHOOK_BODY = 256 * 1024  # bytes a webhook request may carry; the caller enforces it


class Capability(StrEnum):
    """Something a provider can do beyond sending an SMS (which every provider does)."""

    PHONES = auto()  # sends and receives through phones of the account (entities per phone)
    MMS = auto()
    SCHEDULE = auto()
    PRIORITY = auto()
    SIM_SELECT = auto()
    SPREAD = auto()  # all phones / all SIMs / one random phone
    CREDITS = auto()
    BATTERY = auto()
    LAST_SEEN = auto()
    READ = auto()
    RESEND = auto()
    CONTACTS = auto()
    LIST_SEND = auto()
    USSD = auto()
    INBOUND_WEBHOOK = auto()
    INBOUND_POLL = auto()
    STATUS_WEBHOOK = auto()
    STATUS_POLL = auto()
    CANCEL = auto()  # a message not yet on the phone can be withdrawn
    SENDER_ID = auto()  # a send may choose the name or number shown as its sender


class Routing(StrEnum):
    """Which phones and SIMs a send uses."""

    SPECIFIED = "specified"  # the given senders, or the primary phone when none is given
    ALL_PHONES = "all_phones"  # every phone, with its default SIM
    ALL_SIMS = "all_sims"  # every SIM of every phone


@dataclass(frozen=True, slots=True)
class Limits:
    """What one send may hold; None where the provider states no limit."""

    max_recipients: int | None = None
    max_segments: int | None = None  # SMS parts of one text


@dataclass(frozen=True, slots=True)
class Sender:
    """A phone, optionally pinned to one SIM slot (0-based)."""

    phone_id: str
    sim_slot: int | None = None


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One text (SMS or MMS) to one or many recipients."""

    recipients: tuple[str, ...]
    text: str
    mms: bool = False
    attachments: tuple[str, ...] = ()
    senders: tuple[Sender, ...] = ()
    routing: Routing = Routing.SPECIFIED
    random_sender: bool = False
    schedule: datetime | None = None
    prioritize: bool = False
    sender_id: str | None = None  # the name or number shown as sender, where the provider has one
    # An id of ours for this send, the same on every attempt: a provider that keeps it with the
    # send can tell whether an attempt whose answer was lost went out (``Gateway.find_sent``).
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Filters for reading or resending messages; all given filters must match."""

    message_id: str | None = None
    group_id: str | None = None
    status: MessageStatus | None = None
    phone_id: str | None = None
    sim_slot: int | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def is_empty(self) -> bool:
        """Return True when no filter is set (the query would match the whole history)."""
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class UssdQuery:
    """Filters for reading USSD requests."""

    ussd_id: str | None = None
    request: str | None = None
    phone_id: str | None = None
    sim_slot: int | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A webhook request as it arrived: the provider authenticates and parses it.

    ``method`` is one of the provider's ``webhook_methods``. ``query`` matters to providers that
    put a secret in the callback URL or call it with GET; ``body`` holds at most
    ``MAX_WEBHOOK_BODY`` bytes (empty for a GET).
    """

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebhookReply:
    """The answer a provider expects to an accepted webhook request."""

    status: int = 200
    text: str = ""
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What an accepted webhook request brought in, and how to answer it."""

    batch: InboundBatch
    reply: WebhookReply = WebhookReply()
    # False for a request answered without being authenticated, as it brings nothing (SMSC's
    # number confirmations): it proves nothing about the requests refused before it.
    authentic: bool = True


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    """A sent message whose state is followed: its id, and the group of its send if any."""

    message_id: str
    group_id: str | None = None


class Gateway:
    """A provider client.

    A provider overrides what it offers and declares it in ``capabilities``; every other
    operation raises ``CapabilityNotSupportedError``. The rules that differ between providers
    (how ids order, what the provider may make of a text, how states are best read back) are
    methods too, with defaults that assume nothing of the provider.
    """

    capabilities: frozenset[Capability] = frozenset()
    limits: Limits = Limits()
    # A USSD request goes out as an SMS to the code (and costs one).
    ussd_sends_sms: bool = False
    # The HTTP methods the provider calls its webhook with; a GET carries its fields in the
    # query and no body. Others are refused before ``handle_webhook`` sees them.
    webhook_methods: frozenset[str] = frozenset({"POST"})

    # The server's base URL; each client sets it when it is created.
    _base_url: str = ""

    @property
    def host(self) -> str:
        """Return the server's host, with the port when the URL names one (no secret in it)."""
        parts = urlsplit(self._base_url)
        host = parts.hostname or self._base_url
        return f"{host}:{parts.port}" if parts.port else host

    @property
    def uses_https(self) -> bool:
        """Return True when the client talks to the server over HTTPS."""
        return urlsplit(self._base_url).scheme == "https"

    @property
    def account_id(self) -> str:
        """Return a stable identifier of server + account, free of secrets."""
        raise NotImplementedError

    async def account(self) -> Account:
        """Return account figures (credits)."""
        raise _unsupported(Capability.CREDITS)

    @property
    def latest_account(self) -> Account | None:
        """Return the account figures the provider reported last, by any request.

        A provider whose send answers carry the balance left returns it here, so the credits
        follow each send without another request. None when it reports none that way.
        """
        return None

    async def phones(self) -> list[Phone]:
        """Return the phones of the account (empty for a provider without phones)."""
        return []

    async def send(self, request: SendRequest) -> list[Message]:
        """Send a message to every recipient in as few requests as the provider allows."""
        raise NotImplementedError

    async def send_to_list(self, list_id: int, request: SendRequest) -> list[Message]:
        """Send a message to every subscribed contact of a contacts list."""
        raise _unsupported(Capability.LIST_SEND)

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the messages matching ``query`` (empty when none)."""
        raise _unsupported(Capability.READ)

    async def resend(self, query: MessageQuery) -> list[Message]:
        """Resend the messages matching a non-empty ``query``."""
        raise _unsupported(Capability.RESEND)

    async def subscribe_contact(
        self, list_id: int, number: str, *, name: str | None = None, resubscribe: bool = False
    ) -> Contact:
        """Add a contact to a list, or subscribe it again."""
        raise _unsupported(Capability.CONTACTS)

    async def unsubscribe_contact(self, list_id: int, number: str) -> Contact:
        """Unsubscribe a contact from a list."""
        raise _unsupported(Capability.CONTACTS)

    async def send_ussd(
        self, phone_id: str, code: str, *, sim_slot: int | None = None
    ) -> UssdRequest:
        """Send a USSD request; the answer arrives later."""
        raise _unsupported(Capability.USSD)

    async def ussd_requests(self, query: UssdQuery) -> list[UssdRequest]:
        """Return the USSD requests matching ``query`` (empty when none)."""
        raise _unsupported(Capability.USSD)

    async def cancel(self, message_id: str) -> None:
        """Withdraw a message the provider has not handed to a phone yet."""
        raise _unsupported(Capability.CANCEL)

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Authenticate and parse a webhook request, and choose the reply.

        Raises ``WebhookSignatureError`` when it is not authentic, ``WebhookMediaTypeError``
        when its body is of a type the provider never posts, and ``WebhookPayloadError`` when
        it is authentic but unreadable. It changes nothing in the client: the caller may
        discard what the request brings (polling alone takes nothing from the webhook).
        """
        raise _unsupported(Capability.INBOUND_WEBHOOK)

    async def poll_inbound(self, since: datetime) -> InboundBatch:
        """Return what came in since ``since``: messages, USSD answers, delivery reports."""
        raise _unsupported(Capability.INBOUND_POLL)

    def can_find_sent(self, request: SendRequest) -> bool:
        """Return True when ``find_sent`` can tell whether a send of ``request`` went out.

        The caller then keeps a send whose answer was lost and asks before sending it again. A
        provider whose messages can be read back (``Capability.READ``) is searched instead.
        """
        return False

    async def find_sent(self, request: SendRequest) -> list[Message] | None:
        """Return the messages a send of ``request`` made, found by its ``reference``.

        [] when it made none (sending it again is safe); None when that cannot be told.
        """
        return None

    def sequence(self, message: Message) -> int | None:
        """Return where the message stands in the order the provider created them.

        None when its ids do not tell: a message is then never told apart from an older one
        with the same recipient and text by its id.
        """
        return None

    def may_have_sent(self, text: str, message: Message) -> bool:
        """Return True when ``message`` may be what the provider made of ``text``."""
        return message.text == text

    def status_queries(self, tracked: Iterable[TrackedMessage]) -> list[MessageQuery]:
        """Return the queries reading back the states of these messages (one each here)."""
        return [MessageQuery(message_id=message.message_id) for message in tracked]


def _unsupported(capability: Capability) -> CapabilityNotSupportedError:
    return CapabilityNotSupportedError(f"The provider does not offer {capability.value}")
