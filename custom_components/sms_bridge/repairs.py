"""Fix flows of the repair issues.

The gateway signing its webhooks with another API key means the key was changed there: the fix
flow asks for the new key and hands it to the entry's re-authentication, which tests it against
the gateway and saves it (the old key keeps verifying webhooks for a while). Going through that
flow keeps one place where a key is checked and stored.
"""

from __future__ import annotations

from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import RepairsFlowResult, vol
from .const import CONF_API_KEY, DOMAIN
from .webhook import ISSUE_BAD_SIGNATURE

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
