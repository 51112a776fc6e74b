"""What the integration does for any provider, shown with a provider unlike the SMS Gateway.

The test provider sends through the simulator like the SMS Gateway, but reports delivery by
posting JSON, authenticated by a secret in the callback URL's query, and expects "OK" back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api import (
    Capability,
    DeliveryReport,
    InboundBatch,
    Message,
    MessageQuery,
    MessageStatus,
    Phone,
    WebhookPayloadError,
    WebhookReply,
    WebhookRequest,
    WebhookResult,
    WebhookSignatureError,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.inbound_poll import POLL_INTERVAL, POLL_MARGIN
from custom_components.sms_bridge.providers import PROVIDERS, Provider
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.state import message_row, utcnow

SECRET = "callback-secret"


class PushingGateway(SmsGatewayClient):
    """Sends through the simulator; reports delivery by JSON callbacks instead of polling."""

    capabilities = (SmsGatewayClient.capabilities - {Capability.STATUS_POLL}) | {
        Capability.STATUS_WEBHOOK
    }

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Check the secret of the URL, read the JSON reports and answer "OK"."""
        if request.query.get("secret") != SECRET:
            raise WebhookSignatureError("wrong secret")
        try:
            items = json.loads(request.body)["reports"]
        except (ValueError, KeyError, TypeError):
            raise WebhookPayloadError("not a JSON report list") from None
        reports = tuple(
            DeliveryReport(
                message_id=str(item["id"]),
                status=MessageStatus(item["status"]),
                phone_id=item.get("phone"),
            )
            for item in items
        )
        return WebhookResult(InboundBatch(delivery_reports=reports), WebhookReply(text="OK"))


class QueryGateway(SmsGatewayClient):
    """Is called back with an incoming message's fields in the URL's query; keeps the requests."""

    def __init__(self, *args: Any) -> None:
        """Initialize, with no request received yet."""
        super().__init__(*args)
        self.requests: list[WebhookRequest] = []

    def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Check the secret of the URL and read the message from the query."""
        self.requests.append(request)
        if request.query.get("secret") != SECRET:
            raise WebhookSignatureError("wrong secret")
        message = Message(
            id=request.query["id"],
            number=request.query["from"],
            text=request.query["text"],
            status=MessageStatus.RECEIVED,
        )
        return WebhookResult(InboundBatch(messages=(message,)), WebhookReply(text="OK"))


class GetQueryGateway(QueryGateway):
    """Calls its webhook with GET as well as POST."""

    webhook_methods = frozenset({"GET", "POST"})


class PollingGateway(SmsGatewayClient):
    """Offers no webhook: what comes in is asked for (read back from the simulator here)."""

    capabilities = (SmsGatewayClient.capabilities - {Capability.INBOUND_WEBHOOK}) | {
        Capability.INBOUND_POLL
    }

    async def poll_inbound(self, since: datetime) -> InboundBatch:
        """Return the messages received since ``since``."""
        received = await self.messages(MessageQuery(status=MessageStatus.RECEIVED, start=since))
        return InboundBatch(messages=tuple(received))


class PhonelessGateway(SmsGatewayClient):
    """A service that sends for the account: it has no phones (the gateway picks one)."""

    capabilities = SmsGatewayClient.capabilities - {
        Capability.PHONES,
        Capability.SIM_SELECT,
        Capability.SPREAD,
        Capability.LAST_SEEN,
        Capability.USSD,
    }

    async def phones(self) -> list[Phone]:
        """Return no phones."""
        return []


@pytest.fixture(autouse=True)
def test_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test providers selectable."""
    for key, client_class in (
        ("test_push", PushingGateway),
        ("test_poll", PollingGateway),
        ("test_phoneless", PhonelessGateway),
        ("test_query", QueryGateway),
        ("test_get", GetQueryGateway),
    ):

        def create(session: Any, config: Mapping[str, Any], cls: Any = client_class) -> Any:
            return cls(session, config[CONF_URL], config[CONF_API_KEY])

        provider = Provider(key, key, PROVIDERS["sms_gateway"].fields[:2], create, "Test", key)
        monkeypatch.setitem(PROVIDERS, key, provider)


async def _set_up(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    provider: str,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=provider,
        data={
            CONF_PROVIDER: provider,
            CONF_URL: simulator.url,
            CONF_API_KEY: API_KEY,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options={"default_phone": "1"} if options is None else options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_pushed_delivery_reports_move_states_forward_only(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: GatewaySimulator,
) -> None:
    """Reports go through the raw webhook to the tracker; a late one never lowers a state."""
    await _set_up(hass, simulator, "test_push")
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550100"], "message": "hello"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [sent] = response["messages"]
    message_id = sent["message_id"]

    async def report(status: str, secret: str = SECRET, about: str = message_id) -> int:
        body = json.dumps({"reports": [{"id": about, "status": status, "phone": "1"}]})
        answer = await client.post(
            f"/api/webhook/{WEBHOOK_ID}?secret={secret}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        if answer.status == 200:
            assert await answer.text() == "OK"
        await hass.async_block_till_done()
        return answer.status

    assert await report("sent") == 200
    assert await report("queued") == 200  # late: ignored
    assert await report("delivered", secret="wrong") == 401
    assert await report("delivered", about="999999") == 200  # not ours: ignored
    assert await report("delivered") == 200
    assert await report("failed") == 200  # after a final state: ignored
    assert [
        (e.data["message_id"], e.data["previous_status"], e.data["status"]) for e in events
    ] == [
        (message_id, "pending", "sent"),
        (message_id, "sent", "delivered"),
    ]
    assert not any(r.path.endswith("read-messages.php") for r in simulator.requests)


@pytest.mark.parametrize(
    ("provider", "method", "status"),
    [
        ("test_get", "GET", 200),
        ("test_get", "POST", 200),
        ("test_query", "POST", 200),
        ("test_query", "GET", 405),
    ],
)
async def test_webhook_takes_the_methods_the_provider_declares(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: GatewaySimulator,
    *,
    provider: str,
    method: str,
    status: int,
) -> None:
    """A GET reaches the provider, query and all, only when it declares GET; POST always."""
    entry = await _set_up(hass, simulator, provider)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    answer = await client.request(
        method,
        f"/api/webhook/{WEBHOOK_ID}",
        params={"secret": SECRET, "id": "q1", "from": "+15550123", "text": "by query"},
    )
    await hass.async_block_till_done()

    assert answer.status == status
    requests = entry.runtime_data.gateway.requests
    if status != 200:
        assert requests == []
        assert events == []
        return
    assert await answer.text() == "OK"
    [request] = requests
    assert (request.method, request.body) == (method, b"")
    assert dict(request.query) == {
        "secret": SECRET,
        "id": "q1",
        "from": "+15550123",
        "text": "by query",
    }
    assert [(e.data["message_id"], e.data["text"]) for e in events] == [("q1", "by query")]


async def test_message_ids_are_accepted_as_text_or_numbers(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Actions take ids as text, and still as numbers, as automations wrote them before."""
    row = simulator.store_message(
        message_row(
            number="+15550101",
            message="Hello",
            device_id=1,
            sim_slot=0,
            status="Sent",
            sent=utcnow(),
        )
    )
    for given in (row["ID"], str(row["ID"])):
        response = await hass.services.async_call(
            DOMAIN, "get_messages", {"message_id": given}, blocking=True, return_response=True
        )
        assert response is not None
        assert [m["message_id"] for m in response["messages"]] == [str(row["ID"])]


async def test_providers_that_offer_polling_are_polled_for_what_comes_in(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Each message asked for fires once; the history before the first poll's margin does not."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    simulator.add_received("+15550111", "old news", 1, 0, utcnow() - 2 * POLL_MARGIN)
    await _set_up(hass, simulator, "test_poll")

    async def next_poll() -> None:
        freezer.tick(POLL_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    await next_poll()  # the first poll only starts the mark
    simulator.add_received("+15550112", "first", 1, 0, None)
    await next_poll()
    simulator.add_received("+15550113", "second", 1, 0, None)
    await next_poll()
    await next_poll()
    assert [event.data["text"] for event in events] == ["first", "second"]


async def test_a_provider_without_phones_gets_an_account_notify_entity(
    hass: HomeAssistant, simulator: GatewaySimulator, entity_registry: er.EntityRegistry
) -> None:
    """Without phones, one notify entity sends for the account; no phone entity exists."""
    entry = await _set_up(hass, simulator, "test_phoneless", {"default_recipients": ["+15550100"]})
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    notify = [e for e in entities if e.domain == "notify"]
    assert [e.unique_id for e in notify] == [f"{entry.entry_id}_sms"]

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": notify[0].entity_id, "message": "hello"},
        blocking=True,
    )
    assert [(row["number"], row["message"]) for row in simulator.messages.values()] == [
        ("+15550100", "hello")
    ]


async def test_a_provider_without_phones_gets_account_event_entities(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without phones, the account's event entities fire what comes in and what becomes of sends."""
    entry = await _set_up(hass, simulator, "test_phoneless", {"default_recipients": ["+15550100"]})
    events = {
        entity.unique_id.removeprefix(f"{entry.entry_id}_"): entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.domain == "event"
    }
    assert set(events) == {"messages", "delivery"}

    client = await hass_client_no_auth()
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    await simulator.receive_sms("+33612345678", "hi")
    await hass.async_block_till_done()
    incoming = hass.states.get(events["messages"])
    assert incoming is not None
    assert incoming.attributes["event_type"] == "sms_received"
    assert incoming.attributes["text"] == "hi"

    await hass.services.async_call(
        DOMAIN, "send_message", {"message": "hello back"}, blocking=True, return_response=True
    )
    for _ in range(3):
        await simulator.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    delivery = hass.states.get(events["delivery"])
    assert delivery is not None
    assert delivery.attributes["event_type"] == "message_status"
    assert delivery.attributes["status"] == "delivered"
