"""The URL to enter on the gateway: a Nabu Casa cloudhook, else Home Assistant's own address.

The Nabu Casa cloud component is imported inside functions, and only once it is loaded: the
module cannot even be imported where the cloud's requirements are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.translation import async_get_translations

from .const import CONF_PROVIDER, CONF_WEBHOOK_ID, DOMAIN
from .providers import PROVIDERS


@callback
def async_listen_cloud_connected(hass: HomeAssistant, action: Callable[[], None]) -> CALLBACK_TYPE:
    """Call ``action`` each time the Nabu Casa cloud connects; return the unsubscribe callable."""
    if "cloud" not in hass.config.components:
        return lambda: None
    from homeassistant.components import cloud

    @callback
    def _changed(state: cloud.CloudConnectionState) -> None:
        if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
            action()

    return cloud.async_listen_connection_change(hass, _changed)


async def async_webhook_url(hass: HomeAssistant, entry: ConfigEntry) -> str:
    """Return the URL to enter as WebHook URL on the gateway, with the provider's query."""
    query = PROVIDERS[entry.data[CONF_PROVIDER]].webhook_query(entry.data)
    suffix = f"?{query}" if query else ""
    if url := await async_reachable_url(hass, entry):
        return f"{url}{suffix}"
    path = webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])
    translations = await async_get_translations(hass, hass.config.language, "exceptions", {DOMAIN})
    # The hint stands in for the address, so the id stays the last segment of the URL's path.
    hint = translations.get(f"component.{DOMAIN}.exceptions.no_webhook_url.message", "")
    return f"{hint}{path}{suffix}"


async def async_reachable_url(hass: HomeAssistant, entry: ConfigEntry) -> str | None:
    """Return the cloudhook URL, else the URL on Home Assistant's own address, if it has one."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    if "cloud" in hass.config.components:
        from homeassistant.components import cloud

        if cloud.async_active_subscription(hass):
            with suppress(cloud.CloudNotAvailable):
                return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return None


async def async_delete_cloudhook(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the cloudhook of a removed entry, if it has one."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud

    # ValueError: this entry never had a cloudhook.
    with suppress(cloud.CloudNotAvailable, ValueError):
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
