"""The inbox's websocket API and actions: reading, paging, marking read, deleting, live changes,
and who may use them (administrators, unless the entry's options let every user)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_bridge.const import CONF_DEFAULT_PHONE, CONF_INBOX_ALL_USERS, DOMAIN
from tests.simulator import GatewaySimulator
from tests.test_contacts import add_contact
from tests.test_inbox import SENDER, inbox, send, text


@pytest.fixture(autouse=True)
async def websocket_api(hass: HomeAssistant) -> None:
    """The websocket API, as the frontend brings it."""
    assert await async_setup_component(hass, "websocket_api", {})


class Client:
    """A websocket client of Home Assistant's test server."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def result(self, command: str, **data: Any) -> Any:
        await self.ws.send_json_auto_id({"type": f"{DOMAIN}/inbox/{command}", **data})
        message = await self.ws.receive_json()
        assert message["success"], message
        return message["result"]

    async def error(self, command: str, **data: Any) -> str:
        await self.ws.send_json_auto_id({"type": f"{DOMAIN}/inbox/{command}", **data})
        message = await self.ws.receive_json()
        assert not message["success"], message
        return str(message["error"]["code"])


@pytest.fixture
async def admin(hass_ws_client: WebSocketGenerator) -> Client:
    return Client(await hass_ws_client())


@pytest.fixture
async def user(hass_ws_client: WebSocketGenerator, hass_read_only_access_token: str) -> Client:
    """A user who is no administrator."""
    return Client(await hass_ws_client(access_token=hass_read_only_access_token))


async def test_threads_and_pages(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    admin: Client,
) -> None:
    """Threads come newest first with their contact's name and unread count; a thread is read
    in pages, newest first."""
    await add_contact(hass, integration, name="Mum", number="+15550303")
    for n in range(5):
        await text(hass, gateway, SENDER, f"message {n}")
    await text(hass, gateway, "+15550303", "hello")

    [entry] = await admin.result("entries")
    assert (entry["entry_id"], entry["title"], entry["unread"]) == (
        integration.entry_id,
        "SMS Gateway",
        6,
    )
    assert [phone["id"] for phone in entry["phones"]] == ["1", "2"]

    threads = await admin.result("threads", entry_id=integration.entry_id)
    assert [(t["number"], t["name"], t["unread"], t["count"]) for t in threads] == [
        ("+15550303", "Mum", 1, 1),
        (SENDER, None, 5, 5),
    ]
    assert threads[0]["last"]["text"] == "hello"

    page = await admin.result("thread", entry_id=integration.entry_id, number=SENDER, limit=3)
    assert [m["text"] for m in page["messages"]] == ["message 4", "message 3", "message 2"]
    assert page["more"]
    page = await admin.result(
        "thread",
        entry_id=integration.entry_id,
        number=SENDER,
        limit=3,
        before=page["messages"][-1]["id"],
    )
    assert [m["text"] for m in page["messages"]] == ["message 1", "message 0"]
    assert not page["more"]
    page = await admin.result("thread", entry_id=integration.entry_id, number=SENDER, before="gone")
    assert page["messages"] == []


async def test_mark_read_and_delete(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    admin: Client,
) -> None:
    """A thread is marked read, then every thread; a deleted thread is gone."""
    await text(hass, gateway, SENDER, "one")
    await text(hass, gateway, "+15550001", "two")
    entry_id = integration.entry_id
    assert await admin.result("mark_read", entry_id=entry_id, number=SENDER) == {"marked": 1}
    assert inbox(integration).unread == {"+15550001": 1}
    assert await admin.result("mark_read", entry_id=entry_id) == {"marked": 1}
    assert await admin.result("mark_read", entry_id=entry_id) == {"marked": 0}

    assert await admin.result("delete_thread", entry_id=entry_id, number=SENDER) is None
    assert [t["number"] for t in await admin.result("threads", entry_id=entry_id)] == ["+15550001"]
    assert await admin.error("delete_thread", entry_id=entry_id, number=SENDER) == "not_found"
    assert await admin.error("threads", entry_id="no-such-entry") == "not_found"


async def test_subscription_pushes_changes(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    admin: Client,
) -> None:
    """New messages (with their thread), delivery states and reads arrive live; a reload of
    the entry closes the subscription."""
    await admin.result("subscribe", entry_id=integration.entry_id)
    await text(hass, gateway, SENDER, "live")
    event = (await admin.ws.receive_json())["event"]
    assert (event["event"], event["message"]["text"]) == ("message", "live")
    assert (event["thread"]["number"], event["thread"]["unread"]) == (SENDER, 1)

    await send(hass, SENDER, "answer")
    event = (await admin.ws.receive_json())["event"]
    assert (event["event"], event["message"]["status"]) == ("message", "pending")
    tracker = integration.runtime_data.tracker
    await gateway.advance()
    await tracker.async_poll()
    event = (await admin.ws.receive_json())["event"]
    assert (event["event"], event["message"]["text"]) == ("status", "answer")
    tracker.async_stop()

    inbox(integration).mark_read(SENDER)
    assert (await admin.ws.receive_json())["event"] == {"event": "read", "number": SENDER}
    inbox(integration).delete_thread(SENDER)
    assert (await admin.ws.receive_json())["event"] == {"event": "deleted", "number": SENDER}

    assert await hass.config_entries.async_reload(integration.entry_id)
    assert (await admin.ws.receive_json())["event"] == {"event": "closed"}
    await text(hass, gateway, SENDER, "after the reload")
    # The subscription is over: the next message on the socket answers the next command.
    assert await admin.result("mark_read", entry_id=integration.entry_id) == {"marked": 1}


@pytest.mark.parametrize(
    "command",
    [
        {"command": "threads"},
        {"command": "thread", "number": SENDER},
        {"command": "mark_read"},
        {"command": "delete_thread", "number": SENDER},
        {"command": "subscribe"},
    ],
)
async def test_a_user_who_is_no_administrator_is_refused(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    user: Client,
    command: dict[str, str],
) -> None:
    """SMS are private: without the option, a user who is no administrator reads nothing."""
    await text(hass, gateway, SENDER, "private")
    data = dict(command)
    name = data.pop("command")
    assert await user.error(name, entry_id=integration.entry_id, **data) == "unauthorized"
    assert await user.error("entries") == "unauthorized"
    assert inbox(integration).unread == {SENDER: 1}


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_INBOX_ALL_USERS: True}])
async def test_the_option_lets_every_user_read(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry, user: Client
) -> None:
    """With the option on, any user reads the inbox."""
    await text(hass, gateway, SENDER, "shared")
    [thread] = await user.result("threads", entry_id=integration.entry_id)
    assert thread["last"]["text"] == "shared"


async def test_no_entry_lists_nothing(hass: HomeAssistant, user: Client) -> None:
    """Without SMS Bridge entries, the list is empty (nothing to refuse)."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await user.result("entries") == []


async def test_an_unloaded_entry_is_not_found(
    hass: HomeAssistant, integration: MockConfigEntry, admin: Client
) -> None:
    assert await hass.config_entries.async_unload(integration.entry_id)
    assert integration.state is ConfigEntryState.NOT_LOADED
    assert await admin.error("threads", entry_id=integration.entry_id) == "not_found"


# -- the actions --------------------------------------------------------------------------


async def test_get_conversation_and_mark_read(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """get_conversation returns a thread oldest first, by number or contact name; mark_read
    marks a thread, or every thread."""
    await add_contact(hass, integration, name="Mum", number="+15550303")
    await text(hass, gateway, "+15550303", "are you home?")
    await send(hass, "Mum", "in 5 minutes")
    await text(hass, gateway, SENDER, "hi")

    response = await hass.services.async_call(
        DOMAIN, "get_conversation", {"number": "mum"}, blocking=True, return_response=True
    )
    assert response is not None
    assert (response["number"], response["name"], response["unread"]) == (
        "+15550303",
        "Mum",
        1,
    )
    assert [(m["direction"], m["text"]) for m in response["messages"]] == [
        ("incoming", "are you home?"),
        ("outgoing", "in 5 minutes"),
    ]
    assert "queued_id" not in response["messages"][0]

    response = await hass.services.async_call(
        DOMAIN, "mark_read", {"number": "+1 555 0303"}, blocking=True, return_response=True
    )
    assert response == {"marked": 1}
    assert inbox(integration).unread == {SENDER: 1}
    await hass.services.async_call(DOMAIN, "mark_read", {}, blocking=True)
    assert inbox(integration).unread == {}

    response = await hass.services.async_call(
        DOMAIN,
        "get_conversation",
        {"number": "+15559999", "limit": 5},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "number": "+15559999",
        "name": None,
        "unread": 0,
        "count": 0,
        "more": False,
        "messages": [],
    }


@pytest.mark.parametrize("action", ["get_conversation", "mark_read"])
async def test_actions_refuse_a_user_who_is_no_administrator(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    action: str,
) -> None:
    """Called by a user (from the UI), the actions need what the inbox needs; automations,
    which have no user, may."""
    await text(hass, gateway, SENDER, "private")
    integration = hass.config_entries.async_entries(DOMAIN)[0]
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            action,
            {"number": SENDER},
            blocking=True,
            return_response=action == "get_conversation",
            context=Context(user_id=hass_read_only_user.id),
        )
    assert inbox(integration).unread == {SENDER: 1}
    await hass.services.async_call(
        DOMAIN,
        action,
        {"number": SENDER},
        blocking=True,
        return_response=action == "get_conversation",
        context=Context(user_id=hass_admin_user.id),
    )
