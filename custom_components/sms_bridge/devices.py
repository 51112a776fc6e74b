"""The devices of an entry: a service device for the account and one per phone."""

from __future__ import annotations

from collections.abc import Container, Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry, DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import Phone
from .compat import async_get_entry_device, with_via_device
from .const import CONF_PROVIDER, DOMAIN
from .providers import PROVIDERS


def account_device_identifier(entry: ConfigEntry) -> tuple[str, str]:
    """Return the device registry identifier of the account (service) device."""
    return (DOMAIN, entry.entry_id)


def phone_device_identifier(entry: ConfigEntry, phone_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a phone."""
    return (DOMAIN, f"{entry.entry_id}_{phone_id}")


def phone_entity_unique_id(entry_id: str, phone_id: str, key: str) -> str:
    """Return the unique id of a phone's entity of ``key`` (its description's key)."""
    return f"{entry_id}_{phone_id}_{key}"


def device_phone_id(entry_id: str, device: DeviceEntry) -> str | None:
    """Return the id of the phone a device of the entry stands for; None for the account's."""
    prefix = f"{entry_id}_"
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            return identifier.removeprefix(prefix)
    return None


def signal_phone_removed(entry_id: str) -> str:
    """Return the dispatcher signal sent with the id of a phone whose device is deleted."""
    return f"{DOMAIN}_{entry_id}_phone_removed"


@callback
def async_remove_phone_device(
    hass: HomeAssistant, entry: ConfigEntry, device: DeviceEntry, listed: Container[str]
) -> bool:
    """Return True to let the user delete the device of a phone the gateway no longer lists.

    ``listed`` holds the ids of the phones the gateway lists. The platforms then forget the
    phone, so that it gets entities again if it comes back.
    """
    if (phone_id := device_phone_id(entry.entry_id, device)) is None or phone_id in listed:
        return False  # the account device, or a phone still listed
    async_dispatcher_send(hass, signal_phone_removed(entry.entry_id), phone_id)
    return True


# Android reports the model (Build.MODEL) and, to this gateway, no manufacturer: the makers whose
# model names say who they are. A model none of these prefixes matches gets no manufacturer.
MANUFACTURER_BY_MODEL_PREFIX: tuple[tuple[str, str], ...] = (
    ("SM-", "Samsung"),
    ("GT-", "Samsung"),
    ("Galaxy", "Samsung"),
    ("Pixel", "Google"),
    ("Nexus", "Google"),
    ("Redmi", "Xiaomi"),
    ("POCO", "Xiaomi"),
    ("ONEPLUS", "OnePlus"),
    ("moto", "Motorola"),
    ("Nokia", "Nokia"),
    ("HUAWEI", "Huawei"),
)


def manufacturer_from_model(model: str | None) -> str | None:
    """Return the maker a phone's model name tells, if it tells one."""
    if not model:
        return None
    folded = model.casefold()
    return next(
        (
            manufacturer
            for prefix, manufacturer in MANUFACTURER_BY_MODEL_PREFIX
            if folded.startswith(prefix.casefold())
        ),
        None,
    )


def account_device_info(entry: ConfigEntry) -> DeviceInfo:
    """Return the device info of the account (service) device."""
    provider = PROVIDERS[entry.data[CONF_PROVIDER]]
    return DeviceInfo(
        identifiers={account_device_identifier(entry)},
        name=entry.title,
        manufacturer=provider.manufacturer,
        model=provider.product,
        entry_type=DeviceEntryType.SERVICE,
    )


@callback
def async_create_account_device(hass: HomeAssistant, entry: ConfigEntry) -> DeviceEntry:
    """Register the account device; phones name it as the device they are reached through."""
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )


@callback
def phone_device_name(hass: HomeAssistant, entry: ConfigEntry, phone: Phone) -> str:
    """Return the phone's name, followed by the entry's title when another entry has it.

    Two accounts often hold phones of the same name ("Pixel 7"): the second one's device, and so
    its entity ids, say which account it belongs to instead of ending up with a bare "_2". The
    first one keeps the plain name, and the check is against the other entries' devices, so a
    name once given does not change back and forth.
    """
    name = phone.display_name
    folded = name.casefold()
    registry = dr.async_get(hass)
    for other in hass.config_entries.async_entries(DOMAIN):
        if other.entry_id == entry.entry_id:
            continue
        for device in dr.async_entries_for_config_entry(registry, other.entry_id):
            if folded in (
                (device.name or "").casefold(),
                (device.name_by_user or "").casefold(),
            ):
                return f"{name} ({entry.title})"
    return name


def phone_device_info(
    hass: HomeAssistant, entry: ConfigEntry, phone: Phone, account_device: DeviceEntry
) -> DeviceInfo:
    """Return the device info of a phone.

    Its software is Android (the gateway app's version is in the diagnostics); the gateway's
    row id of the phone is no serial number, so there is none.
    """
    info = DeviceInfo(
        identifiers={phone_device_identifier(entry, phone.id)},
        name=phone_device_name(hass, entry, phone),
        manufacturer=manufacturer_from_model(phone.model),
        model=phone.model,
        sw_version=_android(phone),
    )
    return with_via_device(info, account_device)


@callback
def async_update_phone_devices(
    hass: HomeAssistant, entry: ConfigEntry, phones: Iterable[Phone]
) -> None:
    """Carry a renamed phone or a new Android version to its existing device.

    This also clears what earlier versions stored: the gateway's row id as serial number and
    Android as hardware version.
    """
    registry = dr.async_get(hass)
    for phone in phones:
        device = async_get_entry_device(
            registry, phone_device_identifier(entry, phone.id), entry.entry_id
        )
        if device is None:
            continue
        name, manufacturer, model, sw_version = (
            phone_device_name(hass, entry, phone),
            manufacturer_from_model(phone.model),
            phone.model,
            _android(phone),
        )
        if (name, manufacturer, model, sw_version, None, None) != (
            device.name,
            device.manufacturer,
            device.model,
            device.sw_version,
            device.hw_version,
            device.serial_number,
        ):
            registry.async_update_device(
                device.id,
                name=name,
                manufacturer=manufacturer,
                model=model,
                sw_version=sw_version,
                hw_version=None,
                serial_number=None,
            )


def _android(phone: Phone) -> str | None:
    return f"Android {phone.android_version}" if phone.android_version else None
