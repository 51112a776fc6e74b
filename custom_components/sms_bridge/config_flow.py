"""Config flow for SMS Bridge: provider and connection, reauth, reconfigure and options."""

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
    OptionsFlow,
)
from homeassistant.const import CONF_NAME, UnitOfTime
from homeassistant.core import callback
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    PROVIDERS,
    Capability,
    ConfigField,
    FieldKind,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayResponseError,
    Phone,
    Provider,
    create_gateway,
)
from .api.text import clean_number
from .compat import shows_advanced_options, vol
from .const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_ALLOWED_RECIPIENTS,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_CONTACTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    CONF_NEW_CALLBACK_SECRET,
    CONF_OUTBOX_TTL,
    CONF_PROVIDER,
    CONF_SEND_SAFETY,
    CONF_SENDER_ID,
    CONF_UPDATE_INTERVAL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
    DEFAULT_ASSIST_AGENT,
    DEFAULT_MAX_PER_DAY,
    DEFAULT_MAX_PER_MINUTE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_UPDATE_INTERVAL,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    LOGGER,
    MAX_OUTBOX_TTL_MINUTES,
    MAX_PER_DAY_LIMIT,
    MAX_PER_MINUTE_LIMIT,
    MAX_UPDATE_INTERVAL_SECONDS,
    MIN_OUTBOX_TTL_MINUTES,
    MIN_UPDATE_INTERVAL_SECONDS,
)
from .contact_flow import ContactSubentryFlow
from .contacts import SUBENTRY_TYPE_CONTACT, ContactBook
from .incoming_mode import (
    CONF_INCOMING_MODE,
    DEFAULT_INCOMING_MODE,
    IncomingMode,
    offers_choice,
)
from .webhook_url import async_webhook_url

STEP_PREFIX = "async_step_"

type _ProviderStep = Callable[
    [Provider, dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]
]


def reauth_step(provider: Provider) -> str:
    """Return the id of the provider's reauth form."""
    return f"{provider.key}_reauth"


def reconfigure_step(provider: Provider) -> str:
    """Return the id of the provider's reconfigure form."""
    return f"{provider.key}_reconfigure"


_TEXT_TYPES = {
    FieldKind.URL: TextSelectorType.URL,
    FieldKind.TEXT: TextSelectorType.TEXT,
    FieldKind.EMAIL: TextSelectorType.EMAIL,
    FieldKind.PASSWORD: TextSelectorType.PASSWORD,
}


def field_selector(field: ConfigField) -> Selector[Any]:
    """Return how the form asks for a field: a secret is masked whatever text it holds."""
    if field.kind is FieldKind.BOOLEAN:
        return BooleanSelector()
    if field.kind is FieldKind.SELECT:
        return SelectSelector(
            SelectSelectorConfig(
                options=list(field.options),
                mode=SelectSelectorMode.DROPDOWN,
                custom_value=field.custom_value,
            )
        )
    text_type = TextSelectorType.PASSWORD if field.secret else _TEXT_TYPES[field.kind]
    return TextSelector(TextSelectorConfig(type=text_type))


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


def _normalize(provider: Provider, url: str) -> str | None:
    """Return the server's base URL, or None when it is not a plain HTTP(S) URL.

    A bare host ("sms.example.com") gets https://; a plain-HTTP server must be typed
    with its scheme, so that credentials are never sent in clear text by accident.
    Credentials in the URL are refused: the URL may end up in the unique id of the entry.
    """
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    url = provider.base_url(url)
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


def _urls(provider: Provider, data: Mapping[str, Any]) -> list[str]:
    """Return the keys of the provider's URL fields filled in ``data``."""
    urls = [field.key for field in provider.fields if field.kind is FieldKind.URL]
    return [key for key in urls if data.get(key)]


def _typed_hosts(provider: Provider, data: Mapping[str, Any]) -> list[str]:
    """Return the keys of select fields holding a typed value instead of one of their options.

    Such a value names a server (a host of the service, a white label): it must be one.
    """
    return [
        field.key
        for field in provider.fields
        if field.custom_value and data.get(field.key) and data[field.key] not in field.options
    ]


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

    def __getattr__(
        self, name: str
    ) -> Callable[[dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]]:
        """Return a provider's own step: its credentials, its reauth or its reconfigure form.

        Steps are named after the provider's key (``sms_gateway``, ``sms_gateway_reauth``,
        ``sms_gateway_reconfigure``), so each provider has its own texts for each form.
        """
        step_name = name.removeprefix(STEP_PREFIX) if name.startswith(STEP_PREFIX) else None
        for provider in PROVIDERS.values() if step_name else ():
            handler = {
                provider.key: self._async_step_credentials,
                reauth_step(provider): self._async_step_reauth,
                reconfigure_step(provider): self._async_step_reconfigure,
            }.get(step_name or "")
            if handler is None:
                continue

            async def step(
                user_input: dict[str, Any] | None = None,
                handler: _ProviderStep = handler,
                provider: Provider = provider,
            ) -> ConfigFlowResult:
                return await handler(provider, user_input)

            return step
        raise AttributeError(name)

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
        """Ask the provider's connection fields and test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: provider.key, **user_input}
            name = data.pop(CONF_NAME, "").strip()
            if unique_id := await self._async_validate(provider, data, errors):
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
        )

    def _default_title(self, provider: Provider, data: Mapping[str, Any]) -> str:
        """Return the provider's short title, with the host when another entry already has it."""
        title = provider.title(data)
        taken = {entry.title for entry in self._async_current_entries(include_ignore=False)}
        if title in taken:
            for key in _urls(provider, data):
                if host := urlsplit(data[key]).hostname:
                    return f"{title} ({host})"
        return title

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the provider rejected the credentials."""
        provider = PROVIDERS[self._get_reauth_entry().data[CONF_PROVIDER]]
        return await self._async_step_reauth(provider, None)

    async def _async_step_reauth(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask the fields the provider asks again (its secrets) and test them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if unique_id := await self._async_validate(provider, data, errors):
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
        return await self._async_step_reconfigure(provider, None)

    async def _async_step_reconfigure(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the connection; a secret left empty keeps the current one."""
        entry = self._get_reconfigure_entry()
        shown = self._shown(provider.fields)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _reconfigured(shown, entry.data, user_input)
            if unique_id := await self._async_validate(provider, data, errors):
                return self._async_update_connection(provider, entry, unique_id, data)
        return self.async_show_form(
            step_id=reconfigure_step(provider),
            data_schema=self.add_suggested_values_to_schema(
                _fields_schema(shown, keep_secrets=True),
                user_input or _without_secrets(provider, entry.data),
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def _async_validate(
        self, provider: Provider, data: dict[str, Any], errors: dict[str, str]
    ) -> str | None:
        """Normalise ``data`` in place and test it; return the unique id, or fill ``errors``."""
        if error := provider.check(data):
            errors["base"] = error
            return None
        https_assumed = False
        for key in _urls(provider, data):
            https_assumed |= "://" not in data[key]
            if (url := _normalize(provider, data[key])) is None:
                errors[key] = "invalid_url"
                return None
            data[key] = url
        for key in _typed_hosts(provider, data):
            data[key] = data[key].strip()
            https_assumed |= "://" not in data[key]
            if _normalize(provider, data[key]) is None:
                errors[key] = "invalid_url"
                return None
        for key, generate in provider.generated_secrets.items():
            if not data.get(key):
                data[key] = generate()
        session = async_get_clientsession(
            self.hass, verify_ssl=data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)
        )
        # Without what was stored from before (a token): the test proves the typed credentials.
        tested = {key: value for key, value in data.items() if key not in provider.stored_secrets}
        gateway = create_gateway(session, provider.key, tested)
        try:
            if Capability.PHONES in gateway.capabilities:
                await gateway.phones()
            if Capability.CREDITS in gateway.capabilities:
                await gateway.account()
            if provider.login_data is not None:
                data.update(await provider.login_data(gateway))
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
            return provider.unique_id(gateway, data)
        if errors["base"] == "cannot_connect" and https_assumed:
            # https:// was only assumed: the server may well speak plain HTTP, so say so. A
            # certificate error stays as it is: that server does speak HTTPS.
            errors["base"] = "cannot_connect_https"
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
                options = (
                    _options(user_input, recipients)
                    | safety
                    | _assist_options(user_input.get(CONF_ASSIST, {}))
                )
                if mode := user_input.get(CONF_INCOMING_MODE):
                    options[CONF_INCOMING_MODE] = mode
                rotate = PROVIDERS[self.config_entry.data[CONF_PROVIDER]].rotate_secrets
                if rotate is not None and user_input.get(CONF_NEW_CALLBACK_SECRET):
                    self.hass.config_entries.async_update_entry(
                        self.config_entry, data=rotate(self.config_entry.data)
                    )
                return self.async_create_entry(data=options)
        suggested = user_input or _suggested(
            self.config_entry.options, set(self._contact_options())
        )
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
        provider = PROVIDERS[entry.data[CONF_PROVIDER]]
        capabilities = provider.capabilities
        # What the provider has no use for is not asked: a phone without phones, a SIM without
        # a choice of SIM, a sender name where the sender cannot be chosen.
        sender: dict[vol.Marker, Selector[Any]] = {}
        if Capability.PHONES in capabilities:
            sender[vol.Optional(CONF_DEFAULT_PHONE)] = SelectSelector(
                SelectSelectorConfig(options=phone_options, mode=SelectSelectorMode.DROPDOWN)
            )
        if Capability.SIM_SELECT in capabilities:
            sender[vol.Optional(CONF_DEFAULT_SIM)] = SelectSelector(
                SelectSelectorConfig(
                    options=[str(number) for number in range(1, sim_count + 1)],
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
        if Capability.SENDER_ID in capabilities:
            sender[vol.Optional(CONF_SENDER_ID)] = TextSelector()
        # Offered only where the provider can both post incoming messages and be asked for them.
        incoming: dict[vol.Marker, Any] = {}
        if offers_choice(capabilities):
            incoming[vol.Required(CONF_INCOMING_MODE, default=DEFAULT_INCOMING_MODE.value)] = (
                SelectSelector(
                    SelectSelectorConfig(
                        options=[mode.value for mode in IncomingMode],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_INCOMING_MODE,
                    )
                )
            )
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
                **incoming,
                **sender,
                **(
                    {vol.Optional(CONF_NEW_CALLBACK_SECRET, default=False): BooleanSelector()}
                    if provider.rotate_secrets is not None
                    else {}
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
                vol.Optional(CONF_ASSIST): section(
                    vol.Schema(
                        {
                            vol.Required(
                                CONF_ASSIST_AGENT, default=DEFAULT_ASSIST_AGENT
                            ): ConversationAgentSelector(),
                            vol.Optional(CONF_ASSIST_CONTACTS): SelectSelector(
                                SelectSelectorConfig(
                                    options=[
                                        SelectOptionDict(value=key, label=name)
                                        for key, name in self._contact_options().items()
                                    ],
                                    multiple=True,
                                    mode=SelectSelectorMode.DROPDOWN,
                                )
                            ),
                        }
                    ),
                    SectionConfig(collapsed=True),
                ),
            }
        )

    def _contact_options(self) -> dict[str, str]:
        """Return the entry's contacts: subentry id and name."""
        book = ContactBook.of_subentries(self.config_entry.subentries, None)
        return {contact.subentry_id: contact.name for contact in book.contacts}


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
    if sender_id := str(user_input.get(CONF_SENDER_ID) or "").strip():
        options[CONF_SENDER_ID] = sender_id
    if recipients:
        options[CONF_DEFAULT_RECIPIENTS] = recipients
    if (ttl := user_input.get(CONF_OUTBOX_TTL)) is not None:
        options[CONF_OUTBOX_TTL] = int(ttl)
    return options


def _suggested(options: Mapping[str, Any], contact_ids: set[str]) -> dict[str, Any]:
    """Return the stored options as the form shows them.

    A removed contact is no longer offered, so it is not suggested either.
    """
    suggested = {
        key: value
        for key, value in options.items()
        if key not in SEND_SAFETY_KEYS and key not in ASSIST_KEYS
    }
    suggested[CONF_SEND_SAFETY] = {
        key: value for key, value in options.items() if key in SEND_SAFETY_KEYS
    }
    suggested[CONF_ASSIST] = {key: value for key, value in options.items() if key in ASSIST_KEYS}
    if CONF_ASSIST_CONTACTS in options:
        suggested[CONF_ASSIST][CONF_ASSIST_CONTACTS] = [
            key for key in options[CONF_ASSIST_CONTACTS] if key in contact_ids
        ]
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


# -- text your home: a section of the form, stored flat with the other options ----------------

ASSIST_KEYS = frozenset((CONF_ASSIST_AGENT, CONF_ASSIST_CONTACTS))


def _assist_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options of the section to store: none while no contact is chosen (off)."""
    if not (contacts := list(user_input.get(CONF_ASSIST_CONTACTS) or [])):
        return {}
    return {
        CONF_ASSIST_AGENT: user_input.get(CONF_ASSIST_AGENT) or DEFAULT_ASSIST_AGENT,
        CONF_ASSIST_CONTACTS: contacts,
    }
