"""Config flow for SMS Bridge: the provider and its connection, reauth and reconfigure.

Each provider has its own three steps, named after its key (``sms_gateway``,
``sms_gateway_reauth``, ``sms_gateway_reconfigure``), so that each has its own texts; they are
made from the provider descriptors when this module loads (``add_provider_steps``) and ask the
fields each descriptor declares. The options are in ``options_flow``, the contacts in
``contact_flow``, and the connection test in ``connection_check``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.webhook import async_generate_id
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .compat import shows_advanced_options, vol
from .connection_check import ConnectionCheckError, async_check_connection, url_fields
from .const import CONF_PROVIDER, CONF_WEBHOOK_ID, DOMAIN
from .contact_flow import ContactSubentryFlow
from .contacts import SUBENTRY_TYPE_CONTACT
from .options_flow import SmsBridgeOptionsFlow
from .providers import PROVIDERS, ConfigField, Provider, field_selector


def reauth_step(provider: Provider) -> str:
    """Return the id of the provider's reauth form."""
    return f"{provider.key}_reauth"


def reconfigure_step(provider: Provider) -> str:
    """Return the id of the provider's reconfigure form."""
    return f"{provider.key}_reconfigure"


def _fields_schema(fields: tuple[ConfigField, ...], *, keep_secrets: bool = False) -> vol.Schema:
    """Return the form asking ``fields``; with ``keep_secrets`` a secret may be left empty."""
    schema: dict[vol.Marker, Selector[Any]] = {}
    for field in fields:
        default = vol.UNDEFINED if field.default is None else field.default
        if field.required and not (keep_secrets and field.secret):
            marker: vol.Marker = vol.Required(field.key, default=default)
        else:
            marker = vol.Optional(field.key, default=default)
        schema[marker] = field_selector(field)
    return vol.Schema(schema)


def _credentials_schema(fields: tuple[ConfigField, ...]) -> vol.Schema:
    """Return the connection fields and, last, the name (empty: the provider's default)."""
    return _fields_schema(fields).extend({vol.Optional(CONF_NAME): TextSelector()})


def _reconfigured(
    shown: tuple[ConfigField, ...], stored: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the entry's data changed by the form: a field left out is cleared, a secret kept.

    Stored data the form did not show (the webhook id, a token, a replaced key, an advanced
    field outside advanced mode) stays as it is.
    """
    data = {**stored, **user_input}
    for field in shown:
        if field.key not in user_input or (field.secret and not user_input[field.key]):
            data.pop(field.key, None)
            if field.secret and field.key in stored:
                data[field.key] = stored[field.key]
    return data


def _without_secrets(provider: Provider, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stored data the form may show: secrets are never sent to the browser."""
    return {key: value for key, value in data.items() if key not in provider.secrets}


class SmsBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an SMS gateway account.

    The user step picks the provider; its credentials step, whose id is the provider's key
    (so each provider has its own texts), asks the fields its descriptor declares.
    """

    VERSION = 1
    # 2: numbers stored in E.164 form where they have one (see migrate.py).
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmsBridgeOptionsFlow:
        """Return the options flow."""
        return SmsBridgeOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentries an entry can have: its contacts."""
        return {SUBENTRY_TYPE_CONTACT: ContactSubentryFlow}

    def _shown(self, fields: tuple[ConfigField, ...]) -> tuple[ConfigField, ...]:
        """Return the fields the form shows: advanced ones only in the user's advanced mode."""
        advanced = shows_advanced_options(self)
        return tuple(field for field in fields if advanced or not field.advanced)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user choose the provider."""
        if user_input is not None:
            return await self._async_step_credentials(PROVIDERS[user_input[CONF_PROVIDER]], None)
        options = [
            SelectOptionDict(value=provider.key, label=provider.name)
            for provider in PROVIDERS.values()
        ]
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                    )
                }
            ),
        )

    async def _async_step_credentials(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask the provider's connection fields and test them (the provider's own step)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: provider.key, **user_input}
            name = data.pop(CONF_NAME, "").strip()
            if unique_id := await self._async_check(provider, data, errors):
                await self.async_set_unique_id(unique_id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=name or self._default_title(provider, data),
                    data={**data, CONF_WEBHOOK_ID: async_generate_id()},
                )
        # After an error the form shows what was typed, secrets included: they came from
        # this browser, and retyping a long key is how typos get in.
        return self.async_show_form(
            step_id=provider.key,
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(self._shown(provider.fields)), user_input or {}
            ),
            errors=errors,
            description_placeholders=provider.examples,
        )

    def _default_title(self, provider: Provider, data: Mapping[str, Any]) -> str:
        """Return the provider's short title, with the host when another entry already has it."""
        title = provider.title(data)
        taken = {entry.title for entry in self._async_current_entries(include_ignore=False)}
        if title in taken:
            for key in url_fields(provider, data):
                if host := urlsplit(data[key]).hostname:
                    return f"{title} ({host})"
        return title

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the provider rejected the credentials."""
        provider = PROVIDERS[self._get_reauth_entry().data[CONF_PROVIDER]]
        return await self._async_step_reauth_fields(provider, None)

    async def _async_step_reauth_fields(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask the fields the provider asks again (its secrets) and test them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if unique_id := await self._async_check(provider, data, errors):
                return self._async_update_connection(provider, entry, unique_id, data)
        return self.async_show_form(
            step_id=reauth_step(provider),
            data_schema=_fields_schema(self._shown(provider.reauth_fields)),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start changing the connection of an entry, in its provider's own form."""
        provider = PROVIDERS[self._get_reconfigure_entry().data[CONF_PROVIDER]]
        return await self._async_step_reconfigure_fields(provider, None)

    async def _async_step_reconfigure_fields(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the connection; a secret left empty keeps the current one."""
        entry = self._get_reconfigure_entry()
        shown = self._shown(provider.fields)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _reconfigured(shown, entry.data, user_input)
            if unique_id := await self._async_check(provider, data, errors):
                return self._async_update_connection(provider, entry, unique_id, data)
        return self.async_show_form(
            step_id=reconfigure_step(provider),
            data_schema=self.add_suggested_values_to_schema(
                _fields_schema(shown, keep_secrets=True),
                user_input or _without_secrets(provider, entry.data),
            ),
            errors=errors,
            description_placeholders={"name": entry.title, **provider.examples},
        )

    async def _async_check(
        self, provider: Provider, data: dict[str, Any], errors: dict[str, str]
    ) -> str | None:
        """Check ``data`` (normalised in place); return the unique id, or fill ``errors``."""
        try:
            return await async_check_connection(self.hass, provider, data)
        except ConnectionCheckError as err:
            errors.update(err.errors)
            return None

    def _async_update_connection(
        self, provider: Provider, entry: ConfigEntry, unique_id: str, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Save tested connection data, as the provider keeps it when credentials change."""
        if provider.account_bound and entry.unique_id not in (None, unique_id):
            return self.async_abort(reason="wrong_account")
        other = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
        if other is not None and other.entry_id != entry.entry_id:
            return self.async_abort(reason="already_configured")
        data = provider.replace_credentials(entry.data, data)
        reloads_itself = entry.state is ConfigEntryState.LOADED and data != entry.data
        self.hass.config_entries.async_update_entry(entry, unique_id=unique_id, data=data)
        if not reloads_itself:
            # A loaded entry's update listener reloads it on a change; the flow does the rest.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        )


type _SharedStep = Callable[
    [SmsBridgeConfigFlow, Provider, dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]
]


def add_provider_steps(provider_key: str) -> list[str]:
    """Give the flow the provider's own three steps, which Home Assistant calls by their ids.

    Each one runs the shared step for that provider: its credentials, its reauth, its
    reconfigure form. Returns the names of the methods added.
    """
    shared: dict[str, _SharedStep] = {
        provider_key: SmsBridgeConfigFlow._async_step_credentials,
        f"{provider_key}_reauth": SmsBridgeConfigFlow._async_step_reauth_fields,
        f"{provider_key}_reconfigure": SmsBridgeConfigFlow._async_step_reconfigure_fields,
    }
    if taken := [
        step_id for step_id in shared if hasattr(SmsBridgeConfigFlow, f"async_step_{step_id}")
    ]:
        raise ValueError(f"Provider {provider_key!r} would replace the steps {taken}")
    for step_id, step in shared.items():

        async def provider_step(
            self: SmsBridgeConfigFlow,
            user_input: dict[str, Any] | None = None,
            step: _SharedStep = step,
        ) -> ConfigFlowResult:
            return await step(self, PROVIDERS[provider_key], user_input)

        provider_step.__name__ = f"async_step_{step_id}"
        setattr(SmsBridgeConfigFlow, provider_step.__name__, provider_step)
    return [f"async_step_{step_id}" for step_id in shared]


for _key in PROVIDERS:
    add_provider_steps(_key)
