"""Behaviour every provider shares, written once and run against each wired provider's simulator.

Each test runs once per harness of `tests.providers` whose provider is in `PROVIDERS`. What a
test expects of a provider follows from its client's capabilities and its descriptor, never from
its name. The simulators are real servers; sends go through the `sms_bridge.send_message` action
and webhooks through Home Assistant's webhook view.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import json
import math
from pathlib import Path
import re
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
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

from custom_components.sms_bridge.api import Capability, Gateway, MessageStatus
from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import (
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.inbound_poll import POLL_INTERVAL
from custom_components.sms_bridge.providers import PROVIDERS, WebhookAuth
from custom_components.sms_bridge.repairs import (
    ISSUE_BAD_CALLBACK_HASH,
    ISSUE_BAD_SIGNATURE,
    ISSUE_UNKNOWN_PHONE,
)
from custom_components.sms_bridge.tracking import MAX_POLL_INTERVAL
from custom_components.sms_bridge.webhook import REFUSALS_BEFORE_LOCKOUT
from tests.conftest import WEBHOOK_ID
from tests.helpers import check_logs, logged_tracebacks
from tests.providers import HARNESSES, ProviderHarness, registered_harnesses

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations" / "en.json"
RECIPIENTS = ["+15550101", "+15550102", "+15550103"]


@pytest.fixture(params=registered_harnesses(), ids=lambda harness: harness.key)
async def harness(request: pytest.FixtureRequest) -> AsyncGenerator[ProviderHarness]:
    """Run the provider's simulator."""
    provider_harness: ProviderHarness = request.param()
    await provider_harness.start()
    try:
        yield provider_harness
    finally:
        await provider_harness.stop()


@pytest.fixture
def entry(harness: ProviderHarness) -> MockConfigEntry:
    """Return a config entry for the harness's simulator (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{harness.key} test",
        unique_id=f"{harness.key}#shared-test",
        data={**harness.entry_data(), CONF_WEBHOOK_ID: WEBHOOK_ID},
        options=harness.entry_options(),
    )


@pytest.fixture
async def loaded(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set the entry up; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def pointed(
    hass_client_no_auth: ClientSessionGenerator, harness: ProviderHarness, loaded: MockConfigEntry
) -> TestClient:
    """Point the simulator's webhooks at the entry's webhook on Home Assistant's HTTP server."""
    client = await hass_client_no_auth()
    harness.point_webhooks_at(str(client.make_url(f"/api/webhook/{WEBHOOK_ID}")))
    return client


@pytest.fixture
def no_secrets_or_tracebacks(
    caplog: pytest.LogCaptureFixture, harness: ProviderHarness
) -> Generator[None]:
    """Nothing logs a traceback, and our logs show none of the entry's secrets."""
    data = harness.entry_data()
    secrets = [str(data[key]) for key in harness.provider.secrets if data.get(key)]
    yield from check_logs(caplog, *secrets)


def digits(number: str) -> str:
    """Return the digits of a number, however the provider wrote it."""
    return re.sub(r"\D", "", number)


def gateway(entry: MockConfigEntry) -> Gateway:
    """Return the entry's client."""
    gateway: Gateway = entry.runtime_data.gateway
    return gateway


async def send(hass: HomeAssistant, recipients: list[str], text: str) -> list[dict[str, Any]]:
    """Send through the action and return the messages of its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": recipients, "message": text},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    messages: list[dict[str, Any]] = response["messages"]  # type: ignore[assignment]
    return messages


async def let_time_pass(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let every schedule run once: a tracking poll, an inbound poll, a refresh."""
    freezer.tick(MAX_POLL_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def statuses_of(events: list[Event], message_id: str) -> list[str]:
    """Return the statuses the events reported for one message, in order."""
    return [event.data["status"] for event in events if event.data["message_id"] == message_id]


def translated_messages() -> list[re.Pattern[str]]:
    """Return our translated exception messages as patterns, placeholders matching anything."""
    exceptions = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["exceptions"]
    patterns = []
    for item in exceptions.values():
        text = re.escape(item["message"].rstrip("."))
        patterns.append(re.compile(re.sub(r"\\\{\w+\\\}", ".+", text) + r"\.?", re.DOTALL))
    return patterns


def test_every_wired_provider_has_a_harness() -> None:
    """A provider added to PROVIDERS gets the shared tests only once it has a harness here."""
    keys = [harness.key for harness in HARNESSES]
    assert len(keys) == len(set(keys))
    assert set(PROVIDERS) <= set(keys), "add a harness to tests/providers for each provider"
    assert {harness.key for harness in registered_harnesses()} == set(PROVIDERS)


def test_every_provider_hears_what_comes_in() -> None:
    """Each provider brings incoming messages by webhook or by polling: a test covers both."""
    for provider in PROVIDERS.values():
        assert {Capability.INBOUND_WEBHOOK, Capability.INBOUND_POLL} & provider.capabilities


async def test_setup_creates_the_devices_and_entities_of_the_capabilities(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """An account device; credits, phones and notify/event entities as the client can do."""
    entry_id = loaded.entry_id
    capabilities = gateway(loaded).capabilities
    account = async_get_entry_device(device_registry, (DOMAIN, entry_id), entry_id)
    assert account is not None
    assert (account.manufacturer, account.model) == (
        harness.provider.manufacturer,
        harness.provider.product,
    )
    phones = {
        identifier.removeprefix(f"{entry_id}_")
        for device in dr.async_entries_for_config_entry(device_registry, entry_id)
        if device.via_device_id == account.id
        for domain, identifier in device.identifiers
        if domain == DOMAIN
    }
    unique_ids = {
        entity.unique_id.removeprefix(f"{entry_id}_")
        for entity in er.async_entries_for_config_entry(entity_registry, entry_id)
    }

    assert ("credits" in unique_ids) == (Capability.CREDITS in capabilities)
    if Capability.CREDITS in capabilities:
        state = hass.states.get(
            entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry_id}_credits") or ""
        )
        assert state is not None
        assert state.state != STATE_UNAVAILABLE
    if Capability.PHONES in capabilities:
        assert harness.phone_ids()
        assert phones == harness.phone_ids()
        assert {f"{phone}_sms" for phone in phones} <= unique_ids
        assert {f"{phone}_messages" for phone in phones} <= unique_ids
        assert not {"sms", "messages"} & unique_ids
    else:
        assert phones == set()
        assert {"sms", "messages"} <= unique_ids


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_send_to_one_recipient(
    hass: HomeAssistant, harness: ProviderHarness, loaded: MockConfigEntry
) -> None:
    """One recipient: one request, one message whose id is text."""
    messages = await send(hass, RECIPIENTS[:1], "Hello from the shared tests")

    assert len(harness.sent_requests()) == 1
    assert len(messages) == 1
    assert isinstance(messages[0]["message_id"], str)
    assert messages[0]["message_id"]


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_send_to_several_recipients_in_as_few_requests_as_allowed(
    hass: HomeAssistant, harness: ProviderHarness, loaded: MockConfigEntry
) -> None:
    """Several recipients go in one request where the provider's limit allows; ids are text."""
    messages = await send(hass, RECIPIENTS, "Hello, all of you")

    limit = loaded.runtime_data.gateway.limits.max_recipients or len(RECIPIENTS)
    assert len(harness.sent_requests()) == math.ceil(len(RECIPIENTS) / limit)
    ids = [message["message_id"] for message in messages]
    assert all(isinstance(message_id, str) and message_id for message_id in ids)
    assert len(set(ids)) == len(RECIPIENTS)
    assert sorted(digits(message["number"]) for message in messages) == [
        digits(number) for number in RECIPIENTS
    ]


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_spreading_over_every_phone_sends_each_recipient_one_message(
    hass: HomeAssistant, harness: ProviderHarness, loaded: MockConfigEntry
) -> None:
    """Spread over all phones: one message per recipient, the messages shared among phones."""
    if Capability.SPREAD not in gateway(loaded).capabilities:
        pytest.skip("the provider cannot spread a send over its phones")
    recipients = [f"+1555010{n}" for n in range(1, 7)]
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": recipients, "message": "Shared out", "routing": "all_phones"},
        blocking=True,
        return_response=True,
    )
    assert response is not None

    outgoing = harness.outgoing()
    assert sorted(digits(number) for number, _ in outgoing) == sorted(map(digits, recipients))
    assert len({phone for _, phone in outgoing}) == min(len(harness.phone_ids()), len(recipients))
    messages: list[dict[str, Any]] = response["messages"]  # type: ignore[assignment]
    assert sorted(digits(message["number"]) for message in messages) == sorted(
        map(digits, recipients)
    )


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_an_incoming_sms_delivered_twice_fires_once(
    hass: HomeAssistant, harness: ProviderHarness, loaded: MockConfigEntry, pointed: TestClient
) -> None:
    """The provider's webhook, through Home Assistant's webhook view: one event per message."""
    if Capability.INBOUND_WEBHOOK not in gateway(loaded).capabilities:
        pytest.skip("the provider has no incoming webhook (the polling test covers it)")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    await harness.receive_sms("+33612345678", "Hello over the webhook")
    await hass.async_block_till_done()
    await harness.redeliver_last_sms()
    await hass.async_block_till_done()

    assert [(event.data["text"], event.data["config_entry_id"]) for event in events] == [
        ("Hello over the webhook", loaded.entry_id)
    ]
    assert isinstance(events[0].data["message_id"], str)


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_an_incoming_sms_polled_twice_fires_once(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A provider that offers polling: what it holds fires once, however often it is asked."""
    if Capability.INBOUND_POLL not in gateway(loaded).capabilities:
        pytest.skip("the provider offers no polling of incoming messages")
    harness.point_webhooks_at(None)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    async def next_poll() -> None:
        freezer.tick(POLL_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    await next_poll()  # the first poll only starts the mark
    await harness.receive_sms("+33612345678", "Hello over polling")
    await next_poll()
    await next_poll()

    assert [event.data["text"] for event in events] == ["Hello over polling"]


async def test_a_forged_webhook_is_refused_and_fires_nothing(
    hass: HomeAssistant, harness: ProviderHarness, loaded: MockConfigEntry, pointed: TestClient
) -> None:
    """A request the provider did not authenticate is answered 401; nothing is fired."""
    if Capability.INBOUND_WEBHOOK not in gateway(loaded).capabilities:
        pytest.skip("the provider has no incoming webhook")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    status = await harness.post_forged_sms("+33612345678", "Forged")
    await hass.async_block_till_done()

    assert status == 401
    assert events == []


async def test_forged_webhooks_in_a_row_raise_the_issue_the_user_can_act_on(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    pointed: TestClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """Three refused requests raise the provider's own issue; only a key can be fixed by typing.

    A signing key the user entered: a fixable issue whose flow asks that provider's key fields.
    A secret we made (in the callback URL): an issue pointing at the URL, nothing to type.
    Nothing signed: an issue naming the unknown phones, offering no key change.
    """
    if Capability.INBOUND_WEBHOOK not in gateway(loaded).capabilities:
        pytest.skip("the provider has no incoming webhook")
    assert await async_setup_component(hass, "repairs", {})
    for _ in range(3):
        assert await harness.post_forged_sms("+33612345678", "Forged") == 401
    await hass.async_block_till_done()

    registry = ir.async_get(hass)
    issues = [issue for (domain, _), issue in registry.issues.items() if domain == DOMAIN]
    [issue] = [issue for issue in issues if issue.translation_key != "webhook_not_https"]
    expected = {
        WebhookAuth.KEY: ISSUE_BAD_SIGNATURE,
        WebhookAuth.GENERATED: ISSUE_BAD_CALLBACK_HASH,
        WebhookAuth.NONE: ISSUE_UNKNOWN_PHONE,
    }[harness.provider.webhook_auth]
    assert issue.translation_key == expected
    assert issue.issue_id == f"{expected}_{loaded.entry_id}"
    assert issue.is_fixable is (harness.provider.webhook_auth is WebhookAuth.KEY)
    strings = json.loads(TRANSLATIONS.read_text())["issues"][expected]
    placeholders = set(issue.translation_placeholders or {})
    if not issue.is_fixable:
        assert set(re.findall(r"{(\w+)}", strings["description"])) <= placeholders
        if harness.provider.webhook_auth is WebhookAuth.NONE:
            assert issue.translation_placeholders["phones"] != "—"
        return

    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    assert response.status == 200, await response.text()
    result = await response.json()
    assert result["step_id"] == "new_key"
    asked = {field["name"] for field in result["data_schema"]}
    assert asked == {field.key for field in harness.provider.reauth_fields}
    assert set(strings["fix_flow"]["step"]["new_key"]["data"]) == asked


async def test_forged_webhooks_in_a_row_lock_out_where_messages_can_be_read_back(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    pointed: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the limit, every request is refused unread (429), with one warning; a provider
    whose messages could not be read back meanwhile is never locked out."""
    capabilities = gateway(loaded).capabilities
    if Capability.INBOUND_WEBHOOK not in capabilities:
        pytest.skip("the provider has no incoming webhook")
    for _ in range(REFUSALS_BEFORE_LOCKOUT):
        assert await harness.post_forged_sms("+33612345678", "Forged") == 401
    locks = bool({Capability.INBOUND_POLL, Capability.READ} & capabilities)
    assert await harness.post_forged_sms("+33612345678", "Forged") == (429 if locks else 401)
    lockouts = [r for r in caplog.records if "unauthenticated webhook requests" in r.message]
    assert len(lockouts) == int(locks)


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_delivery_statuses_reach_events_and_never_go_backwards(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    pointed: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polled or pushed, each new status fires once; an earlier or late one changes nothing."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message] = await send(hass, RECIPIENTS[:1], "Track me")
    message_id = message["message_id"]

    for status in (
        MessageStatus.SENT,
        MessageStatus.PENDING,  # a late report of an earlier state
        MessageStatus.DELIVERED,
        MessageStatus.SENT,  # after the final state
    ):
        await harness.set_status(message_id, status)
        await let_time_pass(hass, freezer)

    assert statuses_of(events, message_id) == ["sent", "delivered"]
    assert events[0].data["previous_status"] == message["status"]
    assert events[-1].data["previous_status"] == "sent"


@pytest.mark.usefixtures("no_secrets_or_tracebacks")
async def test_messages_the_provider_moves_on_reach_delivered(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    pointed: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """As the provider moves a message step by step, the events follow, always forward."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message] = await send(hass, RECIPIENTS[:1], "Deliver me")
    message_id = message["message_id"]

    for _ in range(5):
        await harness.advance()
        await let_time_pass(hass, freezer)

    reported = [MessageStatus(status) for status in statuses_of(events, message_id)]
    assert reported[-1] is MessageStatus.DELIVERED
    ranks = [MessageStatus(message["status"]).rank] + [status.rank for status in reported]
    assert ranks == sorted(set(ranks))


async def test_rejected_credentials_at_setup_start_reauth(
    hass: HomeAssistant, harness: ProviderHarness, entry: MockConfigEntry
) -> None:
    """Credentials the provider refuses: setup fails and asks the user for new ones."""
    harness.reject_credentials()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))) == 1


@pytest.mark.parametrize("fault", ["fail_with_500", "answer_html_page"])
async def test_a_failing_provider_makes_setup_retry_with_a_translated_reason(
    hass: HomeAssistant,
    harness: ProviderHarness,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    *,
    fault: str,
) -> None:
    """HTTP 500 or an HTML page: setup retries, says why in our words, logs no traceback."""
    getattr(harness, fault)()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason
    assert any(pattern.fullmatch(entry.reason) for pattern in translated_messages()), entry.reason
    assert "<" not in entry.reason  # no HTML quoted
    assert not list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert not logged_tracebacks(caplog)

    harness.heal()
    await let_time_pass(hass, freezer)
    assert entry.state is ConfigEntryState.LOADED


async def test_diagnostics_hold_none_of_the_entry_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    harness: ProviderHarness,
    entry: MockConfigEntry,
) -> None:
    """Secret fields, secret stored data and the webhook id stay out of the diagnostics."""
    stored = {
        key: f"stored-secret-{key}-0123456789"
        for key in harness.provider.stored_secrets
        if key not in entry.data
    }
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, **stored})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))

    secrets = {
        key: str(entry.data[key])
        for key in (*harness.provider.secrets, CONF_WEBHOOK_ID)
        if entry.data.get(key)
    }
    assert set(secrets) > {CONF_WEBHOOK_ID}  # the provider's credentials are checked too
    for key, value in secrets.items():
        assert value not in diagnostics, key


async def test_unload_leaves_nothing_registered(
    hass: HomeAssistant,
    harness: ProviderHarness,
    loaded: MockConfigEntry,
    pointed: TestClient,
    freezer: FrozenDateTimeFactory,
    *,
    entity_registry: er.EntityRegistry,
) -> None:
    """Unloaded: no webhook, no schedule asking the provider, every entity unavailable."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    entities = er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    assert entities

    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()

    assert loaded.state is ConfigEntryState.NOT_LOADED
    assert WEBHOOK_ID not in hass.data.get(webhook.DOMAIN, {})
    requests = len(harness.simulator.requests)
    await harness.receive_sms("+33612345678", "Too late")
    for _ in range(3):
        await let_time_pass(hass, freezer)
    assert len(harness.simulator.requests) == requests
    assert events == []
    for entity in entities:
        state = hass.states.get(entity.entity_id)
        assert state is None or state.state == STATE_UNAVAILABLE, entity.entity_id
