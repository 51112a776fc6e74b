"""Runaway guard of the send path: limits per minute and per day, and allowed recipients.

An automation loop (an automatic reply answering another automatic sender, a trigger set off by
its own message) would otherwise send without end, drain the credits and get the SIM blocked by
the carrier. Every send reserves its messages here, one per recipient, before it reaches the
gateway, and is refused as a whole when that would go over a limit. The counts are stored, so a
restart does not start them again from zero.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import SmsBridgeError
from .api.numbers import number_key
from .compat import vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_ALLOWED_RECIPIENTS,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    DEFAULT_MAX_PER_DAY,
    DEFAULT_MAX_PER_MINUTE,
    DOMAIN,
    LOGGER,
    MAX_PER_DAY_LIMIT,
    MAX_PER_MINUTE_LIMIT,
)
from .errors import validation_error
from .send_request import clean_numbers

STORAGE_VERSION: Final = 1
MINUTE: Final = 60.0  # seconds
# The counts are written a second after they change, and at once when the entry unloads or Home
# Assistant stops: a power cut can forget at most the last second of sends.
SAVE_DELAY: Final = 1.0
ISSUE_DAILY_LIMIT: Final = "daily_limit_reached"


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.send_guard", atomic_writes=True)


async def async_remove_send_guard_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored counts of a removed entry."""
    await _store(hass, entry_id).async_remove()


@dataclass(frozen=True, slots=True)
class SendLimits:
    """The limits of an entry, from its options; no allowed recipients means any number.

    The allowed recipients are stored in E.164 form where they have one; older entries may
    still hold national numbers, which ``SendGuard.allows`` reads as it reads the recipient.
    """

    per_minute: int
    per_day: int
    allowed: frozenset[str]

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SendLimits:
        """Return the limits the options set, with the defaults for those they do not."""
        return cls(
            per_minute=int(options.get(CONF_MAX_PER_MINUTE, DEFAULT_MAX_PER_MINUTE)),
            per_day=int(options.get(CONF_MAX_PER_DAY, DEFAULT_MAX_PER_DAY)),
            allowed=frozenset(options.get(CONF_ALLOWED_RECIPIENTS) or ()),
        )


# The "Send limits and safety" section of the options form (stored flat with the other options);
# the attachments switch is read by the send checks (``SendDefaults``).
_MESSAGES = "messages"
SEND_SAFETY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_MAX_PER_MINUTE, default=DEFAULT_MAX_PER_MINUTE): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_PER_MINUTE_LIMIT,
                step=1,
                unit_of_measurement=_MESSAGES,
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_MAX_PER_DAY, default=DEFAULT_MAX_PER_DAY): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_PER_DAY_LIMIT,
                step=1,
                unit_of_measurement=_MESSAGES,
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Optional(CONF_ALLOWED_RECIPIENTS): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
        ),
        vol.Required(CONF_ALLOW_HTTP_ATTACHMENTS, default=False): BooleanSelector(),
    }
)
SEND_SAFETY_KEYS = frozenset(str(key) for key in SEND_SAFETY_SCHEMA.schema)


def send_safety_options(
    user_input: Mapping[str, Any], country: str | None
) -> dict[str, Any] | None:
    """Return the section's options to store, or None if an allowed number is not dialable.

    Input without the section (a client that does not show it) stores none: the defaults apply.
    """
    if not user_input:
        return {}
    allowed = clean_numbers(user_input.get(CONF_ALLOWED_RECIPIENTS, []), country)
    if allowed is None:
        return None
    options: dict[str, Any] = {
        CONF_MAX_PER_MINUTE: int(user_input[CONF_MAX_PER_MINUTE]),
        CONF_MAX_PER_DAY: int(user_input[CONF_MAX_PER_DAY]),
        CONF_ALLOW_HTTP_ATTACHMENTS: bool(user_input[CONF_ALLOW_HTTP_ATTACHMENTS]),
    }
    if allowed:
        options[CONF_ALLOWED_RECIPIENTS] = allowed
    return options


@dataclass(slots=True)
class Reservation:
    """The messages counted for one send, made at ``at`` (a UTC timestamp) on local ``day``."""

    at: float
    day: date
    count: int


class SendGuard:
    """Count an entry's messages, refuse sends over its limits, and warn at the daily one."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, entry_title: str, limits: SendLimits
    ) -> None:
        """Initialize the guard; ``async_start`` loads the stored counts."""
        self._hass = hass
        self._title = entry_title
        self._limits = limits
        self._store = _store(hass, entry_id)
        self._issue_id = f"{ISSUE_DAILY_LIMIT}_{entry_id}"
        self._day = dt_util.now().date()
        self._sent_today = 0
        self._recent: deque[Reservation] = deque()  # the last minute's sends, oldest first
        self._limit_hit: date | None = None  # the day a send hit the daily limit
        self._listeners: list[CALLBACK_TYPE] = []
        self._cancel_midnight: CALLBACK_TYPE | None = None

    @property
    def sent_today(self) -> int:
        """Return how many messages were counted since local midnight."""
        self._roll_day()
        return self._sent_today

    async def async_start(self) -> None:
        """Load the counts kept across a restart, and start a new day at midnight."""
        stored = await self._store.async_load()
        if stored is not None:
            try:
                self._restore(stored)
            except (KeyError, TypeError, ValueError):
                LOGGER.warning("The stored send counts could not be read; counting from zero")
                self._sent_today = 0
                self._recent.clear()
        self._roll_day()
        self._update_issue()
        self._cancel_midnight = async_track_time_change(
            self._hass, self._midnight, hour=0, minute=0, second=0
        )

    async def async_stop(self) -> None:
        """Stop (entry unload): save the counts now, and drop the repair issue of this entry."""
        if self._cancel_midnight is not None:
            self._cancel_midnight()
            self._cancel_midnight = None
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
        await self._store.async_save(self._data())

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the count changes; return the function removing it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @contextmanager
    def sending(
        self, recipients: Sequence[str] | None, *, to_code: bool = False
    ) -> Iterator[Reservation]:
        """Reserve the messages of a send around it, or refuse it (``reserve``).

        When the send raises a library error the gateway took nothing, and the messages are
        given back. (A send that may have got through is the outbox's: it does not raise.)
        ``to_code`` counts one message to a service code (a USSD request the provider sends as
        an SMS), which no allowed recipient names.
        """
        reservation = self._reserve_one() if to_code else self.reserve(recipients)
        try:
            yield reservation
        except SmsBridgeError:
            self.settle(reservation, 0)
            raise

    @callback
    def reserve(self, recipients: Sequence[str] | None) -> Reservation:
        """Count a send's messages, or raise ServiceValidationError when a limit refuses it.

        ``recipients`` are the numbers to send to. ``None`` means they are known only to the gateway
        (a contacts list, a resend): such a send goes ahead while one more message fits, and
        ``settle`` counts what the gateway answered. With allowed recipients set it is refused,
        as its numbers cannot be checked.
        """
        limits = self._limits
        if recipients is None:
            if limits.allowed:
                raise validation_error("recipients_unchecked", entry_title=self._title)
            count, needed = 0, 1
        else:
            for number in recipients:
                if not self.allows(number):
                    raise validation_error(
                        "recipient_not_allowed", number=number, entry_title=self._title
                    )
            count = needed = len(recipients)

        return self._count(needed, count)

    def _reserve_one(self) -> Reservation:
        return self._count(1, 1)

    def _count(self, needed: int, count: int) -> Reservation:
        """Count ``count`` messages if ``needed`` more fit, or raise the refusal."""
        if (refusal := self._refusal(needed)) is not None:
            if refusal.translation_key == "daily_limit":
                self._hit_daily_limit()
            raise refusal
        reservation = Reservation(dt_util.utcnow().timestamp(), self._day, count)
        self._recent.append(reservation)
        self._sent_today += count
        self._changed()
        return reservation

    def leaves_for_alerts(self, share: float) -> bool:
        """Return True while one more message leaves ``share`` of the daily limit unused.

        Text your home asks this, so that an endless exchange never uses up what alerts need.
        """
        self._roll_day()
        reserve = max(1, int(self._limits.per_day * share))
        return self._sent_today + 1 <= self._limits.per_day - reserve

    def allows(self, number: str) -> bool:
        """Return True when the allowed recipients (if any are set) include ``number``.

        Both are compared in E.164 form, a national number read in Home Assistant's country;
        a short code as dialled.
        """
        if not (allowed := self._limits.allowed):
            return True
        region = self._hass.config.country
        return number_key(number, region) in {number_key(other, region) for other in allowed}

    @callback
    def check(self, count: int) -> None:
        """Raise the error ``reserve`` would raise for ``count`` messages, counting nothing.

        A dry run asks this: it neither spends the limits nor opens the repair issue.
        """
        if (refusal := self._refusal(count)) is not None:
            raise refusal

    def _refusal(self, needed: int) -> ServiceValidationError | None:
        """Return the error refusing ``needed`` more messages now, or None when they fit."""
        limits = self._limits
        now = dt_util.utcnow().timestamp()
        self._roll_day()
        while self._recent and self._recent[0].at <= now - MINUTE:
            self._recent.popleft()
        if self._sent_today + needed > limits.per_day:
            return validation_error(
                "daily_limit",
                count=needed,
                limit=limits.per_day,
                sent=self._sent_today,
                entry_title=self._title,
            )
        if sum(sent.count for sent in self._recent) + needed > limits.per_minute:
            return validation_error(
                "minute_limit", count=needed, limit=limits.per_minute, entry_title=self._title
            )
        return None

    @callback
    def settle(self, reservation: Reservation, count: int) -> None:
        """Set how many messages a reserved send made (0: none went out)."""
        if count == reservation.count:
            return
        if reservation.day == self._day:
            self._sent_today = max(0, self._sent_today + count - reservation.count)
        reservation.count = count
        self._changed()

    def _restore(self, stored: dict[str, Any]) -> None:
        day = date.fromisoformat(stored["day"])
        now = dt_util.utcnow().timestamp()
        recent = [Reservation(float(at), day, int(count)) for at, count in stored["recent"]]
        sent = int(stored["sent_today"])
        if day == self._day:
            self._sent_today = sent
        # Sends "after now" were stored before the clock went back: they would block for long.
        self._recent.extend(reserved for reserved in recent if now - MINUTE < reserved.at <= now)

    def _data(self) -> dict[str, Any]:
        return {
            "day": self._day.isoformat(),
            "sent_today": self._sent_today,
            "recent": [[sent.at, sent.count] for sent in self._recent if sent.count],
        }

    def _roll_day(self) -> None:
        if (today := dt_util.now().date()) != self._day:
            self._day = today
            self._sent_today = 0

    @callback
    def _changed(self) -> None:
        self._update_issue()
        self._store.async_delay_save(self._data, SAVE_DELAY)
        for listener in list(self._listeners):
            listener()

    @callback
    def _midnight(self, _now: datetime) -> None:
        self._roll_day()
        self._changed()

    @callback
    def _update_issue(self) -> None:
        """Keep the repair issue open from the day's limit being hit until midnight."""
        if self._sent_today >= self._limits.per_day:
            self._hit_daily_limit()
        elif self._limit_hit != self._day:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)

    @callback
    def _hit_daily_limit(self) -> None:
        if self._limit_hit == self._day:
            return
        self._limit_hit = self._day
        per_day = self._limits.per_day
        LOGGER.warning(
            "%s reached its limit of %s messages per day: sends are refused until midnight",
            self._title,
            per_day,
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_DAILY_LIMIT,
            translation_placeholders={"entry_title": self._title, "limit": str(per_day)},
        )
