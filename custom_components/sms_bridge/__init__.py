"""SMS Bridge: send and receive SMS, MMS and USSD through Android SMS gateways."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.components.notify.legacy import async_reload as async_reload_notify
from homeassistant.const import CONF_NAME, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .assist import Assist, AssistSettings
from .backfill import Backfill
from .const import (
    CONF_OUTBOX_TTL,
    CONF_PROVIDER,
    CONF_VERIFY_SSL,
    DATA_HASS_CONFIG,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
)
from .contacts import Contact, ContactBook
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry, SmsBridgeData
from .devices import async_create_account_device, async_remove_phone_device
from .inbound import InboundDispatcher
from .inbound_poll import InboundPoller
from .inbound_store import InboundStore, async_remove_inbound_store
from .inbox_card import async_register_inbox_card
from .inbox_services import async_setup_inbox_services
from .inbox_store import InboxSettings, InboxStore, async_remove_inbox_store
from .inbox_websocket import async_register_inbox_commands
from .messenger import Messenger
from .migrate import async_migrate_entry as async_migrate_entry  # for entries of older releases
from .outbox import async_remove_outbox_store
from .providers import PROVIDERS
from .repairs import async_watch_webhook_https
from .send_guard import SendGuard, SendLimits, async_remove_send_guard_store
from .send_request import SendDefaults
from .services import async_setup_services
from .tracking import DeliveryTracker, async_remove_tracking_store
from .ussd import UssdSessions
from .webhook import async_register_webhook
from .webhook_url import async_delete_cloudhook

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions; they work for every entry."""
    hass.data[DATA_HASS_CONFIG] = config
    async_setup_services(hass)
    async_setup_inbox_services(hass)
    async_register_inbox_commands(hass)
    await async_register_inbox_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> bool:
    """Set up SMS Bridge from a config entry."""
    provider = PROVIDERS[entry.data[CONF_PROVIDER]]
    if (pruned := provider.prune(entry.data)) is not None:
        hass.config_entries.async_update_entry(entry, data=pruned)
    gateway = provider.create(
        async_get_clientsession(
            hass, verify_ssl=entry.data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)
        ),
        entry.data,
    )
    reload_on_change = _ReloadOnChange(hass, entry)
    if provider.connect_store is not None:
        provider.connect_store(gateway, reload_on_change.store)
    coordinator = SmsBridgeCoordinator(hass, entry, gateway)
    await coordinator.async_config_entry_first_refresh()

    inbox_settings = InboxSettings.from_options(entry.options)
    inbox = InboxStore(
        hass,
        entry.entry_id,
        retention=inbox_settings.retention,
        max_messages=inbox_settings.max_messages,
    )
    await inbox.async_load()
    entry.async_on_unload(inbox.async_close)
    tracker = DeliveryTracker(hass, entry.entry_id, gateway, on_status=inbox.set_status)
    await tracker.async_load()
    entry.async_on_unload(tracker.async_stop)
    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, tracker.async_stop))
    guard = SendGuard(hass, entry.entry_id, entry.title, SendLimits.from_options(entry.options))
    await guard.async_start()
    entry.async_on_unload(guard.async_stop)
    ttl = entry.options.get(CONF_OUTBOX_TTL)
    messenger = Messenger(
        hass,
        entry,
        gateway,
        coordinator=coordinator,
        guard=guard,
        tracker=tracker,
        defaults=SendDefaults.from_options(entry.options),
        outbox_ttl=timedelta(minutes=ttl) if ttl else DEFAULT_OUTBOX_TTL,
        log=inbox,
    )
    inbound_store = InboundStore(hass, entry.entry_id, entry.title)
    await inbound_store.async_load()
    entry.async_on_unload(inbound_store.async_save)
    assist = None
    if settings := AssistSettings.from_options(entry.options):
        assist = Assist(
            hass, entry, settings, coordinator, messenger.async_reply, inbox=inbox, guard=guard
        )
    inbound = InboundDispatcher(
        hass,
        entry,
        coordinator,
        inbound_store,
        tracker.apply,
        inbox=inbox,
        on_message=assist.async_handle if assist else None,
    )
    entry.runtime_data = SmsBridgeData(
        gateway=gateway,
        coordinator=coordinator,
        messenger=messenger,
        tracker=tracker,
        outbox=messenger.outbox,
        account_device=async_create_account_device(hass, entry),
        guard=guard,
        ussd=UssdSessions(
            hass, entry, gateway, coordinator, guard=guard, process=inbound.async_process
        ),
        inbox=inbox,
    )
    await messenger.outbox.async_load()
    entry.async_on_unload(messenger.outbox.async_unload)

    async_register_webhook(hass, entry, gateway, inbound.async_process)
    async_watch_webhook_https(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the event entities exist.
    Backfill(hass, entry, gateway, inbound_store, inbound.async_process).async_start()
    InboundPoller(hass, entry, gateway, inbound.async_process).async_start()
    entry.async_on_unload(async_at_started(hass, tracker.async_resume))

    # The legacy notify.<name> service takes target numbers, which notify entities cannot.
    hass.async_create_task(
        discovery.async_load_platform(
            hass,
            Platform.NOTIFY,
            DOMAIN,
            {CONF_NAME: entry.title, "entry_id": entry.entry_id},
            hass.data[DATA_HASS_CONFIG],
        )
    )
    entry.async_on_unload(entry.add_update_listener(reload_on_change.async_listener))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> bool:
    """Unload a config entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.tracker.async_flush()
        await async_reload_notify(hass, DOMAIN)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Delete what a removed entry leaves behind: its cloudhook and its stored messages."""
    await async_delete_cloudhook(hass, entry)
    await async_remove_inbound_store(hass, entry.entry_id)
    await async_remove_inbox_store(hass, entry.entry_id)
    await async_remove_tracking_store(hass, entry.entry_id)
    await async_remove_outbox_store(hass, entry.entry_id)
    await async_remove_send_guard_store(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry, device: DeviceEntry
) -> bool:
    """Allow removing a phone the gateway no longer lists."""
    return async_remove_phone_device(
        hass, entry, device, entry.runtime_data.coordinator.data.phones
    )


class _ReloadOnChange:
    """The entry's update listener: reload when its data or options changed.

    Options, reauth and reconfigure all take effect through this one reload. What the running
    client stores itself (``store``: a renewed token) changes the data without one. A contact
    added, changed or removed only sets up the notify entities again: sends and incoming
    messages read the contacts as they are.
    """

    def __init__(self, hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._data, self._options = dict(entry.data), dict(entry.options)
        self._contacts = _contacts(entry)
        self._lock = asyncio.Lock()

    def store(self, update: Mapping[str, Any]) -> None:
        """Merge what the client obtained into the entry's data, without reloading it."""
        entry = self._entry
        if self._hass.config_entries.async_get_entry(entry.entry_id) is not entry:
            return  # removed meanwhile: nothing left to store it in
        data = {**entry.data, **update}
        if data != entry.data:
            # Only these keys: a change of the user's not yet seen still reloads.
            self._data.update(update)
            self._hass.config_entries.async_update_entry(entry, data=data)

    async def async_listener(self, hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
        """Reload the entry if its data or options changed; renew notify if its contacts did."""
        if dict(entry.data) != self._data or dict(entry.options) != self._options:
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        async with self._lock:
            if _contacts(entry) == self._contacts:
                return
            self._contacts = _contacts(entry)
            await hass.config_entries.async_unload_platforms(entry, [Platform.NOTIFY])
            await hass.config_entries.async_forward_entry_setups(entry, [Platform.NOTIFY])


def _contacts(entry: SmsBridgeConfigEntry) -> tuple[Contact, ...]:
    return ContactBook.of_subentries(entry.subentries, None).contacts
