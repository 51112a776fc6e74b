"""Polls the gateway for account figures and phones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    Account,
    Capability,
    Gateway,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    Phone,
    SmsBridgeError,
)
from .const import CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL, DOMAIN, LOGGER
from .devices import async_update_phone_devices
from .errors import connection_error

# A refresh is two requests in parallel; this bounds both together.
REFRESH_TIMEOUT = 45


@dataclass(frozen=True, slots=True)
class GatewayData:
    """One consistent snapshot of the account."""

    account: Account | None = None  # None when the provider reports no account figures
    phones: dict[str, Phone] = field(default_factory=dict)


class SmsBridgeCoordinator(DataUpdateCoordinator[GatewayData]):
    """Fetch credits and phones in one refresh."""

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, gateway: Gateway) -> None:
        """Initialize the coordinator."""
        interval = entry.options.get(CONF_UPDATE_INTERVAL)
        self._interval = timedelta(seconds=interval) if interval else DEFAULT_UPDATE_INTERVAL
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=self._interval,
        )
        self.gateway = gateway

    async def _async_update_data(self) -> GatewayData:
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                account, phones = await asyncio.gather(self._account(), self.gateway.phones())
        except GatewayAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except GatewayCertificateError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="certificate_verify_failed",
                translation_placeholders={"error": err.reason},
            ) from err
        except TimeoutError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_timeout",
                translation_placeholders={
                    "host": self.gateway.host,
                    "seconds": str(REFRESH_TIMEOUT),
                },
            ) from err
        except GatewayConnectionError as err:
            raise connection_error(err, self.gateway.host, UpdateFailed) from err
        except SmsBridgeError as err:
            if isinstance(err, GatewayRateLimitedError) and err.retry_after:
                # UpdateFailed(retry_after=...) only exists from HA 2025.x on, so wait by hand.
                self.update_interval = max(self._interval, timedelta(seconds=err.retry_after))
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={
                    "host": self.gateway.host,
                    "error": str(err),
                },
            ) from err
        self.update_interval = self._interval
        async_update_phone_devices(self.hass, self.config_entry, phones)
        return GatewayData(account=account, phones={phone.id: phone for phone in phones})

    @callback
    def async_set_account(self, account: Account) -> None:
        """Show account figures a request other than a refresh reported (a send's answer)."""
        if self.data is not None and self.data.account != account:
            self.async_set_updated_data(replace(self.data, account=account))

    async def _account(self) -> Account | None:
        if Capability.CREDITS not in self.gateway.capabilities:
            return None
        return await self.gateway.account()
