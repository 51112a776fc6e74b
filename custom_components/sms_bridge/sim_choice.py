"""Which SIM of a phone an action or a notification means.

A SIM is given as its number in the phone (1, 2, as automations always did), its operator or its
phone number, looked up among the SIMs the gateway lists for the phone.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.helpers import config_validation as cv

from .api import Phone, Sim
from .api.numbers import same_number
from .compat import vol
from .errors import validation_error

# A phone number has at least three digits: one or two digits are the SIM's number in the phone.
_MAX_SIM_NUMBER_DIGITS: Final = 2


def sim_choice(value: Any) -> int | str:
    """Validate a SIM as given: its number in the phone, or a text (operator or phone number).

    A number written as text ("2", as templates give) is the SIM's number too.
    """
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise vol.Invalid("expected a SIM number, operator or phone number")
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, int) and value >= 10**_MAX_SIM_NUMBER_DIGITS:
        value = str(value)  # a phone number written without "+" in YAML
    if isinstance(value, int):
        if value < 1:
            raise vol.Invalid("SIM numbers start at 1")
        return value
    text = cv.string(value).strip()
    if not text:
        raise vol.Invalid("expected a SIM number, operator or phone number")
    if text.isdecimal() and len(text) <= _MAX_SIM_NUMBER_DIGITS:
        return sim_choice(int(text))
    return text


def sim_number(choice: int | str) -> int | None:
    """Return the SIM's number in the phone, when the choice gives one and not a name."""
    return choice if isinstance(choice, int) else None


def sims_text(phone: Phone) -> str:
    """Return the phone's SIMs as error messages list them: "1 (Free), 2 (+33600000002)"."""
    return (
        ", ".join(
            f"{sim.number} ({sim.detail})" if sim.detail else str(sim.number) for sim in phone.sims
        )
        or "—"
    )


def find_sim(phone: Phone, choice: int | str) -> Sim:
    """Return the SIM of ``phone`` that ``choice`` names, or raise a validation error.

    Operators are compared without case, phone numbers in E.164 form (a national one read in
    the country of the other) or else by their digits, with or without "+".
    """
    if (number := sim_number(choice)) is not None:
        if (sim := phone.sim(number - 1)) is not None:
            return sim
        raise validation_error(
            "unknown_sim", phone=phone.display_name, sim=choice, sims=sims_text(phone)
        )
    folded = str(choice).casefold()
    matches = [
        sim
        for sim in phone.sims
        if (sim.operator is not None and sim.operator.casefold() == folded)
        or (sim.phone_number is not None and same_number(sim.phone_number, str(choice)))
    ]
    if len(matches) > 1:
        raise validation_error(
            "ambiguous_sim", phone=phone.display_name, sim=choice, sims=sims_text(phone)
        )
    if not matches:
        raise validation_error(
            "unknown_sim", phone=phone.display_name, sim=choice, sims=sims_text(phone)
        )
    return matches[0]
