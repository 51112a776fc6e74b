"""Which phone an action or a notification means, given as its SMS Bridge device.

Automations written before devices name the phone by the gateway's phone id: that keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr

from .compat import async_get_device_by_id, device_config_entry_ids
from .const import DOMAIN
from .devices import device_phone_id
from .errors import validation_error
from .send_request import ATTR_PHONE, ATTR_PHONES

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"  # not in homeassistant.const before 2025.5
ATTR_DEVICE: Final = "device"


@callback
def async_resolve_devices(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    notify_service: bool = False,
) -> dict[str, Any]:
    """Return the data with its phone devices turned into the entry id and phone ids.

    ``device`` gives the entry and the phone; each device among ``phones`` gives a phone (the
    others are gateway phone ids, as before). The older ``config_entry_id`` and ``phone``
    fields keep working; given together with devices they must name the same entry and phone.
    For a legacy notify service (``notify_service``), ``config_entry_id`` is its own entry.
    """
    resolved = dict(data)
    device_id: str | None = resolved.pop(ATTR_DEVICE, None)
    if device_id is not None:
        name, entry_id, phone_id = _phone_device(hass, device_id)
        if resolved.get(ATTR_CONFIG_ENTRY_ID, entry_id) != entry_id:
            raise _entry_conflict(name, notify_service)
        if resolved.get(ATTR_PHONE, phone_id) != phone_id:
            raise validation_error("device_phone_conflict", device=name, phone=resolved[ATTR_PHONE])
        resolved |= {ATTR_CONFIG_ENTRY_ID: entry_id, ATTR_PHONE: phone_id}
    if phones := resolved.get(ATTR_PHONES):
        resolved[ATTR_PHONES] = _phone_ids(hass, resolved, phones, notify_service)
    return resolved


def _phone_ids(
    hass: HomeAssistant, resolved: dict[str, Any], phones: Sequence[str], notify_service: bool
) -> list[str]:
    """Return the gateway phone ids of ``phones``; devices also set the entry in ``resolved``."""
    registry = dr.async_get(hass)
    phone_ids: list[str] = []
    for phone in phones:
        if async_get_device_by_id(registry, phone) is None:
            phone_ids.append(phone)  # a gateway phone id
            continue
        name, entry_id, phone_id = _phone_device(hass, phone)
        if resolved.setdefault(ATTR_CONFIG_ENTRY_ID, entry_id) != entry_id:
            raise _entry_conflict(name, notify_service)
        phone_ids.append(phone_id)
    return phone_ids


def _entry_conflict(name: str, notify_service: bool) -> ServiceValidationError:
    """Return the error for a device of another entry than the one already chosen."""
    if notify_service:
        return validation_error("notify_device_other_entry", device=name)
    return validation_error("device_entry_conflict", device=name)


def _phone_device(hass: HomeAssistant, device_id: str) -> tuple[str, str, str]:
    """Return the name, entry id and phone id of an SMS Bridge phone device, or raise."""
    device = async_get_device_by_id(dr.async_get(hass), device_id)
    if device is None:
        raise validation_error("unknown_device", device=device_id)
    name = device.name_by_user or device.name or device_id
    for entry_id in device_config_entry_ids(device):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if (phone_id := device_phone_id(entry_id, device)) is None:
            raise validation_error("device_not_phone", device=name)
        return name, entry_id, phone_id
    raise validation_error("device_not_sms_bridge", device=name)
