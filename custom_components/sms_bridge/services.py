"""The sms_bridge.* actions."""

from __future__ import annotations

from typing import cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import DOMAIN
from .data import SmsBridgeConfigEntry
from .send import ATTR_MESSAGE, ATTR_RECIPIENTS, SEND_OPTIONS, async_send

SERVICE_SEND_MESSAGE = "send_message"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"  # not in homeassistant.const before 2025.5

SEND_MESSAGE_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_RECIPIENTS): vol.All(cv.ensure_list_csv, [cv.string]),
        vol.Required(ATTR_MESSAGE): cv.string,
        **SEND_OPTIONS,
    }
)


@callback
def async_get_entry(hass: HomeAssistant, entry_id: str | None) -> SmsBridgeConfigEntry:
    """Return the loaded entry an action is for; without an id, the only loaded one."""
    if entry_id is None:
        loaded = hass.config_entries.async_loaded_entries(DOMAIN)
        if not loaded:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_loaded_entry"
            )
        if len(loaded) > 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="entry_required"
            )
        return cast(SmsBridgeConfigEntry, loaded[0])
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_title": entry.title},
        )
    return cast(SmsBridgeConfigEntry, entry)


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    entry = async_get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    response = await async_send(
        call.hass, entry, call.data.get(ATTR_RECIPIENTS), call.data[ATTR_MESSAGE], call.data
    )
    return response if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; they are available as soon as the integration is set up."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
