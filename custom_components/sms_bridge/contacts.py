"""Contacts: names for numbers, kept as config subentries of an entry.

A contact's number is stored in E.164 form; numbers written otherwise (national, with spaces)
are read in Home Assistant's country to be compared with it (see ``api.numbers``). Names are
compared case-insensitively and regardless of spacing, so "mum" finds "Mum".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant

from .api.numbers import number_key

SUBENTRY_TYPE_CONTACT: Final = "contact"
CONF_NUMBER: Final = "number"  # the subentry's data: the number in E.164 form
CONF_COUNTRY: Final = "country"  # only a field of the form: how to read a national number


def name_key(name: str) -> str:
    """Return a name as names are compared: without case and extra spaces."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Contact:
    """A named number of an entry."""

    subentry_id: str
    name: str
    number: str  # E.164


def contact_of(subentry: ConfigSubentry) -> Contact | None:
    """Return the contact a subentry holds, or None for a subentry of another type."""
    if subentry.subentry_type != SUBENTRY_TYPE_CONTACT:
        return None
    return Contact(subentry.subentry_id, subentry.title, subentry.data[CONF_NUMBER])


class ContactBook:
    """The contacts of an entry, found by name or by number."""

    def __init__(self, contacts: Iterable[Contact], country: str | None) -> None:
        """Initialize; ``country`` reads the numbers given without a country code."""
        self.contacts = tuple(contacts)
        self.country = country
        self._by_name = {name_key(contact.name): contact for contact in self.contacts}
        self._by_number = {number_key(contact.number): contact for contact in self.contacts}
        self._by_id = {contact.subentry_id: contact for contact in self.contacts}

    @classmethod
    def of(cls, hass: HomeAssistant, entry: ConfigEntry) -> ContactBook:
        """Return the current contacts of ``entry``."""
        return cls.of_subentries(entry.subentries, hass.config.country)

    @classmethod
    def of_subentries(
        cls, subentries: Mapping[str, ConfigSubentry], country: str | None
    ) -> ContactBook:
        """Return the contacts among ``subentries``."""
        return cls(
            (contact for sub in subentries.values() if (contact := contact_of(sub))), country
        )

    def by_name(self, name: str) -> Contact | None:
        """Return the contact of this name (any case), if there is one."""
        return self._by_name.get(name_key(name))

    def by_id(self, subentry_id: str) -> Contact | None:
        """Return the contact of this subentry, if there is one."""
        return self._by_id.get(subentry_id)

    def by_number(self, number: str | None) -> Contact | None:
        """Return the contact of this number, however it is written, if there is one."""
        return self._by_number.get(number_key(number, self.country)) if number else None
