"""The ids of the incoming messages and USSD answers already fired, kept across restarts.

The gateway signs no timestamp or nonce, so a captured webhook can be replayed at will and a
retried one arrives twice: the message and USSD ids already seen are kept, across restarts. A
new id is written to storage before its event fires: after a crash or a power cut the backfill
must not fire it a second time.

The ids kept are bounded in number (MAX_SEEN per kind), and each is kept with the date of its
item. Forgetting an id must not let it fire again, so the store covers only what is dated after
the newest date it forgot (its horizon): anything dated at or before the horizon is dropped.

A USSD answer is known by the provider's id of what brought it (``response_id``) where it has
one, else by the request's id: the same answer keeps its identity when the request it answers
is forgotten (a restart).

Where the webhook of a provider that signs nothing and polling both bring messages, a message
posted first is only claimed: its content is kept with its id (a digest), and when the
provider's own API brings that id with another content, the webhook's was forged and the
provider's fires. So a forged request under a future id cannot hide the real message.

A provider that signs no id (only some fields of a message, such as its sender and text) gives
each received message a replay key instead (``Message.replay_key``): the keys are kept the same
way, so that the same signed request posted again under a new id fires nothing either.

The same stored document holds the backfill's mark (``read_until``), so that both are written
together.
"""

from __future__ import annotations

from datetime import datetime
import hashlib
import math
import re
from typing import Any, NotRequired, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import Message, UssdRequest, quoted
from .const import BACKFILL_MARGIN, DOMAIN, LOGGER

STORAGE_VERSION = 2
MAX_SEEN = 5000  # ids kept per kind: the bound of the store (about 50 bytes an id on disk)
SAVE_DELAY = 10  # seconds; for the backfill mark alone, new ids are written before they fire
MAX_CLAIMS = 1000  # ids per kind whose webhook content waits for the provider's confirmation


class _StoredSeen(TypedDict):
    ids: list[tuple[str, int | None]]  # (id, date of the item in epoch seconds), oldest first
    horizon: int | None  # epoch seconds; None while nothing was forgotten


class _StoredClaims(TypedDict):
    messages: list[tuple[str, str]]  # (id, digest of the content the webhook posted)
    ussd: list[tuple[str, str]]


class _StoredInbound(TypedDict):
    messages: _StoredSeen
    ussd: _StoredSeen
    replays: NotRequired[_StoredSeen]  # replay keys; absent from stores of older versions
    read_until: str | None  # ISO time; None before the first backfill
    claims: NotRequired[_StoredClaims]  # absent from documents written before there were any


class _Store(Store[_StoredInbound]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> _StoredInbound:
        """Date the ids of version 1, which had no dates, as of now (the upgrade).

        A full store of version 1 may have forgotten ids already, of unknown dates: it then
        covers what the next backfill reads, not what came before.
        """
        now = math.ceil(dt_util.utcnow().timestamp())
        read_until: str | None = old_data.get("read_until")
        mark = datetime.fromisoformat(read_until) if read_until else dt_util.utcnow()
        horizon = math.floor((mark - BACKFILL_MARGIN).timestamp())

        def seen(ids: list[int | str]) -> _StoredSeen:
            return {
                "ids": [(str(item_id), now) for item_id in ids],
                "horizon": horizon if len(ids) >= MAX_SEEN else None,
            }

        return {
            "messages": seen(old_data["messages"]),
            "ussd": seen(old_data["ussd"]),
            "read_until": read_until,
        }


def _store(hass: HomeAssistant, entry_id: str) -> _Store:
    # Private: the ids say when the household received messages.
    return _Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}.inbound",
        private=True,
        atomic_writes=True,
    )


async def async_remove_inbound_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the ids kept for a removed entry."""
    await _store(hass, entry_id).async_remove()


class SeenIds:
    """The ids of one kind already fired, oldest first, each with its item's date."""

    def __init__(self, stored: _StoredSeen | None = None) -> None:
        """Initialize, from the stored form if there is one."""
        # Dicts keep insertion order: the first key is the oldest id. Versions that had
        # numeric ids stored numbers: they are read as the strings the providers give now.
        self._dates: dict[str, int | None] = (
            {str(item_id): date for item_id, date in stored["ids"]} if stored else {}
        )
        self.horizon: int | None = stored["horizon"] if stored else None

    def __len__(self) -> int:
        """Return how many ids are kept."""
        return len(self._dates)

    def __contains__(self, item_id: object) -> bool:
        """Return True when the id was seen and is still kept."""
        return item_id in self._dates

    def predates_horizon(self, date: datetime | None) -> bool:
        """Return True when an item so dated may have been seen and forgotten since."""
        return date is not None and self.horizon is not None and date.timestamp() <= self.horizon

    def add(self, item_id: str, date: datetime | None) -> None:
        """Keep ``item_id``; past MAX_SEEN forget the oldest, moving the horizon up to its date."""
        self._dates[item_id] = None if date is None else math.ceil(date.timestamp())
        while len(self._dates) > MAX_SEEN:
            forgotten = self._dates.pop(next(iter(self._dates)))
            if forgotten is None:
                continue
            # A date ahead of our clock (a phone set wrong) must not shut out what comes next.
            forgotten = min(forgotten, math.ceil(dt_util.utcnow().timestamp()))
            self.horizon = forgotten if self.horizon is None else max(self.horizon, forgotten)

    def as_stored(self) -> _StoredSeen:
        """Return the stored form."""
        return {"ids": list(self._dates.items()), "horizon": self.horizon}


class Claims:
    """The content digests of the ids of one kind a webhook brought unconfirmed, oldest first."""

    def __init__(self, stored: list[tuple[str, str]] | None = None) -> None:
        """Initialize, from the stored form if there is one."""
        self._digests: dict[str, str] = dict(stored or ())

    def add(self, item_id: str, digest: str) -> None:
        """Keep a claim; past MAX_CLAIMS the oldest is forgotten (taken as confirmed)."""
        self._digests[item_id] = digest
        while len(self._digests) > MAX_CLAIMS:
            del self._digests[next(iter(self._digests))]

    def contradicts(self, item_id: str, digest: str) -> bool:
        """Return True when the id was claimed with another content."""
        return self._digests.get(item_id, digest) != digest

    def settle(self, item_id: str) -> None:
        """Forget the claim on an id: the provider's own API has answered for it."""
        self._digests.pop(item_id, None)

    def as_stored(self) -> list[tuple[str, str]]:
        """Return the stored form."""
        return list(self._digests.items())


def _message_date(message: Message) -> datetime | None:
    return message.delivered_at or message.sent_at


def _ussd_date(ussd: UssdRequest) -> datetime | None:
    return ussd.responded_at or ussd.sent_at


def _ussd_key(ussd: UssdRequest) -> str:
    return ussd.response_id or ussd.id


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode(errors="replace")).hexdigest()[:16]


def _message_digest(message: Message) -> str:
    # The number's digits only: the webhook and the API may write it differently.
    return _digest(re.sub(r"\D", "", message.number), message.text)


def _ussd_digest(ussd: UssdRequest) -> str:
    return _digest(ussd.request, ussd.response or "")


class InboundStore:
    """The seen ids of an entry (persisted, bounded), and the backfill's mark."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Initialize; ``title`` names the entry in the log."""
        self._title = title
        self._store = _store(hass, entry_id)
        self._messages = SeenIds()
        self._ussd = SeenIds()
        self._message_claims = Claims()
        self._ussd_claims = Claims()
        self._replays = SeenIds()
        self.read_until: datetime | None = None
        self._reported_too_old = False
        self._reported_replay = False

    @property
    def seen_count(self) -> int:
        """Return how many ids are kept, messages and USSD answers together."""
        return len(self._messages) + len(self._ussd)

    def fired(self, message: Message) -> bool:
        """Return True when the message fired: its id is kept, and no claim it contradicts."""
        return message.id in self._messages and not self._message_claims.contradicts(
            message.id, _message_digest(message)
        )

    async def async_load(self) -> None:
        """Load the ids already seen, and the mark."""
        if stored := await self._store.async_load():
            self._messages = SeenIds(stored["messages"])
            self._ussd = SeenIds(stored["ussd"])
            if claims := stored.get("claims"):
                self._message_claims = Claims(claims["messages"])
                self._ussd_claims = Claims(claims["ussd"])
            self._replays = SeenIds(stored.get("replays"))
            if read_until := stored["read_until"]:
                self.read_until = datetime.fromisoformat(read_until)

    def new_messages(
        self, messages: tuple[Message, ...], *, unconfirmed: bool = False
    ) -> list[Message]:
        """Record and return the messages not seen before (not written yet).

        ``unconfirmed``: they came from a webhook that the provider's API may contradict later.
        A message whose replay key was seen is not new, whatever its id.
        """
        return [message for message in messages if self._is_new_message(message, unconfirmed)]

    def _is_new_message(self, message: Message, unconfirmed: bool) -> bool:
        key, date = message.replay_key, _message_date(message)
        if key is not None and key in self._replays:
            self._report_replay(message)
            return False
        if not self._is_new(
            self._messages,
            self._message_claims,
            kind="message",
            item_id=message.id,
            date=date,
            digest=_message_digest(message),
            unconfirmed=unconfirmed,
        ):
            return False
        if key is not None:
            self._replays.add(key, date)
        return True

    def new_answers(
        self, answers: tuple[UssdRequest, ...], *, unconfirmed: bool = False
    ) -> list[UssdRequest]:
        """Record and return the USSD answers not seen before (not written yet)."""
        return [
            ussd
            for ussd in answers
            if self._is_new(
                self._ussd,
                self._ussd_claims,
                kind="USSD answer",
                item_id=_ussd_key(ussd),
                date=_ussd_date(ussd),
                digest=_ussd_digest(ussd),
                unconfirmed=unconfirmed,
            )
        ]

    async def async_save(self) -> None:
        """Write now.

        Concurrent callers share a write: the store writes the latest data once a write ends.
        """
        await self._store.async_save(self._stored())

    @callback
    def async_save_later(self) -> None:
        """Write within SAVE_DELAY seconds (for the mark alone)."""
        snapshot = self._stored()  # taken now: the delayed write runs in a worker thread
        self._store.async_delay_save(lambda: snapshot, SAVE_DELAY)

    def _is_new(
        self,
        seen: SeenIds,
        claims: Claims,
        *,
        kind: str,
        item_id: str,
        date: datetime | None,
        digest: str,
        unconfirmed: bool,
    ) -> bool:
        """Record ``item_id``; return False when it was seen, or may have been.

        An item the provider's API brings under an id a webhook claimed with another content
        is new: the webhook's was not the provider's.
        """
        if item_id in seen:
            if not unconfirmed:
                contradicted = claims.contradicts(item_id, digest)
                claims.settle(item_id)
                if contradicted:
                    LOGGER.warning(
                        "%s %s of %s is not what a webhook request brought under its id: that "
                        "request was not the provider's. It fires now as the provider has it",
                        kind.capitalize(),
                        quoted(item_id),
                        self._title,
                    )
                    return True
            LOGGER.debug(
                "Dropped %s %s of %s: already received", kind, quoted(item_id), self._title
            )
            return False
        if seen.predates_horizon(date):
            self._report_too_old(seen, kind, item_id, date)
            return False
        seen.add(item_id, date)
        if unconfirmed:
            claims.add(item_id, digest)
        return True

    def _report_replay(self, message: Message) -> None:
        """Log the first replay dropped at info level, the next ones at debug level."""
        if self._reported_replay:
            LOGGER.debug("Dropped message %r of %s: a replay", message.id[:40], self._title)
            return
        self._reported_replay = True
        LOGGER.info(
            "Dropped message %r of %s: the provider signed the same request before. It signs "
            "no id, so an SMS with the same sender and text as one already received cannot be "
            "told from a replay. Further ones are logged at debug level",
            message.id[:40],
            self._title,
        )

    def _report_too_old(
        self, seen: SeenIds, kind: str, item_id: str, date: datetime | None
    ) -> None:
        """Log the first drop for age at info level, the next ones at debug level."""
        horizon = dt_util.utc_from_timestamp(seen.horizon or 0).isoformat()
        args = (kind, quoted(item_id), self._title, date, horizon)
        if self._reported_too_old:
            LOGGER.debug("Dropped %s %s of %s, dated %s: not after %s", *args)
            return
        self._reported_too_old = True
        LOGGER.info(
            "Dropped %s %s of %s, dated %s: the ids kept against replays only cover what is "
            "dated after %s, so it may have fired already. Further ones are logged at debug level",
            *args,
        )

    def _stored(self) -> _StoredInbound:
        stored: _StoredInbound = {
            "messages": self._messages.as_stored(),
            "ussd": self._ussd.as_stored(),
            "read_until": self.read_until.isoformat() if self.read_until else None,
        }
        messages, ussd = self._message_claims.as_stored(), self._ussd_claims.as_stored()
        if messages or ussd:  # left out while there is none, as before there were claims
            stored["claims"] = {"messages": messages, "ussd": ussd}
        if len(self._replays) or self._replays.horizon is not None:
            # Only for providers that give replay keys: the others' stores stay as they were.
            stored["replays"] = self._replays.as_stored()
        return stored
