"""The provider protocol every gateway module implements, with its request types.

The integration asks a gateway what it can do (``capabilities``) and never looks at which
provider it is talking to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum, auto
from typing import Protocol

from .models import Account, Contact, InboundBatch, Message, MessageStatus, Phone, UssdRequest


class Capability(StrEnum):
    """Something a provider can do."""

    SMS = auto()
    MMS = auto()
    BULK = auto()  # many recipients in one request
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


class Routing(StrEnum):
    """Which phones and SIMs a send uses."""

    SPECIFIED = "specified"  # the given senders, or the primary phone when none is given
    ALL_PHONES = "all_phones"  # every phone, with its default SIM
    ALL_SIMS = "all_sims"  # every SIM of every phone


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


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Filters for reading or resending messages; all given filters must match."""

    message_id: int | None = None
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

    ussd_id: int | None = None
    request: str | None = None
    phone_id: str | None = None
    sim_slot: int | None = None
    start: datetime | None = None
    end: datetime | None = None


class Gateway(Protocol):
    """A provider client. Methods a provider lacks raise ``CapabilityNotSupportedError``."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Return what this provider can do."""

    @property
    def account_id(self) -> str:
        """Return a stable identifier of server + account, free of secrets."""

    async def account(self) -> Account:
        """Return account figures (credits)."""

    async def phones(self) -> list[Phone]:
        """Return the phones of the account."""

    async def send(self, request: SendRequest) -> list[Message]:
        """Send a message to every recipient in as few requests as the provider allows."""

    async def send_to_list(self, list_id: int, request: SendRequest) -> list[Message]:
        """Send a message to every subscribed contact of a contacts list."""

    async def messages(self, query: MessageQuery) -> list[Message]:
        """Return the messages matching ``query`` (empty when none)."""

    async def resend(self, query: MessageQuery) -> list[Message]:
        """Resend the messages matching a non-empty ``query``."""

    async def subscribe_contact(
        self, list_id: int, number: str, *, name: str | None = None, resubscribe: bool = False
    ) -> Contact:
        """Add a contact to a list, or subscribe it again."""

    async def unsubscribe_contact(self, list_id: int, number: str) -> Contact:
        """Unsubscribe a contact from a list."""

    async def send_ussd(
        self, phone_id: str, code: str, *, sim_slot: int | None = None
    ) -> UssdRequest:
        """Send a USSD request; the answer arrives later."""

    async def ussd_requests(self, query: UssdQuery) -> list[UssdRequest]:
        """Return the USSD requests matching ``query`` (empty when none)."""

    def parse_webhook(
        self, headers: Mapping[str, str], form: Iterable[tuple[str, str]]
    ) -> InboundBatch:
        """Authenticate and parse a webhook request.

        Raises ``WebhookSignatureError`` when it is not authentic and
        ``WebhookPayloadError`` when it is authentic but unreadable.
        """
