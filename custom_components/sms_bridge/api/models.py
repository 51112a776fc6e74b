"""Provider-neutral data models.

Every provider module turns its own wire format into these. Ids (of messages, USSD requests,
phones) are strings because providers disagree on their type; SIM slots are 0-based as on the
wire (``Sim.number`` gives the 1-based number people see on their phone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .numbers import clean_number


class MessageStatus(StrEnum):
    """Lifecycle state of a message."""

    SCHEDULED = "scheduled"
    PENDING = "pending"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELED = "canceled"
    RECEIVED = "received"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Return True when the message will not change state on its own any more."""
        return self in _FINAL

    @property
    def rank(self) -> int:
        """Position in the outgoing lifecycle; a later report never lowers it."""
        return _RANK[self]


_FINAL = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.CANCELED, MessageStatus.RECEIVED}
)
_RANK = {
    MessageStatus.UNKNOWN: 0,
    MessageStatus.SCHEDULED: 1,
    MessageStatus.PENDING: 2,
    MessageStatus.QUEUED: 3,
    MessageStatus.SENT: 4,
    MessageStatus.DELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.CANCELED: 5,
    MessageStatus.RECEIVED: 5,
}


class MessageType(StrEnum):
    """Kind of message."""

    SMS = "sms"
    MMS = "mms"


@dataclass(frozen=True, slots=True)
class Sim:
    """A SIM card slot of a phone."""

    slot: int
    label: str
    detail: str | None = None  # number, SIM name or carrier, when the provider tells

    @property
    def number(self) -> int:
        """Return the 1-based SIM number shown to people."""
        return self.slot + 1

    @property
    def phone_number(self) -> str | None:
        """Return the SIM's phone number, as the gateway wrote it, when the detail is one."""
        return self.detail if self.detail and clean_number(self.detail) else None

    @property
    def operator(self) -> str | None:
        """Return the SIM's name or carrier, when the detail is not a phone number."""
        return self.detail if self.detail and self.phone_number is None else None


@dataclass(frozen=True, slots=True)
class Phone:
    """An Android phone (or virtual sender) that sends and receives messages."""

    id: str
    name: str | None = None
    model: str | None = None
    android_version: str | None = None
    app_version: str | None = None
    last_seen: datetime | None = None
    sims: tuple[Sim, ...] = ()
    battery: int | None = None
    charging: bool | None = None
    online: bool | None = None  # connected to the provider now, when the provider tells
    subscription: bool | None = None  # the provider's paid plan is active on it, when it tells
    sending_enabled: bool | None = None  # the owner lets the provider send through it

    @property
    def display_name(self) -> str:
        """Return the best name to show for this phone."""
        return self.name or self.model or f"Phone {self.id}"

    def sim(self, slot: int) -> Sim | None:
        """Return the SIM in ``slot``, if the phone has one there."""
        return next((sim for sim in self.sims if sim.slot == slot), None)


@dataclass(frozen=True, slots=True)
class Account:
    """Account-level figures. ``credits`` is None both when unlimited and when unknown.

    ``currency`` names the unit of ``credits`` when they are money (e.g. "RUB"); None when
    they are message credits or the provider does not tell.
    """

    credits: float | None
    unlimited: bool = False
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """An outgoing or received message."""

    id: str
    number: str
    text: str
    status: MessageStatus
    phone_id: str | None = None
    sim_slot: int | None = None
    group_id: str | None = None
    type: MessageType | None = None
    attachments: tuple[str, ...] = ()
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    schedule: datetime | None = None
    result_code: int | None = None
    error_code: int | None = None
    retries: int | None = None
    prioritize: bool | None = None
    failure_reason: str | None = None  # decoded from the provider's result code
    cost: float | None = None  # what the provider charged for it, in the account's currency
    segments: int | None = None  # SMS parts the provider billed for it
    # A received message whose provider signs no id: a key of what its signature covers. A
    # second message with the same key is the same signed request again (a replay).
    replay_key: str | None = None


@dataclass(frozen=True, slots=True)
class UssdRequest:
    """A USSD request and, once the phone reports it, its answer.

    ``response_id`` is the provider's own id of what brought the answer (a received message),
    where it has one: the same answer read again carries the same one, even once the request
    it answers is forgotten (a restart).
    """

    id: str
    request: str
    response: str | None = None
    phone_id: str | None = None
    sim_slot: int | None = None
    sent_at: datetime | None = None
    responded_at: datetime | None = None
    response_id: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A member of a contacts list."""

    id: int | None
    number: str
    name: str | None
    subscribed: bool
    list_id: int | None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A status the provider pushed for a message sent earlier."""

    message_id: str
    status: MessageStatus
    phone_id: str | None = None
    number: str | None = None
    at: datetime | None = None  # when the status was reached, when the provider tells
    error_code: int | None = None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class InboundBatch:
    """What one authenticated webhook request (or one poll) brought in."""

    messages: tuple[Message, ...] = field(default=())
    ussd_requests: tuple[UssdRequest, ...] = field(default=())
    delivery_reports: tuple[DeliveryReport, ...] = field(default=())


def id_order(item_id: str) -> tuple[int, int, str]:
    """Return a sort key putting decimal ids in numeric order, and any other id after them."""
    if item_id.isdecimal() and item_id.isascii():
        return (0, int(item_id), "")
    return (1, 0, item_id)
