"""The repair issues of an entry: when they are raised and cleared, and their fix flows.

The gateway signing its webhooks with another API key means the key was changed there: the fix
flow asks for the new key and hands it to the entry's re-authentication, which tests it against
the gateway and saves it (the old key keeps verifying webhooks for a while). Going through that
flow keeps one place where a key is checked and stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import RepairsFlowResult, vol
from .const import CONF_API_KEY, DOMAIN
from .webhook_url import async_listen_cloud_connected, async_reachable_url

ISSUE_NOT_HTTPS = "webhook_not_https"
ISSUE_BAD_SIGNATURE = "webhook_bad_signature"

# What the re-authentication can answer; anything else is shown as an unexpected error.
FLOW_ERRORS = frozenset(
    {
        "invalid_auth",
        "cannot_connect",
        "certificate_verify_failed",
        "invalid_response",
        "already_configured",
        "unknown",
    }
)

API_KEY_SCHEMA = vol.Schema(
    {vol.Required(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))}
)


@callback
def async_raise_bad_signature(hass: HomeAssistant, entry: ConfigEntry, count: int) -> None:
    """Ask the user to act: ``count`` webhook requests in a row were wrongly signed.

    Most likely the gateway signs with another API key (it was changed there, not here), and
    every incoming SMS is lost. Forged requests raise it too, which is why its text names both.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        _bad_signature_issue_id(entry),
        is_fixable=True,
        data={"entry_id": entry.entry_id},
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_BAD_SIGNATURE,
        translation_placeholders={"entry_title": entry.title, "count": str(count)},
    )


@callback
def async_clear_bad_signature(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Withdraw the wrong-signature issue: a request was signed right, or the entry unloads."""
    ir.async_delete_issue(hass, DOMAIN, _bad_signature_issue_id(entry))


def _bad_signature_issue_id(entry: ConfigEntry) -> str:
    return f"{ISSUE_BAD_SIGNATURE}_{entry.entry_id}"


@callback
def async_watch_webhook_https(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Keep a repair issue open while the webhook URL is plain HTTP, until unload.

    Checked again when Home Assistant's URLs change and when the cloud connects (a cloudhook is
    HTTPS). Plain HTTP is common and fine on a local network, so the issue is only advice.
    """
    issue_id = f"{ISSUE_NOT_HTTPS}_{entry.entry_id}"

    async def _async_check() -> None:
        url = await async_reachable_url(hass, entry)
        if url is None or (parts := urlsplit(url)).scheme == "https":
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NOT_HTTPS,
            translation_placeholders={
                "entry_title": entry.title,
                "base_url": f"{parts.scheme}://{parts.netloc}",
            },
        )

    @callback
    def _async_schedule_check(*_: object) -> None:
        entry.async_create_background_task(hass, _async_check(), f"{DOMAIN} webhook URL check")

    _async_schedule_check()
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _async_schedule_check))
    entry.async_on_unload(async_listen_cloud_connected(hass, _async_schedule_check))
    entry.async_on_unload(lambda: ir.async_delete_issue(hass, DOMAIN, issue_id))


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of a fixable issue."""
    if issue_id.startswith(f"{ISSUE_BAD_SIGNATURE}_") and data and data.get("entry_id"):
        return NewApiKeyFlow(str(data["entry_id"]))
    raise data_entry_flow.UnknownHandler


class NewApiKeyFlow(RepairsFlow):
    """Take the API key the gateway now signs with, test it and save it."""

    def __init__(self, entry_id: str) -> None:
        """Fix the issue of one entry."""
        super().__init__()
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start with the key."""
        return await self.async_step_api_key()

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask for the new key; save it once the gateway accepts it."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            if (error := await self._async_reauthenticate(entry, user_input[CONF_API_KEY])) is None:
                return self.async_create_entry(data={})
            errors["base"] = error
        return self.async_show_form(
            step_id="api_key",
            data_schema=API_KEY_SCHEMA,
            errors=errors,
            description_placeholders={"entry_title": entry.title},
        )

    async def _async_reauthenticate(self, entry: ConfigEntry[Any], api_key: str) -> str | None:
        """Run the entry's re-authentication with ``api_key``; return its error, or None."""
        flows = self.hass.config_entries.flow
        result = await flows.async_init(
            DOMAIN,
            context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
            data=dict(entry.data),
        )
        if result["type"] is not data_entry_flow.FlowResultType.FORM:
            return _known(result.get("reason"))
        result = await flows.async_configure(result["flow_id"], {CONF_API_KEY: api_key})
        if result["type"] is data_entry_flow.FlowResultType.ABORT:
            reason = result.get("reason")
            return None if reason == "reauth_successful" else _known(reason)
        flows.async_abort(result["flow_id"])
        return _known(next(iter((result.get("errors") or {}).values()), None))


def _known(error: object) -> str:
    """Return the error as one the fix flow has a text for."""
    return error if isinstance(error, str) and error in FLOW_ERRORS else "unknown"
