"""The inbox: every SMS and MMS an entry received or sent, in threads by the other number.

Threads are keyed by the number in E.164 form (read in Home Assistant's country), or as the
gateway wrote it when it is none (a short code, a sender name). Outgoing messages follow their
delivery status; the newest messages of a thread come first when it is read.

Stored as a snapshot and a journal: each change appends one JSON line to the journal, in a
worker thread (the event loop only builds the line), and the snapshot is written again, also in
a worker thread, once the journal is long and when the entry unloads. Loading reads the
snapshot and replays the journal; a torn last line (a crash in the middle of a write) is
skipped. So one message never rewrites the whole store.

Bounded by age (the retention option) and by count (the oldest go first). The files are
private; texts are logged at debug level only and never reach diagnostics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
import json
import os
from pathlib import Path
from typing import Any, Final
import uuid

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, UnitOfTime
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import dt as dt_util
from homeassistant.util.file import write_utf8_file_atomic

from .api import Message, MessageStatus
from .api.numbers import clean_number, to_e164
from .api.text import segment_count
from .compat import vol
from .const import (
    CONF_INBOX_ALL_USERS,
    CONF_INBOX_MAX_MESSAGES,
    CONF_INBOX_RETENTION_DAYS,
    DEFAULT_INBOX_MAX_MESSAGES,
    DEFAULT_INBOX_RETENTION_DAYS,
    DOMAIN,
    LOGGER,
    MAX_INBOX_MAX_MESSAGES,
    MAX_INBOX_RETENTION_DAYS,
    MIN_INBOX_MAX_MESSAGES,
)
from .outbox import OutboxRecord

STORAGE_VERSION: Final = 1
JOURNAL_COMPACT: Final = 2000  # journal lines that make the snapshot be written again
PRUNE_INTERVAL: Final = timedelta(hours=1)
QUEUED: Final = MessageStatus.QUEUED.value


class Direction(StrEnum):
    """Whether a message came in or went out."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """One message of a thread (immutable: a change replaces it, so a snapshot is a copy)."""

    id: str  # the inbox's own id
    number: str  # the thread
    direction: Direction
    text: str
    at: datetime
    status: str  # a MessageStatus value; "received" for incoming messages
    read: bool
    message_id: str | None = None  # the gateway's id, once it gave one
    queued_id: str | None = None  # the outbox record of a send still waiting for the gateway
    phone_id: str | None = None
    sim: int | None = None  # 1-based
    parts: int = 1
    attachments: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the stored (and websocket) form."""
        return {
            "id": self.id,
            "number": self.number,
            "direction": self.direction.value,
            "text": self.text,
            "at": self.at.isoformat(),
            "status": self.status,
            "read": self.read,
            "message_id": self.message_id,
            "queued_id": self.queued_id,
            "phone_id": self.phone_id,
            "sim": self.sim,
            "parts": self.parts,
            "attachments": list(self.attachments),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InboxMessage:
        """Rebuild a message from its stored form."""
        return cls(
            id=data["id"],
            number=data["number"],
            direction=Direction(data["direction"]),
            text=data["text"],
            at=datetime.fromisoformat(data["at"]),
            status=data["status"],
            read=data["read"],
            message_id=data.get("message_id"),
            queued_id=data.get("queued_id"),
            phone_id=data.get("phone_id"),
            sim=data.get("sim"),
            parts=data.get("parts", 1),
            attachments=tuple(data.get("attachments", ())),
        )


@dataclass(slots=True)
class Conversation:
    """The conversation agent's id for a thread (text your home), and when it was last used."""

    conversation_id: str
    at: datetime


@dataclass(slots=True)
class _Thread:
    ids: list[str] = field(default_factory=list)  # oldest first
    unread: int = 0
    conversation: Conversation | None = None


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A thread as the list shows it."""

    number: str
    last: InboxMessage
    unread: int
    count: int


type InboxChange = dict[str, Any]
"""What changed, as the websocket subscription sends it: ``{"event": ..., ...}``."""


def thread_key(number: str, country: str | None) -> str:
    """Return the thread of a number: E.164 when it reads as one, else as cleaned or given."""
    return to_e164(number, country) or clean_number(number) or number.strip()


def storage_dir(hass: HomeAssistant) -> Path:
    """Return the folder of the inbox files: Home Assistant's storage folder."""
    return Path(hass.config.path(STORAGE_DIR))


def _paths(hass: HomeAssistant, entry_id: str) -> tuple[Path, Path]:
    base = storage_dir(hass) / f"{DOMAIN}.{entry_id}.inbox"
    return base, base.with_name(f"{base.name}.journal")


async def async_remove_inbox_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the inbox of a removed entry."""

    def remove() -> None:
        for path in _paths(hass, entry_id):
            path.unlink(missing_ok=True)

    await hass.async_add_executor_job(remove)


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """How long and how many messages an entry's inbox keeps, and who may read it."""

    retention: timedelta
    max_messages: int
    all_users: bool

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> InboxSettings:
        """Return the settings an entry's options set, with the defaults for the others."""
        return cls(
            retention=timedelta(
                days=options.get(CONF_INBOX_RETENTION_DAYS, DEFAULT_INBOX_RETENTION_DAYS)
            ),
            max_messages=int(options.get(CONF_INBOX_MAX_MESSAGES, DEFAULT_INBOX_MAX_MESSAGES)),
            all_users=bool(options.get(CONF_INBOX_ALL_USERS, False)),
        )


# The "Inbox" section of the options form (stored flat with the other options).
INBOX_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_INBOX_RETENTION_DAYS, default=DEFAULT_INBOX_RETENTION_DAYS): (
            NumberSelector(
                NumberSelectorConfig(
                    min=1,
                    max=MAX_INBOX_RETENTION_DAYS,
                    step=1,
                    unit_of_measurement=UnitOfTime.DAYS,
                    mode=NumberSelectorMode.BOX,
                )
            )
        ),
        vol.Required(CONF_INBOX_MAX_MESSAGES, default=DEFAULT_INBOX_MAX_MESSAGES): NumberSelector(
            NumberSelectorConfig(
                min=MIN_INBOX_MAX_MESSAGES,
                max=MAX_INBOX_MAX_MESSAGES,
                step=1,
                unit_of_measurement="messages",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_INBOX_ALL_USERS, default=False): BooleanSelector(),
    }
)
INBOX_KEYS = frozenset(str(key) for key in INBOX_SCHEMA.schema)


def inbox_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the section's options to store; none without the section (the defaults)."""
    if not user_input:
        return {}
    return {
        CONF_INBOX_RETENTION_DAYS: int(user_input[CONF_INBOX_RETENTION_DAYS]),
        CONF_INBOX_MAX_MESSAGES: int(user_input[CONF_INBOX_MAX_MESSAGES]),
        CONF_INBOX_ALL_USERS: bool(user_input[CONF_INBOX_ALL_USERS]),
    }


class InboxStore:
    """The messages of one entry, by thread; persisted, bounded, and followed by listeners."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        *,
        retention: timedelta,
        max_messages: int,
    ) -> None:
        """Initialize; messages older than ``retention`` or beyond ``max_messages`` go."""
        self._hass = hass
        self._retention = retention
        self._max = max_messages
        self._snapshot_path, self._journal_path = _paths(hass, entry_id)
        self._messages: dict[str, InboxMessage] = {}  # by inbox id, oldest first
        self._threads: dict[str, _Thread] = {}
        self._by_message_id: dict[str, str] = {}  # gateway id of an outgoing message: inbox id
        self._by_queued_id: dict[str, list[str]] = {}  # outbox record id: inbox ids
        self._listeners: list[Callable[[InboxChange], None]] = []
        self._pending: list[bytes] = []  # journal lines not written yet
        self._journal_lines = 0
        self._compact = False
        self._writer: asyncio.Task[None] | None = None
        self._cancel_final_write: CALLBACK_TYPE | None = None
        self._cancel_prune: CALLBACK_TYPE | None = None

    # -- loading, writing, closing ----------------------------------------------------------

    async def async_load(self) -> None:
        """Read the snapshot, replay the journal, drop what is past retention."""
        snapshot, lines = await self._hass.async_add_executor_job(self._read_files)
        if snapshot:
            for data in snapshot.get("messages", ()):
                self._insert(InboxMessage.from_dict(data))
            for number, data in snapshot.get("conversations", {}).items():
                self._thread(number).conversation = Conversation(
                    data["conversation_id"], datetime.fromisoformat(data["at"])
                )
        for line in lines:
            try:
                self._replay(json.loads(line))
            except (ValueError, KeyError, TypeError):
                LOGGER.debug("Skipped a torn line of the inbox journal")
        self._journal_lines = len(lines)
        self._prune()
        self._cancel_final_write = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_FINAL_WRITE, self._final_write
        )
        self._cancel_prune = async_track_time_interval(self._hass, self._prune_now, PRUNE_INTERVAL)

    def _read_files(self) -> tuple[dict[str, Any] | None, list[bytes]]:
        snapshot = None
        if self._snapshot_path.exists():
            snapshot = json.loads(self._snapshot_path.read_bytes())["data"]
        lines = []
        if self._journal_path.exists():
            lines = [line for line in self._journal_path.read_bytes().splitlines() if line]
        return snapshot, lines

    async def async_flush(self) -> None:
        """Return once every change made so far is written."""
        while self._pending or (self._writer is not None and not self._writer.done()):
            if self._writer is None or self._writer.done():
                self._start_writer()
            await asyncio.shield(self._writer)  # type: ignore[arg-type]

    async def async_close(self) -> None:
        """Write everything as a new snapshot (the entry unloads)."""
        for cancel in (self._cancel_final_write, self._cancel_prune):
            if cancel is not None:
                cancel()
        self._cancel_final_write = self._cancel_prune = None
        self._tell({"event": "closed"})
        self._listeners.clear()
        self._compact = True
        self._start_writer()
        await self.async_flush()

    async def _final_write(self, _event: Event) -> None:
        self._cancel_final_write = None  # fired: nothing to remove any more
        await self.async_flush()

    @callback
    def _prune_now(self, _now: datetime) -> None:
        self._prune()

    def _journal(self, entry: dict[str, Any]) -> None:
        """Queue one change for the journal; a worker thread appends it soon."""
        self._pending.append(json_bytes(entry) + b"\n")
        self._journal_lines += 1
        if self._journal_lines >= JOURNAL_COMPACT:
            self._compact = True
        self._start_writer()

    @callback
    def _start_writer(self) -> None:
        if self._writer is None or self._writer.done():
            # A task Home Assistant waits for (when it stops, and in tests), as for its stores.
            self._writer = self._hass.async_create_task(
                self._async_write(), f"{DOMAIN} inbox write", eager_start=False
            )

    async def _async_write(self) -> None:
        """Write what is pending, in a worker thread, until nothing is."""
        while self._pending or self._compact:
            if self._compact:
                self._compact = False
                self._pending.clear()  # the snapshot holds these changes
                self._journal_lines = 0
                messages = list(self._messages.values())  # immutable messages: a cheap copy
                conversations = {
                    number: {
                        "conversation_id": thread.conversation.conversation_id,
                        "at": thread.conversation.at.isoformat(),
                    }
                    for number, thread in self._threads.items()
                    if thread.conversation
                }
                await self._async_run(self._write_snapshot, messages, conversations)
                continue
            lines, self._pending = self._pending, []
            await self._async_run(self._append, lines)

    async def _async_run(self, job: Callable[..., None], *args: Any) -> None:
        try:
            await self._hass.async_add_executor_job(job, *args)
        except OSError as err:
            LOGGER.error("Could not write the inbox: %s", err)

    def _append(self, lines: list[bytes]) -> None:
        fd = os.open(self._journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b"".join(lines))
        finally:
            os.close(fd)

    def _write_snapshot(
        self, messages: list[InboxMessage], conversations: dict[str, dict[str, str]]
    ) -> None:
        data = {
            "version": STORAGE_VERSION,
            "data": {
                "messages": [message.as_dict() for message in messages],
                "conversations": conversations,
            },
        }
        self._snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        write_utf8_file_atomic(str(self._snapshot_path), json_bytes(data).decode(), private=True)
        self._journal_path.unlink(missing_ok=True)

    def _replay(self, entry: dict[str, Any]) -> None:
        match entry["op"]:
            case "add":
                self._insert(InboxMessage.from_dict(entry["message"]))
            case "update":
                if (old := self._messages.get(entry["id"])) is not None:
                    changes = entry["changes"]
                    self._replace(old, replace(old, **changes))
            case "read":
                self._mark_read(entry.get("number"))
            case "delete":
                self._delete(entry["number"])
            case "conversation":
                self._thread(entry["number"]).conversation = Conversation(
                    entry["conversation_id"], datetime.fromisoformat(entry["at"])
                )

    # -- listeners --------------------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: Callable[[InboxChange], None]) -> CALLBACK_TYPE:
        """Call ``listener`` with each change; return what removes it."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _tell(self, change: InboxChange) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- recording --------------------------------------------------------------------------

    def _key(self, number: str) -> str:
        return thread_key(number, self._hass.config.country)

    @callback
    def add_incoming(self, messages: Iterable[Message]) -> None:
        """Record messages received (already told apart from the ones seen before)."""
        for message in messages:
            self._add(
                InboxMessage(
                    id=_new_id(),
                    number=self._key(message.number),
                    direction=Direction.INCOMING,
                    text=message.text,
                    at=message.delivered_at or message.sent_at or dt_util.utcnow(),
                    status=MessageStatus.RECEIVED.value,
                    read=False,
                    message_id=message.id,
                    phone_id=message.phone_id,
                    sim=None if message.sim_slot is None else message.sim_slot + 1,
                    parts=segment_count(message.text),
                    attachments=message.attachments,
                )
            )

    @callback
    def add_sent(self, messages: Iterable[Message], queued_id: str | None = None) -> None:
        """Record messages the gateway took; those of a queued send replace its entries."""
        waiting = list(self._by_queued_id.pop(queued_id, [])) if queued_id else []
        for message in messages:
            number = self._key(message.number)
            if message.id in self._by_message_id:
                continue  # the same gateway message, told twice
            stand_in = next(
                (
                    inbox_id
                    for inbox_id in waiting
                    if inbox_id in self._messages and self._messages[inbox_id].number == number
                ),
                None,
            )
            if stand_in is not None:
                waiting.remove(stand_in)
                self._update(
                    self._messages[stand_in],
                    message_id=message.id,
                    queued_id=None,
                    status=message.status.value,
                    phone_id=message.phone_id,
                    sim=None if message.sim_slot is None else message.sim_slot + 1,
                )
                continue
            self._add(
                InboxMessage(
                    id=_new_id(),
                    number=number,
                    direction=Direction.OUTGOING,
                    text=message.text,
                    at=dt_util.utcnow(),
                    status=message.status.value,
                    read=True,
                    message_id=message.id,
                    phone_id=message.phone_id,
                    sim=None if message.sim_slot is None else message.sim_slot + 1,
                    parts=message.segments or segment_count(message.text),
                    attachments=message.attachments,
                )
            )
        for inbox_id in waiting:  # a recipient the gateway's answer did not list
            if (message_left := self._messages.get(inbox_id)) is not None:
                self._update(message_left, queued_id=None, status=MessageStatus.SENT.value)

    @callback
    def add_queued(self, record: OutboxRecord) -> None:
        """Record a send waiting in the outbox for the gateway, one message per recipient."""
        request = record.request
        sender = request.senders[0] if len(request.senders) == 1 else None
        for recipient in request.recipients:
            self._add(
                InboxMessage(
                    id=_new_id(),
                    number=self._key(recipient),
                    direction=Direction.OUTGOING,
                    text=request.text,
                    at=record.created,
                    status=QUEUED,
                    read=True,
                    queued_id=record.id,
                    phone_id=sender.phone_id if sender else None,
                    sim=None if sender is None or sender.sim_slot is None else sender.sim_slot + 1,
                    parts=segment_count(request.text),
                    attachments=request.attachments,
                )
            )

    @callback
    def drop_queued(self, queued_id: str) -> None:
        """The outbox gave up a send: its messages failed."""
        for inbox_id in self._by_queued_id.pop(queued_id, []):
            if (message := self._messages.get(inbox_id)) is not None:
                self._update(message, queued_id=None, status=MessageStatus.FAILED.value)

    @callback
    def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Follow the delivery status of an outgoing message (the tracker moves it forward)."""
        inbox_id = self._by_message_id.get(message_id)
        if inbox_id is None or (message := self._messages.get(inbox_id)) is None:
            return
        if message.status != status.value:
            self._update(message, status=status.value)

    @callback
    def set_conversation(self, number: str, conversation_id: str) -> None:
        """Keep the agent's conversation id of a thread."""
        at = dt_util.utcnow()
        self._thread(number).conversation = Conversation(conversation_id, at)
        self._journal(
            {
                "op": "conversation",
                "number": number,
                "conversation_id": conversation_id,
                "at": at.isoformat(),
            }
        )

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        """Return how many messages are kept."""
        return len(self._messages)

    @property
    def unread(self) -> dict[str, int]:
        """Return the unread count of each thread that has unread messages."""
        return {number: t.unread for number, t in self._threads.items() if t.unread}

    def threads(self) -> list[ThreadSummary]:
        """Return the threads, the one whose last message came last first."""
        return [
            ThreadSummary(number, self._messages[thread.ids[-1]], thread.unread, len(thread.ids))
            for number, thread in reversed(self._threads.items())
            if thread.ids
        ]

    def summary(self, number: str) -> ThreadSummary | None:
        """Return one thread as the list shows it, or None when it has no message."""
        thread = self._threads.get(number)
        if thread is None or not thread.ids:
            return None
        return ThreadSummary(number, self._messages[thread.ids[-1]], thread.unread, len(thread.ids))

    def thread(
        self, number: str, *, before: str | None = None, limit: int = 50
    ) -> tuple[list[InboxMessage], bool]:
        """Return up to ``limit`` messages of a thread, newest first, older than ``before``.

        The second value tells whether older messages remain.
        """
        thread = self._threads.get(number)
        if thread is None:
            return [], False
        ids = thread.ids
        end = len(ids)
        if before is not None:
            try:
                end = ids.index(before)
            except ValueError:
                return [], False
        start = max(0, end - limit)
        return [self._messages[inbox_id] for inbox_id in reversed(ids[start:end])], start > 0

    def has_thread(self, number: str) -> bool:
        """Return True when the thread has messages."""
        thread = self._threads.get(number)
        return thread is not None and bool(thread.ids)

    def conversation(self, number: str) -> Conversation | None:
        """Return the agent's conversation of a thread, if it has one."""
        thread = self._threads.get(number)
        return None if thread is None else thread.conversation

    # -- changing ---------------------------------------------------------------------------

    @callback
    def mark_read(self, number: str | None = None) -> int:
        """Mark a thread (or every thread) read; return how many messages were unread."""
        marked = self._mark_read(number)
        if marked:
            self._journal({"op": "read", "number": number})
            self._tell({"event": "read", "number": number})
        return marked

    @callback
    def delete_thread(self, number: str) -> bool:
        """Delete a thread; return False when there was none."""
        if not self._delete(number):
            return False
        self._journal({"op": "delete", "number": number})
        self._tell({"event": "deleted", "number": number})
        return True

    # -- the in-memory structure ------------------------------------------------------------

    def _thread(self, number: str) -> _Thread:
        if (thread := self._threads.get(number)) is None:
            thread = self._threads[number] = _Thread()
        return thread

    def _add(self, message: InboxMessage) -> None:
        self._insert(message)
        self._journal({"op": "add", "message": message.as_dict()})
        LOGGER.debug(
            "Inbox: %s message %s in thread %s: %s",
            message.direction,
            message.id,
            message.number,
            message.text,
        )
        self._tell({"event": "message", "message": message})
        self._bound()

    def _insert(self, message: InboxMessage) -> None:
        if message.id in self._messages:
            return
        self._messages[message.id] = message
        thread = self._threads.pop(message.number, None) or _Thread()
        self._threads[message.number] = thread  # the threads are kept in order of activity
        thread.ids.append(message.id)
        if not message.read:
            thread.unread += 1
        if message.message_id is not None and message.direction is Direction.OUTGOING:
            self._by_message_id[message.message_id] = message.id
        if message.queued_id is not None:
            ids = self._by_queued_id.setdefault(message.queued_id, [])
            if message.id not in ids:
                ids.append(message.id)
        while len(self._messages) > self._max:
            self._remove(next(iter(self._messages)))

    def _update(self, message: InboxMessage, **changes: Any) -> None:
        updated = replace(message, **changes)
        self._replace(message, updated)
        self._journal({"op": "update", "id": message.id, "changes": changes})
        self._tell({"event": "status", "message": updated})

    def _replace(self, old: InboxMessage, new: InboxMessage) -> None:
        self._messages[old.id] = new
        if old.queued_id is not None and new.queued_id is None:
            waiting = self._by_queued_id.get(old.queued_id, [])
            if old.id in waiting:
                waiting.remove(old.id)
        if new.message_id is not None and new.direction is Direction.OUTGOING:
            self._by_message_id[new.message_id] = new.id

    def _remove(self, inbox_id: str) -> None:
        message = self._messages.pop(inbox_id)
        thread = self._threads[message.number]
        thread.ids.remove(inbox_id)
        if not message.read:
            thread.unread -= 1
        if not thread.ids and thread.conversation is None:
            del self._threads[message.number]
        if message.message_id is not None:
            self._by_message_id.pop(message.message_id, None)

    def _mark_read(self, number: str | None) -> int:
        threads = (
            list(self._threads.values())
            if number is None
            else [t for t in (self._threads.get(number),) if t is not None]
        )
        marked = 0
        for thread in threads:
            if not thread.unread:
                continue
            for inbox_id in thread.ids:
                message = self._messages[inbox_id]
                if not message.read:
                    self._messages[inbox_id] = replace(message, read=True)
                    marked += 1
            thread.unread = 0
        return marked

    def _delete(self, number: str) -> bool:
        thread = self._threads.pop(number, None)
        if thread is None:
            return False
        for inbox_id in thread.ids:
            message = self._messages.pop(inbox_id)
            if message.message_id is not None:
                self._by_message_id.pop(message.message_id, None)
        return bool(thread.ids)

    def _bound(self) -> None:
        """Drop what is past retention once the oldest message is (and hourly, see load)."""
        oldest = next(iter(self._messages.values()), None)
        if oldest is not None and oldest.at < dt_util.utcnow() - self._retention:
            self._prune()

    def _prune(self) -> None:
        """Drop the messages older than the retention (oldest first, as they were added)."""
        horizon = dt_util.utcnow() - self._retention
        expired = [inbox_id for inbox_id, m in self._messages.items() if m.at < horizon]
        for inbox_id in expired:
            self._remove(inbox_id)
        for number, thread in list(self._threads.items()):
            if thread.conversation and thread.conversation.at < horizon:
                thread.conversation = None
                if not thread.ids:
                    del self._threads[number]
        if expired:
            LOGGER.debug("Inbox: dropped %s message(s) past retention", len(expired))
            self._compact = True
            self._start_writer()


def _new_id() -> str:
    return uuid.uuid4().hex[:16]
