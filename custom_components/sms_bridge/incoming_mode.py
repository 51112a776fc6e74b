"""How incoming messages arrive, for a provider that can both post them and be asked for them.

The user picks webhook, polling or both (the default). Both never fires a message twice: every
path goes through the same dedupe, and polling corrects a message a forged webhook request
claimed first. With polling alone, the webhook ignores everything it brings, delivery reports
included: messages and USSD answers come by polling and states are read back (every provider
that offers the choice can be asked for them), and the webhook URL may be known to more people
than the user wants to trust with anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api import Capability
from .compat import vol

CONF_INCOMING_MODE: Final = "incoming_mode"


class IncomingMode(StrEnum):
    """Where incoming messages and USSD answers are taken from."""

    WEBHOOK = "webhook"
    POLLING = "polling"
    BOTH = "both"


DEFAULT_INCOMING_MODE: Final = IncomingMode.BOTH
_BOTH_WAYS: Final = frozenset({Capability.INBOUND_WEBHOOK, Capability.INBOUND_POLL})


def offers_choice(capabilities: frozenset[Capability]) -> bool:
    """Return True when the provider can both post incoming messages and be asked for them."""
    return capabilities >= _BOTH_WAYS


def incoming_mode(capabilities: frozenset[Capability], options: Mapping[str, Any]) -> IncomingMode:
    """Return the mode in effect: the user's choice where there is one, else what exists."""
    if not offers_choice(capabilities):
        if Capability.INBOUND_POLL in capabilities:
            return IncomingMode.POLLING
        return IncomingMode.WEBHOOK
    try:
        return IncomingMode(options.get(CONF_INCOMING_MODE, DEFAULT_INCOMING_MODE))
    except ValueError:
        return DEFAULT_INCOMING_MODE


def polls(mode: IncomingMode) -> bool:
    """Return True when incoming messages are asked for on a schedule."""
    return mode is not IncomingMode.WEBHOOK


def webhook_takes_messages(mode: IncomingMode) -> bool:
    """Return True when messages and USSD answers posted to the webhook are fired."""
    return mode is not IncomingMode.POLLING


def incoming_mode_schema(capabilities: frozenset[Capability]) -> dict[vol.Marker, Any]:
    """Return the options form's field choosing the mode: none where there is no choice."""
    if not offers_choice(capabilities):
        return {}
    return {
        vol.Required(CONF_INCOMING_MODE, default=DEFAULT_INCOMING_MODE.value): SelectSelector(
            SelectSelectorConfig(
                options=[mode.value for mode in IncomingMode],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_INCOMING_MODE,
            )
        )
    }
