"""What differs between the oldest Home Assistant we support (2025.4) and the current one.

Each name here picks the current API when Home Assistant has it and falls back to the old one,
so the rest of the integration is written once and runs on both without deprecation warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from homeassistant.config_entries import ConfigFlow
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowHandler
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry, DeviceInfo

if TYPE_CHECKING:
    from homeassistant.components.conversation import ConversationResult

# Home Assistant validates with probatio, which has voluptuous' API, since 2026; before, with
# voluptuous itself. Type checkers see only the library of the version they run against.
try:
    import probatio as vol  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    import voluptuous as vol  # type: ignore[no-redef, unused-ignore]

# The device classes and entity features moved to each platform's const module, and the
# package no longer re-exports them explicitly.
try:
    from homeassistant.components.binary_sensor.const import (  # type: ignore[import-not-found, unused-ignore]
        BinarySensorDeviceClass,
    )
except ImportError:
    from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined, no-redef, unused-ignore]
        BinarySensorDeviceClass,
    )
try:
    from homeassistant.components.notify.const import (  # type: ignore[attr-defined, unused-ignore]
        NotifyEntityFeature,
    )
except ImportError:
    from homeassistant.components.notify import (  # type: ignore[attr-defined, no-redef, unused-ignore]
        NotifyEntityFeature,
    )

# The HTTP server's static path description moved to its own module in 2026 (re-exported by the
# package, but not explicitly).
try:
    from homeassistant.components.http.server import (  # type: ignore[import-not-found, unused-ignore]
        StaticPathConfig,
    )
except ImportError:
    from homeassistant.components.http import (  # type: ignore[attr-defined, no-redef, unused-ignore]
        StaticPathConfig,
    )

# Repair flows return their own result type since 2026; a plain flow result before.
try:
    from homeassistant.components.repairs import (  # type: ignore[attr-defined, unused-ignore]
        RepairsFlowResult,
    )
except ImportError:
    from homeassistant.data_entry_flow import (  # type: ignore[assignment, unused-ignore]
        FlowResult as RepairsFlowResult,
    )

# Flows lost the user's advanced mode in 2026: the property is deprecated (wrapped by the
# deprecation helper), always True, and the frontend no longer sends the mode. There a form shows
# every field, as Home Assistant itself does, without touching the property.
ADVANCED_MODE = not hasattr(getattr(FlowHandler.show_advanced_options, "fget", None), "__wrapped__")


def shows_advanced_options(flow: ConfigFlow) -> bool:
    """Return True when the flow shows advanced fields: in advanced mode, or where none exists."""
    return bool(flow.show_advanced_options) if ADVANCED_MODE else True


# Device identifiers are unique per config entry since 2026: a device is looked up within its
# entry, and a device names its parent by device id instead of by identifier.
_LOOKUP_BY_ENTRY = hasattr(dr.DeviceRegistry, "async_get_device_by_identifier")
_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__annotations__
_ONE_ENTRY_PER_DEVICE = hasattr(DeviceEntry, "config_entry_id")

__all__ = [
    "ADVANCED_MODE",
    "BinarySensorDeviceClass",
    "NotifyEntityFeature",
    "RepairsFlowResult",
    "StaticPathConfig",
    "async_converse",
    "async_get_device_by_id",
    "async_get_entry_device",
    "device_config_entry_ids",
    "shows_advanced_options",
    "vol",
    "with_via_device",
]


def async_get_entry_device(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> DeviceEntry | None:
    """Return the device of ``config_entry_id`` with ``identifier``, if there is one."""
    if _LOOKUP_BY_ENTRY:
        return registry.async_get_device_by_identifier(  # type: ignore[attr-defined, no-any-return, unused-ignore]
            identifier, config_entry_id
        )
    device = registry.async_get_device(identifiers={identifier})
    if device is None or config_entry_id not in device.config_entries:
        return None
    return device


def async_get_device_by_id(registry: dr.DeviceRegistry, device_id: str) -> DeviceEntry | None:
    """Return the device with this registry id, if it is an integration's own device.

    Since 2026 the registry also holds child devices, which no SMS Bridge entry owns.
    """
    device: object = registry.async_get(device_id)
    return device if isinstance(device, DeviceEntry) else None


def device_config_entry_ids(device: DeviceEntry) -> set[str]:
    """Return the ids of the config entries a device belongs to (one since 2026)."""
    if _ONE_ENTRY_PER_DEVICE:
        entry_id: str | None = getattr(device, "config_entry_id")  # noqa: B009
        return set() if entry_id is None else {entry_id}
    return set(device.config_entries)


def with_via_device(info: DeviceInfo, parent: DeviceEntry) -> DeviceInfo:
    """Return ``info`` naming ``parent`` as the device it is connected through."""
    fields = cast(dict[str, Any], info)
    if _VIA_DEVICE_ID:
        fields["via_device_id"] = parent.id
    else:
        fields["via_device"] = next(iter(parent.identifiers))
    return info


async def async_converse(
    hass: HomeAssistant,
    text: str,
    conversation_id: str | None,
    agent_id: str,
    extra_system_prompt: str | None = None,
) -> ConversationResult:
    """Hand ``text`` to a conversation agent and return its result.

    ``extra_system_prompt`` is given to agents that take one (a language model's).

    Everything by keyword: since 2026 a ``satellite_id`` parameter sits before
    ``extra_system_prompt``, so arguments after ``device_id`` moved. Imported here, not at the
    top: the conversation integration is loaded only where the user set one up.
    """
    from homeassistant.components import conversation

    return await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=conversation_id,
        context=Context(),
        agent_id=agent_id,
        extra_system_prompt=extra_system_prompt,
    )
