"""SemySMS through Home Assistant: the config flow, entities, actions, webhooks and polling.

Everything runs against the SemySMS simulator over real HTTP; webhooks go through Home
Assistant's real webhook path, actions through its service registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
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

from custom_components.sms_bridge.api import Capability, semysms
from custom_components.sms_bridge.api.semysms import CONF_USER_ID
from custom_components.sms_bridge.compat import ADVANCED_MODE
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_USSD_RESPONSE,
)
from custom_components.sms_bridge.inbound_poll import POLL_INTERVAL
from custom_components.sms_bridge.incoming_mode import (
    CONF_INCOMING_MODE,
    IncomingMode,
    incoming_mode,
)
from custom_components.sms_bridge.webhook import (
    LOCKOUT,
    REFUSAL_WINDOW,
    REFUSALS_BEFORE_LOCKOUT,
)
from tests.helpers import logged_tracebacks, poll
from tests.simulator import GatewaySimulator
from tests.simulator.semysms import (
    FIRST_INBOX_ID,
    USSD_ANSWER,
    WHATSAPP,
    WHATSAPP_BUSINESS,
    SemySmsSimulator,
)

BOTH_WAYS = {Capability.INBOUND_WEBHOOK, Capability.INBOUND_POLL}
TOKEN = "semy-token-0123456789abcdef"
NEW_TOKEN = "semy-token-fedcba9876543210"
WEBHOOK_ID = "5e3y5m5" + "0" * 57  # not the SMS Gateway entry's: both may be set up at once
WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[SemySmsSimulator]:
    """Run a SemySMS simulator (account 1, phones 351 and 352) on a free loopback port.

    The flows here run outside advanced mode, without the server URL: the client's default
    points at the simulator.
    """
    simulator = SemySmsSimulator(token=TOKEN)
    await simulator.start()
    monkeypatch.setattr(semysms, "DEFAULT_URL", simulator.url)
    try:
        yield simulator
    finally:
        await simulator.stop()


def _entry(sim: SemySmsSimulator, **options: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="SemySMS 1",
        unique_id=f"{sim.url}#user-1",
        data={
            CONF_PROVIDER: "semysms",
            CONF_API_KEY: TOKEN,
            CONF_USER_ID: "1",
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options=options,
    )


async def _set_up(hass: HomeAssistant, sim: SemySmsSimulator, **options: Any) -> MockConfigEntry:
    entry = _entry(sim, **options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _webhooked(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    **options: Any,
) -> tuple[MockConfigEntry, TestClient]:
    """Set up the entry; the simulator's phones post to its webhook on HA's test server."""
    entry = await _set_up(hass, sim, **options)
    client = await hass_client_no_auth()
    sim.webhook_url = str(client.make_url(WEBHOOK_PATH))
    return entry, client


def _entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _state(hass: HomeAssistant, platform: str, entry: MockConfigEntry, suffix: str) -> str:
    state = hass.states.get(_entity_id(hass, platform, f"{entry.entry_id}_{suffix}"))
    assert state is not None
    return state.state


def _scripts(sim: SemySmsSimulator) -> list[str]:
    return [request.path.rsplit("/", 1)[1] for request in sim.requests]


async def _user_flow(hass: HomeAssistant, sim: SemySmsSimulator, token: str) -> FlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "semysms"}
    )
    assert result["step_id"] == "semysms"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: token})


# -- config flow ---------------------------------------------------------------------------


async def test_user_flow_names_the_entry_after_the_account(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """The token is tested on user.php and devices.php; title and unique id are the account's."""
    sim.user_id = 4711
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "semysms"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    # Home Assistant 2026 has no advanced mode: the optional server URL is always shown.
    assert list(fields) == [CONF_API_KEY, *([] if ADVANCED_MODE else ["url"]), "name"]
    assert result["data_schema"].schema[fields[CONF_API_KEY]].config["type"] == "password"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: TOKEN}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SemySMS 4711"
    entry = result["result"]
    assert entry.unique_id == f"{sim.url}#user-4711"
    assert TOKEN not in entry.unique_id
    assert TOKEN not in entry.title
    assert entry.data[CONF_USER_ID] == "4711"
    assert entry.data[CONF_API_KEY] == TOKEN
    assert {"user.php", "devices.php"} <= set(_scripts(sim))
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("token", "invalid_auth"),
        ("http_500", "invalid_response"),
        ("html_error", "invalid_response"),
        ("down", "cannot_connect"),
    ],
)
async def test_user_flow_errors(
    hass: HomeAssistant, sim: SemySmsSimulator, fault: str, error: str
) -> None:
    """A wrong token, a failing or absent service each get their error, and no entry."""
    token = TOKEN
    if fault == "token":
        token = "wrong-token"
    elif fault == "down":
        await sim.stop()
    else:
        setattr(sim.faults, fault, True)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "semysms"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_same_account_twice_is_aborted(hass: HomeAssistant, sim: SemySmsSimulator) -> None:
    """Another token of an account already set up does not make a second entry."""
    await _set_up(hass, sim)
    result = await _user_flow(hass, sim, TOKEN)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_rejected_token_starts_reauth_which_asks_only_the_token(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """A token the service rejects later starts reauth; a new token of the account fixes it."""
    entry = await _set_up(hass, sim)
    sim.token = NEW_TOKEN
    await poll(hass)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "semysms_reauth"
    assert [str(key) for key in result["data_schema"].schema] == [CONF_API_KEY]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_TOKEN}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == NEW_TOKEN
    assert entry.unique_id == f"{sim.url}#user-1"
    assert entry.state is ConfigEntryState.LOADED


async def test_token_of_another_account_is_refused(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """Reauth with a token of another account does not move the entry to that account."""
    entry = await _set_up(hass, sim)
    sim.user_id = 2
    sim.token = NEW_TOKEN
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_API_KEY] == TOKEN
    assert entry.unique_id == f"{sim.url}#user-1"


async def test_reconfigure_keeps_an_empty_token_and_takes_a_new_one(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """The reconfigure form never shows the token; empty keeps it, a new one replaces it."""
    entry = await _set_up(hass, sim)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "semysms_reconfigure"
    assert TOKEN not in str(result["data_schema"]({}))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == TOKEN

    sim.token = NEW_TOKEN
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_TOKEN}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == NEW_TOKEN
    assert entry.state is ConfigEntryState.LOADED


# -- entities ------------------------------------------------------------------------------


async def test_entities_follow_the_phones(hass: HomeAssistant, sim: SemySmsSimulator) -> None:
    """Credits; per phone battery, charging, online, sending enabled and operator."""
    sim.phones[352].working = False
    entry = await _set_up(hass, sim)

    assert hass.states.get("sensor.semysms_1_credits").state == "4998"
    assert _state(hass, "sensor", entry, "351_battery") == "58"
    assert _state(hass, "sensor", entry, "352_battery") == "90"
    assert _state(hass, "binary_sensor", entry, "351_charging") == STATE_ON
    assert _state(hass, "binary_sensor", entry, "352_charging") == STATE_OFF
    assert _state(hass, "binary_sensor", entry, "351_online") == STATE_ON
    assert _state(hass, "binary_sensor", entry, "351_sending_enabled") == STATE_ON
    assert _state(hass, "binary_sensor", entry, "352_sending_enabled") == STATE_OFF
    assert _state(hass, "sensor", entry, "351_operator") == "Kyivstar"
    assert _state(hass, "sensor", entry, "352_operator") == "lifecell"

    registry = er.async_get(hass)
    battery = registry.async_get(_entity_id(hass, "sensor", f"{entry.entry_id}_351_battery"))
    charging = registry.async_get(
        _entity_id(hass, "binary_sensor", f"{entry.entry_id}_351_charging")
    )
    assert battery is not None
    assert charging is not None
    assert battery.original_device_class == "battery"
    assert charging.original_device_class == "battery_charging"
    for key in ("sending_enabled", "operator"):
        platform = "binary_sensor" if key == "sending_enabled" else "sensor"
        entity = registry.async_get(_entity_id(hass, platform, f"{entry.entry_id}_351_{key}"))
        assert entity is not None
        assert entity.entity_category is EntityCategory.DIAGNOSTIC
    last_seen = registry.async_get(_entity_id(hass, "sensor", f"{entry.entry_id}_351_last_seen"))
    assert last_seen is not None
    assert last_seen.disabled_by is er.RegistryEntryDisabler.INTEGRATION

    # The phone drains while unplugged, charges once plugged in.
    await sim.advance()
    await poll(hass)
    assert _state(hass, "sensor", entry, "351_battery") == "65"
    assert _state(hass, "sensor", entry, "352_battery") == "87"


async def test_a_provider_without_battery_gets_no_charging_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The SMS Gateway reports neither battery nor the owner's sending switch."""
    registry = er.async_get(hass)
    keys = {
        entity.unique_id.rsplit("_", 1)[-1]
        for entity in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    }
    assert "charging" not in keys
    assert not any(
        entity.unique_id.endswith(("_battery", "_sending_enabled"))
        for entity in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    )


# -- sending -------------------------------------------------------------------------------


async def test_send_one_and_many_recipients_one_request_each(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """One recipient goes through sms.php, several through one sms_more.php request."""
    await _set_up(hass, sim)
    sim.requests.clear()
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550100"], "message": "hello", "phone": "352"},
        blocking=True,
        return_response=True,
    )
    assert _scripts(sim) == ["sms.php"]
    assert sim.requests[0].params["device"] == "352"
    assert sim.requests[0].params["phone"] == "+15550100"
    assert response is not None
    [message] = response["messages"]
    assert message["status"] == "pending"
    assert message["message_id"] in {str(row_id) for row_id in sim.outbox}

    sim.requests.clear()
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550101", "+15550102", "+15550103"], "message": "all of you"},
        blocking=True,
        return_response=True,
    )
    assert _scripts(sim) == ["sms_more.php"]
    assert response is not None
    assert [item["number"] for item in response["messages"]] == [
        "+15550101",
        "+15550102",
        "+15550103",
    ]
    assert len(sim.outbox) == 4


async def test_gateway_errors_are_translated_and_a_rejected_token_starts_reauth(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """The service's error text reaches the user translated; an invalid token starts reauth."""
    entry = await _set_up(hass, sim)
    sim.messages_premium = 0
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": ["+15550100"], "message": "x"}, blocking=True
        )
    assert caught.value.translation_key == "gateway_error"
    assert caught.value.translation_placeholders == {"error": "No paid messages left"}
    assert sim.outbox == {}

    sim.faults.reject_key = True
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "send_message", {"recipients": ["+15550100"], "message": "x"}, blocking=True
        )
    assert caught.value.translation_key == "invalid_auth"
    assert TOKEN not in str(caught.value)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["entry_id"] for flow in flows] == [entry.entry_id]


# -- incoming messages ---------------------------------------------------------------------


async def test_webhook_fires_once_and_refuses_unknown_phones(
    hass: HomeAssistant, sim: SemySmsSimulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """An incoming SMS fires once, even posted again; a request naming no phone of ours fails."""
    _, client = await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    row = await sim.receive_sms("+380671112233", "Hi there", phone_id=352)
    assert sim.webhook_results == [("incoming", 200)]
    fields = {name: str(row[name]) for name in ("id", "id_device", "phone", "msg", "date")}
    replay = await client.post(WEBHOOK_PATH, data=fields)
    assert replay.status == 200
    await hass.async_block_till_done()
    assert [(event.data["number"], event.data["text"]) for event in events] == [
        ("+380671112233", "Hi there")
    ]
    assert events[0].data["phone_id"] == "352"
    assert events[0].data["message_id"] == str(row["id"])

    forged = await client.post(WEBHOOK_PATH, data={**fields, "id": "999", "id_device": "77"})
    missing = await client.post(WEBHOOK_PATH, data={"id": "998", "phone": "+1", "msg": "x"})
    assert (forged.status, missing.status) == (401, 401)
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_webhook_accepts_the_phones_right_after_a_restart(
    hass: HomeAssistant, sim: SemySmsSimulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Setup reads the phones before the webhook opens: the first request is not refused."""
    entry, _ = await _webhooked(hass, sim, hass_client_no_auth)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await sim.receive_sms("+380671112233", "after restart", phone_id=351)
    # The first poll after the setup may bring the message first: it fires in the background.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.webhook_results == [("incoming", 200)]
    assert len(events) == 1


async def _next_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(POLL_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _inbox_polls(sim: SemySmsSimulator) -> list[dict[str, Any]]:
    return [
        request.params
        for request in sim.requests
        if request.path.endswith("/inbox_sms.php") and "device" not in request.params
    ]


async def test_same_message_by_webhook_and_by_poll_fires_once(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With both ways on (the default), the poll brings the webhook's message again: no event."""
    await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _next_poll(hass, freezer)  # the first poll only sets the mark
    row = await sim.receive_sms("+380671112233", "both ways", phone_id=351)
    await hass.async_block_till_done()
    assert len(events) == 1

    sim.requests.clear()
    await _next_poll(hass, freezer)
    [polled] = _inbox_polls(sim)
    assert "date_start" in polled
    assert str(row["id"]) in {str(item["id"]) for item in sim.inbox.values()}
    await _next_poll(hass, freezer)
    assert len(events) == 1


async def test_polling_alone_ignores_webhook_messages(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polling only: the webhook answers but fires nothing; the poll fires the message once."""
    await _webhooked(hass, sim, hass_client_no_auth, **{CONF_INCOMING_MODE: "polling"})
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _next_poll(hass, freezer)
    await sim.receive_sms("+380671112233", "polled", phone_id=351)
    await hass.async_block_till_done()
    assert sim.webhook_results == [("incoming", 200)]
    assert events == []

    await _next_poll(hass, freezer)
    assert [event.data["text"] for event in events] == ["polled"]
    await sim.receive_sms("+380671112244", "next one", phone_id=352)
    await _next_poll(hass, freezer)
    assert [event.data["text"] for event in events] == ["polled", "next one"]
    # After the first poll, only the ids after the last one seen are asked for.
    assert "start_id" in _inbox_polls(sim)[-1]


async def test_webhook_alone_does_not_poll(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Webhook only: nothing is asked for every minute."""
    await _webhooked(hass, sim, hass_client_no_auth, **{CONF_INCOMING_MODE: "webhook"})
    sim.requests.clear()
    for _ in range(3):
        await _next_poll(hass, freezer)
    assert _inbox_polls(sim) == []


async def test_options_offer_the_incoming_mode_only_where_both_ways_exist(
    hass: HomeAssistant, sim: SemySmsSimulator, init_integration: MockConfigEntry
) -> None:
    """SemySMS gets the choice (default both) and stores it; the SMS Gateway does not."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert CONF_INCOMING_MODE not in {str(key) for key in result["data_schema"].schema}

    entry = await _set_up(hass, sim)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"].schema
    key = next(key for key in schema if str(key) == CONF_INCOMING_MODE)
    assert key.default() == "both"
    assert schema[key].config["options"] == ["webhook", "polling", "both"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"update_interval": 300, CONF_INCOMING_MODE: "polling"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_INCOMING_MODE] == "polling"


# -- delivery, USSD, cancel ----------------------------------------------------------------


async def test_delivery_webhooks_reach_message_status_events(
    hass: HomeAssistant, sim: SemySmsSimulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The phone's sent and delivered states fire message_status, and count for the phone."""
    entry, _ = await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550100"], "message": "track me", "phone": "351"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    message_id = response["messages"][0]["message_id"]
    for _ in range(3):
        await sim.advance()
    await hass.async_block_till_done()
    assert ("status", 200) in sim.webhook_results
    statuses = [event.data["status"] for event in events if event.data["message_id"] == message_id]
    assert statuses[-1] == "delivered"
    assert "sent" in statuses
    assert _state(hass, "sensor", entry, "351_messages_sent") == "1"


async def test_send_ussd_waits_for_the_answer_from_the_code(
    hass: HomeAssistant, sim: SemySmsSimulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The answer comes in as an SMS from the code: it fires ussd_response, not sms_received."""
    await _webhooked(hass, sim, hass_client_no_auth)
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    answers = async_capture_events(hass, EVENT_USSD_RESPONSE)
    call = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "send_ussd",
            {"code": "*111#", "phone": "351", "wait": True, "timeout": 30},
            blocking=True,
            return_response=True,
        )
    )
    # The action holds on until the answer: wait for its request to reach the service.
    while not any(row["msg"] == "[ussd]" for row in sim.outbox.values()):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await sim.advance()  # handed to the phone
    await sim.advance()  # dialled: the answer comes in
    response = await asyncio.wait_for(call, 10)

    assert response is not None
    assert response["timed_out"] is False
    assert response["request"]["request"] == "*111#"
    assert response["request"]["response"] == USSD_ANSWER
    await hass.async_block_till_done()
    assert [event.data["response"] for event in answers] == [USSD_ANSWER]
    assert received == []


async def test_cancel_message_withdraws_a_pending_message(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """A message not on its phone yet is canceled (message_status fires); a later one is not."""
    await _set_up(hass, sim)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    async def send() -> str:
        response = await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": ["+15550100"], "message": "maybe", "phone": "351"},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        return str(response["messages"][0]["message_id"])

    async def cancel(message_id: str) -> dict[str, Any]:
        response = await hass.services.async_call(
            DOMAIN,
            "cancel_message",
            {"message_id": message_id},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        return dict(response)

    first = await send()
    assert await cancel(first) == {"message_id": first, "canceled": True, "status": "canceled"}
    assert sim.outbox[int(first)]["is_cancel"] == 1
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["status"]) for e in events] == [(first, "canceled")]

    second = await send()
    await sim.advance()  # handed to the phone: too late
    assert await cancel(second) == {"message_id": second, "canceled": False, "status": "queued"}
    assert sim.outbox[int(second)]["is_cancel"] == 0


async def test_cancel_message_is_refused_without_the_capability(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """The SMS Gateway cannot withdraw a message: a translated validation error, no request."""
    simulator.requests.clear()
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "cancel_message", {"message_id": "12"}, blocking=True
        )
    assert caught.value.translation_key == "not_supported"
    assert caught.value.translation_placeholders == {"feature": "cancel"}
    assert simulator.requests == []


# -- diagnostics ---------------------------------------------------------------------------


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant, sim: SemySmsSimulator, hass_client: ClientSessionGenerator
) -> None:
    """Neither the token nor the webhook id appear; battery and charging do."""
    entry = await _set_up(hass, sim)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"][CONF_API_KEY] == REDACTED
    assert diagnostics["entry"]["data"][CONF_WEBHOOK_ID] == REDACTED
    assert TOKEN not in str(diagnostics)
    assert WEBHOOK_ID not in str(diagnostics)
    phone = next(phone for phone in diagnostics["phones"] if phone["id"] == "351")
    assert (phone["battery"], phone["charging"]) == (58, True)


@pytest.mark.parametrize(
    ("capabilities", "options", "mode"),
    [
        ({Capability.INBOUND_WEBHOOK}, {CONF_INCOMING_MODE: "polling"}, IncomingMode.WEBHOOK),
        ({Capability.INBOUND_POLL}, {CONF_INCOMING_MODE: "webhook"}, IncomingMode.POLLING),
        (BOTH_WAYS, {}, IncomingMode.BOTH),
        (BOTH_WAYS, {CONF_INCOMING_MODE: "webhook"}, IncomingMode.WEBHOOK),
        (BOTH_WAYS, {CONF_INCOMING_MODE: "smoke signals"}, IncomingMode.BOTH),
    ],
)
def test_incoming_mode_is_a_choice_only_with_both_ways(
    capabilities: set[Capability], options: dict[str, Any], mode: IncomingMode
) -> None:
    """A provider with one way uses it whatever the options say; an unknown choice is both."""
    assert incoming_mode(frozenset(capabilities), options) is mode


# -- what a webhook request may change --------------------------------------------------------


async def test_polling_alone_takes_nothing_from_the_webhook(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With polling alone, a posted USSD answer is not taken for the answer to our request, and
    a posted delivery state does not count: the service's own answer and states do, by polling."""
    entry, client = await _webhooked(
        hass, sim, hass_client_no_auth, **{CONF_INCOMING_MODE: "polling"}
    )
    answers = async_capture_events(hass, EVENT_USSD_RESPONSE)
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _next_poll(hass, freezer)  # the first poll only sets the mark
    request = await entry.runtime_data.gateway.send_ussd("351", "*111#")
    forged = {"id": "900", "id_device": "351", "phone": "*111#", "msg": "Forged balance"}
    assert (await client.post(WEBHOOK_PATH, data=forged)).status == 200
    await hass.async_block_till_done()
    assert answers == []

    await sim.advance()  # handed to the phone
    await sim.advance()  # dialled and sent: a status webhook, and the answer comes in
    await hass.async_block_till_done()
    assert ("status", 200) in sim.webhook_results
    assert statuses == []  # the posted state did not count
    await _next_poll(hass, freezer)
    assert [(event.data["ussd_id"], event.data["response"]) for event in answers] == [
        (request.id, USSD_ANSWER)
    ]


async def test_a_ussd_answer_fires_once_across_a_restart(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a restart the request is forgotten: the answer polled again is still known."""
    entry, _ = await _webhooked(hass, sim, hass_client_no_auth)
    answers = async_capture_events(hass, EVENT_USSD_RESPONSE)
    await entry.runtime_data.gateway.send_ussd("351", "*111#")
    await sim.advance()
    await sim.advance()  # the answer comes in by webhook
    await hass.async_block_till_done()
    assert [event.data["response"] for event in answers] == [USSD_ANSWER]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(3):  # the first poll only sets the mark; the next ones read the answer again
        await _next_poll(hass, freezer)
    assert [row["phone"] for row in sim.inbox.values()] == ["*111#"]
    assert len(answers) == 1


async def test_a_forged_message_under_a_future_id_cannot_hide_the_real_one(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both ways: a request posted under the id the next message will have fires (nothing
    tells it apart), but the poll finds the service has another message there, and fires it."""
    _, client = await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _next_poll(hass, freezer)
    forged = {"id": str(FIRST_INBOX_ID), "id_device": "351", "phone": "+1", "msg": "Forged"}
    assert (await client.post(WEBHOOK_PATH, data=forged)).status == 200
    await sim.receive_sms("+380671112233", "The real one", phone_id=351)
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["Forged"]

    await _next_poll(hass, freezer)
    await _next_poll(hass, freezer)
    assert [event.data["text"] for event in events] == ["Forged", "The real one"]
    assert events[1].data["message_id"] == str(FIRST_INBOX_ID)
    assert "not what a webhook request brought under its id" in caplog.text


async def test_a_message_both_ways_is_confirmed_not_fired_again(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A webhook the poll confirms (the same content under its id) fires once, across a reload."""
    entry, _ = await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await sim.receive_sms("+380671112233", "Real", phone_id=351)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)  # the claim is stored
    await hass.async_block_till_done()
    for _ in range(3):
        await _next_poll(hass, freezer)
    assert [event.data["text"] for event in events] == ["Real"]


async def test_guessing_phone_ids_is_locked_out(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past ten requests naming phones not ours in a minute, every request gets 429 unread for
    ten minutes (the real ones too: polling brings their messages), with one warning."""
    await _webhooked(hass, sim, hass_client_no_auth)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    for guess in range(1, REFUSALS_BEFORE_LOCKOUT + 1):
        fields = {"id": "1", "id_device": str(guess), "phone": "+1", "msg": "x"}
        assert (await client.post(WEBHOOK_PATH, data=fields)).status == 401
    guess = {"id": "1", "id_device": "351", "phone": "+1", "msg": "right guess"}
    locked = await client.post(WEBHOOK_PATH, data=guess)
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) > 500
    await sim.receive_sms("+380671112233", "during the lockout", phone_id=351)
    assert sim.webhook_results[-1] == ("incoming", 429)
    lockouts = [r for r in caplog.records if "unauthenticated webhook requests" in r.message]
    assert len(lockouts) == 1
    assert lockouts[0].levelname == "WARNING"

    freezer.tick(LOCKOUT)
    assert (await client.post(WEBHOOK_PATH, data=guess)).status == 200
    for _ in range(2):
        await _next_poll(hass, freezer)
    # The message posted during the lockout came by polling; each fired once.
    assert sorted(event.data["text"] for event in events) == ["during the lockout", "right guess"]


async def test_refusals_spread_over_time_are_not_locked_out(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A stray refused request now and then never locks the webhook."""
    _, client = await _webhooked(hass, sim, hass_client_no_auth)
    fields = {"id": "1", "id_device": "77", "phone": "+1", "msg": "x"}
    for _ in range(2 * REFUSALS_BEFORE_LOCKOUT):
        assert (await client.post(WEBHOOK_PATH, data=fields)).status == 401
        freezer.tick(REFUSAL_WINDOW / (REFUSALS_BEFORE_LOCKOUT - 1))
    await sim.receive_sms("+380671112233", "still in", phone_id=351)
    assert sim.webhook_results[-1] == ("incoming", 200)


# -- bodies built to hurt, through Home Assistant's webhook ----------------------------------


async def test_hostile_bodies_are_refused_without_a_traceback(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A deeply nested multipart body, thousands of parts, a field name that would forge a log
    line: each is refused with its status and logs no traceback."""
    _, client = await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    nested = b"x"
    for depth in range(2000):
        head = f"--b{depth}\r\nContent-Type: multipart/form-data; boundary=b{depth + 1}\r\n\r\n"
        nested = head.encode() + nested + f"\r\n--b{depth}--\r\n".encode()
    message = {"id": "5", "id_device": "351", "phone": "+1", "msg": "hi"}
    flat = "".join(
        f'--f\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in [*message.items(), *((f"x{n}", "y") for n in range(4000))]
    )
    forging = json.dumps({**message, "x\nERROR Forged line": [1]})
    for body, content_type, status in (
        (nested, "multipart/form-data; boundary=b0", 400),
        ((flat + "--f--\r\n").encode(), "multipart/form-data; boundary=f", 413),
        (forging.encode(), "application/json", 400),
    ):
        reply = await client.post(WEBHOOK_PATH, data=body, headers={"Content-Type": content_type})
        assert reply.status == status
    await hass.async_block_till_done()
    assert events == []
    assert not logged_tracebacks(caplog)


async def test_a_forged_log_line_is_quoted(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A field name with a newline is quoted in the warning: it cannot start a line."""
    _, client = await _webhooked(hass, sim, hass_client_no_auth)
    message = {"id": "5", "id_device": "351", "phone": "+1", "msg": "hi"}
    body = json.dumps({**message, "x\nERROR Forged line" + "z" * 300: [1]})
    reply = await client.post(WEBHOOK_PATH, data=body, headers={"Content-Type": "application/json"})
    assert reply.status == 400
    (warning,) = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and r.name.startswith("custom_components")
    ]
    assert "\n" not in warning
    assert "'x\\nERROR Forged line" in warning
    assert "z" * 100 not in warning


# -- WhatsApp, spreading, cancelling -----------------------------------------------------------


async def test_whatsapp_messages_fire_no_sms_event(
    hass: HomeAssistant,
    sim: SemySmsSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """WhatsApp messages come neither by webhook nor by polling; the SMS beside them do."""
    await _webhooked(hass, sim, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await _next_poll(hass, freezer)
    await sim.receive_sms("+2", "on WhatsApp", kind=WHATSAPP)
    await sim.receive_sms("+2", "on WhatsApp Business", kind=WHATSAPP_BUSINESS)
    await sim.receive_sms("+2", "an SMS")
    await hass.async_block_till_done()
    await _next_poll(hass, freezer)
    await _next_poll(hass, freezer)
    assert [event.data["text"] for event in events] == ["an SMS"]


async def test_cancel_is_refused_where_it_would_withdraw_more(
    hass: HomeAssistant, sim: SemySmsSimulator
) -> None:
    """Another message waits on the phone: the service would withdraw both, so the action is
    refused with a translated error naming the phone, and nothing is withdrawn."""
    await _set_up(hass, sim)
    ids = []
    for number in ("+15550100", "+15550101"):
        response = await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": [number], "message": "maybe", "phone": "351"},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        ids.append(response["messages"][0]["message_id"])
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "cancel_message", {"message_id": ids[0]}, blocking=True
        )
    assert caught.value.translation_key == "cancel_not_exact"
    assert caught.value.translation_placeholders == {"phone": "+380501234567", "others": "1"}
    assert not any(row["is_cancel"] for row in sim.outbox.values())
    assert not [r for r in sim.requests if r.path.endswith("/cancel_sms.php")]
