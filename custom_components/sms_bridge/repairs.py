"""The repair issues of an entry: when they are raised and cleared, and their fix flows.

Webhook requests refused in a row mean lost incoming SMS, and what the user can do depends on
what proves a request authentic (the provider's ``webhook_auth``):

* a key the user entered (RBSoft): the gateway signs with another key, changed there. The fix
  flow asks for that provider's key fields and hands them to the entry's re-authentication,
  which tests and saves them (keeping one place where a key is checked and stored);
* a secret SMS Bridge made, carried by the callback URL (SMSC): the URL set at the provider is
  not the entry's; there is nothing to type, so the issue says where to copy the URL from;
* nothing (SemySMS, SmsGateway24): the requests name phones that are not the account's; the
  issue names them and offers no key change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .compat import RepairsFlowResult, vol
from .const import CONF_PROVIDER, DOMAIN
from .providers import PROVIDERS, Provider, WebhookAuth, field_selector
from .webhook_url import async_listen_cloud_connected, async_reachable_url

ISSUE_NOT_HTTPS = "webhook_not_https"
ISSUE_BAD_SIGNATURE = "webhook_bad_signature"
ISSUE_BAD_CALLBACK_HASH = "webhook_bad_callback_hash"
ISSUE_UNKNOWN_PHONE = "webhook_unknown_phone"
_REFUSAL_ISSUES = {
    WebhookAuth.KEY: ISSUE_BAD_SIGNATURE,
    WebhookAuth.GENERATED: ISSUE_BAD_CALLBACK_HASH,
    WebhookAuth.NONE: ISSUE_UNKNOWN_PHONE,
}
MAX_PHONES_NAMED = 5  # unknown phone ids the issue names; a flood of guesses names no more
MAX_PHONE_ID_SHOWN = 20  # characters of each

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


def _provider(entry: ConfigEntry) -> Provider:
    return PROVIDERS[entry.data[CONF_PROVIDER]]


@callback
def async_raise_refused_webhooks(
    hass: HomeAssistant, entry: ConfigEntry, count: int, phones: Sequence[str]
) -> None:
    """Tell the user that ``count`` webhook requests in a row were refused, as they can act.

    ``phones`` are the phone ids the refused requests named, for a provider that signs nothing.
    Forged requests raise these issues too, which is why their texts name both causes.
    """
    auth = _provider(entry).webhook_auth
    placeholders = {"entry_title": entry.title, "count": str(count)}
    if auth is WebhookAuth.NONE:
        named = [repr(phone[:MAX_PHONE_ID_SHOWN]) for phone in phones[:MAX_PHONES_NAMED]]
        placeholders["phones"] = ", ".join(named) or "—"
    ir.async_create_issue(
        hass,
        DOMAIN,
        _refusal_issue_id(entry, auth),
        is_fixable=auth is WebhookAuth.KEY,
        data={"entry_id": entry.entry_id},
        severity=ir.IssueSeverity.ERROR,
        translation_key=_REFUSAL_ISSUES[auth],
        translation_placeholders=placeholders,
    )


@callback
def async_clear_refused_webhooks(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Withdraw the refused-webhooks issue: a request was accepted, or the entry unloads."""
    ir.async_delete_issue(hass, DOMAIN, _refusal_issue_id(entry, _provider(entry).webhook_auth))


def _refusal_issue_id(entry: ConfigEntry, auth: WebhookAuth) -> str:
    return f"{_REFUSAL_ISSUES[auth]}_{entry.entry_id}"


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
        return NewSigningKeyFlow(str(data["entry_id"]))
    raise data_entry_flow.UnknownHandler


class NewSigningKeyFlow(RepairsFlow):
    """Take the key the gateway now signs with, test it and save it.

    The form asks the provider's own key fields (those its re-authentication asks).
    """

    def __init__(self, entry_id: str) -> None:
        """Fix the issue of one entry."""
        super().__init__()
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start with the key (the issue's data, which the flow starts with, is not it)."""
        return await self.async_step_new_key()

    async def async_step_new_key(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask for the key; save it once the gateway accepts it."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            if (error := await self._async_reauthenticate(entry, user_input)) is None:
                return self.async_create_entry(data={})
            errors["base"] = error
        return self.async_show_form(
            step_id="new_key",
            data_schema=vol.Schema(
                {
                    vol.Required(field.key): field_selector(field)
                    for field in _provider(entry).reauth_fields
                }
            ),
            errors=errors,
            description_placeholders={"entry_title": entry.title},
        )

    async def _async_reauthenticate(
        self, entry: ConfigEntry[Any], user_input: dict[str, Any]
    ) -> str | None:
        """Run the entry's re-authentication with the new key; return its error, or None."""
        flows = self.hass.config_entries.flow
        result = await flows.async_init(
            DOMAIN,
            context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
            data=dict(entry.data),
        )
        if result["type"] is not data_entry_flow.FlowResultType.FORM:
            return _known(result.get("reason"))
        result = await flows.async_configure(result["flow_id"], user_input)
        if result["type"] is data_entry_flow.FlowResultType.ABORT:
            reason = result.get("reason")
            return None if reason == "reauth_successful" else _known(reason)
        flows.async_abort(result["flow_id"])
        return _known(next(iter((result.get("errors") or {}).values()), None))


def _known(error: object) -> str:
    """Return the error as one the fix flow has a text for."""
    return error if isinstance(error, str) and error in FLOW_ERRORS else "unknown"
