"""Contacts: names for numbers, added, edited and removed as subentries of an entry.

Contacts are made through Home Assistant's subentry flow manager, as the entry's page does; the
sends reach the simulator over HTTP and the incoming messages come in through the real webhook.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.generated.countries import COUNTRIES
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.trigger import async_validate_trigger_config
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_bridge.api.numbers import REGIONS, to_e164
from custom_components.sms_bridge.compat import vol
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_bridge.logbook import async_describe_events
from tests.simulator import GatewaySimulator
from tests.test_device_trigger import automate, device_id, runs, trigger

TRANSLATIONS = Path(__file__).resolve().parents[1] / "custom_components/sms_bridge/translations"
LANGUAGES = ("en", "de", "es", "fr", "it", "ru", "zh-Hans")
MUM = "+447700900123"
DAD = "+447700900456"
LEGACY_SERVICE = "sms_gateway"  # slug of the entry title "SMS Gateway"


@pytest.fixture(autouse=True)
def in_the_uk(hass: HomeAssistant) -> None:
    """Home Assistant is configured for the UK: national numbers are read as British."""
    hass.config.country = "GB"


def sent_numbers(simulator: GatewaySimulator) -> list[list[str]]:
    """Return the recipients of each send request the simulator got, in order."""
    sent = []
    for request in simulator.requests:
        if request.path != "/services/send.php":
            continue
        if "messages" in request.params:
            sent.append([item["number"] for item in json.loads(request.params["messages"])])
        elif "number" in request.params:
            sent.append([request.params["number"]])
    return sent


async def add_contact(
    hass: HomeAssistant, entry: MockConfigEntry, **user_input: str
) -> dict[str, Any]:
    """Run the add-contact form of the entry's page with ``user_input``; return its result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    return dict(result)


def subentry_id(entry: MockConfigEntry, name: str) -> str:
    """Return the id of the contact called ``name``."""
    [found] = [sub.subentry_id for sub in entry.subentries.values() if sub.title == name]
    return found


def contact_entity(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str | None:
    """Return the entity id of a contact's notify entity, or None when it has none."""
    return er.async_get(hass).async_get_entity_id(
        NOTIFY_DOMAIN, DOMAIN, f"{entry.entry_id}_contact_{subentry_id(entry, name)}"
    )


@pytest.fixture
async def family(hass: HomeAssistant, integration: MockConfigEntry) -> MockConfigEntry:
    """The entry with two contacts, Mum (written nationally) and Dad (internationally)."""
    assert (await add_contact(hass, integration, name="Mum", number="07700 900123"))[
        "type"
    ] is FlowResultType.CREATE_ENTRY
    assert (await add_contact(hass, integration, name="Dad", number="+44 7700 900456"))[
        "type"
    ] is FlowResultType.CREATE_ENTRY
    return integration


@pytest.mark.parametrize(
    ("number", "country", "e164"),
    [
        ("+44 7700 900123", None, MUM),
        ("07700900123", "GB", MUM),
        ("0044 7700 900123", "FR", MUM),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("(555) 010-0123", "US", "+15550100123"),
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps its leading 0
        ("07700900123", None, None),  # national, and no country to read it in
        ("07700900123", "AQ", None),  # a country without a known numbering plan
        ("43105", "GB", None),  # a short code is no E.164 number
        ("Mum", "GB", None),
    ],
)
def test_numbers_are_read_as_e164(number: str, country: str | None, e164: str | None) -> None:
    """A number is read in its country: trunk prefix dropped, calling code put in front."""
    assert to_e164(number, country) == e164


async def test_add_a_contact(hass: HomeAssistant, integration: MockConfigEntry) -> None:
    """A contact is stored in E.164 form under its name and gets notify.<name>, on its subentry."""
    result = await add_contact(hass, integration, name="  Mum ", number="07700 900123")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = integration.subentries.values()
    assert (subentry.subentry_type, subentry.title, dict(subentry.data)) == (
        "contact",
        "Mum",
        {"number": MUM},
    )
    assert contact_entity(hass, integration, "Mum") == "notify.mum"
    registered = er.async_get(hass).async_get("notify.mum")
    assert registered is not None
    assert registered.config_subentry_id == subentry.subentry_id
    state = hass.states.get("notify.mum")
    assert state is not None
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Mum"


async def test_the_form_defaults_to_home_assistants_country(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """The country field starts at the country Home Assistant is configured for."""
    result = await hass.config_entries.subentries.async_init(
        (integration.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    country = next(key for key in result["data_schema"].schema if key == "country")
    assert country.default() == "GB"


@pytest.mark.parametrize(
    ("country", "example", "international"),
    [
        ("US", "(201) 555-0123", "+1 201-555-0123"),
        ("DE", "01512 3456789", "+49 1512 3456789"),
        ("GB", "07400 123456", "+44 7400 123456"),
        (None, "07400 123456", "+44 7400 123456"),  # no country: the form has no default
    ],
)
async def test_the_hint_shows_a_number_of_the_country(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    country: str | None,
    example: str,
    international: str,
) -> None:
    """The number's hint gives an example of the country the form starts at, in every language;
    a number written as the example is read as it says."""
    hass.config.country = country
    result = await hass.config_entries.subentries.async_init(
        (integration.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    field = next(key for key in result["data_schema"].schema if key == "country")
    if country is None:
        assert field.default is vol.UNDEFINED
    else:
        assert field.default() == country
    assert result["description_placeholders"] == {
        "example": example,
        "example_international": international,
    }
    for language in LANGUAGES:
        texts = json.loads((TRANSLATIONS / f"{language}.json").read_text())["config_subentries"]
        hint = texts["contact"]["step"]["user"]["data_description"]["number"]
        assert example in hint.format(**result["description_placeholders"]), language
    if country is not None:
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": "Example", "number": example}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["number"] == international.replace(" ", "").replace("-", "")


async def test_the_form_offers_every_country_with_a_numbering_plan(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """Every country phonenumbers reads numbers of, that Home Assistant's selector takes."""
    result = await hass.config_entries.subentries.async_init(
        (integration.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    selector = result["data_schema"].schema["country"]
    offered = selector.config["countries"]
    assert offered == sorted(REGIONS & COUNTRIES)
    assert {"BR", "KE", "NP", "PE", "UY", "VN"} <= set(offered)
    assert len(offered) > 240
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Tía", "number": "099 123 456", "country": "UY"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["number"] == "+59899123456"


async def test_editing_starts_at_the_country_of_the_number(
    hass: HomeAssistant, family: MockConfigEntry
) -> None:
    """A contact being edited is shown in its own number's country, with an example of it."""
    hass.config.country = "US"
    result = await hass.config_entries.subentries.async_init(
        (family.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id(family, "Mum")},
    )
    field = next(key for key in result["data_schema"].schema if key == "country")
    assert field.default() == "GB"
    assert result["description_placeholders"]["example"] == "07400 123456"


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"name": "Granny", "number": "12"}, {"number": "invalid_number"}),
        ({"name": "Granny", "number": "0612345678", "country": "FR"}, {}),
        ({"name": "Granny", "number": "Granny"}, {"number": "invalid_number"}),
        ({"name": " mUM ", "number": "+33612345678"}, {"name": "duplicate_name"}),
        ({"name": "Granny", "number": "+44 7700 900 123"}, {"number": "duplicate_number"}),
        ({"name": "112", "number": "+33612345678"}, {"name": "invalid_name"}),
        ({"name": "   ", "number": "+33612345678"}, {"name": "invalid_name"}),
    ],
    ids=[
        "too short",
        "national number of another country",
        "letters",
        "name of another contact in another case",
        "number of another contact in another format",
        "name that is a number",
        "blank name",
    ],
)
async def test_the_form_checks_name_and_number(
    hass: HomeAssistant,
    family: MockConfigEntry,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """A number that is none, or a name or number another contact has, is refused."""
    result = await add_contact(hass, family, **user_input)
    if errors:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
        assert len(family.subentries) == 2
    else:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert family.subentries[subentry_id(family, "Granny")].data["number"] == "+33612345678"


async def test_a_national_number_needs_a_country(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """Without a country in Home Assistant or on the form, only an international number is read."""
    hass.config.country = None
    result = await add_contact(hass, integration, name="Mum", number="07700 900123")
    assert result["errors"] == {"number": "invalid_number"}
    result = await add_contact(hass, integration, name="Mum", number="+44 7700 900123")
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_edit_a_contact(
    hass: HomeAssistant, family: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Editing changes name and number; the same entity then sends to the new number."""
    mum = subentry_id(family, "Mum")
    result = await hass.config_entries.subentries.async_init(
        (family.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": mum},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    # The other contact's name is still taken; the contact's own name is not.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "dad", "number": "07700 900999"}
    )
    assert result["errors"] == {"name": "duplicate_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mom", "number": "07700 900999"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert (family.subentries[mum].title, dict(family.subentries[mum].data)) == (
        "Mom",
        {"number": "+447700900999"},
    )
    state = hass.states.get("notify.mum")
    assert state is not None
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Mom"

    await hass.services.async_call(
        NOTIFY_DOMAIN, "send_message", {ATTR_ENTITY_ID: "notify.mum", "message": "Hi"}, True
    )
    await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": ["mom"], "message": "Hi"}, blocking=True
    )
    assert sent_numbers(simulator) == [["+447700900999"], ["+447700900999"]]


async def test_notify_entity_sends_to_the_contact(
    hass: HomeAssistant, family: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """notify.<contact> sends to the contact's number, from the entry's default phone."""
    simulator.requests.clear()
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "send_message",
        {ATTR_ENTITY_ID: "notify.dad", "title": "Alarm", "message": "Door open"},
        blocking=True,
    )
    [request] = [r for r in simulator.requests if r.path == "/services/send.php"]
    assert request.params["number"] == DAD
    assert request.params["message"] == "Alarm\nDoor open"
    assert request.params["devices"] == "1"


async def test_removing_a_contact_removes_its_entity(
    hass: HomeAssistant, family: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Without the contact, its entity is gone and its name is no recipient any more."""
    assert hass.config_entries.async_remove_subentry(family, subentry_id(family, "Mum"))
    await hass.async_block_till_done()
    assert er.async_get(hass).async_get("notify.mum") is None
    assert hass.states.get("notify.mum") is None
    assert hass.states.get("notify.dad") is not None
    simulator.requests.clear()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": "Mum", "message": "Hi"}, blocking=True
        )
    assert err.value.translation_key == "unknown_contact"
    assert sent_numbers(simulator) == []


@pytest.mark.parametrize(
    ("recipients", "numbers"),
    [
        ("MUM", [MUM]),
        (["mum"], [MUM]),
        ("Dad, +15550100, mum", [DAD, "+15550100", MUM]),
        (["Mum", "+44 7700 900123"], [MUM]),  # the same number twice goes once
    ],
)
async def test_send_message_takes_contact_names(
    hass: HomeAssistant,
    family: MockConfigEntry,
    simulator: GatewaySimulator,
    recipients: str | list[str],
    numbers: list[str],
) -> None:
    """Recipients are contact names (any case) and numbers, mixed."""
    simulator.requests.clear()
    await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": recipients, "message": "Hi"}, blocking=True
    )
    assert sent_numbers(simulator) == [numbers]


async def test_unknown_name_is_refused(
    hass: HomeAssistant, family: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A name that is no contact is refused with a translated error, before any request."""
    simulator.requests.clear()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": ["Mum", "Granny"], "message": "Hi"},
            blocking=True,
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "unknown_contact"
    assert err.value.translation_placeholders == {"name": "Granny"}
    # Home Assistant drops the final full stop of a translated message.
    assert str(err.value) == (
        "“Granny” is neither a contact of this entry nor a phone number. Check the name, or "
        "add the contact on the entry's page"
    )
    assert sent_numbers(simulator) == []


async def test_legacy_notify_takes_contact_names(
    hass: HomeAssistant, family: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """notify.<entry title> takes contact names as targets."""
    simulator.requests.clear()
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        LEGACY_SERVICE,
        {"message": "Hi", "target": ["dad", "+15550100"]},
        blocking=True,
    )
    assert sent_numbers(simulator) == [[DAD, "+15550100"]]


async def test_incoming_message_names_the_contact(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """An SMS from a contact's number, written nationally, names the contact: on the bus, on
    the phone's event entity and in the logbook; a stranger's SMS names no one."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await gateway.receive_sms("07700 900123", "Call me", phone_id=1)
    await gateway.receive_sms("+33612345678", "Hello", phone_id=1)
    await hass.async_block_till_done()

    assert [(event.data["number"], event.data["contact"]) for event in events] == [
        ("07700 900123", "Mum"),
        ("+33612345678", None),
    ]
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{family.entry_id}_1_messages"
    )
    assert entity_id is not None
    await gateway.receive_sms("+447700900456", "Home soon", phone_id=1)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["contact"] == "Dad"

    describers: dict[str, Callable[[Event], dict[str, Any]]] = {}
    async_describe_events(hass, lambda _, name, describe: describers.__setitem__(name, describe))
    line = describers[EVENT_MESSAGE_RECEIVED](events[0])
    assert line["message"] == "received an SMS from Mum (07700 900123): “Call me”"


async def test_device_trigger_from_contact(
    hass: HomeAssistant, gateway: GatewaySimulator, family: MockConfigEntry
) -> None:
    """An SMS trigger narrowed to a contact (chosen by id, or named) fires for its number only,
    however the number is written."""
    phone = device_id(hass, family, "1")
    calls = await automate(
        hass,
        trigger(phone, "sms_received", contact=subentry_id(family, "Mum")),
        trigger(phone, "sms_received", contact="dad"),
    )
    await gateway.receive_sms("07700 900123", "from mum", phone_id=1)
    await gateway.receive_sms("+33612345678", "from a stranger", phone_id=1)
    await gateway.receive_sms("+44 7700 900456", "from dad", phone_id=1)
    await hass.async_block_till_done()
    assert runs(calls) == [(0, "sms_received"), (1, "sms_received")]
    assert [call.data["text"] for call in calls] == ["from mum", "from dad"]


async def test_device_trigger_offers_the_contacts(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, family: MockConfigEntry
) -> None:
    """The automation editor gets a "from contact" choice listing the entry's contacts."""
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "device_automation/trigger/capabilities",
            "trigger": trigger(device_id(hass, family, "1"), "sms_received"),
        }
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    fields = {field["name"]: field for field in reply["result"]["extra_fields"]}
    assert list(fields) == ["number", "contact", "text_contains", "text_equals"]
    assert fields["contact"]["selector"]["select"]["options"] == [
        {"value": subentry_id(family, "Mum"), "label": "Mum"},
        {"value": subentry_id(family, "Dad"), "label": "Dad"},
    ]


async def test_device_trigger_refuses_an_unknown_contact(
    hass: HomeAssistant, family: MockConfigEntry
) -> None:
    """A trigger naming no contact of the phone's entry is refused when it is set up."""
    phone = device_id(hass, family, "1")
    known = trigger(phone, "sms_received", contact="MUM")
    assert await async_validate_trigger_config(hass, [known]) == [known]
    with pytest.raises(HomeAssistantError, match="no contact Granny"):
        await async_validate_trigger_config(
            hass, [trigger(phone, "sms_received", contact="Granny")]
        )
