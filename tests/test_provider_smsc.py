"""SMSC through Home Assistant: an SMS centre without phones, with the simulator over HTTP.

The entry logs in with a login and password (or an API key), has a money balance, sends to
many numbers in one request, and is called back with form fields hashed with a secret that
the integration generated and put in the webhook URL it shows.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from functools import partial
import json
import logging
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorDeviceClass
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.selector import SelectSelector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api.smsc import SmscClient, callback_query
from custom_components.sms_bridge.const import (
    CONF_DEFAULT_RECIPIENTS,
    CONF_PROVIDER,
    CONF_SENDER_ID,
    CONF_UPDATE_INTERVAL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_EXPIRED,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.outbox import RETRY_DELAYS
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.conftest import WEBHOOK_ID
from tests.simulator.smsc import (
    API_KEY,
    CRC32_FORMATS,
    LOGIN,
    PASSWORD,
    RECEIVING_NUMBER,
    SmscSimulator,
    sign,
)
from tests.test_contacts import add_contact, subentry_id

SECRET = "callback-secret-0123456789"
NUMBERS = ["+79161234501", "+79161234502", "+79161234503"]
TITLE = "SMSC"


@pytest.fixture
async def smsc() -> AsyncGenerator[SmscSimulator]:
    """Run the SMSC simulator on a free loopback port."""
    sim = SmscSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def smsc_entry(sim: SmscSimulator, **data: Any) -> MockConfigEntry:
    """Return an SMSC entry for the simulator, logging in with login and password."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=f"{sim.url}#{LOGIN}",
        data={
            CONF_PROVIDER: "smsc",
            "host": sim.url,
            "login": LOGIN,
            "password": PASSWORD,
            "callback_secret": SECRET,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        }
        | data,
        options={CONF_DEFAULT_RECIPIENTS: [NUMBERS[0]]},
    )


@pytest.fixture
async def entry(hass: HomeAssistant, smsc: SmscSimulator) -> MockConfigEntry:
    """Set up an SMSC entry and forget the requests of the setup."""
    config_entry = smsc_entry(smsc)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    smsc.requests.clear()
    return config_entry


@pytest.fixture
async def http(hass_client_no_auth: ClientSessionGenerator, entry: MockConfigEntry) -> TestClient:
    """An HTTP client of Home Assistant's test server, with the entry set up."""
    return await hass_client_no_auth()


@pytest.fixture
def called_back(smsc: SmscSimulator, http: TestClient) -> SmscSimulator:
    """The simulator, calling back the entry's webhook with the URL the integration shows."""
    smsc.callback_url = f"{http.make_url(f'/api/webhook/{WEBHOOK_ID}')}?{callback_query(SECRET)}"
    return smsc


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call sms_bridge.send_message and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def sends(sim: SmscSimulator) -> list[dict[str, str]]:
    """Return the parameters of every send.php request."""
    return [r.params for r in sim.requests if r.path == "/sys/send.php"]


# -- config flow ------------------------------------------------------------------------------


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "smsc"}
    )
    assert result["step_id"] == "smsc"
    return str(result["flow_id"])


async def test_the_host_is_a_list_of_known_hosts_that_takes_a_typed_one(
    hass: HomeAssistant,
) -> None:
    """The service host is picked among the known sites, smsc.ru by default, or typed."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "smsc"}
    )
    schema = result["data_schema"].schema
    [host] = [key for key in schema if key == "host"]
    selector = schema[host]
    assert isinstance(selector, SelectSelector)
    assert selector.config["custom_value"] is True
    assert selector.config["options"] == ["smsc.ru", "smsc.kz", "smsc.ua", "smscentre.com"]
    assert host.default() == "smsc.ru"


async def test_login_and_password_create_the_entry(
    hass: HomeAssistant, smsc: SmscSimulator
) -> None:
    """The balance is read to test the login; the entry gets its own callback secret."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": smsc.url, "login": LOGIN, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == LOGIN
    data = result["data"]
    assert data["host"] == smsc.url
    assert len(data["callback_secret"]) >= 24
    assert result["result"].unique_id == f"{smsc.url}#{LOGIN}"
    tested = smsc.requests[0]
    assert tested.path == "/sys/balance.php"
    assert (tested.params["login"], tested.params["psw"]) == (LOGIN, PASSWORD)
    await hass.async_block_till_done()

    # A second entry gets a secret of its own.
    other = await _start(hass)
    smsc.login = "other-login"
    result = await hass.config_entries.flow.async_configure(
        other, {"host": smsc.url, "login": "other-login", "password": PASSWORD}
    )
    assert result["data"]["callback_secret"] != data["callback_secret"]


async def test_an_api_key_alone_creates_the_entry(hass: HomeAssistant, smsc: SmscSimulator) -> None:
    """With an API key the title is the host's, never a secret, and so is the unique id."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": smsc.url, "api_key": API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SMS Bridge"  # 127.0.0.1 names nothing
    unique_id = result["result"].unique_id
    assert API_KEY not in unique_id
    assert smsc.requests[0].params["apikey"] == API_KEY


@pytest.mark.parametrize(
    "fields",
    [{}, {"login": LOGIN}, {"password": PASSWORD}, {"login": LOGIN, "api_key": ""}],
)
async def test_login_without_password_and_without_key_is_refused_before_any_request(
    hass: HomeAssistant, smsc: SmscSimulator, fields: dict[str, str]
) -> None:
    """Either a login with its password or an API key: said by the form, not by the server."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": smsc.url, **fields})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "login_or_api_key"}
    assert smsc.requests == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"login": LOGIN, "password": "wrong"}, "invalid_auth"),
        ({"api_key": "wrong-key"}, "invalid_auth"),
    ],
)
async def test_rejected_credentials(
    hass: HomeAssistant, smsc: SmscSimulator, fields: dict[str, str], error: str
) -> None:
    """SMSC's error 2 is invalid credentials."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": smsc.url, **fields})
    assert result["errors"] == {"base": error}


async def test_cannot_connect(hass: HomeAssistant, smsc: SmscSimulator) -> None:
    """A host where nothing answers cannot connect; without a scheme, HTTPS is named."""
    url = smsc.url
    await smsc.stop()
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": url, "login": LOGIN, "password": PASSWORD}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": url.removeprefix("http://"), "login": LOGIN, "password": PASSWORD}
    )
    assert result["errors"] == {"base": "cannot_connect_https"}


@pytest.mark.parametrize("host", ["ftp://smsc.example.com", "https://user@smsc.example.com"])
async def test_a_typed_host_must_be_a_server(
    hass: HomeAssistant, smsc: SmscSimulator, host: str
) -> None:
    """A typed host that is no HTTP(S) server (or carries a user name) is refused."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": host, "login": LOGIN, "password": PASSWORD}
    )
    assert result["errors"] == {"host": "invalid_url"}
    assert smsc.requests == []


async def test_the_same_account_twice_is_aborted(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """One entry per login on a host."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": smsc.url, "login": LOGIN, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_rejected_login_starts_reauth_which_keeps_the_callback_secret(
    hass: HomeAssistant, smsc: SmscSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A refresh rejected with error 2 asks the password (or a key) again; the URL stays."""
    config_entry = smsc_entry(smsc, password="old-password")
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], None)
    assert result["step_id"] == "smsc_reauth"
    assert set(result["data_schema"].schema) == {"password", "api_key"}

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"password": PASSWORD})
    assert result["reason"] == "reauth_successful"
    assert config_entry.data["password"] == PASSWORD
    assert config_entry.data["callback_secret"] == SECRET
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_changes_the_login_and_keeps_secrets(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """Every field is shown, secrets empty; an empty secret keeps the stored one."""
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "smsc_reconfigure"
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["login"] == LOGIN
    assert suggested.get("password") is None
    assert SECRET not in json.dumps(suggested)

    smsc.login = "renamed-login"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": smsc.url, "login": "renamed-login"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["login"] == "renamed-login"
    assert entry.data["password"] == PASSWORD
    assert entry.data["callback_secret"] == SECRET
    assert entry.unique_id == f"{smsc.url}#renamed-login"


# -- entities ---------------------------------------------------------------------------------


async def test_balance_and_account_entities_without_phones(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A money balance in the account's currency; notify and events of the account."""
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    by_key = {e.unique_id.removeprefix(f"{entry.entry_id}_"): e.entity_id for e in entities}
    assert set(by_key) == {
        "credits",
        "outbox",
        "sent_today",
        "unread_messages",
        "sms",
        "messages",
        "delivery",
    }
    balance = hass.states.get(by_key["credits"])
    assert balance is not None
    assert balance.entity_id == "sensor.smsc_balance"
    assert float(balance.state) == 100.0
    assert balance.attributes[ATTR_UNIT_OF_MEASUREMENT] == "RUB"
    assert balance.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.MONETARY
    assert ATTR_STATE_CLASS not in balance.attributes
    assert by_key["sms"].startswith("notify.")
    [device] = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.manufacturer == "SMSC"


async def test_send_to_many_in_one_request_with_cost_and_balance(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """One send.php for every recipient; the response has the cost; the balance follows."""
    response = await send(hass, recipients=NUMBERS, message="Hello")
    [params] = sends(smsc)
    assert params["phones"] == ",".join(NUMBERS)
    assert params["cost"] == "3"
    assert params["fmt"] == "3"
    assert params["charset"] == "utf-8"
    assert "sender" not in params
    assert [m["number"] for m in response["messages"]] == NUMBERS
    assert [m["cost"] for m in response["messages"]] == [2.9] * 3
    assert [m["segments"] for m in response["messages"]] == [1] * 3
    assert response["cost"] == pytest.approx(8.7)
    assert response["segments"] == 1
    # The send carries an id of ours, by which it is looked up if its answer is lost.
    assert response["group_ids"] == [params["id"]]
    assert response["queued"] is None

    # The balance left came with the send's answer: no balance.php request.
    assert [r.path for r in smsc.requests] == ["/sys/send.php"]
    state = hass.states.get("sensor.smsc_balance")
    assert state is not None
    assert float(state.state) == pytest.approx(91.3)
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "RUB"


async def test_the_account_notify_entity_sends_to_the_default_recipients(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """The notify entity of the account sends without any phone."""
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.smsc_sms", "message": "Door open"},
        blocking=True,
    )
    [params] = sends(smsc)
    assert params["phones"] == NUMBERS[0]
    assert params["mes"] == "Door open"


async def test_sender_id_from_the_action_and_from_the_options(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """The action's sender name wins over the default of the options."""
    await send(hass, recipients=NUMBERS[:1], message="a", sender_id="MyHome")
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_SENDER_ID: "Default"}
    )
    await hass.async_block_till_done()
    await send(hass, recipients=NUMBERS[:1], message="b")
    await send(hass, recipients=NUMBERS[:1], message="c", sender_id="Other")
    assert [params.get("sender") for params in sends(smsc)] == ["MyHome", "Default", "Other"]


async def test_sender_id_is_refused_where_the_provider_has_none(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The SMS Gateway cannot choose a sender name: the field is refused, not dropped."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, recipients=NUMBERS[:1], message="a", sender_id="MyHome")
    assert err.value.translation_key == "not_supported"


async def test_schedule(hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry) -> None:
    """A scheduled send carries its time as 0<Unix seconds>."""
    later = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=2)
    response = await send(hass, recipients=NUMBERS[:1], message="later", schedule=later)
    [params] = sends(smsc)
    assert params["time"] == f"0{int(later.timestamp())}"
    assert response["messages"][0]["status"] == "scheduled"


async def test_not_enough_money_is_a_translated_error(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """Error 3 tells the user to top up; nothing waits in the outbox."""
    smsc.balance = smsc.price / 2
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=NUMBERS[:1], message="Hello")
    assert err.value.translation_key == "insufficient_funds"
    assert len(entry.runtime_data.outbox) == 0


async def test_rejected_login_while_sending_starts_reauth(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """Error 2 on a send is a translated error, and asks for the credentials again."""
    smsc.faults.reject_key = True
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=NUMBERS[:1], message="Hello")
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH


async def test_too_many_requests_waits_for_the_rate_limit_then_sends(
    hass: HomeAssistant,
    smsc: SmscSimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Error 9 keeps the send; it goes once the service's minute is over, not before."""
    smsc.faults.rate_limit = True
    response = await send(hass, recipients=NUMBERS, message="Hello")
    assert response["queued"] is not None
    assert len(sends(smsc)) == 1
    smsc.faults.reset()

    freezer.tick(timedelta(seconds=45))  # the outbox's first retry would be due here
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sends(smsc)) == 1

    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sends(smsc)) == 2
    assert sends(smsc)[1]["phones"] == ",".join(NUMBERS)
    assert len(entry.runtime_data.outbox) == 0
    assert len(smsc.messages) == 3


async def test_too_many_requests_while_polling_waits(
    hass: HomeAssistant,
    smsc: SmscSimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Error 9 on a refresh: the balance is unavailable until the next refresh succeeds."""
    hass.config_entries.async_update_entry(entry, options={CONF_UPDATE_INTERVAL: 30})
    await hass.async_block_till_done()
    smsc.requests.clear()
    smsc.faults.rate_limit = True
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.smsc_balance").state == "unavailable"  # type: ignore[union-attr]
    smsc.faults.reset()
    freezer.tick(timedelta(seconds=31))  # within the service's minute: still waiting
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(smsc.requests) == 1
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(smsc.requests) == 2
    assert hass.states.get("sensor.smsc_balance").state == "100.0"  # type: ignore[union-attr]


# -- callbacks --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_incoming_sms_fires_once(
    hass: HomeAssistant, called_back: SmscSimulator, method: str
) -> None:
    """An incoming SMS by hashed callback (POST or GET) fires once, even when repeated."""
    called_back.callback_method = method
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await called_back.receive_sms("+79161112233", "Привет, дом") == 200
    await hass.async_block_till_done()
    [event] = events
    assert event.data["number"] == "+79161112233"
    assert event.data["text"] == "Привет, дом"

    # The service repeats a callback it got no answer to: the same fields fire nothing.
    fields = {"id": "5001", "phone": "+79161112233", "mes": "Привет, дом", "to": RECEIVING_NUMBER}
    assert await called_back.callback(fields, ("phone", "mes", "to")) == 200
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_windows_1251_when_the_charset_was_removed(
    hass: HomeAssistant, called_back: SmscSimulator
) -> None:
    """Without charset in the handler URL the service sends windows-1251: still read."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    url = called_back.callback_url
    assert url is not None
    called_back.callback_url = url.replace("charset=utf-8&", "")
    assert await called_back.receive_sms("+79161112233", "Свет включён") == 200
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["Свет включён"]


@pytest.mark.parametrize(
    "query",
    [
        "charset=utf-8&sha1=wrong-secret",
        "charset=utf-8&md5=wrong-secret",
        "charset=utf-8",  # no hash at all
        "charset=utf-8&crc32=wrong-secret",
    ],
)
async def test_forged_callbacks_are_refused_and_fire_nothing(
    hass: HomeAssistant, called_back: SmscSimulator, http: TestClient, query: str
) -> None:
    """A wrong or missing hash is answered 401."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    url = f"{http.make_url(f'/api/webhook/{WEBHOOK_ID}')}?{query}"
    fields = {"id": "5009", "phone": "+79161112233", "mes": "open the door", "to": "79990000000"}
    assert await called_back.callback(fields, ("phone", "mes", "to"), url=url) == 401
    await hass.async_block_till_done()
    assert events == []


async def test_unknown_webhook_fires_nothing(
    hass: HomeAssistant, called_back: SmscSimulator, http: TestClient
) -> None:
    """A callback to another webhook id reaches no entry."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    url = f"{http.make_url('/api/webhook/not-this-one')}?{callback_query(SECRET)}"
    fields = {"id": "5010", "phone": "+79161112233", "mes": "hi", "to": "79990000000"}
    await called_back.callback(fields, ("phone", "mes", "to"), url=url)
    await hass.async_block_till_done()
    assert events == []


async def test_delivery_statuses_by_callback(
    hass: HomeAssistant, called_back: SmscSimulator
) -> None:
    """Status callbacks move each number's message: sent, then delivered or failed."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    numbers = [NUMBERS[0], "+79161230000"]  # the second fails: subscriber offline
    response = await send(hass, recipients=numbers, message="Hello")
    ids = [message["message_id"] for message in response["messages"]]
    await called_back.advance()
    await called_back.advance()
    await hass.async_block_till_done()
    assert all(status == 200 for status in called_back.callback_results)
    assert sorted((e.data["message_id"], e.data["status"]) for e in events) == sorted(
        [(ids[0], "sent"), (ids[1], "sent"), (ids[0], "delivered"), (ids[1], "failed")]
    )
    [failed] = [e for e in events if e.data["status"] == "failed"]
    assert failed.data["failure_reason"] == "subscriber_offline"


async def test_delivery_states_are_polled_without_callbacks(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """status.php reads the states back when no callback comes."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    response = await send(hass, recipients=NUMBERS[:1], message="Hello")
    [message] = response["messages"]
    await smsc.advance()
    await smsc.advance()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=FIRST_POLL + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
    [status] = [r.params for r in smsc.requests if r.path == "/sys/status.php"]
    assert status["id"] == message["group_id"]
    assert [(e.data["message_id"], e.data["status"]) for e in events] == [
        (message["message_id"], "delivered")
    ]


async def test_too_many_requests_while_reading_states_waits(
    hass: HomeAssistant,
    smsc: SmscSimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Error 9 on status.php: the next read comes after the service's minute, not sooner."""
    await send(hass, recipients=NUMBERS[:1], message="Hello")

    def reads() -> int:
        return sum(r.path == "/sys/status.php" for r in smsc.requests)

    async def tick(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    smsc.faults.rate_limit = True
    await tick(FIRST_POLL + 1)
    assert reads() == 1
    smsc.faults.reset()
    await tick(2 * FIRST_POLL + 1)  # the doubled interval: too soon for the service
    assert reads() == 1
    await tick(60)
    assert reads() == 2


# -- what the user sees -----------------------------------------------------------------------


async def test_options_show_the_callback_url_and_ask_no_phone(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """The URL to paste carries charset and hash secret; no default phone or SIM is asked."""
    hass.config.external_url = "https://ha.example.com"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    url = result["description_placeholders"]["webhook_url"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://ha.example.com/api/webhook/{WEBHOOK_ID}"
    )
    assert parse_qsl(parts.query) == [("charset", "utf-8"), ("sha1", SECRET)]
    fields = {str(key) for key in result["data_schema"].schema}
    assert "default_phone" not in fields
    assert "default_sim" not in fields
    assert CONF_SENDER_ID in fields

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 300, CONF_SENDER_ID: "  MyHome "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SENDER_ID] == "MyHome"


async def test_diagnostics_redact_every_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    smsc: SmscSimulator,
) -> None:
    """Password, API key, callback secret and webhook id never appear, URL query included."""
    config_entry = smsc_entry(smsc, api_key=API_KEY)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    hass.config.external_url = "https://ha.example.com"

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    text = json.dumps(diagnostics)
    for secret in (PASSWORD, API_KEY, SECRET, WEBHOOK_ID):
        assert secret not in text
    data = diagnostics["entry"]["data"]
    assert data["password"] == data["api_key"] == data["callback_secret"] == REDACTED
    assert data["login"] == LOGIN
    assert diagnostics["webhook_url"] == (
        f"https://ha.example.com/api/webhook/{REDACTED}?charset=utf-8&sha1={REDACTED}"
    )
    assert diagnostics["account"] == {"credits": 100.0, "unlimited": False, "currency": "RUB"}
    assert diagnostics["phones"] == []


# -- callbacks the page describes beyond statuses and incoming SMS ------------------------------


async def test_number_confirmation_callbacks_are_answered_and_ignored(
    hass: HomeAssistant, called_back: SmscSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The service message of "number confirmation by a call" (its `waitcall` field) is no
    status and no SMS: answered 200 so that the service does not retry, nothing fires."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sms_bridge")
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    assert await called_back.confirm_call("+79161112233") == 200
    # Hashed some other way, or not at all: it is still only acknowledged.
    assert await called_back.confirm_call("+79161112233", hashed=("phone", "waitcall")) == 200
    await hass.async_block_till_done()
    assert received == statuses == []
    assert "number confirmation" in caplog.text
    assert not [key for key in ir.async_get(hass).issues if "bad_signature" in key[1]]


async def test_number_confirmations_do_not_hide_refused_callbacks(
    hass: HomeAssistant, called_back: SmscSimulator, http: TestClient
) -> None:
    """A confirmation is answered unauthenticated: between wrongly hashed callbacks it does not
    count as a good one, so three of those still raise the callback-hash issue."""
    url = f"{http.make_url(f'/api/webhook/{WEBHOOK_ID}')}?{callback_query('another-secret')}"
    fields = {"id": "5011", "phone": "+79161112233", "mes": "hi", "to": "79990000000"}
    for _ in range(3):
        assert await called_back.callback(fields, ("phone", "mes", "to"), url=url) == 401
        assert await called_back.confirm_call("+79161112233") == 200
    await hass.async_block_till_done()
    assert [key for key in ir.async_get(hass).issues if "callback_hash" in key[1]]


@pytest.mark.parametrize("crc32_format", CRC32_FORMATS)
async def test_crc32_callbacks_are_accepted(
    hass: HomeAssistant,
    called_back: SmscSimulator,
    http: TestClient,
    crc32_format: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The page allows crc32 besides md5 and sha1 but does not say how it is written: each
    reading is checked; a wrong secret is still refused; the weakness is logged once."""
    called_back.crc32_format = crc32_format
    called_back.callback_url = (
        f"{http.make_url(f'/api/webhook/{WEBHOOK_ID}')}?charset=utf-8&crc32={SECRET}"
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await called_back.receive_sms("+79161112233", "Привет") == 200
    assert await called_back.receive_sms("+79161112233", "ещё раз") == 200
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["Привет", "ещё раз"]
    assert caplog.text.count("crc32") == 1
    assert SECRET not in caplog.text

    called_back.callback_url = called_back.callback_url.replace(SECRET, "guessed-secret")
    assert await called_back.receive_sms("+79161112233", "forged") == 401
    await hass.async_block_till_done()
    assert len(events) == 2


async def test_a_refused_callback_names_the_fields_it_hashed(
    hass: HomeAssistant,
    called_back: SmscSimulator,
    http: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The incoming-SMS formula is not on the vendor's page: a refusal says at debug level which
    fields were hashed, never the secret nor the digests."""
    caplog.set_level(logging.DEBUG, logger="custom_components.sms_bridge")
    url = f"{http.make_url(f'/api/webhook/{WEBHOOK_ID}')}?{callback_query('another-secret')}"
    fields = {"id": "5011", "phone": "+79161112233", "mes": "hi", "to": RECEIVING_NUMBER}
    assert await called_back.callback(fields, INCOMING, url=url) == 401
    [line] = [r.getMessage() for r in caplog.records if "phone:mes:to" in r.getMessage()]
    assert "sha1" in line
    forged = sign("sha1", [f.encode() for f in ("+79161112233", "hi", RECEIVING_NUMBER)], SECRET)
    for secret in (SECRET, "another-secret", forged, forged[:12]):
        assert secret not in caplog.text


# -- replays ------------------------------------------------------------------------------------

MUM = "+79161112233"
LIGHT = "input_boolean.kitchen_light"
INCOMING = ("phone", "mes", "to")


@pytest.fixture
async def home(hass: HomeAssistant) -> None:
    """Home Assistant's conversation agent and a light exposed to it (before the HTTP server)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"kitchen_light": {"name": "Kitchen light"}}}
    )
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", LIGHT, True)


async def mum_commands(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add Mum as a contact who may text the home (text your home on)."""
    await add_contact(hass, entry, name="Mum", number=MUM)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "assist_agent": "conversation.home_assistant",
            "assist_contacts": [subentry_id(entry, "Mum")],
        },
    )
    await hass.async_block_till_done()


def light(hass: HomeAssistant) -> str:
    state = hass.states.get(LIGHT)
    assert state is not None
    return state.state


async def test_a_replayed_sms_fires_nothing_with_a_new_id_or_after_a_restart(
    hass: HomeAssistant,
    home: None,
    smsc: SmscSimulator,
    entry: MockConfigEntry,
    called_back: SmscSimulator,
) -> None:
    """SMSC signs only the sender, the text and the receiving number: a captured callback
    posted again with a new id and a fresh `sent` is the same signed SMS, and fires nothing,
    nor texts the home again; the digests seen are kept across a reload."""
    await mum_commands(hass, entry)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    captured = {"id": "5101", "phone": MUM, "mes": "turn on the kitchen light"}
    captured |= {"to": RECEIVING_NUMBER, "sent": str(int(dt_util.utcnow().timestamp()))}
    assert await called_back.callback(captured, INCOMING) == 200
    await hass.async_block_till_done()
    assert light(hass) == "on"
    assert len(events) == 1
    assert len(sends(smsc)) == 1  # the agent's answer to Mum

    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": LIGHT}, blocking=True)
    for replay_id in ("5102", "9999999"):
        replay = captured | {"id": replay_id, "sent": str(int(dt_util.utcnow().timestamp()))}
        assert await called_back.callback(replay, INCOMING) == 200
    await hass.async_block_till_done()
    assert light(hass) == "off"
    assert len(events) == 1
    assert len(sends(smsc)) == 1

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    replay = captured | {"id": "5103"}
    del replay["sent"]
    assert await called_back.callback(replay, INCOMING) == 200
    await hass.async_block_till_done()
    assert light(hass) == "off"
    assert len(events) == 1


async def test_a_status_callback_replayed_as_an_sms_is_refused(
    hass: HomeAssistant, called_back: SmscSimulator
) -> None:
    """A status's hash covers id:phone:status, an SMS's phone:mes:to: posted as an SMS (its id
    as the sender, its number as the text, its status as our number) the hash would match."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    forged = {"phone": "1001", "mes": "79161234501", "to": "1"}
    assert await called_back.callback(forged, INCOMING) == 400
    # A sender that is no number cannot be told from another kind of callback either.
    forged = {"phone": "id-1001", "mes": "x", "to": RECEIVING_NUMBER}
    assert await called_back.callback(forged, INCOMING) == 400
    await hass.async_block_till_done()
    assert events == []


async def test_a_field_with_the_separator_cannot_shift_what_was_signed(
    hass: HomeAssistant, called_back: SmscSimulator
) -> None:
    """`phone:mes:to` is signed joined by colons: a text with a colon is fine, but a colon in
    the sender or the receiving number would let a captured text be cut elsewhere."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    genuine = {"id": "5201", "phone": MUM, "mes": "code: 1234", "to": RECEIVING_NUMBER}
    assert await called_back.callback(genuine, INCOMING) == 200
    shifted = {"id": "5202", "phone": MUM, "mes": "code", "to": f" 1234:{RECEIVING_NUMBER}"}
    assert await called_back.callback(shifted, INCOMING) == 400
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["code: 1234"]


async def test_an_sms_is_dated_by_its_arrival_not_by_its_unsigned_sent_field(
    hass: HomeAssistant, called_back: SmscSimulator
) -> None:
    """`sent` is not signed: an SMS claiming to be sent in the future is dated when it came."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    before = dt_util.utcnow().replace(microsecond=0)
    future = str(int((dt_util.utcnow() + timedelta(days=1)).timestamp()))
    fields = {"id": "5301", "phone": MUM, "mes": "hi", "to": RECEIVING_NUMBER, "sent": future}
    assert await called_back.callback(fields, INCOMING) == 200
    await hass.async_block_till_done()
    [event] = events
    assert event.data["received_at"] is not None
    received_at = dt_util.parse_datetime(event.data["received_at"])
    sent_at = dt_util.parse_datetime(event.data["sent_at"])
    assert received_at is not None
    assert sent_at is not None
    assert before <= received_at <= dt_util.utcnow()
    assert sent_at <= received_at


# -- sends whose answer was lost ----------------------------------------------------------------


async def next_retry(hass: HomeAssistant, seconds: float = RETRY_DELAYS[0]) -> None:
    """Run the timers due within ``seconds``, the outbox's retry among them."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("after_processing", [False, True], ids=["not sent", "sent"])
async def test_a_send_answered_http_500_is_looked_up_by_our_id_before_a_resend(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry, after_processing: bool
) -> None:
    """The send carries an id of ours; after an HTTP 500 the retry reads that id's status:
    found, it was sent (not again); not found, it goes now. Either way exactly once."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    smsc.faults.http_500 = True
    smsc.faults.after_processing = after_processing
    response = await send(hass, recipients=NUMBERS[:2], message="Water leak")
    assert response["queued"]
    smsc.faults.reset()
    await next_retry(hass)

    [first, *later] = sends(smsc)
    assert first["id"].isdecimal()
    assert [params["id"] for params in later] == ([] if after_processing else [first["id"]])
    lookups = [r.params for r in smsc.requests if r.path == "/sys/status.php"]
    assert {(p["id"], p["phone"]) for p in lookups} == {
        (first["id"], number.lstrip("+")) for number in NUMBERS[:2]
    }
    assert sorted(phone for _, phone in smsc.messages) == [n.lstrip("+") for n in NUMBERS[:2]]
    assert len(entry.runtime_data.outbox) == 0
    assert expired == []
    assert entry.runtime_data.tracker.tracked_count == 2


async def test_a_send_that_timed_out_is_looked_up_not_resent(
    hass: HomeAssistant, smsc: SmscSimulator
) -> None:
    """The service took the send but answered too late: found by our id, never sent twice."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    short = partial(SmscClient, timeout=0.3)
    with patch("custom_components.sms_bridge.api.smsc.SmscClient", short):
        config_entry = smsc_entry(smsc)
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    smsc.faults.after_processing = True
    smsc.faults.latency = 1.0
    assert (await send(hass, recipients=NUMBERS[:1], message="Door open"))["queued"]
    smsc.faults.reset()
    await next_retry(hass)
    assert len(sends(smsc)) == 1
    assert len(smsc.messages) == 1
    assert len(config_entry.runtime_data.outbox) == 0
    assert expired == []
    assert config_entry.runtime_data.tracker.tracked_count == 1


async def test_where_the_service_ignores_our_id_a_lost_answer_is_an_error_not_queued(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry
) -> None:
    """Once the service numbered a send itself, a send whose answer is lost cannot be looked
    up: the action raises the translated error instead of answering "queued" for a send the
    outbox would drop unsent at its first retry."""
    smsc.keeps_client_ids = False
    await send(hass, recipients=NUMBERS[:1], message="first")
    smsc.faults.http_500 = True
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, recipients=NUMBERS[:1], message="Water leak")
    assert err.value.translation_key == "invalid_response"
    assert len(entry.runtime_data.outbox) == 0


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_where_the_service_ignores_our_id_a_proxy_outage_is_retried(
    hass: HomeAssistant, smsc: SmscSimulator, entry: MockConfigEntry, status: int
) -> None:
    """A proxy's 502, 503 or 504 page means the service did not take the send: kept, and sent
    once the service is back."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    smsc.keeps_client_ids = False
    await send(hass, recipients=NUMBERS[:1], message="first")
    smsc.faults.proxy_status = status
    assert (await send(hass, recipients=NUMBERS[1:2], message="Water leak"))["queued"]
    smsc.faults.reset()
    await next_retry(hass)
    assert [params["mes"] for params in sends(smsc)] == ["first", "Water leak", "Water leak"]
    assert len(smsc.messages) == 2
    assert len(entry.runtime_data.outbox) == 0
    assert expired == []


# -- rotating the callback secret ---------------------------------------------------------------


async def test_the_callback_secret_can_be_rotated_the_old_one_works_for_a_day(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    called_back: SmscSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """ "Generate a new callback secret" in the options: the URL shown changes; callbacks hashed
    with the old secret still count for a day (until the handler URL is changed at SMSC)."""
    old_url = called_back.callback_url
    assert old_url is not None
    hass.config.external_url = "https://ha.example.com"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "new_callback_secret" in {str(key) for key in result["data_schema"].schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 300, "outbox_ttl": 60, "new_callback_secret": True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "new_callback_secret" not in entry.options
    await hass.async_block_till_done()
    new_secret = entry.data["callback_secret"]
    assert new_secret != SECRET
    assert SECRET not in json.dumps(dict(entry.options))

    result = await hass.config_entries.options.async_init(entry.entry_id)
    url = result["description_placeholders"]["webhook_url"]
    assert parse_qsl(urlsplit(url).query) == [("charset", "utf-8"), ("sha1", new_secret)]
    hass.config_entries.options.async_abort(result["flow_id"])

    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await called_back.receive_sms(MUM, "old secret") == 200
    called_back.callback_url = old_url.replace(SECRET, new_secret)
    assert await called_back.receive_sms(MUM, "new secret") == 200

    freezer.tick(timedelta(hours=24, seconds=1))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert SECRET not in json.dumps(dict(entry.data))
    called_back.callback_url = old_url
    assert await called_back.receive_sms(MUM, "old secret, a day later") == 401
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["old secret", "new secret"]


async def test_the_rotation_is_not_offered_where_no_secret_was_generated(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The SMS Gateway signs with its API key: there is no callback secret to rotate."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert "new_callback_secret" not in {str(key) for key in result["data_schema"].schema}
