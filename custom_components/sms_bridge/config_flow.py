"""Config flow for SMS Bridge: provider and connection, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.webhook import async_generate_id
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_NAME, UnitOfTime
from homeassistant.core import callback
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util

from .api import (
    PROVIDERS,
    Capability,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayResponseError,
    Phone,
    create_gateway,
)
from .api.text import clean_number
from .compat import vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_ALLOWED_RECIPIENTS,
    CONF_API_KEY,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    CONF_OUTBOX_TTL,
    CONF_PREVIOUS_API_KEY,
    CONF_PREVIOUS_API_KEY_EXPIRES,
    CONF_PROVIDER,
    CONF_SEND_SAFETY,
    CONF_UPDATE_INTERVAL,
    CONF_URL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
    DEFAULT_MAX_PER_DAY,
    DEFAULT_MAX_PER_MINUTE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_UPDATE_INTERVAL,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    KEY_ROTATION_GRACE,
    LOGGER,
    MAX_OUTBOX_TTL_MINUTES,
    MAX_PER_DAY_LIMIT,
    MAX_PER_MINUTE_LIMIT,
    MAX_UPDATE_INTERVAL_SECONDS,
    MIN_OUTBOX_TTL_MINUTES,
    MIN_UPDATE_INTERVAL_SECONDS,
)
from .webhook import async_webhook_url

FIELD_SELECTORS = {
    CONF_NAME: TextSelector(),
    CONF_URL: TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
    CONF_API_KEY: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
    CONF_VERIFY_SSL: BooleanSelector(),
}
FIELD_DEFAULTS: dict[str, Any] = {CONF_VERIFY_SSL: DEFAULT_VERIFY_SSL}
API_KEY_SCHEMA = vol.Schema({vol.Required(CONF_API_KEY): FIELD_SELECTORS[CONF_API_KEY]})


def _fields_schema(provider: str, *, optional: tuple[str, ...] = ()) -> vol.Schema:
    """Return the provider's connection fields; those in ``optional`` may be left empty."""
    return vol.Schema(
        {
            (
                vol.Optional(field)
                if field in optional
                else vol.Required(field, default=FIELD_DEFAULTS.get(field, vol.UNDEFINED))
            ): FIELD_SELECTORS[field]
            for field in PROVIDERS[provider].fields
        }
    )


def _credentials_schema(provider: str) -> vol.Schema:
    """Return the connection fields and, last, the name (empty: one made from the URL)."""
    return _fields_schema(provider).extend({vol.Optional(CONF_NAME): FIELD_SELECTORS[CONF_NAME]})


def _normalize(provider: str, url: str) -> str | None:
    """Return the gateway's base URL, or None when it is not a plain HTTP(S) URL.

    A bare host ("sms.example.com") gets https://; a plain-HTTP server must be typed
    with its scheme, so that an API key is never sent in clear text by accident.
    Credentials in the URL are refused: the URL ends up in the unique id of the entry.
    """
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    url = PROVIDERS[provider].base_url(url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        return None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == 0
        or "@" in parts.netloc
    ):
        return None
    return url


def _without_secrets(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stored data the form may show: the current key is never sent to the browser."""
    return {key: value for key, value in data.items() if key != CONF_API_KEY}


class SmsBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an SMS gateway account."""

    VERSION = 1

    _provider: str

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmsBridgeOptionsFlow:
        """Return the options flow."""
        return SmsBridgeOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user choose the provider."""
        if user_input is not None:
            self._provider = user_input[CONF_PROVIDER]
            return await self.async_step_credentials()
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

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the provider's connection fields and test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: self._provider, **user_input}
            name = data.pop(CONF_NAME, "").strip()
            if account_id := await self._async_validate(data, errors):
                await self.async_set_unique_id(account_id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=name or self._default_title(data),
                    data={**data, CONF_WEBHOOK_ID: async_generate_id()},
                )
        # After an error the form shows what was typed, the API key included: it came
        # from this browser, and retyping a long key is how typos get in.
        return self.async_show_form(
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(self._provider), user_input or {}
            ),
            errors=errors,
        )

    def _default_title(self, data: Mapping[str, Any]) -> str:
        """Return the provider's short title, with the host when another entry already has it."""
        title = PROVIDERS[self._provider].title(data)
        taken = {entry.title for entry in self._async_current_entries(include_ignore=False)}
        if title in taken and (host := urlsplit(data.get(CONF_URL, "")).hostname):
            return f"{title} ({host})"
        return title

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the gateway rejected the API key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask a new API key and test it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY]}
            if account_id := await self._async_validate(data, errors):
                return self._async_update_connection(entry, account_id, data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=API_KEY_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the connection of an entry; an empty API key keeps the current one."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if not user_input.get(CONF_API_KEY):
                data[CONF_API_KEY] = entry.data[CONF_API_KEY]
            if account_id := await self._async_validate(data, errors):
                return self._async_update_connection(entry, account_id, data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _fields_schema(entry.data[CONF_PROVIDER], optional=(CONF_API_KEY,)),
                user_input or _without_secrets(entry.data),
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def _async_validate(self, data: dict[str, Any], errors: dict[str, str]) -> str | None:
        """Normalise ``data`` in place and test it; return the account id, or fill ``errors``."""
        https_assumed = CONF_URL in data and "://" not in data[CONF_URL]
        if CONF_URL in data:
            if (url := _normalize(data[CONF_PROVIDER], data[CONF_URL])) is None:
                errors[CONF_URL] = "invalid_url"
                return None
            data[CONF_URL] = url
        session = async_get_clientsession(
            self.hass, verify_ssl=data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)
        )
        gateway = create_gateway(session, data[CONF_PROVIDER], data)
        try:
            if Capability.PHONES in gateway.capabilities:
                await gateway.phones()
            if Capability.CREDITS in gateway.capabilities:
                await gateway.account()
        except GatewayAuthenticationError:
            errors["base"] = "invalid_auth"
        except GatewayResponseError:
            errors["base"] = "invalid_response"
        except GatewayCertificateError:
            errors["base"] = "certificate_verify_failed"
        except (GatewayConnectionError, GatewayApiError):
            errors["base"] = "cannot_connect"
        except Exception:
            LOGGER.exception("Unexpected error while testing the gateway")
            errors["base"] = "unknown"
        else:
            return gateway.account_id
        if errors["base"] == "cannot_connect" and https_assumed:
            # https:// was only assumed: the server may well speak plain HTTP, so say so. A
            # certificate error stays as it is: that server does speak HTTPS.
            errors["base"] = "cannot_connect_https"
        return None

    def _async_update_connection(
        self, entry: ConfigEntry, account_id: str, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Save tested connection data; a replaced key keeps verifying webhooks for a while."""
        other = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, account_id)
        if other is not None and other.entry_id != entry.entry_id:
            return self.async_abort(reason="already_configured")
        if data[CONF_API_KEY] != entry.data[CONF_API_KEY]:
            data[CONF_PREVIOUS_API_KEY] = entry.data[CONF_API_KEY]
            data[CONF_PREVIOUS_API_KEY_EXPIRES] = (
                dt_util.utcnow() + KEY_ROTATION_GRACE
            ).isoformat()
        reloads_itself = entry.state is ConfigEntryState.LOADED and data != entry.data
        self.hass.config_entries.async_update_entry(entry, unique_id=account_id, data=data)
        if not reloads_itself:
            # A loaded entry's update listener reloads it on a change; the flow does the rest.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        )


class SmsBridgeOptionsFlow(OptionsFlow):
    """Change polling and the defaults of the send actions.

    The entry's update listener reloads it when the options change.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            recipients = _clean_numbers(user_input.get(CONF_DEFAULT_RECIPIENTS, []))
            if recipients is None:
                errors[CONF_DEFAULT_RECIPIENTS] = "invalid_number"
            safety = _send_safety_options(user_input.get(CONF_SEND_SAFETY, {}))
            if safety is None:
                errors[CONF_ALLOWED_RECIPIENTS] = "invalid_allowed_number"
            if recipients is not None and safety is not None:
                return self.async_create_entry(data=_options(user_input, recipients) | safety)
        suggested = user_input or _suggested(self.config_entry.options)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
            description_placeholders={
                "webhook_url": await async_webhook_url(self.hass, self.config_entry)
            },
        )

    def _schema(self) -> vol.Schema:
        entry = self.config_entry
        phones: dict[str, Phone] = (
            entry.runtime_data.coordinator.data.phones
            if entry.state is ConfigEntryState.LOADED
            else {}
        )
        phone_options = [
            SelectOptionDict(value=phone.id, label=phone.display_name) for phone in phones.values()
        ]
        # Keep a default phone the gateway no longer lists (or that is unknown while the
        # entry is not loaded) selectable, so saving other options does not drop it.
        current = entry.options.get(CONF_DEFAULT_PHONE)
        if current is not None and current not in phones:
            phone_options.append(SelectOptionDict(value=current, label=current))
        sim_count = max([2, *(sim.number for phone in phones.values() for sim in phone.sims)])
        return vol.Schema(
            {
                vol.Required(
                    CONF_UPDATE_INTERVAL, default=int(DEFAULT_UPDATE_INTERVAL.total_seconds())
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_UPDATE_INTERVAL_SECONDS,
                        max=MAX_UPDATE_INTERVAL_SECONDS,
                        step=1,
                        unit_of_measurement=UnitOfTime.SECONDS,
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Optional(CONF_DEFAULT_PHONE): SelectSelector(
                    SelectSelectorConfig(options=phone_options, mode=SelectSelectorMode.DROPDOWN)
                ),
                vol.Optional(CONF_DEFAULT_SIM): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(number) for number in range(1, sim_count + 1)],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_DEFAULT_RECIPIENTS): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
                ),
                vol.Required(
                    CONF_OUTBOX_TTL, default=int(DEFAULT_OUTBOX_TTL.total_seconds() // 60)
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_OUTBOX_TTL_MINUTES,
                        max=MAX_OUTBOX_TTL_MINUTES,
                        step=1,
                        unit_of_measurement=UnitOfTime.MINUTES,
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Optional(CONF_SEND_SAFETY): section(
                    SEND_SAFETY_SCHEMA, SectionConfig(collapsed=True)
                ),
            }
        )


def _clean_numbers(numbers: list[str]) -> list[str] | None:
    """Return the numbers without separators, skipping blank ones; None if one is not dialable."""
    cleaned: list[str] = []
    for number in numbers:
        if not number.strip():
            continue
        if (value := clean_number(number)) is None:
            return None
        cleaned.append(value)
    return cleaned


def _options(user_input: Mapping[str, Any], recipients: list[str]) -> dict[str, Any]:
    """Return the options to store: whole seconds, the SIM as a number, cleaned numbers."""
    options: dict[str, Any] = {CONF_UPDATE_INTERVAL: int(user_input[CONF_UPDATE_INTERVAL])}
    if phone := user_input.get(CONF_DEFAULT_PHONE):
        options[CONF_DEFAULT_PHONE] = phone
    if sim := user_input.get(CONF_DEFAULT_SIM):
        options[CONF_DEFAULT_SIM] = int(sim)
    if recipients:
        options[CONF_DEFAULT_RECIPIENTS] = recipients
    if (ttl := user_input.get(CONF_OUTBOX_TTL)) is not None:
        options[CONF_OUTBOX_TTL] = int(ttl)
    return options


def _suggested(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stored options as the form shows them."""
    suggested = {key: value for key, value in options.items() if key not in SEND_SAFETY_KEYS}
    suggested[CONF_SEND_SAFETY] = {
        key: value for key, value in options.items() if key in SEND_SAFETY_KEYS
    }
    if CONF_DEFAULT_SIM in options:
        suggested[CONF_DEFAULT_SIM] = str(options[CONF_DEFAULT_SIM])
    return suggested


# -- send limits and safety: a section of the form, stored flat with the other options --------

_MESSAGES = "messages"
SEND_SAFETY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_MAX_PER_MINUTE, default=DEFAULT_MAX_PER_MINUTE): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_PER_MINUTE_LIMIT,
                step=1,
                unit_of_measurement=_MESSAGES,
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_MAX_PER_DAY, default=DEFAULT_MAX_PER_DAY): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_PER_DAY_LIMIT,
                step=1,
                unit_of_measurement=_MESSAGES,
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Optional(CONF_ALLOWED_RECIPIENTS): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
        ),
        vol.Required(CONF_ALLOW_HTTP_ATTACHMENTS, default=False): BooleanSelector(),
    }
)
SEND_SAFETY_KEYS = frozenset(str(key) for key in SEND_SAFETY_SCHEMA.schema)


def _send_safety_options(user_input: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the options of the section to store, or None if an allowed number is not dialable.

    Input without the section (a client that does not show it) stores none: the defaults apply.
    """
    if not user_input:
        return {}
    allowed = _clean_numbers(user_input.get(CONF_ALLOWED_RECIPIENTS, []))
    if allowed is None:
        return None
    options: dict[str, Any] = {
        CONF_MAX_PER_MINUTE: int(user_input[CONF_MAX_PER_MINUTE]),
        CONF_MAX_PER_DAY: int(user_input[CONF_MAX_PER_DAY]),
        CONF_ALLOW_HTTP_ATTACHMENTS: bool(user_input[CONF_ALLOW_HTTP_ATTACHMENTS]),
    }
    if allowed:
        options[CONF_ALLOWED_RECIPIENTS] = allowed
    return options
