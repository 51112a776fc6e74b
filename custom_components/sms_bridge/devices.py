"""The devices of an entry: a service device for the account and one per phone."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry, DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import PROVIDERS, Phone
from .compat import async_get_entry_device, with_via_device
from .const import CONF_PROVIDER, DOMAIN
from .data import SmsBridgeConfigEntry


def account_device_identifier(entry: SmsBridgeConfigEntry) -> tuple[str, str]:
    """Return the device registry identifier of the account (service) device."""
    return (DOMAIN, entry.entry_id)


def phone_device_identifier(entry: SmsBridgeConfigEntry, phone_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a phone."""
    return (DOMAIN, f"{entry.entry_id}_{phone_id}")


def signal_phone_removed(entry_id: str) -> str:
    """Return the dispatcher signal sent with the id of a phone whose device is deleted."""
    return f"{DOMAIN}_{entry_id}_phone_removed"


@callback
def async_remove_phone_device(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry, device: DeviceEntry
) -> bool:
    """Return True to let the user delete the device of a phone the gateway no longer lists.

    The platforms then forget the phone, so that it gets entities again if it comes back.
    """
    listed = entry.runtime_data.coordinator.data.phones
    prefix = f"{entry.entry_id}_"
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            phone_id = identifier.removeprefix(prefix)
            if phone_id in listed:
                return False
            async_dispatcher_send(hass, signal_phone_removed(entry.entry_id), phone_id)
            return True
    return False  # the account device


def account_device_info(entry: SmsBridgeConfigEntry) -> DeviceInfo:
    """Return the device info of the account (service) device."""
    return DeviceInfo(
        identifiers={account_device_identifier(entry)},
        name=entry.title,
        manufacturer=PROVIDERS[entry.data[CONF_PROVIDER]].name,
        entry_type=DeviceEntryType.SERVICE,
    )


@callback
def async_create_account_device(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> DeviceEntry:
    """Register the account device; phones name it as the device they are reached through."""
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )


def phone_device_info(
    entry: SmsBridgeConfigEntry, phone: Phone, account_device: DeviceEntry
) -> DeviceInfo:
    """Return the device info of a phone."""
    info = DeviceInfo(
        identifiers={phone_device_identifier(entry, phone.id)},
        name=phone.display_name,
        model=phone.model,
        sw_version=phone.app_version,
        hw_version=_android(phone),
        serial_number=phone.id,
    )
    return with_via_device(info, account_device)


@callback
def async_update_phone_devices(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry, phones: Iterable[Phone]
) -> None:
    """Carry a renamed phone or a new app or Android version to its existing device."""
    registry = dr.async_get(hass)
    for phone in phones:
        device = async_get_entry_device(
            registry, phone_device_identifier(entry, phone.id), entry.entry_id
        )
        if device is None:
            continue
        name, model, sw_version, hw_version = (
            phone.display_name,
            phone.model,
            phone.app_version,
            _android(phone),
        )
        if (name, model, sw_version, hw_version) != (
            device.name,
            device.model,
            device.sw_version,
            device.hw_version,
        ):
            registry.async_update_device(
                device.id, name=name, model=model, sw_version=sw_version, hw_version=hw_version
            )


def _android(phone: Phone) -> str | None:
    return f"Android {phone.android_version}" if phone.android_version else None
