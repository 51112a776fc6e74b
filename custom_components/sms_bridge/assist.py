"""Text your home: an SMS from a chosen contact goes to a conversation agent, and its answer
goes back to that contact as an SMS from the phone that received it.

Only the contacts chosen in the options may command, each within a rate limit: over it, one
notice, then silence until the window has room again. An SMS from one of our own phones'
numbers is never a command (two phones could otherwise talk to each other for ever), nor is an
SMS read back long after it was sent (the backfill after Home Assistant was down). Texts are
logged at debug level only.

The conversation follows the contact's inbox thread: its conversation id is kept with the
thread (across restarts), and once Home Assistant's own chat session has expired (it lasts
minutes), the agent is given the thread's recent messages (MAX_TURNS, within MEMORY) so that
it keeps the context.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    ConversationAgentSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import Message
from .api.numbers import to_e164
from .compat import async_converse, vol
from .const import CONF_ASSIST_AGENT, CONF_ASSIST_CONTACTS, DEFAULT_ASSIST_AGENT, DOMAIN, LOGGER
from .contacts import Contact, ContactBook
from .coordinator import SmsBridgeCoordinator
from .inbox_store import Direction, InboxStore
from .send_guard import SendGuard

# An auto-responder (or a second Home Assistant) answers at once, for ever: a contact whose
# commands come LOOP_LIMIT times in a row within QUICK_REPLY of our answer is not answered for
# LOOP_PAUSE. A person takes longer to read and type.
QUICK_REPLY: Final = timedelta(seconds=10)
LOOP_LIMIT: Final = 3
LOOP_PAUSE: Final = timedelta(hours=1)
DAILY_ANSWERS: Final = 25  # answers (notices included) to one contact per day
# Text your home stops while a message would leave less than this share of the entry's daily
# limit to the alerts.
ALERT_SHARE: Final = 0.2
RATE_LIMIT: Final = 5  # commands of a contact ...
RATE_WINDOW: Final = timedelta(minutes=10)  # ... within this window
# An SMS sent longer ago than this is read back, not typed now: too late to act on.
MAX_COMMAND_AGE: Final = timedelta(minutes=15)
_NOTICE_KEY: Final = f"component.{DOMAIN}.exceptions.assist_rate_limited.message"
MAX_TURNS: Final = 20  # messages of the thread given to the agent as context ...
MEMORY: Final = timedelta(hours=24)  # ... from within this long before the command
# Home Assistant's chat session remembers the conversation for this long after its last use.
CHAT_SESSION_TIMEOUT: Final = timedelta(minutes=5)

type Reply = Callable[[str, str, Message], Awaitable[None]]
"""Send (number, text) back as an SMS through the phone and SIM that received ``message``."""


@dataclass(frozen=True, slots=True)
class AssistSettings:
    """Which agent answers, and which contacts (by subentry id) may command it."""

    agent_id: str
    contact_ids: frozenset[str]

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AssistSettings | None:
        """Return the settings of an entry's options, or None when no contact is chosen."""
        contact_ids = frozenset(options.get(CONF_ASSIST_CONTACTS) or ())
        if not contact_ids:
            return None
        return cls(options.get(CONF_ASSIST_AGENT) or DEFAULT_ASSIST_AGENT, contact_ids)


# The "Text your home" section of the options form (stored flat with the other options).
ASSIST_KEYS: Final = frozenset((CONF_ASSIST_AGENT, CONF_ASSIST_CONTACTS))


def assist_schema(contacts: Mapping[str, str]) -> vol.Schema:
    """Return the section's form; ``contacts`` are the entry's (subentry id: name)."""
    return vol.Schema(
        {
            vol.Required(
                CONF_ASSIST_AGENT, default=DEFAULT_ASSIST_AGENT
            ): ConversationAgentSelector(),
            vol.Optional(CONF_ASSIST_CONTACTS): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=key, label=name) for key, name in contacts.items()
                    ],
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
        }
    )


def assist_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the section's options to store: none while no contact is chosen (off)."""
    if not (contacts := list(user_input.get(CONF_ASSIST_CONTACTS) or [])):
        return {}
    return {
        CONF_ASSIST_AGENT: user_input.get(CONF_ASSIST_AGENT) or DEFAULT_ASSIST_AGENT,
        CONF_ASSIST_CONTACTS: contacts,
    }


class _Contact:
    """What text your home remembers of one contact: recent commands, answers, a loop."""

    def __init__(self) -> None:
        self.times: deque[datetime] = deque()  # commands within RATE_WINDOW
        self.told = False  # told it is over the rate limit
        self.day: date | None = None
        self.answers_today = 0
        self.last_answer: datetime | None = None
        self.quick = 0  # commands in a row that came within QUICK_REPLY of our answer
        self.paused_until: datetime | None = None

    def admit(self, now: datetime) -> bool:
        """Count a command at ``now`` and return True, or return False when over the limit."""
        while self.times and now - self.times[0] >= RATE_WINDOW:
            self.times.popleft()
        if len(self.times) >= RATE_LIMIT:
            return False
        self.times.append(now)
        self.told = False
        return True

    def paused(self, now: datetime) -> bool:
        """Return True while the contact is not answered because it answered like a machine."""
        return self.paused_until is not None and now < self.paused_until

    def starts_loop(self, now: datetime) -> bool:
        """Count a command at ``now``; return True (and pause) when it completes a loop."""
        quick = self.last_answer is not None and now - self.last_answer <= QUICK_REPLY
        self.quick = self.quick + 1 if quick else 0
        if self.quick < LOOP_LIMIT:
            return False
        self.quick = 0
        self.paused_until = now + LOOP_PAUSE
        return True

    def answer_allowed(self, today: date) -> bool:
        """Count an answer of ``today`` and return True, or False past the daily budget."""
        if self.day != today:
            self.day, self.answers_today = today, 0
        if self.answers_today >= DAILY_ANSWERS:
            return False
        self.answers_today += 1
        return True


class Assist:
    """Hand the chosen contacts' SMS to a conversation agent and text its answers back."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        settings: AssistSettings,
        coordinator: SmsBridgeCoordinator,
        reply: Reply,
        *,
        inbox: InboxStore,
        guard: SendGuard,
    ) -> None:
        """Initialize; ``coordinator`` lists our phones, ``reply`` sends the answers.

        ``inbox`` keeps each contact's thread, and with it the agent's conversation; ``guard``
        tells how much of the entry's daily limit is left to the alerts.
        """
        self._guard = guard
        self._hass = hass
        self._inbox = inbox
        self._entry = entry
        self._settings = settings
        self._coordinator = coordinator
        self._reply = reply
        self._contacts: dict[str, _Contact] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @callback
    def async_handle(self, message: Message) -> None:
        """Take an incoming message (already fired as an event) as a command if it is one."""
        contact = self._commanding_contact(message)
        if contact is None:
            return
        state = self._contacts.setdefault(contact.subentry_id, _Contact())
        now = dt_util.utcnow()
        if state.paused(now):
            LOGGER.debug("%s answers like a machine; its SMS is ignored", contact.name)
            return
        if state.starts_loop(now):
            LOGGER.warning(
                "%s answered our last %s answers within %s seconds each, as an automatic "
                "responder does: its SMS are no commands for the next %s minutes",
                contact.name,
                LOOP_LIMIT,
                int(QUICK_REPLY.total_seconds()),
                int(LOOP_PAUSE.total_seconds() // 60),
            )
            return
        if not self._guard.leaves_for_alerts(ALERT_SHARE):
            LOGGER.debug("Text your home is paused: the rest of today's limit is for alerts")
            return
        if state.admit(now):
            notice = False
        elif not state.told:
            state.told = notice = True
            LOGGER.debug("%s is over the command limit; telling them once", contact.name)
        else:
            LOGGER.debug("%s is over the command limit; ignored", contact.name)
            return
        if not state.answer_allowed(dt_util.now().date()):
            LOGGER.debug("%s had today's %s answers; ignored", contact.name, DAILY_ANSWERS)
            return
        job = (
            self._async_notice(contact, message)
            if notice
            else self._async_command(contact, message)
        )
        self._entry.async_create_task(self._hass, job, f"{DOMAIN} assist")

    def _commanding_contact(self, message: Message) -> Contact | None:
        """Return the chosen contact who sent ``message`` as a command, or None."""
        contacts = ContactBook.of(self._hass, self._entry)
        contact = contacts.by_number(message.number)
        if contact is None or contact.subentry_id not in self._settings.contact_ids:
            return None
        if contact.number in self._own_numbers(contacts.country):
            LOGGER.debug("An SMS from our own number %s is not a command", contact.number)
            return None
        sent = message.sent_at or message.delivered_at
        if sent is not None and dt_util.utcnow() - sent > MAX_COMMAND_AGE:
            LOGGER.debug("An SMS of %s sent at %s is too old to be a command", contact.name, sent)
            return None
        if not message.text.strip():
            return None
        return contact

    def _own_numbers(self, country: str | None) -> set[str]:
        """Return the numbers of our phones' SIMs (E.164), where the gateway tells them."""
        return {
            number
            for phone in self._coordinator.data.phones.values()
            for sim in phone.sims
            if sim.phone_number and (number := to_e164(sim.phone_number, country))
        }

    async def _async_command(self, contact: Contact, message: Message) -> None:
        """Ask the agent, in the contact's own conversation, and text its answer back."""
        agent_id = self._settings.agent_id
        # One at a time per contact: a follow-up needs the conversation id of the answer before.
        async with self._locks.setdefault(contact.subentry_id, asyncio.Lock()):
            LOGGER.debug("%s asks %s: %s", contact.name, agent_id, message.text)
            if "conversation" not in self._hass.config.components:
                LOGGER.warning("An SMS of %s found no conversation agent to answer", contact.name)
                return
            conversation_id, context = self._conversation(contact, message)
            try:
                result = await async_converse(
                    self._hass, message.text, conversation_id, agent_id, context
                )
            except (HomeAssistantError, ValueError) as err:  # ValueError: no such agent
                LOGGER.warning(
                    "The conversation agent %s could not answer an SMS of %s: %s",
                    agent_id,
                    contact.name,
                    type(err).__name__,
                )
                return
            if result.conversation_id:
                self._inbox.set_conversation(contact.number, result.conversation_id)
            answer = str(result.response.speech.get("plain", {}).get("speech") or "").strip()
            LOGGER.debug("%s answers %s: %s", agent_id, contact.name, answer)
            if answer:
                await self._async_send(contact, answer, message)

    def _conversation(self, contact: Contact, message: Message) -> tuple[str | None, str | None]:
        """Return the conversation id to continue, and the thread's recent messages as context.

        The context is given only once Home Assistant's chat session, which remembers the
        conversation itself, expired; nothing older than MEMORY is continued.
        """
        now = dt_util.utcnow()
        kept = self._inbox.conversation(contact.number)
        if kept is None or now - kept.at > MEMORY:
            return None, None
        if now - kept.at < CHAT_SESSION_TIMEOUT:
            return kept.conversation_id, None
        earlier, _ = self._inbox.thread(contact.number, limit=MAX_TURNS + 1)
        lines = [
            f"{contact.name if item.direction is Direction.INCOMING else 'You'}: {item.text}"
            for item in reversed(earlier)
            if now - item.at <= MEMORY and item.message_id != message.id
        ][-MAX_TURNS:]
        if not lines:
            return kept.conversation_id, None
        context = (
            f"You are talking with {contact.name} by SMS. Your earlier messages with them, "
            "oldest first:\n" + "\n".join(lines)
        )
        return kept.conversation_id, context

    async def _async_notice(self, contact: Contact, message: Message) -> None:
        """Tell the contact, once, that further commands are ignored for a while."""
        language = self._hass.config.language
        translations = await async_get_translations(self._hass, language, "exceptions", {DOMAIN})
        if _NOTICE_KEY not in translations:
            translations = await async_get_translations(self._hass, "en", "exceptions", {DOMAIN})
        notice = translations[_NOTICE_KEY].format(
            count=RATE_LIMIT, minutes=int(RATE_WINDOW.total_seconds() // 60)
        )
        await self._async_send(contact, notice, message)

    async def _async_send(self, contact: Contact, text: str, message: Message) -> None:
        try:
            await self._reply(contact.number, text, message)
            self._contacts.setdefault(
                contact.subentry_id, _Contact()
            ).last_answer = dt_util.utcnow()
        except HomeAssistantError as err:
            LOGGER.warning(
                "The answer to an SMS of %s could not be sent: %s",
                contact.name,
                err.translation_key or type(err).__name__,
            )
