"""Add and edit a contact of an entry (a config subentry): a name and a number.

The number is stored in E.164 form; a national one is read in the country chosen on the form:
Home Assistant's country for a new contact, the country of its number for one being edited,
unless the user picks another. The form's example number is one of that country.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.generated.countries import COUNTRIES
from homeassistant.helpers.selector import (
    CountrySelector,
    CountrySelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api.numbers import REGIONS, clean_number, example_number, region_of, to_e164
from .compat import vol
from .contacts import CONF_COUNTRY, CONF_NUMBER, ContactBook

STEP_USER = "user"
STEP_RECONFIGURE = "reconfigure"

# The countries the form offers: those with a numbering plan that Home Assistant's country
# selector takes (it refuses Ascension, Tristan da Cunha and Kosovo, which it does not list).
COUNTRY_CHOICES = sorted(REGIONS & COUNTRIES)
# The example of the hint when no country is known.
FALLBACK_EXAMPLE_COUNTRY = "GB"


class ContactSubentryFlow(ConfigSubentryFlow):
    """Ask a contact's name and number; check both against the entry's other contacts."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a contact."""
        return await self._async_step(STEP_USER, user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a contact's name or number."""
        return await self._async_step(STEP_RECONFIGURE, user_input)

    async def _async_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        editing = self._get_reconfigure_subentry() if step_id == STEP_RECONFIGURE else None
        errors: dict[str, str] = {}
        if user_input is not None:
            name = " ".join(user_input[CONF_NAME].split())
            number = to_e164(user_input[CONF_NUMBER], user_input.get(CONF_COUNTRY))
            others = ContactBook.of_subentries(
                {
                    subentry_id: subentry
                    for subentry_id, subentry in self._get_entry().subentries.items()
                    if editing is None or subentry_id != editing.subentry_id
                },
                self.hass.config.country,
            )
            # A name that reads as a number would make a recipient ambiguous.
            if not name or clean_number(name) is not None:
                errors[CONF_NAME] = "invalid_name"
            elif others.by_name(name) is not None:
                errors[CONF_NAME] = "duplicate_name"
            if number is None:
                errors[CONF_NUMBER] = "invalid_number"
            elif others.by_number(number) is not None:
                errors[CONF_NUMBER] = "duplicate_number"
            if not errors and number is not None:
                if editing is None:
                    return self.async_create_entry(title=name, data={CONF_NUMBER: number})
                # On Home Assistant 2025.4 the abort reason "reconfigure_successful" is this
                # integration's own text; later versions use their common one.
                return self.async_update_and_abort(
                    self._get_entry(), editing, title=name, data={CONF_NUMBER: number}
                )
        suggested: dict[str, Any] = user_input or (
            {CONF_NAME: editing.title, CONF_NUMBER: editing.data[CONF_NUMBER]} if editing else {}
        )
        country = (editing and region_of(editing.data[CONF_NUMBER])) or self.hass.config.country
        if country not in COUNTRY_CHOICES:
            country = None
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(self._schema(country), suggested),
            errors=errors,
            description_placeholders=_examples((user_input or {}).get(CONF_COUNTRY) or country),
        )

    def _schema(self, country: str | None) -> vol.Schema:
        return vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_NUMBER): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.TEL)
                ),
                vol.Optional(CONF_COUNTRY, default=country or vol.UNDEFINED): CountrySelector(
                    CountrySelectorConfig(countries=COUNTRY_CHOICES)
                ),
            }
        )


def _examples(country: str | None) -> dict[str, str]:
    """Return the placeholders of the number's hint: a number of ``country``, two ways."""
    examples = example_number(country) or example_number(FALLBACK_EXAMPLE_COUNTRY)
    national, international = examples or ("", "")
    return {"example": national, "example_international": international}
