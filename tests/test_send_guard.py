"""The send guard through Home Assistant's real actions and notify services, against the simulator.

Limits per minute and per day (counted per recipient, kept across restarts), allowed recipients,
the repair issue of the daily limit and the sensor of messages sent today.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_bridge.const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    CONF_SEND_SAFETY,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.sms_bridge.devices import account_device_identifier
from tests.simulator import GatewaySimulator, RecordedRequest

SENT_TODAY = "sensor.sms_gateway_messages_sent_today"
LEGACY_SERVICE = "sms_gateway"  # slug of the entry title "SMS Gateway"
# A quiet afternoon in the tests' time zone (US/Pacific), far from midnight.
NOON = datetime(2025, 5, 1, 12, 0, tzinfo=dt_util.get_time_zone("US/Pacific"))


def storage_key(entry: MockConfigEntry) -> str:
    """Return the storage key of an entry's send counts."""
    return f"{DOMAIN}.{entry.entry_id}.send_guard"


def issue_id(entry: MockConfigEntry) -> str:
    """Return the id of an entry's daily-limit repair issue."""
    return f"daily_limit_reached_{entry.entry_id}"


def sends(simulator: GatewaySimulator) -> list[RecordedRequest]:
    """Return the send.php calls that send something (not the credits query)."""
    return [
        request
        for request in simulator.requests
        if request.path == "/services/send.php"
        and {"number", "messages", "listID"} & request.params.keys()
    ]


async def send(hass: HomeAssistant, *recipients: str, message: str = "Hi") -> dict[str, Any]:
    """Send through the action and return its response data."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": list(recipients or ["+15550100"]), "message": message},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def refused(hass: HomeAssistant, *recipients: str) -> ServiceValidationError:
    """Send through the action, expect the refusal, and return it."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, *recipients)
    return err.value


def sent_today(hass: HomeAssistant) -> int:
    """Return the state of the entry's sensor of messages sent today."""
    state = hass.states.get(SENT_TODAY)
    assert state is not None
    return int(state.state)


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock at noon (set up before the entry, so that it counts on that day)."""
    freezer.move_to(NOON)
    return freezer


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock and run what was due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


# -- messages per minute ---------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
async def test_the_31st_message_in_a_minute_is_refused(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the default of 30 per minute, the 31st send of the minute never reaches the gateway."""
    for index in range(30):
        await send(hass, f"+1555010{index:02d}")
    simulator.requests.clear()

    err = await refused(hass)
    assert err.translation_key == "minute_limit"
    assert err.translation_placeholders == {
        "count": "1",
        "limit": "30",
        "entry_title": "SMS Gateway",
    }
    assert sends(simulator) == []
    assert sent_today(hass) == 30

    await tick(hass, freezer, timedelta(seconds=59))
    assert (await refused(hass)).translation_key == "minute_limit"
    await tick(hass, freezer, timedelta(seconds=1))
    await send(hass)
    assert len(sends(simulator)) == 1
    assert sent_today(hass) == 31


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_MINUTE: 5}])
@pytest.mark.usefixtures("frozen", "integration")
async def test_each_recipient_counts(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A send counts one message per recipient, and is refused as a whole when it does not fit."""
    await send(hass, "+15550101", "+15550102", "+15550103", "+15550101")  # 3, the repeat once
    simulator.requests.clear()

    err = await refused(hass, "+15550104", "+15550105", "+15550106")
    assert err.translation_placeholders["count"] == "3"
    assert sends(simulator) == []
    await send(hass, "+15550104", "+15550105")
    assert sent_today(hass) == 5


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            CONF_DEFAULT_PHONE: "1",
            CONF_DEFAULT_RECIPIENTS: ["+15550100"],
            CONF_MAX_PER_MINUTE: 3,
        }
    ],
)
@pytest.mark.usefixtures("frozen")
async def test_action_and_both_notify_flavours_share_the_limit(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The action, a notify entity and the legacy notify service all count, and all are refused."""
    entity_id = er.async_get(hass).async_get_entity_id(
        NOTIFY_DOMAIN, DOMAIN, f"{integration.entry_id}_1_sms"
    )
    calls = [
        (DOMAIN, "send_message", {"recipients": ["+15550100"], "message": "Hi"}),
        (NOTIFY_DOMAIN, "send_message", {ATTR_ENTITY_ID: entity_id, "message": "Hi"}),
        (NOTIFY_DOMAIN, LEGACY_SERVICE, {"message": "Hi"}),
    ]
    for domain, service, data in calls:
        await hass.services.async_call(domain, service, data, blocking=True)
    assert len(sends(simulator)) == 3
    assert sent_today(hass) == 3

    for domain, service, data in calls:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(domain, service, data, blocking=True)
        assert err.value.translation_key == "minute_limit"
    assert len(sends(simulator)) == 3


# -- what counts ------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen", "integration")
async def test_a_refused_send_is_not_counted(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The gateway refusing a send (no credits) gives its messages back."""
    simulator.credits = 0
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, "+15550101", "+15550102")
    assert err.value.translation_key == "gateway_error"
    assert sent_today(hass) == 0


@pytest.mark.usefixtures("frozen", "integration")
async def test_a_queued_send_is_counted(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A send kept in the outbox while the gateway is down will go out: it counts."""
    await simulator.stop()
    response = await send(hass, "+15550101", "+15550102")
    assert response["queued"]
    assert sent_today(hass) == 2


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_MINUTE: 3}])
@pytest.mark.usefixtures("frozen", "integration")
async def test_contact_lists_and_resends_count_what_the_gateway_sent(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Their recipients are known from the answer: counted then, refused once the minute is full."""
    await hass.services.async_call(
        DOMAIN, "send_to_contact_list", {"list_id": 1, "message": "Hi %name%"}, blocking=True
    )
    assert sent_today(hass) == 2  # the list's two subscribers
    failed = next(iter(simulator.messages))
    simulator.messages[failed]["status"] = "Failed"
    await hass.services.async_call(DOMAIN, "resend_messages", {"message_id": failed}, blocking=True)
    assert sent_today(hass) == 3

    simulator.requests.clear()
    for action, data in (
        ("send_to_contact_list", {"list_id": 1, "message": "Hi"}),
        ("resend_messages", {"message_id": failed}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, action, data, blocking=True)
        assert err.value.translation_key == "minute_limit"
    assert simulator.requests == []


# -- kept across restarts ---------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
async def test_counts_survive_a_reload(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """The entry set up again reads its counts back: the 31st send of the minute stays refused."""
    for _ in range(30):
        await send(hass)
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert storage_key(integration) in hass_storage

    assert sent_today(hass) == 30
    simulator.requests.clear()
    assert (await refused(hass)).translation_key == "minute_limit"
    assert sends(simulator) == []


@pytest.mark.usefixtures("frozen")
async def test_counts_are_written_when_home_assistant_stops(
    hass: HomeAssistant, integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Stopping Home Assistant (entries stay loaded) writes the counts not saved yet."""
    hass_storage.pop(storage_key(integration), None)
    for _ in range(3):
        await send(hass)
    assert storage_key(integration) not in hass_storage  # the delayed write is pending

    await hass.async_stop()

    assert hass_storage[storage_key(integration)]["data"] == {
        "day": "2025-05-01",
        "sent_today": 3,
        "recent": [[NOON.timestamp(), 1]] * 3,
    }


@pytest.mark.usefixtures("frozen")
async def test_counts_are_read_at_start(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Counts stored before a restart (30 messages 20 s ago, 400 today) hold after it."""
    hass_storage[storage_key(config_entry)] = {
        "version": 1,
        "key": storage_key(config_entry),
        "data": {
            "day": "2025-05-01",
            "sent_today": 400,
            "recent": [[NOON.timestamp() - 20, 30]],
        },
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert sent_today(hass) == 400
    assert (await refused(hass)).translation_key == "minute_limit"
    await tick(hass, freezer, timedelta(seconds=40))
    await send(hass)
    assert sent_today(hass) == 401


@pytest.mark.parametrize(
    "stored",
    [
        {"day": "2025-04-30", "sent_today": 499, "recent": []},  # yesterday
        {"day": "not a day", "sent_today": 499, "recent": []},
        {"sent_today": "many"},
    ],
    ids=["yesterday", "bad_day", "garbled"],
)
@pytest.mark.usefixtures("frozen")
async def test_counts_of_another_day_or_unreadable_start_from_zero(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    """Yesterday's count does not hold today; an unreadable store does not break the setup."""
    hass_storage[storage_key(config_entry)] = {
        "version": 1,
        "key": storage_key(config_entry),
        "data": stored,
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert sent_today(hass) == 0
    await send(hass, "+15550101", "+15550102")
    assert sent_today(hass) == 2


async def test_removing_the_entry_deletes_its_counts(
    hass: HomeAssistant, integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Nothing of a removed entry stays in storage."""
    await send(hass)
    await hass.config_entries.async_unload(integration.entry_id)
    assert storage_key(integration) in hass_storage
    await hass.config_entries.async_remove(integration.entry_id)
    assert storage_key(integration) not in hass_storage


# -- messages per day and the repair issue -----------------------------------------------------


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_DAY: 3, CONF_MAX_PER_MINUTE: 30}]
)
async def test_daily_limit_opens_an_issue_until_midnight(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Reaching the daily limit opens a repair issue; sends are refused until the next day."""
    await send(hass, "+15550101", "+15550102")
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is None
    await send(hass, "+15550103")
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(integration))
    assert issue is not None
    assert issue.translation_key == "daily_limit_reached"
    assert issue.translation_placeholders == {"entry_title": "SMS Gateway", "limit": "3"}
    assert issue.severity is ir.IssueSeverity.WARNING

    await tick(hass, frozen, timedelta(hours=1))  # the minute is long over
    simulator.requests.clear()
    err = await refused(hass)
    assert err.translation_key == "daily_limit"
    assert err.translation_placeholders == {
        "count": "1",
        "limit": "3",
        "sent": "3",
        "entry_title": "SMS Gateway",
    }
    assert sends(simulator) == []

    await tick(hass, frozen, dt_util.start_of_local_day(NOON + timedelta(days=1)) - dt_util.now())
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is None
    assert sent_today(hass) == 0
    await send(hass)
    assert sent_today(hass) == 1


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_DAY: 3, CONF_MAX_PER_MINUTE: 30}]
)
@pytest.mark.usefixtures("frozen")
async def test_a_send_over_the_daily_limit_opens_the_issue(
    hass: HomeAssistant, integration: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """Refused for the day below the limit (two more would go over it): the issue opens too."""
    await send(hass, "+15550101", "+15550102")
    assert (await refused(hass, "+15550103", "+15550104")).translation_key == "daily_limit"
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is not None
    await send(hass, "+15550103")  # one still fits
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is not None


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_DAY: 2, CONF_MAX_PER_MINUTE: 30}]
)
@pytest.mark.usefixtures("frozen")
async def test_raising_the_daily_limit_clears_the_issue(
    hass: HomeAssistant, integration: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """Raised in the options, the limit lets sends through again and the issue goes away."""
    await send(hass, "+15550101", "+15550102")
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is not None

    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_DEFAULT_PHONE: "1",
            CONF_SEND_SAFETY: {CONF_MAX_PER_MINUTE: 30, CONF_MAX_PER_DAY: 10},
        },
    )
    await hass.async_block_till_done()
    assert integration.options[CONF_MAX_PER_DAY] == 10
    assert integration.state is ConfigEntryState.LOADED

    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is None
    assert sent_today(hass) == 2
    await send(hass)
    assert sent_today(hass) == 3


@pytest.mark.parametrize(
    "entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_DAY: 2, CONF_MAX_PER_MINUTE: 30}]
)
@pytest.mark.usefixtures("frozen")
async def test_issue_follows_the_entry(
    hass: HomeAssistant, integration: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """Unloaded, the entry takes its issue away; loaded again on the same day, it is back."""
    await send(hass, "+15550101", "+15550102")
    await hass.config_entries.async_unload(integration.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is None
    await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id(integration)) is not None


# -- allowed recipients -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            CONF_DEFAULT_PHONE: "1",
            CONF_DEFAULT_RECIPIENTS: ["+15550100"],
            CONF_ALLOWED_RECIPIENTS: ["+15550100", "+15550101"],
        }
    ],
)
@pytest.mark.usefixtures("frozen")
async def test_allowed_recipients(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Only allowed numbers get messages, on every send path; one stranger refuses the send."""
    await send(hass, "+1 555 0100", "+15550101")
    assert len(sends(simulator)) == 1
    simulator.requests.clear()

    err = await refused(hass, "+15550101", "+15550199")
    assert err.translation_key == "recipient_not_allowed"
    assert err.translation_placeholders == {"number": "+15550199", "entry_title": "SMS Gateway"}
    with pytest.raises(ServiceValidationError) as err_info:
        await hass.services.async_call(
            NOTIFY_DOMAIN, LEGACY_SERVICE, {"message": "Hi", "target": ["+15550199"]}, blocking=True
        )
    assert err_info.value.translation_key == "recipient_not_allowed"
    for action, data in (
        ("send_to_contact_list", {"list_id": 1, "message": "Hi"}),
        ("resend_messages", {"message_id": 1}),
    ):
        with pytest.raises(ServiceValidationError) as err_info:
            await hass.services.async_call(DOMAIN, action, data, blocking=True)
        assert err_info.value.translation_key == "recipients_unchecked"
    assert simulator.requests == []
    assert sent_today(hass) == 2

    # The default recipient is allowed: the legacy service without target sends.
    await hass.services.async_call(NOTIFY_DOMAIN, LEGACY_SERVICE, {"message": "Hi"}, blocking=True)
    assert len(sends(simulator)) == 1


# -- the sensor --------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
async def test_sensor_of_messages_sent_today(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    entity_registry: er.EntityRegistry,
    device_registry: Any,
) -> None:
    """The account device counts today's messages in total since local midnight."""
    entry = entity_registry.async_get(SENT_TODAY)
    assert entry is not None
    assert entry.unique_id == f"{integration.entry_id}_sent_today"
    device = device_registry.async_get(entry.device_id)
    assert account_device_identifier(integration) in device.identifiers

    state = hass.states.get(SENT_TODAY)
    assert state is not None
    assert state.state == "0"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "SMS"
    assert state.attributes["state_class"] == "total"
    assert state.attributes["last_reset"] == "2025-05-01T00:00:00-07:00"

    await send(hass, "+15550101", "+15550102")
    assert sent_today(hass) == 2

    await simulator.stop()  # the gateway cannot be read: the count stays ours
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done()
    assert sent_today(hass) == 2
