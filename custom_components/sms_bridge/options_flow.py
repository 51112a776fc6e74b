"""The options of an entry: polling, incoming messages, send defaults, limits, text your home.

Each section's fields and their reading live next to the settings class that reads them (the
send defaults in ``send_request``, the limits in ``send_guard``, text your home in ``assist``,
the incoming mode in ``incoming_mode``). The entry's update listener reloads it when they change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.const import UnitOfTime
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .api import Phone
from .assist import ASSIST_KEYS, assist_options, assist_schema
from .compat import vol
from .const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_ASSIST,
    CONF_ASSIST_CONTACTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_INBOX,
    CONF_NEW_CALLBACK_SECRET,
    CONF_OUTBOX_TTL,
    CONF_PROVIDER,
    CONF_SEND_SAFETY,
    CONF_UPDATE_INTERVAL,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_UPDATE_INTERVAL,
    MAX_OUTBOX_TTL_MINUTES,
    MAX_UPDATE_INTERVAL_SECONDS,
    MIN_OUTBOX_TTL_MINUTES,
    MIN_UPDATE_INTERVAL_SECONDS,
)
from .contacts import ContactBook
from .data import SmsBridgeConfigEntry
from .inbox_store import INBOX_KEYS, INBOX_SCHEMA, inbox_options
from .incoming_mode import CONF_INCOMING_MODE, incoming_mode_schema
from .providers import PROVIDERS
from .send_guard import SEND_SAFETY_KEYS, SEND_SAFETY_SCHEMA, send_safety_options
from .send_request import clean_numbers, send_defaults_options, send_defaults_schema
from .webhook_url import async_webhook_url


class SmsBridgeOptionsFlow(OptionsFlow):
    """Change polling, how messages come in, the defaults of the sends and their limits."""

    config_entry: SmsBridgeConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            country = self.hass.config.country
            recipients = clean_numbers(user_input.get(CONF_DEFAULT_RECIPIENTS, []), country)
            if recipients is None:
                errors[CONF_DEFAULT_RECIPIENTS] = "invalid_number"
            safety = send_safety_options(user_input.get(CONF_SEND_SAFETY, {}), country)
            if safety is None:
                errors[CONF_ALLOWED_RECIPIENTS] = "invalid_allowed_number"
            if recipients is not None and safety is not None:
                options = (
                    _general_options(user_input)
                    | send_defaults_options(user_input, recipients)
                    | safety
                    | assist_options(user_input.get(CONF_ASSIST, {}))
                    | inbox_options(user_input.get(CONF_INBOX, {}))
                )
                if mode := user_input.get(CONF_INCOMING_MODE):
                    options[CONF_INCOMING_MODE] = mode
                rotate = PROVIDERS[self.config_entry.data[CONF_PROVIDER]].rotate_secrets
                if rotate is not None and user_input.get(CONF_NEW_CALLBACK_SECRET):
                    # The replaced secret keeps working for a while (the provider's rule).
                    self.hass.config_entries.async_update_entry(
                        self.config_entry, data=rotate(self.config_entry.data)
                    )
                return self.async_create_entry(data=options)
        suggested = user_input or _suggested(self.config_entry.options, set(self._contacts()))
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
        # The phones are known while the entry is loaded (the options dialog, like the
        # entities, shows the entry's current state).
        phones: dict[str, Phone] = (
            entry.runtime_data.coordinator.data.phones
            if entry.state is ConfigEntryState.LOADED
            else {}
        )
        provider = PROVIDERS[entry.data[CONF_PROVIDER]]
        capabilities = provider.capabilities
        # Offered where the provider hashes its webhooks with a secret we made.
        rotation: dict[vol.Marker, Any] = (
            {vol.Optional(CONF_NEW_CALLBACK_SECRET, default=False): BooleanSelector()}
            if provider.rotate_secrets is not None
            else {}
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
                **incoming_mode_schema(capabilities),
                **rotation,
                **send_defaults_schema(capabilities, phones, entry.options.get(CONF_DEFAULT_PHONE)),
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
                    assist_schema(self._contacts()), SectionConfig(collapsed=True)
                ),
                vol.Optional(CONF_INBOX): section(INBOX_SCHEMA, SectionConfig(collapsed=True)),
            }
        )

    def _contacts(self) -> dict[str, str]:
        """Return the entry's contacts: subentry id and name."""
        book = ContactBook.of_subentries(self.config_entry.subentries, None)
        return {contact.subentry_id: contact.name for contact in book.contacts}


def _general_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the polling and outbox options to store, in whole seconds and minutes."""
    options: dict[str, Any] = {CONF_UPDATE_INTERVAL: int(user_input[CONF_UPDATE_INTERVAL])}
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
        if key not in SEND_SAFETY_KEYS | ASSIST_KEYS | INBOX_KEYS
    }
    suggested[CONF_SEND_SAFETY] = {
        key: value for key, value in options.items() if key in SEND_SAFETY_KEYS
    }
    suggested[CONF_ASSIST] = {key: value for key, value in options.items() if key in ASSIST_KEYS}
    suggested[CONF_INBOX] = {key: value for key, value in options.items() if key in INBOX_KEYS}
    if CONF_ASSIST_CONTACTS in options:
        suggested[CONF_ASSIST][CONF_ASSIST_CONTACTS] = [
            key for key in options[CONF_ASSIST_CONTACTS] if key in contact_ids
        ]
    if CONF_DEFAULT_SIM in options:
        suggested[CONF_DEFAULT_SIM] = str(options[CONF_DEFAULT_SIM])
    return suggested
