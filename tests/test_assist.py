"""Text your home: an SMS from a chosen contact commands Home Assistant's built-in agent.

The SMS comes in through the real webhook from the simulator, the options are set through the
options flow, Home Assistant's own conversation agent controls an exposed entity, and its answer
goes back to the simulator as a send request.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_bridge.assist import (
    DAILY_ANSWERS,
    LOOP_PAUSE,
    RATE_LIMIT,
    RATE_WINDOW,
)
from custom_components.sms_bridge.compat import async_converse
from custom_components.sms_bridge.const import CONF_MAX_PER_DAY, DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.simulator import GatewaySimulator
from tests.test_contacts import add_contact, subentry_id

MUM = "+447700900123"
DAD = "+447700900456"
OWN_NUMBER = "+33600000002"  # the second SIM of the simulator's phone 1
LIGHT = "input_boolean.kitchen_light"
AGENT = "conversation.home_assistant"
PERSON = timedelta(seconds=30)  # how long a person takes to read an answer and type again


@pytest.fixture(autouse=True)
def in_the_uk(hass: HomeAssistant) -> None:
    """National numbers are read as British."""
    hass.config.country = "GB"


@pytest.fixture(autouse=True)
async def home(hass: HomeAssistant) -> None:
    """Home Assistant's conversation agent, and a kitchen light exposed to it (set up before
    Home Assistant's HTTP server starts, as the agent registers views)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"kitchen_light": {"name": "Kitchen light"}}}
    )
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", LIGHT, True)


@pytest.fixture
async def family(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> MockConfigEntry:
    """The entry with Mum, Dad and the office phone's own number as contacts."""
    await add_contact(hass, integration, name="Mum", number="07700 900123")
    await add_contact(hass, integration, name="Dad", number=DAD)
    await add_contact(hass, integration, name="Office", number=OWN_NUMBER)
    return integration


async def choose(hass: HomeAssistant, entry: MockConfigEntry, *names: str) -> None:
    """Let the contacts ``names`` command the built-in agent, through the options flow."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "update_interval": 300,
            "outbox_ttl": 60,
            "default_phone": "1",
            "assist": {
                "assist_agent": AGENT,
                "assist_contacts": [subentry_id(entry, name) for name in names],
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


def replies(simulator: GatewaySimulator) -> list[tuple[str, int, int | None]]:
    """Return (number, phone id, SIM slot) of each message the simulator was asked to send."""
    return [
        (row["number"], row["deviceID"], row["simSlot"])
        for row in simulator.messages.values()
        if row["status"] != "Received"
    ]


def reply_texts(simulator: GatewaySimulator) -> list[str]:
    """Return the text of each message the simulator was asked to send."""
    return [row["message"] for row in simulator.messages.values() if row["status"] != "Received"]


async def text(hass: HomeAssistant, gateway: GatewaySimulator, number: str, body: str) -> None:
    """An SMS arrives on the simulator's phone 2 and reaches Home Assistant's webhook."""
    await gateway.receive_sms(number, body, phone_id=2, sim_slot=0)
    await hass.async_block_till_done()


def light_is(hass: HomeAssistant, state: str) -> bool:
    light = hass.states.get(LIGHT)
    assert light is not None
    return light.state == state


async def test_contact_turns_on_the_light_and_gets_the_answer(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    family: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mum's SMS (her number written nationally) turns the light on; the agent's answer goes
    back to her from the phone that received it; the SMS event still fires once; the text is
    logged at debug level only."""
    await choose(hass, family, "Mum")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    caplog.set_level(logging.DEBUG)
    assert light_is(hass, "off")

    await text(hass, gateway, "07700 900123", "turn on the kitchen light")

    assert light_is(hass, "on")
    assert replies(gateway) == [(MUM, 2, 0)]
    [answer] = reply_texts(gateway)
    assert answer.strip()
    assert [(event.data["contact"], event.data["text"]) for event in events] == [
        ("Mum", "turn on the kitchen light")
    ]
    ours = [r for r in caplog.records if r.name.startswith("custom_components.sms_bridge")]
    assert any("turn on the kitchen light" in r.getMessage() for r in ours)
    assert not [r for r in ours if r.levelno >= logging.INFO and "kitchen light" in r.getMessage()]

    # A follow-up in the same conversation is answered too.
    await text(hass, gateway, MUM, "turn off the kitchen light")
    assert light_is(hass, "off")
    assert len(replies(gateway)) == 2


async def test_others_do_not_command(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """A contact not chosen, a stranger, and a chosen contact with one of our own phones'
    numbers change nothing and get no answer; their SMS events still fire."""
    await choose(hass, family, "Mum", "Office")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await text(hass, gateway, DAD, "turn on the kitchen light")
    await text(hass, gateway, "+33612345678", "turn on the kitchen light")
    await text(hass, gateway, OWN_NUMBER, "turn on the kitchen light")

    assert light_is(hass, "off")
    assert replies(gateway) == []
    assert len(events) == 3


async def test_off_by_default(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """Without a chosen contact, not even the agent chosen makes an SMS a command."""
    await choose(hass, family)
    assert "assist_agent" not in family.options

    await text(hass, gateway, MUM, "turn on the kitchen light")

    assert light_is(hass, "off")
    assert replies(gateway) == []


async def test_old_sms_is_no_command(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """An SMS sent an hour ago (read back after Home Assistant was down) is not acted on."""
    await choose(hass, family, "Mum")
    await gateway.receive_sms(
        MUM,
        "turn on the kitchen light",
        phone_id=2,
        sim_slot=0,
        sent_date=dt_util.utcnow() - timedelta(hours=1),
    )
    await hass.async_block_till_done()

    assert light_is(hass, "off")
    assert replies(gateway) == []


async def test_rate_limit_tells_once_then_stays_silent(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    family: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Five commands in ten minutes are answered; the sixth gets one notice, the seventh
    nothing; once the window has passed, commands are answered again. Dad's limit is his own."""
    await choose(hass, family, "Mum", "Dad")
    for _ in range(5):
        await text(hass, gateway, MUM, "turn on the kitchen light")
        freezer.tick(PERSON)
    assert len(replies(gateway)) == 5

    await text(hass, gateway, MUM, "turn off the kitchen light")
    assert light_is(hass, "on")
    assert len(replies(gateway)) == 6
    assert "10 minutes" in reply_texts(gateway)[-1]

    freezer.tick(PERSON)
    await text(hass, gateway, MUM, "turn off the kitchen light")
    assert light_is(hass, "on")
    assert len(replies(gateway)) == 6

    await text(hass, gateway, DAD, "turn off the kitchen light")
    assert light_is(hass, "off")
    assert replies(gateway)[-1] == (DAD, 2, 0)

    freezer.tick(timedelta(minutes=10, seconds=1))
    await text(hass, gateway, MUM, "turn on the kitchen light")
    assert light_is(hass, "on")
    assert len(replies(gateway)) == 8


async def test_an_automatic_responder_gets_no_more_answers(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    family: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A phone that answers each of our answers within a second is a machine: after three such
    exchanges it is not answered (nor told) for an hour, with one warning; then it is again."""
    await choose(hass, family, "Mum")
    await text(hass, gateway, MUM, "turn on the kitchen light")
    for _ in range(12):
        freezer.tick(timedelta(seconds=1))
        await text(hass, gateway, MUM, "Thank you for your message, I will answer soon")
    assert len(replies(gateway)) == 3  # the command and two answers to the responder
    warnings = [r for r in caplog.records if "automatic responder" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING

    freezer.tick(LOOP_PAUSE)
    await text(hass, gateway, MUM, "turn off the kitchen light")
    assert light_is(hass, "off")
    assert len(replies(gateway)) == 4


async def test_a_contact_gets_a_daily_number_of_answers(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    family: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Within the rate limit, commands spread over the day get DAILY_ANSWERS answers."""
    freezer.move_to(dt_util.start_of_local_day() + timedelta(hours=1))
    await choose(hass, family, "Mum")
    for _ in range(DAILY_ANSWERS + 2):
        await text(hass, gateway, MUM, "what time is it")
        freezer.tick(RATE_WINDOW / RATE_LIMIT + timedelta(seconds=1))
    assert len(replies(gateway)) == DAILY_ANSWERS


async def test_text_your_home_leaves_the_rest_of_the_day_to_alerts(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """With a daily limit of 10, commands stop being answered while a fifth of it is left:
    the alerts after them still go out."""
    await choose(hass, family, "Mum")
    hass.config_entries.async_update_entry(family, options={**family.options, CONF_MAX_PER_DAY: 10})
    await hass.async_block_till_done()
    for index in range(8):
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": [f"+4477009001{index:02d}"], "message": "Alert"},
            blocking=True,
        )
    await text(hass, gateway, MUM, "turn on the kitchen light")
    assert light_is(hass, "off")
    assert reply_texts(gateway) == ["Alert"] * 8
    for _ in range(2):
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": [DAD], "message": "Leak"}, blocking=True
        )
    assert reply_texts(gateway)[-2:] == ["Leak", "Leak"]


async def test_options_offer_the_contacts(hass: HomeAssistant, family: MockConfigEntry) -> None:
    """The options form offers the entry's contacts by name, and keeps the choice."""
    await choose(hass, family, "Dad")
    result = await hass.config_entries.options.async_init(family.entry_id)
    schema: Any = result["data_schema"]
    section = schema.schema["assist"].schema.schema
    [contacts] = [value for key, value in section.items() if str(key) == "assist_contacts"]
    offered = {option["label"] for option in contacts.config["options"]}
    assert offered == {"Mum", "Dad", "Office"}
    assert family.options["assist_contacts"] == [subentry_id(family, "Dad")]
    assert family.options["assist_agent"] == AGENT


async def test_the_conversation_follows_the_thread(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    family: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The command and the answer land in Mum's inbox thread; the agent's conversation id is
    kept with the thread (across a reload), and once Home Assistant's chat session expired the
    agent gets the thread's recent messages; after a day the conversation starts afresh."""
    await choose(hass, family, "Mum")
    asked: list[dict[str, Any]] = []

    async def spy(*args: Any) -> Any:
        asked.append({"conversation_id": args[2], "context": args[4]})
        return await async_converse(*args)

    with patch("custom_components.sms_bridge.assist.async_converse", spy):
        await text(hass, gateway, MUM, "turn on the kitchen light")
        await hass.async_block_till_done()
        inbox = family.runtime_data.inbox
        thread, _ = inbox.thread(MUM)
        [answer] = reply_texts(gateway)
        assert [(m.direction, m.text) for m in reversed(thread)] == [
            ("incoming", "turn on the kitchen light"),
            ("outgoing", answer),
        ]
        kept = inbox.conversation(MUM)
        assert kept is not None
        assert asked == [{"conversation_id": None, "context": None}]

        # Within the chat session: the same conversation, which remembers by itself.
        await text(hass, gateway, MUM, "turn off the kitchen light")
        await hass.async_block_till_done()
        assert asked[-1]["conversation_id"] == kept.conversation_id
        assert asked[-1]["context"] is None

        assert await hass.config_entries.async_reload(family.entry_id)
        await hass.async_block_till_done()
        kept = family.runtime_data.inbox.conversation(MUM)
        assert kept is not None
        freezer.tick(timedelta(hours=2))
        await text(hass, gateway, MUM, "is the kitchen light on")
        await hass.async_block_till_done()
        assert asked[-1]["conversation_id"] == kept.conversation_id
        context = asked[-1]["context"]
        assert "Mum: turn on the kitchen light" in context
        assert f"You: {answer}" in context
        assert "is the kitchen light on" not in context  # the command itself is the text

        freezer.tick(timedelta(hours=25))
        await text(hass, gateway, MUM, "turn on the kitchen light")
        await hass.async_block_till_done()
        assert asked[-1] == {"conversation_id": None, "context": None}
