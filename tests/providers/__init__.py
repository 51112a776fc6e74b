"""Provider harnesses: each provider's simulator driven the same way by the shared tests.

Every provider has a harness in `HARNESSES`; the shared tests run for those whose provider is
in `PROVIDERS` (`registered_harnesses`), so the list grows as providers are wired.
"""

from __future__ import annotations

from custom_components.sms_bridge.providers import PROVIDERS
from tests.providers.harness import ProviderHarness
from tests.providers.rbsoft import RbsoftHarness
from tests.providers.semysms import SemySmsHarness
from tests.providers.smsc import SmscHarness
from tests.providers.smsgateway24 import SmsGateway24Harness

HARNESSES: tuple[type[ProviderHarness], ...] = (
    RbsoftHarness,
    SemySmsHarness,
    SmsGateway24Harness,
    SmscHarness,
)


def registered_harnesses() -> list[type[ProviderHarness]]:
    """Return the harnesses of the providers that are wired in `PROVIDERS`."""
    return [harness for harness in HARNESSES if harness.key in PROVIDERS]


__all__ = ["HARNESSES", "ProviderHarness", "registered_harnesses"]
