"""Bring a config entry stored by an older release to the current version.

1.2: numbers are stored in E.164 form where they have one, as the forms now store them: the
default and allowed recipients (a national number read in Home Assistant's country) and the
contacts' numbers (written the one way the number library writes them). A number without an
E.164 form (a short code, a national number while Home Assistant has no country) is kept as it
was; the send path reads it as it reads a recipient. The device triggers of automations are
not stored here: they compare their number in E.164 form each time instead.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .api.numbers import dialled_number, to_e164
from .config_flow import SmsBridgeConfigFlow
from .const import CONF_ALLOWED_RECIPIENTS, CONF_DEFAULT_RECIPIENTS, LOGGER
from .contacts import CONF_NUMBER, SUBENTRY_TYPE_CONTACT
from .data import SmsBridgeConfigEntry

VERSION = SmsBridgeConfigFlow.VERSION
MINOR_VERSION = SmsBridgeConfigFlow.MINOR_VERSION


async def async_migrate_entry(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> bool:
    """Migrate ``entry``; False for an entry of a newer major version, which this cannot read."""
    if entry.version > VERSION:
        return False
    if entry.minor_version < 2:
        country = hass.config.country
        options: dict[str, Any] = dict(entry.options)
        for key in (CONF_DEFAULT_RECIPIENTS, CONF_ALLOWED_RECIPIENTS):
            if numbers := options.get(key):
                options[key] = list(
                    dict.fromkeys(dialled_number(number, country) or number for number in numbers)
                )
        for subentry in entry.subentries.values():
            number = subentry.data.get(CONF_NUMBER)
            if subentry.subentry_type != SUBENTRY_TYPE_CONTACT or not isinstance(number, str):
                continue
            if (e164 := to_e164(number)) is not None and e164 != number:
                hass.config_entries.async_update_subentry(
                    entry, subentry, data={**subentry.data, CONF_NUMBER: e164}
                )
        hass.config_entries.async_update_entry(
            entry, options=options, version=VERSION, minor_version=MINOR_VERSION
        )
        LOGGER.debug("Migrated %s to version %s.%s", entry.title, VERSION, MINOR_VERSION)
    return True
