"""SmsGateway24 through Home Assistant, against its simulator over real HTTP.

The entry logs in with an e-mail address and a password, keeps the token the service gives and
renews it when refused; phones come from ``getalldevices`` and, where the service answers it,
``getdevicestatus``; webhooks are unsigned JSON per phone, accepted only for the account's phones.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import json
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
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

from custom_components.sms_bridge.api import smsgateway24
from custom_components.sms_bridge.api.smsgateway24 import SmsGateway24Client
from custom_components.sms_bridge.compat import ADVANCED_MODE
from custom_components.sms_bridge.const import (
    CONF_DEFAULT_PHONE,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.inbound_poll import POLL_INTERVAL
from custom_components.sms_bridge.providers import PROVIDERS
from tests.conftest import WEBHOOK_ID
from tests.helpers import logged_tracebacks
from tests.simulator.smsgateway24 import (
    EMAIL,
    FAILING_SUFFIX,
    PASSWORD,
    DeviceStatus,
    SmsGateway24Simulator,
)

PROVIDER = "smsgateway24"
NEW_PASSWORD = "sg24-New-Pass"
EMULATOR, PIXEL = "1576", "1297"  # the simulator's phones: "AOSP_on_IA_Emulator", "Office Pixel"

# Home Assistant 2026 has no advanced mode: the optional server URL is always shown there.
SHOWN_URL = [] if ADVANCED_MODE else ["url"]


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[SmsGateway24Simulator]:
    """Run the simulator; the client talks to it instead of smsgateway24.com."""
    simulator = SmsGateway24Simulator()
    await simulator.start()
    monkeypatch.setattr(smsgateway24, "DEFAULT_URL", simulator.url)
    try:
        yield simulator
    finally:
        await simulator.stop()


def sg24_entry(options: dict[str, Any] | None = None, **data: Any) -> MockConfigEntry:
    """Return an entry as the flow stores it (no token yet unless given)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SG24",
        unique_id="sg24-test",
        data={
            CONF_PROVIDER: PROVIDER,
            "email": EMAIL,
            "password": PASSWORD,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            **data,
        },
        options=options or {},
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up ``entry``."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def entry(hass: HomeAssistant, sim: SmsGateway24Simulator) -> MockConfigEntry:
    """A loaded entry; the requests of its setup are forgotten."""
    loaded = await set_up(hass, sg24_entry())
    sim.requests.clear()
    return loaded


@pytest.fixture
async def client(
    hass_client_no_auth: ClientSessionGenerator,
    sim: SmsGateway24Simulator,
    entry: MockConfigEntry,
) -> TestClient:
    """An HTTP client of Home Assistant; the simulator's phones post to the entry's webhook."""
    http = await hass_client_no_auth()
    url = str(http.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    for phone in sim.phones.values():
        phone.webhook_url = phone.status_webhook_url = url
    return http


def requests_of(sim: SmsGateway24Simulator, method: str) -> list[dict[str, Any]]:
    """Return the fields of the requests made to ``method``."""
    return [r.params for r in sim.requests if r.path == f"/getdata/{method}"]


async def start_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Start a user flow and pick SmsGateway24."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: PROVIDER}
    )


# -- config flow ---------------------------------------------------------------------------------


async def test_flow_logs_in_and_stores_the_token(
    hass: HomeAssistant, sim: SmsGateway24Simulator
) -> None:
    """The e-mail address and password are asked; the entry keeps the token of the test."""
    result = await start_flow(hass)
    assert result["step_id"] == PROVIDER
    assert [str(key) for key in result["data_schema"].schema] == [
        "email",
        "password",
        *SHOWN_URL,
        CONF_NAME,
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    created = result["result"]
    assert created.title == EMAIL
    token = created.data["token"]
    assert token in sim.tokens
    assert created.data == {
        CONF_PROVIDER: PROVIDER,
        "email": EMAIL,
        "password": PASSWORD,
        "token": token,
        CONF_WEBHOOK_ID: created.data[CONF_WEBHOOK_ID],
    }
    # The account, not a secret: the server and a digest of the e-mail address.
    assert created.unique_id.startswith(f"{sim.url}#")
    assert EMAIL not in created.unique_id
    assert PASSWORD not in created.unique_id
    await hass.async_block_till_done()
    # The setup reused the flow's token: one login in all.
    assert len(requests_of(sim, "gettoken")) == 1
    await hass.config_entries.async_unload(created.entry_id)


async def test_flow_refuses_a_wrong_password(
    hass: HomeAssistant, sim: SmsGateway24Simulator
) -> None:
    """The service's "Login or password incorrect" is `invalid_auth`; nothing is created."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_flow_cannot_connect(hass: HomeAssistant, sim: SmsGateway24Simulator) -> None:
    """The service down is `cannot_connect` (no http:// hint: the user typed no URL)."""
    result = await start_flow(hass)
    await sim.stop()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": PASSWORD}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_flow_aborts_the_same_account(
    hass: HomeAssistant, sim: SmsGateway24Simulator
) -> None:
    """The same e-mail address (whatever its case) is the same account."""
    sim.email = EMAIL.upper()
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL.upper(), "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL.upper(), "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()


async def test_rejected_password_starts_reauth_which_asks_only_the_password(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """The token refused and the password with it: reauth asks the password and logs in."""
    sim.password = NEW_PASSWORD
    sim.expire_tokens()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], None)
    assert result["step_id"] == "smsgateway24_reauth"
    assert [str(key) for key in result["data_schema"].schema] == ["password"]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"password": NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["password"] == NEW_PASSWORD
    assert entry.data["token"] in sim.tokens
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success


async def test_connection_test_ignores_a_token_still_valid(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """A wrong password is refused even while the stored token would still be accepted."""
    assert entry.data["token"] in sim.tokens
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert entry.data["password"] == PASSWORD


async def test_reconfigure_keeps_the_password_left_empty(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """Both fields are shown, the password neither shown nor required; left empty, it is kept."""
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "smsgateway24_reconfigure"
    assert [str(key) for key in result["data_schema"].schema] == ["email", "password", *SHOWN_URL]
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {"email": EMAIL}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["password"] == PASSWORD
    assert entry.state is ConfigEntryState.LOADED


# -- the token ---------------------------------------------------------------------------------


async def test_a_refused_token_is_renewed_and_stored_without_a_reload(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """The service forgets the token: the next call logs in once, and the entry keeps the new
    token without reloading (its update listener reloads on the user's changes only)."""
    entry.runtime_data.coordinator.update_interval = None  # no refresh in between
    before = entry.runtime_data
    old_token = entry.data["token"]
    sim.expire_tokens()

    await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": ["+4915700001"], "message": "hi"}, blocking=True
    )
    await hass.async_block_till_done()

    assert len(requests_of(sim, "gettoken")) == 1
    assert entry.data["token"] != old_token
    assert entry.data["token"] in sim.tokens
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is before  # not reloaded
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    # A restart reuses the stored token: no login.
    sim.requests.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert requests_of(sim, "gettoken") == []
    assert requests_of(sim, "getalldevices")[0]["token"] == entry.data["token"]


async def test_a_change_of_the_users_still_reloads(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """Storing a token leaves the listener watching the rest: new options reload the entry."""
    before = entry.runtime_data
    sim.expire_tokens()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entry.runtime_data is before

    hass.config_entries.async_update_entry(entry, options={CONF_DEFAULT_PHONE: EMULATOR})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before


# -- entities -------------------------------------------------------------------------------------


async def test_entities_per_phone(
    hass: HomeAssistant,
    sim: SmsGateway24Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Online (as the service says), subscription, SIM cards, app version; no credits."""
    sim.device_status = DeviceStatus.PRESENT
    sim.phones[int(PIXEL)].online = False  # seen a moment ago, yet the service says offline
    entry = await set_up(hass, sg24_entry())

    def state(entity_id: str) -> str:
        found = hass.states.get(entity_id)
        assert found is not None, entity_id
        return found.state

    assert state("binary_sensor.aosp_on_ia_emulator_online") == STATE_ON
    assert state("binary_sensor.office_pixel_online") == STATE_OFF
    assert state("binary_sensor.aosp_on_ia_emulator_subscription") == STATE_ON
    assert state("binary_sensor.office_pixel_subscription") == STATE_OFF
    assert state("sensor.aosp_on_ia_emulator_sim_cards") == "1"
    assert state("sensor.office_pixel_sim_cards") == "2"
    assert state("sensor.office_pixel_app_version") == "12.1.21"
    sims = hass.states.get("sensor.office_pixel_sim_cards")
    assert sims is not None
    assert sims.attributes["sims"] == [
        {"sim": 1, "number": "+4915752982212", "operator": None},
        {"sim": 2, "number": None, "operator": "Vodafone.de"},
    ]
    last_seen = entity_registry.async_get("sensor.office_pixel_last_seen")
    assert last_seen is not None
    assert last_seen.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    for entity_id in ("binary_sensor.office_pixel_subscription", "sensor.office_pixel_app_version"):
        registered = entity_registry.async_get(entity_id)
        assert registered is not None
        assert registered.entity_category == "diagnostic"

    platforms = {
        e.entity_id for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    }
    assert not [entity_id for entity_id in platforms if "credits" in entity_id]

    sim.phones[int(PIXEL)].online = True
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state("binary_sensor.office_pixel_online") == STATE_ON


def online_state(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of an online binary sensor."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.mark.parametrize(
    "answer",
    [DeviceStatus.ABSENT, DeviceStatus.HTTP_500, DeviceStatus.HTML_PAGE, DeviceStatus.API_ERROR],
)
async def test_phones_load_without_a_status_method(
    hass: HomeAssistant, sim: SmsGateway24Simulator, answer: DeviceStatus
) -> None:
    """getdevicestatus is not on the service's page: absent or failing, the entry loads and
    "Online" follows the time each phone was last seen."""
    sim.device_status = answer
    sim.phones[int(PIXEL)].last_seen -= timedelta(hours=2)
    entry = await set_up(hass, sg24_entry())
    assert entry.state is ConfigEntryState.LOADED
    assert online_state(hass, "binary_sensor.aosp_on_ia_emulator_online") == STATE_ON
    assert online_state(hass, "binary_sensor.office_pixel_online") == STATE_OFF
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.last_update_success


# -- sending --------------------------------------------------------------------------------------


async def test_send_to_one_uses_the_default_phone_the_user_picked(
    hass: HomeAssistant, sim: SmsGateway24Simulator
) -> None:
    """The options offer the account's phones; the one picked sends, its SIM as chosen."""
    entry = await set_up(hass, sg24_entry())
    result = await hass.config_entries.options.async_init(entry.entry_id)
    phones = next(
        value for key, value in result["data_schema"].schema.items() if key == CONF_DEFAULT_PHONE
    )
    assert phones.config["options"] == [
        {"value": PIXEL, "label": "Office Pixel"},
        {"value": EMULATOR, "label": "AOSP_on_IA_Emulator"},
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"update_interval": 300, CONF_DEFAULT_PHONE: PIXEL, "default_sim": "2"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    sim.requests.clear()

    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+49 157 0000 0001"], "message": "hello", "prioritize": True},
        blocking=True,
        return_response=True,
    )
    [sent] = requests_of(sim, "addsms")
    assert sent["sendto"] == "+4915700000001"
    assert sent["device_id"] == PIXEL
    assert sent["sim"] == "1"
    assert sent["urgent"] == "1"
    assert response is not None
    [message] = response["messages"]
    assert int(message["message_id"]) in sim.sms
    assert message["group_id"] == sent["customerid"]


async def test_without_a_default_phone_the_first_phone_sends(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """No default phone chosen: the client names the account's first phone itself."""
    await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": ["+4915700001"], "message": "hi"}, blocking=True
    )
    [sent] = requests_of(sim, "addsms")
    assert sent["device_id"] == PIXEL
    assert "sim" not in sent


async def test_send_to_many_is_one_request(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """Three recipients: one `addalotofsms`, read back by the send's customerid."""
    numbers = ["+4915700001", "+4915700002", "+4915700003"]
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": numbers, "message": "to all", "phone": EMULATOR},
        blocking=True,
        return_response=True,
    )
    assert requests_of(sim, "addsms") == []
    [bulk] = requests_of(sim, "addalotofsms")
    smsdata = json.loads(bulk["datajson"])["smsdata"]
    assert [item["sendto"] for item in smsdata] == numbers
    assert {item["device_id"] for item in smsdata} == {int(EMULATOR)}
    assert response is not None
    assert sorted(m["number"] for m in response["messages"]) == numbers
    assert len(response["group_ids"]) == 1
    assert [m["message_id"] for m in response["messages"]] == [
        str(row["id"]) for row in sim.sms.values()
    ]


async def test_a_service_error_is_translated(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """`{"error": 1, "message": ...}` is a translated error carrying the service's text."""
    sim.canned["addsms"] = (200, '{"error": 1, "message": "No subscription for this device"}')
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": ["+4915700001"], "message": "hi"}, blocking=True
        )
    assert raised.value.translation_key == "gateway_error"
    assert raised.value.translation_placeholders == {"error": "No subscription for this device"}


async def test_refused_credentials_while_sending_start_reauth(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """The token and then the password refused: a translated error, and reauth starts."""
    sim.password = NEW_PASSWORD
    sim.expire_tokens()
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": ["+4915700001"], "message": "hi"}, blocking=True
        )
    assert raised.value.translation_key == "invalid_auth"
    assert PASSWORD not in str(raised.value)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH


# -- incoming and delivery -------------------------------------------------------------------------


async def test_incoming_sms_by_webhook_fires_once(
    hass: HomeAssistant, sim: SmsGateway24Simulator, client: TestClient
) -> None:
    """The phone's JSON webhook fires one event; the same request again fires nothing more."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    row = await sim.receive_sms("+4915752982212", "Hallo", phone_id=int(PIXEL), sim=1)
    await hass.async_block_till_done()
    assert sim.webhook_results[-1][1] == 200
    [event] = events
    assert event.data["message_id"] == str(row["id"])
    assert event.data["number"] == "+4915752982212"
    assert event.data["text"] == "Hallo"
    assert event.data["phone_id"] == PIXEL
    assert event.data["sim"] == 2

    payload = {"address": "+4915752982212", "body": "Hallo", "sms_id": row["id"]}
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}", json=payload | {"device_id": int(PIXEL)}
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize("zone", ["America", "x" * 300, "Nowhere/Land"])
async def test_a_date_in_no_known_zone_fires_without_a_traceback(
    hass: HomeAssistant, client: TestClient, caplog: pytest.LogCaptureFixture, zone: str
) -> None:
    """A PHP date whose zone names a directory, a name too long for a file or nothing at all:
    the message fires, its sending time unknown, and nothing is logged with the webhook id."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    date = {"date": "2024-05-01 12:00:00.000000", "timezone_type": 3, "timezone": zone}
    payload = {
        "address": "+4915752982212",
        "body": "Hallo",
        "sms_id": 4711,
        "device_id": int(PIXEL),
        "date": date,
    }
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", json=payload)
    assert response.status == 200
    await hass.async_block_till_done()
    [event] = events
    assert event.data["text"] == "Hallo"
    assert event.data["sent_at"] is None
    assert logged_tracebacks(caplog) == []
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and WEBHOOK_ID in r.getMessage()
    ]


async def test_an_image_fires_with_its_url(
    hass: HomeAssistant, sim: SmsGateway24Simulator, client: TestClient
) -> None:
    """A WhatsApp image (`type: "img"`) fires with the image's URL as attachment."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await sim.receive_image("+4915752982212", "https://images.example/1.jpg")
    await hass.async_block_till_done()
    [event] = events
    assert event.data["attachments"] == ["https://images.example/1.jpg"]
    assert event.data["text"] == ""


@pytest.mark.parametrize(
    "payload",
    [
        {"address": "+4915752982212", "body": "forged", "sms_id": 1, "device_id": 9999},
        {"address": "+4915752982212", "body": "forged", "sms_id": 1},
        {"sms_id": 1, "status_id": 7, "device_id": 9999},
    ],
    ids=["unknown phone", "no phone", "status of an unknown phone"],
)
async def test_requests_for_other_phones_are_refused(
    hass: HomeAssistant, client: TestClient, payload: dict[str, Any]
) -> None:
    """Nothing signs the webhooks: a request naming no phone of the account is refused."""
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", json=payload)
    assert response.status == 401
    await hass.async_block_till_done()
    assert received == []
    assert statuses == []


async def test_webhooks_are_accepted_right_after_a_restart(
    hass: HomeAssistant,
    sim: SmsGateway24Simulator,
    entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The phones are read before the webhook is registered: the first request is accepted."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    http = await hass_client_no_auth()
    url = str(http.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    for phone in sim.phones.values():
        phone.webhook_url = url

    assert await hass.config_entries.async_setup(entry.entry_id)
    await sim.receive_sms("+4915752982212", "first after restart")
    # The backfill at setup may read the message first and fire it: wait for it too.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.webhook_results == [(url, 200)]
    assert [event.data["text"] for event in events] == ["first after restart"]


async def test_delivery_states_reach_message_status_events(
    hass: HomeAssistant, sim: SmsGateway24Simulator, client: TestClient
) -> None:
    """The status webhook moves each message along; a failure keeps the service's text."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+4915700001", f"+49157{FAILING_SUFFIX}"], "message": "hi"},
        blocking=True,
    )
    for _ in range(4):
        await sim.advance()  # 1 → 3 → 2 → 6 (or 9) → 7
    await hass.async_block_till_done()
    assert all(status == 200 for _, status in sim.webhook_results)

    by_number: dict[str, list[str]] = {}
    for event in events:
        by_number.setdefault(event.data["number"], []).append(event.data["status"])
    assert by_number["+4915700001"] == ["queued", "sent", "delivered"]
    assert by_number[f"+49157{FAILING_SUFFIX}"] == ["queued", "failed"]
    failed = next(event for event in events if event.data["status"] == "failed")
    assert failed.data["failure_reason"] == "SMS has not been sent: Generic failure"
    assert failed.data["error_code"] == 9


async def test_incoming_sms_are_polled_and_fire_once(
    hass: HomeAssistant, sim: SmsGateway24Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """Without a webhook reaching Home Assistant, `getallsms` brings incoming messages, once."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await set_up(hass, sg24_entry())

    async def next_poll() -> None:
        freezer.tick(POLL_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    await next_poll()  # the first poll only starts the mark
    await sim.receive_sms("+4915752982212", "polled")  # its webhook goes nowhere
    await next_poll()
    await next_poll()
    assert [event.data["text"] for event in events] == ["polled"]
    polled = requests_of(sim, "getallsms")
    assert polled
    assert polled[-1]["status"] == "5"


async def test_a_message_both_pushed_and_polled_fires_once(
    hass: HomeAssistant,
    sim: SmsGateway24Simulator,
    client: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Webhook and polling both bring the message: it fires once."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    async def next_poll() -> None:
        freezer.tick(POLL_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    await next_poll()
    sim.requests.clear()
    await sim.receive_sms("+4915752982212", "both ways")
    await hass.async_block_till_done()
    await next_poll()
    assert requests_of(sim, "getallsms")  # the poll did read it again
    assert [event.data["text"] for event in events] == ["both ways"]


# -- contacts, USSD, diagnostics ------------------------------------------------------------------


async def test_contacts_and_newsletters(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """A contact is added to a tag and a tag gets a newsletter; removing a contact is refused."""
    tag = 8303
    sim.tags[tag] = "Neighbours"
    response = await hass.services.async_call(
        DOMAIN,
        "subscribe_contact",
        {"list_id": tag, "number": "+4915700001", "name": "Anna"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["contact"]["number"] == "+4915700001"
    assert list(sim.contacts.values()) == [
        {"phone": "+4915700001", "fullname": "Anna", "tag_id": tag}
    ]

    await hass.services.async_call(
        DOMAIN,
        "send_to_contact_list",
        {"list_id": tag, "message": "street party", "phone": EMULATOR},
        blocking=True,
    )
    [paket] = requests_of(sim, "savepaket")
    assert paket["tags"] == str(tag)
    assert paket["device_id"] == EMULATOR
    assert [row["sendto"] for row in sim.sms.values()] == ["+4915700001"]

    sim.requests.clear()
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "unsubscribe_contact",
            {"list_id": tag, "number": "+4915700001"},
            blocking=True,
        )
    assert raised.value.translation_key == "operation_not_supported"
    assert sim.requests == []


async def test_ussd_is_refused_by_capability(
    hass: HomeAssistant, sim: SmsGateway24Simulator, entry: MockConfigEntry
) -> None:
    """The service offers no USSD: the action says so before any request."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "send_ussd", {"code": "*100#", "phone": EMULATOR}, blocking=True
        )
    assert raised.value.translation_key == "not_supported"
    assert sim.requests == []


async def test_diagnostics_redact_every_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SmsGateway24Simulator,
) -> None:
    """Password, token, e-mail address (also as the title) and webhook id are redacted."""
    entry = await set_up(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title=EMAIL,
            data={
                CONF_PROVIDER: PROVIDER,
                "email": EMAIL,
                "password": PASSWORD,
                CONF_WEBHOOK_ID: WEBHOOK_ID,
            },
        ),
    )
    token = entry.data["token"]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["title"] == REDACTED
    assert diagnostics["entry"]["data"] == {
        CONF_PROVIDER: PROVIDER,
        "email": REDACTED,
        "password": REDACTED,
        "token": REDACTED,
        CONF_WEBHOOK_ID: REDACTED,
    }
    assert diagnostics["account"] is None
    phone = next(p for p in diagnostics["phones"] if p["id"] == PIXEL)
    assert phone["online"] is None  # no getdevicestatus, as on the service's page
    assert phone["subscription"] is False
    assert phone["app_version"] == "12.1.21"
    text = json.dumps(diagnostics)
    for secret in (PASSWORD, token, EMAIL, WEBHOOK_ID):
        assert secret not in text


def test_the_client_is_the_providers() -> None:
    """The descriptor builds the SmsGateway24 client with its declared capabilities."""
    provider = PROVIDERS[PROVIDER]
    assert provider.capabilities == SmsGateway24Client.capabilities
    assert provider.secrets == {"password", "token"}
